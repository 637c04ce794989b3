// Column defaults and CHECK constraints carried to another engine (copier/defaults.hpp): what
// each engine's catalog prints, rewritten where both engines mean the same, refused otherwise.
#include <catch2/catch.hpp>

#include "copier/defaults.hpp"

using namespace ferry;

namespace {

ColumnType Type(TypeKind kind, int64_t length = -1, int precision = 0, int scale = 0) {
  ColumnType t;
  t.kind = kind;
  t.length = length;
  t.precision = precision;
  t.scale = scale;
  return t;
}

Column With(const std::string& default_value, ColumnType type = Type(TypeKind::kText)) {
  Column c;
  c.name = "c";
  c.type = std::move(type);
  c.default_value = default_value;
  return c;
}

std::string To(Engine from, const std::string& text, const ColumnType& type, Engine to) {
  return CarryDefault(With(text), from, type, to).sql;
}

std::string WhyNot(Engine from, const std::string& text, const ColumnType& type, Engine to) {
  return CarryDefault(With(text), from, type, to).why_not;
}

constexpr Engine kPg = Engine::kPostgres;
constexpr Engine kMaria = Engine::kMariaDB;
constexpr Engine kLite = Engine::kSQLite;

}  // namespace

TEST_CASE("literal defaults drop PostgreSQL's casts and fit the destination's type", "[defaults]") {
  const ColumnType text = Type(TypeKind::kVarchar, 20);
  CHECK(To(kPg, "'publish'::character varying", text, kMaria) == "'publish'");
  CHECK(To(kPg, "'it''s'::text", Type(TypeKind::kText), kLite) == "'it''s'");
  CHECK(To(kPg, "'-1'::integer", Type(TypeKind::kInteger), kMaria) == "-1");
  CHECK(To(kPg, "4.99", Type(TypeKind::kDecimal, -1, 4, 2), kMaria) == "4.99");
  CHECK(To(kPg, "0", Type(TypeKind::kDecimal), kLite) == "0");
  CHECK(To(kPg, "'2020-01-01'::date", Type(TypeKind::kDate), kMaria) == "'2020-01-01'");
  CHECK(To(kPg, "'{}'::jsonb", Type(TypeKind::kJson), kMaria) == "'{}'");
  CHECK(To(kMaria, "'it''s'", text, kPg) == "'it''s'");
  CHECK(To(kMaria, "-1", Type(TypeKind::kInteger), kPg) == "-1");
  CHECK(To(kLite, "'active'", text, kPg) == "'active'");
  // No bytes is '' everywhere (MediaWiki's SQLite BLOB NOT NULL DEFAULT ''); other bytes are not.
  CHECK(To(kLite, "''", Type(TypeKind::kBlob), kPg) == "''");
  CHECK(To(kLite, "''", Type(TypeKind::kVarbinary, 255), kMaria) == "''");
  CHECK_FALSE(WhyNot(kLite, "'abc'", Type(TypeKind::kBlob), kPg).empty());
  // NULL is every column's default: nothing to write.
  CHECK(To(kMaria, "NULL", text, kPg).empty());
  CHECK(WhyNot(kMaria, "NULL", text, kPg).empty());
}

TEST_CASE("boolean defaults follow the destination's booleans", "[defaults]") {
  const ColumnType boolean = Type(TypeKind::kBoolean);
  CHECK(To(kPg, "true", boolean, kMaria) == "1");
  CHECK(To(kPg, "false", boolean, kLite) == "0");
  CHECK(To(kMaria, "1", boolean, kPg) == "true");
  CHECK(To(kLite, "TRUE", boolean, kPg) == "true");
  CHECK(To(kLite, "0", boolean, kPg) == "false");
  CHECK(WhyNot(kMaria, "2", boolean, kPg) == "not translated to PostgreSQL: 2 is not a boolean");
}

TEST_CASE("the current time, date and a new UUID are each engine's own function", "[defaults]") {
  ColumnType stamp = Type(TypeKind::kTimestamp);
  stamp.precision = 6;
  CHECK(To(kPg, "now()", stamp, kMaria) == "current_timestamp(6)");
  CHECK(To(kPg, "CURRENT_TIMESTAMP", Type(TypeKind::kTimestampTz), kLite) == "CURRENT_TIMESTAMP");
  CHECK(To(kMaria, "current_timestamp()", stamp, kPg) == "CURRENT_TIMESTAMP");
  CHECK(To(kLite, "datetime('now')", stamp, kPg) == "CURRENT_TIMESTAMP");
  CHECK(To(kLite, "CURRENT_TIMESTAMP", Type(TypeKind::kTimestamp), kMaria) ==
        "current_timestamp()");
  CHECK(To(kPg, "CURRENT_DATE", Type(TypeKind::kDate), kMaria) == "curdate()");
  CHECK(To(kMaria, "curdate()", Type(TypeKind::kDate), kLite) == "CURRENT_DATE");
  CHECK(To(kPg, "(now())::date", Type(TypeKind::kDate), kMaria) == "curdate()");
  CHECK(To(kPg, "gen_random_uuid()", Type(TypeKind::kUuid), kMaria) == "uuid()");
  CHECK(To(kMaria, "uuid()", Type(TypeKind::kUuid), kPg) == "gen_random_uuid()");
  CHECK(To(kMaria, "uuid()", Type(TypeKind::kChar, 36), kPg) == "(gen_random_uuid())::text");
  CHECK(WhyNot(kPg, "gen_random_uuid()", Type(TypeKind::kUuid), kLite) ==
        "not translated to SQLite: SQLite has no function that makes a UUID");
}

TEST_CASE("defaults that mean something else or do not fit are not carried", "[defaults]") {
  CHECK(WhyNot(kPg, "nextval('s'::regclass)", Type(TypeKind::kInteger), kMaria) ==
        "not translated to MariaDB: the function nextval()");
  CHECK(WhyNot(kPg, "(now() + '1 day'::interval)", Type(TypeKind::kTimestamp), kMaria) != "");
  CHECK(WhyNot(kPg, "'toolong'::text", Type(TypeKind::kVarchar, 3), kMaria) ==
        "not translated to MariaDB: it is longer than the column");
  CHECK(WhyNot(kPg, "12.345", Type(TypeKind::kDecimal, -1, 4, 2), kMaria) ==
        "not translated to MariaDB: 12.345 does not fit decimal(4,2)");
  CHECK(WhyNot(kMaria, "'0000-00-00'", Type(TypeKind::kDate), kPg) ==
        "not translated to PostgreSQL: '0000-00-00' is a zero date, which the destination cannot "
        "hold");
  CHECK(WhyNot(kPg, "'now'::text", Type(TypeKind::kDate), kMaria) ==
        "not translated to MariaDB: 'now' is not a date in ISO form");
  CHECK(WhyNot(kLite, "(strftime('%s','now'))", Type(TypeKind::kInteger), kPg) ==
        "not translated to PostgreSQL: the function strftime()");
}

TEST_CASE("quotes and backslashes in string defaults keep their value", "[defaults]") {
  const ColumnType text = Type(TypeKind::kText);
  // MariaDB prints a backslash as \\ and may print a quote as \' (information_schema).
  CHECK(To(kMaria, "'a\\\\b''c\\'d\"e'", text, kPg) == "'a\\b''c''d\"e'");
  CHECK(To(kMaria, "'x\\ny'", text, kLite) == "'x\ny'");  // \n: a line break
  CHECK(To(kMaria, "'x\\\\ny'", text, kLite) == "'x\\ny'");
  // PostgreSQL (standard strings) and SQLite print a backslash as itself.
  CHECK(To(kPg, "'a\\b''c'::text", text, kMaria) == "'a\\b''c'");
  CHECK(To(kLite, "'C:\\dir'", text, kMaria) == "'C:\\dir'");
  CHECK(WhyNot(kMaria, "'a\\0b'", text, kPg) ==
        "not translated to PostgreSQL: a string holds a NUL character");
}

TEST_CASE("negative numbers, PostgreSQL's quoted ones included, stay negative", "[defaults]") {
  CHECK(To(kPg, "'-1.5'::numeric", Type(TypeKind::kDecimal, -1, 5, 2), kMaria) == "-1.5");
  CHECK(To(kPg, "'-1.5'::real", Type(TypeKind::kReal), kLite) == "-1.5");
  CHECK(To(kMaria, "-1.50", Type(TypeKind::kDecimal, -1, 5, 2), kPg) == "-1.50");
  CHECK(To(kLite, "-7", Type(TypeKind::kInteger), kPg) == "-7");
  ColumnType unsigned_int = Type(TypeKind::kInteger);
  unsigned_int.is_unsigned = true;
  CHECK(WhyNot(kPg, "'-1'::integer", unsigned_int, kMaria) ==
        "not translated to MariaDB: -1 is negative");
}

TEST_CASE("identity, generated and same-engine defaults are left as they are", "[defaults]") {
  Column serial = With("nextval('t_id_seq'::regclass)", Type(TypeKind::kInteger));
  serial.identity = true;
  CHECK(CarryDefault(serial, kPg, serial.type, kMaria).sql.empty());
  CHECK(CarryDefault(serial, kPg, serial.type, kMaria).why_not.empty());
  CHECK(To(kPg, "(now() + '1 day'::interval)", Type(TypeKind::kTimestamp), kPg) ==
        "(now() + '1 day'::interval)");
}

namespace {

Table Films() {
  Table t;
  t.name = {"public", "film"};
  auto add = [&](const char* name, TypeKind kind) {
    Column c;
    c.name = name;
    c.type.kind = kind;
    t.columns.push_back(c);
  };
  add("rate", TypeKind::kDecimal);
  add("st", TypeKind::kVarchar);
  add("g", TypeKind::kInteger);
  add("a", TypeKind::kVarchar);
  add("n", TypeKind::kDate);
  return t;
}

std::vector<CheckConstraint> Carry(
    const Table& t, Engine from, Engine to,
    std::vector<std::pair<CheckConstraint, std::string>>* not_carried) {
  return CarryChecks(
      t, from, to, [&](int c) -> std::optional<std::string> { return t.columns[size_t(c)].name; },
      "film", 64, not_carried);
}

}  // namespace

TEST_CASE("PostgreSQL's checks are rewritten in MariaDB's and SQLite's terms", "[defaults]") {
  Table t = Films();
  t.checks = {
      {"film_rate_check", "((rate >= (0)::numeric))"},
      {"film_st_check",
       "(((st)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))"},
      {"film_g_check", "(((g < 100) AND (g > '-5'::integer)))"},
      {"film_n_check", "(((n >= '2000-01-01'::date) AND (n <= '2100-01-01'::date)))"},
      {"film_st_check1", "(((st)::text <> ALL (ARRAY['z'::text])))"},
      {"film_a_check", "((length((a)::text) > 0))"},
  };
  std::vector<std::pair<CheckConstraint, std::string>> left;
  std::vector<CheckConstraint> maria = Carry(t, kPg, kMaria, &left);
  REQUIRE(maria.size() == 6);
  CHECK(left.empty());
  CHECK(maria[0].condition == "((`rate` >= (0)))");
  CHECK(maria[1].condition == "(((`st`) IN ('a', 'b')))");
  CHECK(maria[2].condition == "(((`g` < 100) AND (`g` > -5)))");
  CHECK(maria[3].condition == "(((`n` >= '2000-01-01') AND (`n` <= '2100-01-01')))");
  CHECK(maria[4].condition == "(((`st`) NOT IN ('z')))");
  CHECK(maria[5].condition == "((CHAR_LENGTH((`a`)) > 0))");
  CHECK(maria[0].name == "film_rate_check");
  std::vector<CheckConstraint> lite = Carry(t, kPg, kLite, nullptr);
  CHECK(lite[5].condition == "((length((\"a\")) > 0))");
}

TEST_CASE("an IN list as PostgreSQL before 10 printed it, each item cast twice, is carried",
          "[defaults]") {
  // Postgres Pro's airline demo database, as every database dumped since then keeps it.
  Table t = Films();
  t.checks = {{"film_st_check",
               "(((st)::text = ANY (ARRAY[('On Time'::character varying)::text, "
               "('Delayed'::character varying)::text])))"},
              {"film_g_check", "((g = ANY (ARRAY[('5'::integer)::text])))"}};
  std::vector<std::pair<CheckConstraint, std::string>> left;
  std::vector<CheckConstraint> maria = Carry(t, kPg, kMaria, &left);
  REQUIRE(maria.size() == 1);
  CHECK(maria[0].condition == "(((`st`) IN (('On Time'), ('Delayed'))))");
  // A number made text is another value, compared otherwise: still refused.
  REQUIRE(left.size() == 1);
  CHECK(left[0].second == "not translated to MariaDB: a cast that changes the value's type");
  std::vector<CheckConstraint> lite = Carry(t, kPg, kLite, nullptr);
  REQUIRE(lite.size() == 1);
  CHECK(lite[0].condition == "(((\"st\") IN (('On Time'), ('Delayed'))))");
}

TEST_CASE("MariaDB's and SQLite's checks are rewritten for PostgreSQL", "[defaults]") {
  Table t = Films();
  t.checks = {{"rate", "`rate` >= 0"},
              {"CONSTRAINT_1", "`g` in (1,-2) and `n` > '2000-01-01'"},
              {"", "g == -1 OR g != 5"}};
  std::vector<CheckConstraint> pg = Carry(t, kMaria, kPg, nullptr);
  REQUIRE(pg.size() == 3);
  // MariaDB names a column's check after the column, and unnamed ones CONSTRAINT_n.
  CHECK(pg[0].name == "film_rate_check");
  CHECK(pg[0].condition == "\"rate\" >= 0");
  CHECK(pg[1].name == "film_check");
  CHECK(pg[1].condition == "\"g\" IN (1,-2) AND \"n\" > '2000-01-01'");
  t.checks = {{"", "st IN ('a', 'it''s', 'back\\slash')"}, {"", "g == -1 OR g != 5"}};
  std::vector<CheckConstraint> from_lite = Carry(t, kLite, kPg, nullptr);
  REQUIRE(from_lite.size() == 2);
  CHECK(from_lite[0].name == "film_st_check");
  CHECK(from_lite[0].condition == "\"st\" IN ('a', 'it''s', 'back\\slash')");
  CHECK(from_lite[1].name == "film_g_check");
  CHECK(from_lite[1].condition == "\"g\" = -1 OR \"g\" <> 5");
}

TEST_CASE("checks that compare text where the engines differ are not carried", "[defaults]") {
  Table t = Films();
  // MariaDB compares text by the column's collation: 'A' may equal 'a' there.
  t.checks = {{"st", "`st` in ('a','it\\'s')"}, {"len", "char_length(`a`) > 0"}};
  std::vector<std::pair<CheckConstraint, std::string>> left;
  std::vector<CheckConstraint> pg = Carry(t, kMaria, kPg, &left);
  REQUIRE(pg.size() == 1);
  CHECK(pg[0].condition == "char_length(\"a\") > 0");
  REQUIRE(left.size() == 1);
  CHECK(left[0].second ==
        "not translated to PostgreSQL: it compares text column st, which MariaDB compares by its "
        "collation (case and trailing spaces may not count) and PostgreSQL exactly");
  // Each database orders text by its own collation.
  t.checks = {{"order", "((a)::text > 'm'::text)"},
              {"between", "((a)::text NOT BETWEEN 'a'::text AND 'm'::text)"},
              {"dates", "((n > '2000-01-01'::date))"},
              {"like", "((a)::text ~~ 'x%'::text)"}};
  left.clear();
  CHECK(Carry(t, kPg, kMaria, &left).size() == 1);
  REQUIRE(left.size() == 3);
  CHECK(left[0].second ==
        "not translated to MariaDB: it orders text, which each database orders by its own "
        "collation");
  CHECK(left[1].first.name == "between");
  // SQLite's LIKE ignores case.
  t.checks = {{"like", "a LIKE 'x%'"}};
  left.clear();
  CHECK(Carry(t, kPg, kLite, &left).empty());
  CHECK(left.at(0).second == "not translated to SQLite: LIKE, which ignores case in SQLite only");
}

TEST_CASE("checks in one engine's own terms are not carried, with the reason", "[defaults]") {
  Table t = Films();
  t.checks = {{"re", "((st)::text ~ '^[a-z]+$'::text)"},
              {"fn", "(upper((st)::text) = (st)::text)"},
              {"cast", "(((g)::text)::integer > 0)"},
              {"len", "length(`a`) > 2"},
              {"gone", "(x > 0)"}};
  std::vector<std::pair<CheckConstraint, std::string>> left;
  CHECK(Carry(t, kPg, kLite, &left).empty());
  REQUIRE(left.size() == 5);
  CHECK(left[0].second == "not translated to SQLite: the operator '~'");
  CHECK(left[1].second ==
        "not translated to SQLite: the function upper(), which ferry does not carry to SQLite");
  CHECK(left[2].second == "not translated to SQLite: a cast that changes the value's type");
  CHECK(left[4].second ==
        "not translated to SQLite: it names x, which is not a column of the table");
  left.clear();
  t.checks = {{"len", "length(`a`) > 2"}};
  Carry(t, kMaria, kPg, &left);
  // MariaDB's length() counts bytes.
  CHECK(left.at(0).second ==
        "not translated to PostgreSQL: the function length(), which ferry does not carry to "
        "PostgreSQL");
}

TEST_CASE("a check naming a column that is not copied is not carried", "[defaults]") {
  Table t = Films();
  t.checks = {{"c", "rate > 0 AND g > 0"}};
  std::vector<std::pair<CheckConstraint, std::string>> left;
  CHECK(CarryChecks(
            t, kLite, kPg,
            [&](int c) -> std::optional<std::string> {
              if (c == 2) return std::nullopt;
              return t.columns[size_t(c)].name;
            },
            "film", 63, &left)
            .empty());
  CHECK(left.at(0).second ==
        "not translated to PostgreSQL: it names column g, which is not copied");
}
