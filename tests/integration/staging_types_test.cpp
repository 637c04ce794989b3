// PostgreSQL composite types through a staging directory: columns of composite
// types, nested ones and arrays of them arrive typed and exact in PostgreSQL
// (the export keeps the statements that create the types, the import creates
// those the destination lacks before its tables); an engine without composite
// types is refused by `ferry check` with a blocker per column.
#include <catch2/catch.hpp>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest,
                  const std::string& more = "") {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest) +
                  (more.empty() ? "" : " " + more));
}

void FillComposites(TestDatabase& source) {
  source.Exec(
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE TYPE money_amt AS (cur char(3), amount numeric(12,2));\n"
      "CREATE TYPE addr AS (street text, zip int, tags text[], price "
      "money_amt, feel mood);\n"
      "CREATE TABLE orders (id int PRIMARY KEY, ship addr, billing addr[], m "
      "money_amt, "
      "history money_amt[]);\n"
      "INSERT INTO orders VALUES (1, ROW('Main \"st\", 1', 12345, '{a,\"b "
      "c\"}', "
      "ROW('EUR', 12.5), 'happy'), ARRAY[ROW('x', 1, NULL, NULL, 'sad')::addr, "
      "NULL], "
      "ROW('USD', -1), ARRAY[ROW('CHF', 0.01)::money_amt, ROW(NULL, "
      "NULL)::money_amt]);\n"
      "INSERT INTO orders VALUES (2, NULL, '{}', NULL, NULL);\n"
      "INSERT INTO orders VALUES (3, ROW(NULL, NULL, NULL, NULL, NULL), NULL, "
      "ROW(NULL, NULL), '{}');\n"
      "INSERT INTO orders VALUES (4, ROW('', 0, '{}', ROW('', 0), 'ok'), "
      "ARRAY[ROW('\u00e9t\u00e9', -7, '{NULL}', ROW('JPY', 99999999.99), "
      "NULL)::addr], "
      "ROW('a,b', 3.30), NULL)");
}

}  // namespace

TEST_CASE(
    "PostgreSQL composite columns, nested composites and arrays of them "
    "arrive typed and exact "
    "through a staging directory into a fresh PostgreSQL database",
    "[staging][postgresql][composite]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stage_comp_src");
  TestDatabase imported(Db::kPostgres, "stage_comp_imp");
  FillComposites(source);
  const std::string dir = "dir:" + temp.path() + "/stage";
  FerryResult exported = Ferry("run", source.Url(), dir);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult check = Ferry("check", dir, imported.Url());
  INFO(check.output);
  CHECK(check.exit_code == 0);
  FerryResult import = Ferry("run", dir, imported.Url());
  INFO(import.output);
  REQUIRE(import.exit_code == 0);
  // Typed: the columns have the source's types, which exist with the source's
  // attributes.
  const std::string types =
      "SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM "
      "pg_attribute a "
      "WHERE a.attrelid = 'orders'::regclass AND a.attnum > 0 ORDER BY "
      "a.attnum";
  CHECK(RowLines(imported, types) == RowLines(source, types));
  const std::string attributes =
      "SELECT t.typname || '.' || a.attname || ' ' || format_type(a.atttypid, "
      "a.atttypmod) "
      "FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid WHERE "
      "t.typname IN "
      "('addr', 'money_amt') ORDER BY t.typname, a.attnum";
  CHECK(RowLines(imported, attributes) == RowLines(source, attributes));
  // Exact: every value, field by field, as PostgreSQL itself prints it.
  const std::string all =
      "SELECT id, ship::text, billing::text, m::text, "
      "history::text, (ship).price.amount, "
      "(billing[1]).feel FROM orders ORDER BY id";
  CHECK(RowLines(imported, all) == RowLines(source, all));
  FerryResult verify = Ferry("verify", dir, imported.Url());
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  FerryResult direct = Ferry("verify", source.Url(), imported.Url());
  INFO(direct.output);
  CHECK(direct.exit_code == 0);
  // An import into a destination that has the types already: the clone the directory's schema
  // dump makes refuses them, as a direct clone does, before writing anything; with
  // --schema-from ferry the tables are made from ferry's model and take the types as they are.
  TestDatabase again(Db::kPostgres, "stage_comp_again");
  again.Exec(
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE TYPE money_amt AS (cur char(3), amount numeric(12,2))");
  FerryResult cloned = Ferry("run", dir, again.Url());
  INFO(cloned.output);
  CHECK(cloned.exit_code == 4);
  CHECK(Has(cloned, "already exists"));
  CHECK(Has(cloned, "--schema-from ferry"));
  CHECK(again.QueryValue("SELECT count(*) FROM pg_tables WHERE tablename = 'orders'") == "0");
  FerryResult second = Ferry("run", dir, again.Url(), "--schema-from ferry");
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(RowLines(again, all) == RowLines(source, all));
}

TEST_CASE(
    "PostgreSQL composite columns from a staging directory cross into MariaDB and SQLite as "
    "their exact text, each named by check",
    "[staging][postgresql][composite]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stage_comp_src2");
  FillComposites(source);
  const std::string dir = "dir:" + temp.path() + "/stage";
  REQUIRE(Ferry("run -q", source.Url(), dir).exit_code == 0);
  for (Db engine : {Db::kMariaDB, Db::kSQLite}) {
    TestDatabase dest(engine, "stage_comp_other");
    FerryResult check = Ferry("check", dir, dest.Url());
    INFO(check.output);
    CHECK(check.exit_code == 0);
    CHECK(check.output.find("[text form]") != std::string::npos);
    CHECK(check.output.find("orders.ship (addr as") != std::string::npos);
    CHECK(check.output.find("orders.billing (addr[] as") != std::string::npos);
    FerryResult run = Ferry("run", dir, dest.Url());
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(dest.QueryValue("SELECT ship FROM orders WHERE id = 1") ==
          source.QueryValue("SELECT ship::text FROM orders WHERE id = 1"));
    CHECK(dest.QueryValue("SELECT history FROM orders WHERE id = 1") ==
          source.QueryValue("SELECT history::text FROM orders WHERE id = 1"));
  }
}
