// Staging directories (dir:/path) end to end: every type of the type matrix exported from each
// engine and imported into each, compared with a direct copy of the same rows; status and
// verify on a directory; an import refused until its export has finished.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/type_fixtures.hpp"

using namespace ferry::test;
namespace fs = std::filesystem;

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

TEST_CASE("check against a staging directory not made yet leaves no folder behind", "[staging]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "stage_check_src");
  CreateItems(source, 10);
  const std::string folder = temp.path() + "/not-yet";
  FerryResult check = Ferry("check", source.Url(), "dir:" + folder);
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK_FALSE(fs::exists(folder));
  FerryResult plan = Ferry("plan", source.Url(), "dir:" + folder);
  INFO(plan.output);
  CHECK_FALSE(fs::exists(folder));
}

TEST_CASE("verify --files --json says what it found as one JSON document", "[staging]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "stage_json_src");
  CreateItems(source, 300);
  const std::string folder = temp.path() + "/stage";
  REQUIRE(Ferry("run -q --partitions 3", source.Url(), "dir:" + folder).exit_code == 0);
  FerryResult ok = RunFerry("verify --files " + ShellQuote(folder) + " --json");
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  nlohmann::json good = nlohmann::json::parse(ok.output);
  CHECK(good.at("matches") == true);
  CHECK(good.at("rows") == 300);
  CHECK(good.at("problems").empty());
  std::vector<fs::path> chunks;
  for (const auto& e : fs::directory_iterator(folder + "/chunks")) chunks.push_back(e.path());
  std::sort(chunks.begin(), chunks.end());
  REQUIRE(chunks.size() == 3);
  fs::remove(chunks[1]);
  FerryResult bad = RunFerry("verify --files " + ShellQuote(folder) + " --json --workers 3");
  INFO(bad.output);
  CHECK(bad.exit_code == 1);
  nlohmann::json found = nlohmann::json::parse(bad.output);
  CHECK(found.at("matches") == false);
  REQUIRE(found.at("problems").size() == 1);
  CHECK(found["problems"][0].at("file") == "chunks/" + chunks[1].filename().string());
  CHECK(found["problems"][0].at("table") == "main.items");
  CHECK(found["problems"][0].at("unit").get<std::string>().rfind("unit 2 of 3", 0) == 0);
}

TEST_CASE(
    "verify after an import takes the files' side from the manifest's row sums and reads the "
    "files only where a unit differs",
    "[staging][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stage_sums_src");
  TestDatabase dest(Db::kPostgres, "stage_sums_dst");
  source.Exec(
      "CREATE TABLE keyed (id int PRIMARY KEY, v text);\n"
      "INSERT INTO keyed SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "ANALYZE");
  const std::string folder = temp.path() + "/stage";
  const std::string dir = "dir:" + folder;
  REQUIRE(Ferry("run -q --partitions 4", source.Url(), dir).exit_code == 0);
  REQUIRE(Ferry("run -q", dir, dest.Url()).exit_code == 0);
  // The chunk files away (shipped back, say): the manifest alone stands for them.
  fs::rename(folder + "/chunks", folder + "/chunks.away");
  FerryResult on_record = Ferry("verify", dir, dest.Url());
  INFO(on_record.output);
  CHECK(on_record.exit_code == 0);
  // A unit that differs is read from the files, down to the key.
  fs::rename(folder + "/chunks.away", folder + "/chunks");
  dest.Exec("UPDATE keyed SET v = 'changed' WHERE id = 12345");
  FerryResult differs = Ferry("verify", dir, dest.Url());
  INFO(differs.output);
  CHECK(differs.exit_code == 1);
  CHECK(differs.output.find("12345") != std::string::npos);
}

TEST_CASE(
    "PostgreSQL arrays, ranges and multiranges arrive through a staging directory exactly as a "
    "direct copy brings them, and as their text into another engine",
    "[staging][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stage_arr_src");
  TestDatabase direct(Db::kPostgres, "stage_arr_direct");
  TestDatabase imported(Db::kPostgres, "stage_arr_imp");
  source.Exec(
      "CREATE TABLE shapes (id int PRIMARY KEY, ints int[], words text[], grid numeric[][], "
      "stamps timestamptz[], span int4range, during tstzrange, amounts numrange, days daterange, "
      "spans int4multirange);\n"
      "INSERT INTO shapes VALUES (1, '{1,2,NULL,-4}', '{\"a "
      "b\",\"\",NULL,\"quote\\\"d\",\"\u00e9\"}', "
      "'{{1.5,2},{3,4.25}}', '{\"2024-01-01 10:00:00+00\",infinity}', '[1,10)', "
      "'[2024-01-01 00:00+00,2024-02-01 00:00+00)', '(,5.5]', 'empty', '{[1,3),[7,9)}');\n"
      "INSERT INTO shapes VALUES (2, '{}', '{}', '{}', '{}', NULL, '(,)', '[-1.0,1.0]', "
      "'[2000-01-01,infinity)', '{}');\n"
      "INSERT INTO shapes VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
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
  const std::string all =
      "SELECT id, ints::text, words::text, grid::text, stamps::text, span::text, during::text, "
      "amounts::text, days::text, spans::text, pg_typeof(spans)::text FROM shapes ORDER BY id";
  CHECK(RowLines(imported, all) == RowLines(direct, all));
  CHECK(RowLines(imported, all) == RowLines(source, all));
  FerryResult verify = Ferry("verify", dir, imported.Url());
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  // MariaDB has none of these types: each value arrives as PostgreSQL prints it.
  TestDatabase other(Db::kMariaDB, "stage_arr_maria");
  FerryResult as_text = Ferry("run", dir, other.Url());
  INFO(as_text.output);
  REQUIRE(as_text.exit_code == 0);
  const std::string plain = "SELECT id, ints, words, grid, span, amounts, days, spans FROM shapes";
  CHECK(RowLines(other, plain + " ORDER BY id") ==
        RowLines(source,
                 "SELECT id, ints::text, words::text, grid::text, span::text, "
                 "amounts::text, days::text, spans::text FROM shapes ORDER BY id"));
}
