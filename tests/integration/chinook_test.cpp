// The Chinook sample database (real data nobody here wrote) copied between every pair of
// engines arrives identical, by the tests' own comparison of every table; and stays so when the
// user resumes a crashed run, copies again with --truncate, and syncs changes after tracking.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdlib>

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

// Every table of the source equal to the destination's, row by row.
size_t ExpectIdentical(TestDatabase& source, TestDatabase& dest) {
  std::vector<std::string> tables = ListTables(source);
  CHECK(ListTables(dest) == tables);
  size_t rows = 0;
  for (const std::string& table : tables) {
    TableContents expected = ReadCanonical(source, table);
    TableContents actual = ReadCanonical(dest, table);
    INFO("table " << table);
    CHECK(FirstDifference(expected, actual) == "");
    rows += expected.rows.size();
  }
  return rows;
}

// What an application does between a copy and the cutover: new artists, renamed ones.
std::string Changes(Db db) {
  const bool pg = db == Db::kPostgres;
  const std::string artist = pg ? "artist" : "Artist";
  const std::string id = pg ? "artist_id" : "ArtistId";
  const std::string name = pg ? "name" : "Name";
  const std::string concat =
      db == Db::kMariaDB ? "CONCAT(" + name + ", ' (live)')" : name + " || ' (live)'";
  return fmt::format(
      "INSERT INTO {0} ({1}, {2}) VALUES (1001, 'Ferry Quartet'), (1002, NULL);\n"
      "UPDATE {0} SET {2} = {3} WHERE {1} <= 5;\n"
      "DELETE FROM {0} WHERE {1} = 1002",
      artist, id, name, concat);
}

// A user's second day with the copy: a run that crashed is resumed, the copy is made again with
// --truncate (into PostgreSQL too, whose TRUNCATE refuses a table other tables reference: the
// destination's foreign keys are set aside for the load, README "held foreign keys"), then the
// source is tracked, changed, and synced.
void AgainResumedAndSynced(TestDatabase& source, TestDatabase& first) {
  TestDatabase& again = first;
  TestDatabase& synced = first;
  auto ends = [&](TestDatabase& dest) {
    return " --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
           " --truncate";
  };
  setenv("FERRY_TEST_CRASH", "after-commit:3", 1);
  FerryResult crashed = RunFerry("run" + ends(again) + " -q");
  unsetenv("FERRY_TEST_CRASH");
  INFO("crashed: " << crashed.output);
  CHECK(crashed.exit_code != 0);
  FerryResult resumed = RunFerry("run --resume --source " + ShellQuote(source.Url()) + " --dest " +
                                 ShellQuote(again.Url()));
  INFO("resumed: " << resumed.output);
  REQUIRE(resumed.exit_code == 0);
  ExpectIdentical(source, again);

  FerryResult track = RunFerry("track enable --source " + ShellQuote(source.Url()));
  INFO("track: " << track.output);
  REQUIRE(track.exit_code == 0);
  FerryResult copied = RunFerry("run" + ends(synced));
  INFO("copied: " << copied.output);
  REQUIRE(copied.exit_code == 0);
  source.Exec(Changes(source.db()));
  FerryResult sync =
      RunFerry("sync --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(synced.Url()));
  INFO("sync: " << sync.output);
  CHECK(sync.exit_code == 0);
  ExpectIdentical(source, synced);
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

  REQUIRE(ListTables(source).size() == 11);
  CHECK(ExpectIdentical(source, dest) > 15000);
  AgainResumedAndSynced(source, dest);
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
