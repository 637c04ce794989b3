// Columns whose every possible value fits the destination move without being looked at;
// everything else is still checked value by value.
#include <catch2/catch.hpp>

#include "copier/convert.hpp"
#include "copier/error.hpp"

using namespace ferry;

namespace {

Column Make(const std::string& name, TypeKind kind, int bits = 0, int precision = 0, int scale = 0,
            int64_t length = -1) {
  Column c;
  c.name = name;
  c.type.kind = kind;
  c.type.width_bits = bits;
  c.type.precision = precision;
  c.type.scale = scale;
  c.type.length = length;
  c.type.native = DescribeType(c.type);
  return c;
}

ValueLimits Postgres() {
  ValueLimits l;
  l.nul_in_text = false;
  return l;
}

ValueLimits Sqlite() {
  ValueLimits l;
  l.float_nan = false;
  l.float_negative_zero = false;
  l.requires_utf8 = false;
  l.declared_types_hold = false;
  return l;
}

}  // namespace

TEST_CASE("identical column types between two PostgreSQL databases are moved unchecked",
          "[convert][fast-path]") {
  Column id = Make("id", TypeKind::kInteger, 64);
  Column price = Make("price", TypeKind::kDecimal, 0, 15, 2);
  Column note = Make("note", TypeKind::kVarchar, 0, 0, 0, 44);
  Column when = Make("day", TypeKind::kDate);
  RowConverter converter("t", {{&id, &id}, {&price, &price}, {&note, &note}, {&when, &when}},
                         Postgres(), {0}, Postgres());
  CHECK(converter.unchecked_columns() == 4);
}

TEST_CASE("narrowing, unknown sources and weaker text guarantees keep the checks",
          "[convert][fast-path]") {
  Column big = Make("n", TypeKind::kInteger, 64);
  Column small = Make("n", TypeKind::kInteger, 16);
  Column wide = Make("d", TypeKind::kDecimal, 0, 38, 10);
  Column narrow = Make("d", TypeKind::kDecimal, 0, 10, 2);
  Column text = Make("t", TypeKind::kText);
  CHECK(RowConverter("t", {{&big, &small}}, Postgres(), {}, Postgres()).unchecked_columns() == 0);
  CHECK(RowConverter("t", {{&wide, &narrow}}, Postgres(), {}, Postgres()).unchecked_columns() == 0);
  // SQLite text may hold invalid UTF-8 and NUL; PostgreSQL refuses both.
  CHECK(RowConverter("t", {{&text, &text}}, Postgres(), {}, Sqlite()).unchecked_columns() == 0);
  // Without knowing the source, nothing is assumed.
  CHECK(RowConverter("t", {{&small, &big}}, Postgres(), {}).unchecked_columns() == 0);
  // Widening is always safe.
  CHECK(RowConverter("t", {{&small, &big}}, Postgres(), {}, Sqlite()).unchecked_columns() == 1);
}

TEST_CASE("a moved column still names the key of a later column's bad value",
          "[convert][fast-path]") {
  Column id = Make("id", TypeKind::kInteger, 64);
  Column big = Make("n", TypeKind::kInteger, 64);
  Column small = Make("n", TypeKind::kInteger, 16);
  RowConverter converter("public.t", {{&id, &id}, {&big, &small}}, Postgres(), {0}, Postgres());
  REQUIRE(converter.unchecked_columns() == 1);
  Batch in({Storage::kInt64, Storage::kInt64});
  in.column(0).AppendInt(41);
  in.column(1).AppendInt(1);
  in.column(0).AppendInt(42);
  in.column(1).AppendInt(70000);
  Batch out;
  try {
    converter.Convert(in, out);
    FAIL("70000 does not fit a 16-bit integer");
  } catch (const Error& e) {
    CHECK(e.context().key == "(id)=(42)");
    CHECK(e.context().column == "n");
  }
}

// SQLite keeps 70000 in a smallint column, 'abcdefgh' in a varchar(5) and 12345.678 in a
// numeric(5,2): the declared type proves nothing of the values, so the same declared type at
// the destination is no reason to move them unchecked (a PostgreSQL smallint would take 70000's
// low 16 bits, -4464, and numeric(5,2) refuses the whole COPY).
TEST_CASE(
    "a SQLite column's declared width, length and precision do not spare its values the checks",
    "[convert][fast-path]") {
  Column id = Make("id", TypeKind::kInteger, 64);
  Column small = Make("n", TypeKind::kInteger, 16);
  Column short_text = Make("v", TypeKind::kVarchar, 0, 0, 0, 5);
  Column money = Make("d", TypeKind::kDecimal, 0, 5, 2);
  for (const Column* c : {&small, &short_text, &money}) {
    INFO(c->name);
    CHECK(RowConverter("t", {{c, c}}, Postgres(), {}, Sqlite()).unchecked_columns() == 0);
  }
  // Storage that holds any of its values whole still moves unchecked.
  CHECK(RowConverter("t", {{&small, &id}}, Postgres(), {}, Sqlite()).unchecked_columns() == 1);
  RowConverter converter("main.t", {{&id, &id}, {&small, &small}}, Postgres(), {0}, Sqlite());
  Batch in({Storage::kInt64, Storage::kInt64});
  in.column(0).AppendInt(5);
  in.column(1).AppendInt(65535);
  Batch out;
  try {
    converter.Convert(in, out);
    FAIL("65535 does not fit a 16-bit integer");
  } catch (const Error& e) {
    CHECK(e.context().key == "(id)=(5)");
    CHECK(e.context().column == "n");
  }
}
