// What check says a copy into another engine does not carry names the engine the rows come
// from, also when they come through a staging directory (its export's source, not "ferry
// staging directory"), and a rule that meets one column names that column once.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// The line of check's output that holds `part` ("" when none does).
std::string LineWith(const std::string& output, const std::string& part) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (Has(line, part)) return line;
  }
  return "";
}

}  // namespace

TEST_CASE(
    "check names the source engine of a staging directory in what another engine does "
    "not carry, and a one-column warning names its column once",
    "[check][postgresql][sqlite]") {
  TestDatabase source(Db::kPostgres, "origin_src");
  source.Exec(
      "CREATE TABLE orders (id int PRIMARY KEY, subtotal numeric NOT NULL, tax numeric NOT NULL, "
      "total numeric GENERATED ALWAYS AS (subtotal + tax) STORED);\n"
      "INSERT INTO orders (id, subtotal, tax) VALUES (1, 20.5, 1.5);\n"
      "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 10");
  TestDatabase dest(Db::kSQLite, "origin_dst");
  const std::string generated =
      "[generated column] public.orders.total: generated columns whose expression SQLite cannot "
      "compute as PostgreSQL does are copied as values into plain columns (recreate the "
      "generation there if it is needed): (subtotal + tax); not translated to SQLite";
  const std::string view =
      "[not carried] public.big_orders: views are not carried from PostgreSQL to SQLite";

  FerryResult direct = RunFerry("check" + Ends(source, dest) + " --sample-seconds 0");
  INFO(direct.output);
  REQUIRE(direct.exit_code == 0);
  CHECK(Has(direct, generated));
  const std::string line = LineWith(direct.output, "[generated column]");
  CHECK(line.find("public.orders.total") == line.rfind("public.orders.total"));
  CHECK(Has(direct, view));

  TempDir dir;
  FerryResult exported = RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " +
                                  ShellQuote("dir:" + dir.path() + "/stage"));
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult imported = RunFerry("check --source " + ShellQuote("dir:" + dir.path() + "/stage") +
                                  " --dest " + ShellQuote(dest.Url()) + " --sample-seconds 0");
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK(Has(imported, view));
  CHECK_FALSE(Has(imported, "from ferry staging directory"));
}
