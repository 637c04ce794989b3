// Identifiers with spaces, quotes, mixed case, Unicode and reserved words copy correctly
// between every pair of engines, and can be named in --include.
#include <catch2/catch.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

const std::string kTable = "Order Lines \"Q\" Tâble";

void CreateAwkwardTable(TestDatabase& db) {
  switch (db.db()) {
    case Db::kPostgres:
      db.Exec(
          "CREATE TABLE \"Order Lines \"\"Q\"\" Tâble\" (\"select\" int PRIMARY KEY, "
          "\"Column With Spaces\" text, \"naïve_ünïcødé_日本\" int, \"quote\"\"d\" text, "
          "\"back`tick\" text, \"MiXeD\" text);\n"
          "INSERT INTO \"Order Lines \"\"Q\"\" Tâble\" VALUES (1, 'a', 2, 'q', 'b', 'm'), "
          "(2, NULL, NULL, NULL, NULL, 'M')");
      break;
    case Db::kMariaDB:
      db.Exec(
          "CREATE TABLE `Order Lines \"Q\" Tâble` (`select` int PRIMARY KEY, "
          "`Column With Spaces` text, `naïve_ünïcødé_日本` int, `quote\"d` text, "
          "`back``tick` text, `MiXeD` text);\n"
          "INSERT INTO `Order Lines \"Q\" Tâble` VALUES (1, 'a', 2, 'q', 'b', 'm'), "
          "(2, NULL, NULL, NULL, NULL, 'M')");
      break;
    case Db::kSQLite:
      db.Exec(
          "CREATE TABLE \"Order Lines \"\"Q\"\" Tâble\" (\"select\" INTEGER PRIMARY KEY, "
          "\"Column With Spaces\" TEXT, \"naïve_ünïcødé_日本\" INT, \"quote\"\"d\" TEXT, "
          "\"back`tick\" TEXT, \"MiXeD\" TEXT);\n"
          "INSERT INTO \"Order Lines \"\"Q\"\" Tâble\" VALUES (1, 'a', 2, 'q', 'b', 'm'), "
          "(2, NULL, NULL, NULL, NULL, 'M')");
      break;
  }
}

void CopyAwkward(Db from, Db to) {
  TestDatabase source(from, "ident_src");
  TestDatabase dest(to, "ident_dst");
  CreateAwkwardTable(source);
  source.Exec(from == Db::kMariaDB ? "CREATE TABLE `other` (id int PRIMARY KEY)"
                                   : "CREATE TABLE other (id int PRIMARY KEY)");
  // The pattern names the awkward table only: quoted, so its spaces and quotes are literal.
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
               " --include " + ShellQuote("\"Order Lines \"\"Q\"\" Tâble\""));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(ListTables(dest) == std::vector<std::string>{kTable});
  TableContents expected = ReadCanonical(source, kTable);
  TableContents actual = ReadCanonical(dest, kTable);
  CHECK(FirstDifference(expected, actual) == "");
  std::vector<std::string> names;
  for (const ColumnInfo& c : actual.columns) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"select", "Column With Spaces", "naïve_ünïcødé_日本",
                                          "quote\"d", "back`tick", "MiXeD"});
}

}  // namespace

#define IDENT_PAIR(FROM, TO, from_name, to_name)                       \
  TEST_CASE("awkward identifiers copy from " from_name " to " to_name, \
            "[identifiers][" from_name "][" to_name "]") {             \
    CopyAwkward(FROM, TO);                                             \
  }

IDENT_PAIR(Db::kPostgres, Db::kPostgres, "postgresql", "postgresql")
IDENT_PAIR(Db::kPostgres, Db::kMariaDB, "postgresql", "mariadb")
IDENT_PAIR(Db::kPostgres, Db::kSQLite, "postgresql", "sqlite")
IDENT_PAIR(Db::kMariaDB, Db::kPostgres, "mariadb", "postgresql")
IDENT_PAIR(Db::kMariaDB, Db::kMariaDB, "mariadb", "mariadb")
IDENT_PAIR(Db::kMariaDB, Db::kSQLite, "mariadb", "sqlite")
IDENT_PAIR(Db::kSQLite, Db::kPostgres, "sqlite", "postgresql")
IDENT_PAIR(Db::kSQLite, Db::kMariaDB, "sqlite", "mariadb")
IDENT_PAIR(Db::kSQLite, Db::kSQLite, "sqlite", "sqlite")

TEST_CASE("include patterns treat underscores literally and stars as wildcards",
          "[identifiers][scope]") {
  TestDatabase source(Db::kSQLite, "scope_src");
  TestDatabase dest(Db::kSQLite, "scope_dst");
  source.Exec(
      "CREATE TABLE order_items (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE orderXitems (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE orders (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE audit_2024 (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE audit_2025 (id INTEGER PRIMARY KEY)");
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
               " --include order_items --include 'audit_*' --exclude '*2025'");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(ListTables(dest) == std::vector<std::string>{"audit_2024", "order_items"});
}
