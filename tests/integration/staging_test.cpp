// Staging directories (dir:/path) end to end: every type of the type matrix exported from each
// engine and imported into each, compared with a direct copy of the same rows; status and
// verify on a directory; an import refused until its export has finished.
#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/support/canonical.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/type_fixtures.hpp"

using namespace ferry::test;

namespace {

std::string Dir(const TempDir& temp, const std::string& name = "stage") {
  return "dir:" + temp.path() + "/" + name;
}

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest,
                  const std::string& more = "") {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest) +
                  (more.empty() ? "" : " " + more));
}

void ThroughFiles(Db from, Db to) {
  TempDir temp;
  TestDatabase source(from, "stage_src");
  TestDatabase direct(to, "stage_direct");
  TestDatabase imported(to, "stage_imp");
  LoadTypeFixture(source);
  const std::string dir = Dir(temp);
  FerryResult exported = Ferry("run", source.Url(), dir);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult import = Ferry("run", dir, imported.Url());
  INFO(import.output);
  REQUIRE(import.exit_code == 0);
  FerryResult copy = Ferry("run", source.Url(), direct.Url());
  INFO(copy.output);
  REQUIRE(copy.exit_code == 0);
  TableContents expected = ReadCanonical(direct, "all_types");
  TableContents actual = ReadCanonical(imported, "all_types");
  REQUIRE(expected.rows.size() == 5);
  CHECK(FirstDifference(expected, actual) == "");
  // The destination compared with the files, without the source.
  FerryResult verify = Ferry("verify", dir, imported.Url());
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}

}  // namespace

#define STAGE_PAIR(FROM, TO, from_name, to_name)                                       \
  TEST_CASE("every supported type arrives through a staging directory from " from_name \
            " to " to_name " exactly as a direct copy brings it",                      \
            "[staging][" from_name "][" to_name "]") {                                 \
    ThroughFiles(FROM, TO);                                                            \
  }

STAGE_PAIR(Db::kPostgres, Db::kPostgres, "postgresql", "postgresql")
STAGE_PAIR(Db::kPostgres, Db::kMariaDB, "postgresql", "mariadb")
STAGE_PAIR(Db::kPostgres, Db::kSQLite, "postgresql", "sqlite")
STAGE_PAIR(Db::kMariaDB, Db::kPostgres, "mariadb", "postgresql")
STAGE_PAIR(Db::kMariaDB, Db::kMariaDB, "mariadb", "mariadb")
STAGE_PAIR(Db::kMariaDB, Db::kSQLite, "mariadb", "sqlite")
STAGE_PAIR(Db::kSQLite, Db::kPostgres, "sqlite", "postgresql")
STAGE_PAIR(Db::kSQLite, Db::kMariaDB, "sqlite", "mariadb")
STAGE_PAIR(Db::kSQLite, Db::kSQLite, "sqlite", "sqlite")

TEST_CASE(
    "a PostgreSQL table cut into key ranges and a keyless one cut into heap pages are "
    "imported in the units they were exported in",
    "[staging][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stage_units_src");
  TestDatabase dest(Db::kPostgres, "stage_units_dst");
  source.Exec(
      "CREATE TABLE keyed (id int PRIMARY KEY, v text);\n"
      "INSERT INTO keyed SELECT g, md5(g::text) FROM generate_series(1, 30000) g;\n"
      "CREATE TABLE heap (a int, b text);\n"
      "INSERT INTO heap SELECT g % 100, repeat('x', g % 50) FROM generate_series(1, 30000) g;\n"
      "ANALYZE");
  const std::string dir = Dir(temp);
  FerryResult exported = Ferry("run --partitions 4", source.Url(), dir);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult import = Ferry("run --partitions 2", dir, dest.Url());
  INFO(import.output);
  REQUIRE(import.exit_code == 0);
  // The import's --partitions does not matter: the directory's units are read whole.
  CHECK(import.output.find("4/4 units") != std::string::npos);
  FerryResult verify = Ferry("verify", source.Url(), dest.Url());
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  FerryResult against_files = Ferry("verify", dir, dest.Url());
  INFO(against_files.output);
  CHECK(against_files.exit_code == 0);
}

TEST_CASE("an import killed after a unit's commit resumes like a run and ends exact",
          "[staging][faults]") {
  TempDir temp;
  TestDatabase source(Db::kMariaDB, "stage_imp_kill_src");
  TestDatabase dest(Db::kPostgres, "stage_imp_kill_dst");
  source.Exec(
      "CREATE TABLE t (id int PRIMARY KEY, v varchar(40));\n"
      "INSERT INTO t SELECT seq, md5(seq) FROM seq_1_to_20000");
  const std::string dir = Dir(temp);
  REQUIRE(Ferry("run -q --partitions 4", source.Url(), dir).exit_code == 0);
  setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
  FerryResult crashed = Ferry("run -q --writers 1", dir, dest.Url());
  unsetenv("FERRY_TEST_CRASH");
  INFO(crashed.output);
  REQUIRE(crashed.exit_code == 86);
  FerryResult resumed = Ferry("run --resume --writers 1", dir, dest.Url());
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "20000");
  FerryResult verify = Ferry("verify", source.Url(), dest.Url());
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}
