// Values of 10 MB (text and bytes) copy exactly between every pair of engines: fetch buffers
// are capped, so this exercises the path that fetches a long value whole.
#include <catch2/catch.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

void CreateLarge(TestDatabase& db) {
  // 10 MB of text from a repeated Unicode phrase, and 10 MB of bytes including zeros.
  switch (db.db()) {
    case Db::kPostgres:
      db.Exec(
          "CREATE TABLE large (id int PRIMARY KEY, t text, b bytea);\n"
          "INSERT INTO large VALUES (1, repeat('Größe 大 🚢 ', 10 * 1024 * 1024 / 17), "
          "decode(repeat('00ff10', 10 * 1024 * 1024 / 3), 'hex')), (2, 'small', '\\x00')");
      break;
    case Db::kMariaDB:
      db.Exec(
          "CREATE TABLE large (id int PRIMARY KEY, t longtext, b longblob);\n"
          "INSERT INTO large VALUES (1, repeat('Größe 大 🚢 ', 10 * 1024 * 1024 / 17), "
          "unhex(repeat('00ff10', 10 * 1024 * 1024 / 3))), (2, 'small', X'00')");
      break;
    case Db::kSQLite:
      db.Exec(
          "CREATE TABLE large (id INTEGER PRIMARY KEY, t TEXT, b BLOB);\n"
          "INSERT INTO large VALUES (1, replace(hex(zeroblob(10 * 1024 * 1024 / 17)), '00', "
          "'Größe 大 🚢 '), randomblob(10 * 1024 * 1024)), (2, 'small', X'00')");
      break;
  }
}

void CopyLarge(Db from, Db to) {
  TestDatabase source(from, "large_src");
  TestDatabase dest(to, "large_dst");
  CreateLarge(source);
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  TableContents expected = ReadCanonical(source, "large");
  REQUIRE(expected.rows.size() == 2);
  REQUIRE(expected.rows[0][1]->size() > 10'000'000);
  CHECK(FirstDifference(expected, ReadCanonical(dest, "large")) == "");
}

}  // namespace

#define LARGE_PAIR(FROM, TO, from_name, to_name)                        \
  TEST_CASE("10 MB values copy exactly from " from_name " to " to_name, \
            "[large][" from_name "][" to_name "]") {                    \
    CopyLarge(FROM, TO);                                                \
  }

LARGE_PAIR(Db::kPostgres, Db::kPostgres, "postgresql", "postgresql")
LARGE_PAIR(Db::kPostgres, Db::kMariaDB, "postgresql", "mariadb")
LARGE_PAIR(Db::kPostgres, Db::kSQLite, "postgresql", "sqlite")
LARGE_PAIR(Db::kMariaDB, Db::kPostgres, "mariadb", "postgresql")
LARGE_PAIR(Db::kMariaDB, Db::kMariaDB, "mariadb", "mariadb")
LARGE_PAIR(Db::kMariaDB, Db::kSQLite, "mariadb", "sqlite")
LARGE_PAIR(Db::kSQLite, Db::kPostgres, "sqlite", "postgresql")
LARGE_PAIR(Db::kSQLite, Db::kMariaDB, "sqlite", "mariadb")
LARGE_PAIR(Db::kSQLite, Db::kSQLite, "sqlite", "sqlite")
