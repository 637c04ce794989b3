// The Chinook sample database (real data nobody here wrote) copied between every pair of
// engines arrives identical, by the tests' own comparison of every table.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

void LoadChinook(TestDatabase& db, const std::string& datasets) {
  switch (db.db()) {
    case Db::kPostgres:
      LoadScript(db, datasets + "/chinook/Chinook_PostgreSql.sql", "/^\\\\c chinook;/");
      break;
    case Db::kMariaDB:
      LoadScript(db, datasets + "/chinook/Chinook_MySql.sql", "/^USE `Chinook`;/");
      break;
    case Db::kSQLite:
      LoadScript(db, datasets + "/chinook/Chinook_Sqlite.sql");
      break;
  }
}

void CopyChinook(Db from, Db to) {
  const std::string datasets = SharedDatasets();
  if (datasets.empty()) {
    MarkSkipped("../shared/datasets/chinook (or $FERRY_DATASETS) is not present on this machine");
    return;
  }
  TestDatabase source(from, "chinook_src");
  TestDatabase dest(to, "chinook_dst");
  LoadChinook(source, datasets);

  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  std::vector<std::string> tables = ListTables(source);
  REQUIRE(tables.size() == 11);
  CHECK(ListTables(dest) == tables);
  size_t rows = 0;
  for (const std::string& table : tables) {
    TableContents expected = ReadCanonical(source, table);
    TableContents actual = ReadCanonical(dest, table);
    INFO("table " << table);
    CHECK(FirstDifference(expected, actual) == "");
    rows += expected.rows.size();
  }
  CHECK(rows > 15000);
}

}  // namespace

#define CHINOOK_PAIR(FROM, TO, from_name, to_name)                                             \
  TEST_CASE("the Chinook database copied from " from_name " to " to_name " arrives identical", \
            "[chinook][" from_name "][" to_name "]") {                                         \
    CopyChinook(FROM, TO);                                                                     \
  }

CHINOOK_PAIR(Db::kPostgres, Db::kPostgres, "postgresql", "postgresql")
CHINOOK_PAIR(Db::kPostgres, Db::kMariaDB, "postgresql", "mariadb")
CHINOOK_PAIR(Db::kPostgres, Db::kSQLite, "postgresql", "sqlite")
CHINOOK_PAIR(Db::kMariaDB, Db::kPostgres, "mariadb", "postgresql")
CHINOOK_PAIR(Db::kMariaDB, Db::kMariaDB, "mariadb", "mariadb")
CHINOOK_PAIR(Db::kMariaDB, Db::kSQLite, "mariadb", "sqlite")
CHINOOK_PAIR(Db::kSQLite, Db::kPostgres, "sqlite", "postgresql")
CHINOOK_PAIR(Db::kSQLite, Db::kMariaDB, "sqlite", "mariadb")
CHINOOK_PAIR(Db::kSQLite, Db::kSQLite, "sqlite", "sqlite")
