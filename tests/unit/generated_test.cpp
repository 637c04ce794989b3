// Generated columns across engines: expressions as each engine prints them (pg_get_expr,
// MariaDB's GENERATION_EXPRESSION, SQLite's own text) rewritten where the destination computes
// the same value, and refused, with the reason, where it would not.
#include <catch2/catch.hpp>

#include "copier/generated.hpp"

using namespace ferry;

namespace {

ColumnType Type(TypeKind kind, const std::string& native, int precision = 0, int scale = 0) {
  ColumnType t;
  t.kind = kind;
  t.native = native;
  t.precision = precision;
  t.scale = scale;
  if (kind == TypeKind::kInteger) t.width_bits = 32;
  return t;
}

// people (id, first_name, last_name, qty, price, w, born, code, g) with g generated as `expr`.
Table People(const std::string& expr, TypeKind kind = TypeKind::kText) {
  Table t;
  t.name = {"public", "people"};
  t.columns = {
      {"id", Type(TypeKind::kInteger, "integer")},
      {"first_name", Type(TypeKind::kText, "text")},
      {"last_name", Type(TypeKind::kVarchar, "varchar(40)")},
      {"qty", Type(TypeKind::kInteger, "integer")},
      {"price", Type(TypeKind::kDecimal, "numeric(8,2)", 8, 2)},
      {"w", Type(TypeKind::kDouble, "double precision")},
      {"born", Type(TypeKind::kDate, "date")},
      {"code", Type(TypeKind::kChar, "character(3)")},
      {"g", Type(kind, "g")},
  };
  t.columns.back().generated = expr;
  t.primary_key = {0};
  return t;
}

std::string Translate(const std::string& expr, Engine from, Engine to,
                      TypeKind kind = TypeKind::kText, std::string* why = nullptr) {
  std::string ignored;
  std::string out = TranslateExpression(People(expr, kind), 8, from, to, why ? why : &ignored);
  UNSCOPED_INFO(expr << " -> " << out << " / " << (why ? *why : ignored));
  return out;
}

constexpr Engine kPg = Engine::kPostgres;
constexpr Engine kMaria = Engine::kMariaDB;
constexpr Engine kLite = Engine::kSQLite;

}  // namespace

TEST_CASE("concatenation becomes CONCAT in MariaDB and || elsewhere", "[generated]") {
  const std::string pg = "((first_name || ' '::text) || (last_name)::text)";
  CHECK(Translate(pg, kPg, kMaria) == "CONCAT(CONCAT(`first_name`, ' '), `last_name`)");
  CHECK(Translate(pg, kPg, kLite) == "((\"first_name\" || ' ') || \"last_name\")");
  CHECK(Translate("concat(`first_name`,' ',`last_name`)", kMaria, kPg) ==
        "(\"first_name\" || ' '::text || \"last_name\")");
  // An integer prints alike everywhere; PostgreSQL needs it cast to text to stay immutable.
  CHECK(Translate("concat(`qty`,'x')", kMaria, kPg) == "(CAST(\"qty\" AS text) || 'x'::text)");
  // SQLite's || binds tighter than *: (first_name || qty) * 2 is arithmetic on text.
  std::string why;
  CHECK(Translate("first_name || qty * 2", kLite, kPg, TypeKind::kText, &why).empty());
  CHECK(why.find("arithmetic") != std::string::npos);
  CHECK(Translate("first_name || (qty * 2)", kLite, kPg) ==
        "(\"first_name\" || CAST((CAST(\"qty\" AS bigint) * 2) AS text))");
}

TEST_CASE("arithmetic keeps each engine's division and modulo", "[generated]") {
  CHECK(Translate("((qty / 2) + 1)", kPg, kMaria, TypeKind::kInteger) == "((`qty` DIV 2) + 1)");
  CHECK(Translate("`qty` DIV 2 + 1", kMaria, kPg, TypeKind::kInteger) ==
        "(CAST((\"qty\" / 2) AS bigint) + 1)");
  // MariaDB and SQLite give NULL for a zero divisor; PostgreSQL is told to as well.
  CHECK(Translate("qty / qty", kLite, kPg, TypeKind::kInteger) == "(\"qty\" / NULLIF(\"qty\", 0))");
  CHECK(Translate("`qty` MOD 3", kMaria, kLite, TypeKind::kInteger) == "(\"qty\" % 3)");
  CHECK(Translate("(price * (qty)::numeric)", kPg, kMaria, TypeKind::kDecimal) ==
        "(`price` * `qty`)");
  CHECK(Translate("(w * (2)::double precision)", kPg, kLite, TypeKind::kDouble) ==
        "(\"w\" * CAST(2 AS REAL))");
  CHECK(Translate("(- qty)", kPg, kMaria, TypeKind::kInteger) == "(- `qty`)");
  std::string why;
  CHECK(Translate("`qty` / 2", kMaria, kPg, TypeKind::kDecimal, &why).empty());
  CHECK(why.find("div_precision_increment") != std::string::npos);
  CHECK(Translate("(price / 3)", kPg, kMaria, TypeKind::kDecimal, &why).empty());
  CHECK(why.find("division of decimals") != std::string::npos);
  CHECK(Translate("(price * 2)", kPg, kLite, TypeKind::kDecimal, &why).empty());
  CHECK(why.find("SQLite computes decimals as doubles") != std::string::npos);
}

TEST_CASE("functions translate where the engines agree on them", "[generated]") {
  CHECK(Translate("lower((last_name)::text)", kPg, kMaria) == "LOWER(`last_name`)");
  CHECK(Translate("lcase(`last_name`)", kMaria, kPg) == "LOWER(\"last_name\")");
  CHECK(Translate("length(first_name)", kPg, kMaria, TypeKind::kInteger) ==
        "CHAR_LENGTH(`first_name`)");
  CHECK(Translate("char_length(`first_name`)", kMaria, kLite, TypeKind::kInteger) ==
        "length(\"first_name\")");
  CHECK(Translate("COALESCE(first_name, 'none'::text)", kPg, kMaria) ==
        "COALESCE(`first_name`, 'none')");
  CHECK(Translate("ifnull(`first_name`,'it\\'s')", kMaria, kPg) ==
        "COALESCE(\"first_name\", 'it''s'::text)");
  CHECK(Translate("SUBSTRING(first_name FROM 1 FOR 2)", kPg, kMaria) ==
        "SUBSTRING(`first_name`, 1, 2)");
  CHECK(Translate("substr(`first_name`,2,3)", kMaria, kLite) == "substr(\"first_name\", 2, 3)");
  CHECK(Translate("left(`last_name`,5)", kMaria, kLite) == "substr(\"last_name\", 1, 5)");
  std::string why;
  CHECK(Translate("lower(first_name)", kLite, kPg, TypeKind::kText, &why).empty());
  CHECK(why.find("ASCII") != std::string::npos);
  CHECK(Translate("octet_length(`first_name`)", kMaria, kPg, TypeKind::kInteger, &why).empty());
  CHECK(why.find("octet_length") != std::string::npos);
  CHECK(Translate("substr(first_name, -2)", kLite, kPg, TypeKind::kText, &why).empty());
  CHECK(why.find("bounds") != std::string::npos);
  CHECK(Translate("md5(first_name)", kPg, kMaria, TypeKind::kText, &why).empty());
  CHECK(why == "not translated to MariaDB: the function md5(), which ferry does not translate");
}

TEST_CASE("an expression on a type the engines compute apart is copied as values", "[generated]") {
  std::string why;
  CHECK(Translate("(born + 1)", kPg, kMaria, TypeKind::kDate, &why).empty());
  CHECK(why.find("column born is date") != std::string::npos);
  CHECK(Translate("lower(code)", kPg, kMaria, TypeKind::kText, &why).empty());
  CHECK(Translate("(w * 2)", kPg, kMaria, TypeKind::kDecimal, &why).empty());
  CHECK(why.find("value's type differs") != std::string::npos);
  CHECK(Translate("(qty)::character varying(3)", kPg, kMaria, TypeKind::kText, &why).empty());
  CHECK(why.find("fixed length") != std::string::npos);
  CHECK(Translate("now()", kPg, kLite, TypeKind::kText, &why).empty());
  CHECK(Translate("`qty` || 1", kMaria, kPg, TypeKind::kInteger, &why).empty());
  CHECK(why.find("OR in MariaDB") != std::string::npos);
}

TEST_CASE("each destination's limits on generated columns are kept", "[generated]") {
  Table t = People("(qty * 2)", TypeKind::kInteger);
  Column h = t.columns.back();
  h.name = "h";
  h.generated = "g + 1";  // reads the generated column g
  t.columns.push_back(h);
  std::vector<GeneratedPlan> to_pg = PlanGenerated(t, kLite, kPg);
  CHECK(to_pg[8].expression == "(CAST(\"qty\" AS bigint) * 2)");
  CHECK(to_pg[9].expression.empty());
  CHECK(to_pg[9].why_not.find("PostgreSQL computes no generated column from another") !=
        std::string::npos);
  CHECK(PlanGenerated(t, kLite, kMaria)[9].expression == "(`g` + 1)");
  // A generated column ahead of the one it reads: MariaDB computes them in order.
  std::swap(t.columns[8], t.columns[9]);
  CHECK(PlanGenerated(t, kLite, kMaria)[8].expression.empty());
  // Between databases of one engine, the expression as it is.
  CHECK(PlanGenerated(t, kLite, kLite)[8].expression == "g + 1");
  // No generated column in the key; a SQLite table keeps one plain column.
  Table keyed = People("(qty * 2)", TypeKind::kInteger);
  keyed.primary_key = {8};
  CHECK(PlanGenerated(keyed, kPg, kMaria)[8].expression.empty());
  Table only;
  only.columns = {{"g", Type(TypeKind::kInteger, "integer")}};
  only.columns[0].generated = "(1 + 2)";
  CHECK(PlanGenerated(only, kPg, kMaria)[0].expression == "(1 + 2)");
  CHECK(PlanGenerated(only, kPg, kLite)[0].expression.empty());
}
