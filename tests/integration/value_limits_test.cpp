// Values a destination cannot hold are refused with an error naming table, column and key;
// nothing is silently truncated, rounded or turned into something else, and the failed table
// leaves nothing behind. Values it can hold (NaN and infinities where the engine has them)
// arrive exactly.
#include <catch2/catch.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

FerryResult Copy(TestDatabase& from, TestDatabase& to, const std::string& extra = "") {
  return RunFerry("run --source " + ShellQuote(from.Url()) + " --dest " + ShellQuote(to.Url()) +
                  " " + extra);
}

bool TableExists(TestDatabase& db, const std::string& table) {
  for (const std::string& t : ListTables(db)) {
    if (t == table) return true;
  }
  return false;
}

// One table per special value, so each is accepted or refused on its own.
void CreateSpecialFloats(TestDatabase& pg) {
  pg.Exec(
      "CREATE TABLE f_nan (id int PRIMARY KEY, d double precision);\n"
      "INSERT INTO f_nan VALUES (1, 'NaN');\n"
      "CREATE TABLE f_inf (id int PRIMARY KEY, d double precision);\n"
      "INSERT INTO f_inf VALUES (2, 'Infinity');\n"
      "CREATE TABLE f_ninf (id int PRIMARY KEY, d double precision);\n"
      "INSERT INTO f_ninf VALUES (3, '-Infinity');\n"
      "CREATE TABLE f_nzero (id int PRIMARY KEY, r real, d double precision);\n"
      "INSERT INTO f_nzero VALUES (4, '-0', '-0')");
}

void CheckSpecialFloats(Db to, const std::vector<std::string>& refused) {
  TestDatabase source(Db::kPostgres, "floats_src");
  TestDatabase dest(to, "floats_dst");
  CreateSpecialFloats(source);
  FerryResult run = Copy(source, dest);
  INFO(run.output);
  CHECK(run.exit_code == (refused.empty() ? 0 : 1));
  const std::vector<std::pair<std::string, std::string>> tables = {{"f_nan", "(id)=(1)"},
                                                                   {"f_inf", "(id)=(2)"},
                                                                   {"f_ninf", "(id)=(3)"},
                                                                   {"f_nzero", "(id)=(4)"}};
  for (const auto& [table, key] : tables) {
    INFO("table " << table);
    bool is_refused = std::find(refused.begin(), refused.end(), table) != refused.end();
    if (is_refused) {
      CHECK(run.output.find("table public." + table + ": column ") != std::string::npos);
      CHECK(run.output.find("row " + key) != std::string::npos);
      CHECK_FALSE(TableExists(dest, table));
    } else {
      REQUIRE(TableExists(dest, table));
      CHECK(FirstDifference(ReadCanonical(source, table), ReadCanonical(dest, table)) == "");
    }
  }
}

}  // namespace

TEST_CASE("NaN, infinities and negative zero copy exactly into PostgreSQL",
          "[limits][postgresql]") {
  CheckSpecialFloats(Db::kPostgres, {});
}

TEST_CASE("MariaDB refuses NaN, infinities and -0 with the table, column and key named",
          "[limits][mariadb]") {
  CheckSpecialFloats(Db::kMariaDB, {"f_nan", "f_inf", "f_ninf", "f_nzero"});
}

TEST_CASE("SQLite refuses NaN and negative zero, which it would turn into NULL and 0",
          "[limits][sqlite]") {
  CheckSpecialFloats(Db::kSQLite, {"f_nan", "f_nzero"});
}

TEST_CASE("a value too long, out of range or too precise for an existing column is refused",
          "[limits]") {
  for (Db to : kAllDbs) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase source(Db::kSQLite, "narrow_src");
      TestDatabase dest(to, "narrow_dst");
      source.Exec(
          "CREATE TABLE narrow (id INTEGER PRIMARY KEY, v VARCHAR(10), n INT, d NUMERIC(10,4), "
          "ts TIMESTAMP(6));\n"
          "INSERT INTO narrow VALUES (1, 'abc', 1, 1.5, '2020-01-01 00:00:00');\n"
          "INSERT INTO narrow VALUES (2, 'abcd', 1, 1.5, '2020-01-01 00:00:00');\n"
          "INSERT INTO narrow VALUES (3, 'abc', 40000, 1.5, '2020-01-01 00:00:00');\n"
          "INSERT INTO narrow VALUES (4, 'abc', 1, 1.2345, '2020-01-01 00:00:00');\n"
          "INSERT INTO narrow VALUES (5, 'abc', 1, 1.5, '2020-01-01 00:00:00.5')");
      const char* ddl = to == Db::kPostgres
                            ? "CREATE TABLE narrow (id int PRIMARY KEY, v varchar(3), n smallint, "
                              "d numeric(10,2), ts timestamp(0))"
                        : to == Db::kMariaDB
                            ? "CREATE TABLE narrow (id int PRIMARY KEY, v varchar(3), n smallint, "
                              "d decimal(10,2), ts datetime(0))"
                            : "CREATE TABLE narrow (id INTEGER PRIMARY KEY, v VARCHAR(3), n "
                              "SMALLINT, d NUMERIC(10,2), ts TIMESTAMP(0))";
      dest.Exec(ddl);
      struct Case {
        int id;
        const char* column;
        const char* why;
      };
      for (const Case& c : {Case{2, "v", "4 characters do not fit"},
                            Case{3, "n", "an integer of 5 digits is out of range"},
                            Case{4, "d", "would be rounded"}, Case{5, "ts", "would be rounded"}}) {
        INFO("row " << c.id);
        // Keep only row 1 (which fits) and the row under test.
        TestDatabase one(Db::kSQLite, "narrow_one");
        one.Exec(
            "CREATE TABLE narrow (id INTEGER PRIMARY KEY, v VARCHAR(10), n INT, "
            "d NUMERIC(10,4), ts TIMESTAMP(6))");
        for (auto& row : source.Query("SELECT id, v, n, d, ts FROM narrow WHERE id IN (1, " +
                                      std::to_string(c.id) + ")")) {
          one.Exec("INSERT INTO narrow VALUES (" + *row[0] + ", '" + *row[1] + "', " + *row[2] +
                   ", " + *row[3] + ", '" + *row[4] + "')");
        }
        FerryResult run = Copy(one, dest);
        INFO(run.output);
        CHECK(run.exit_code == 1);
        CHECK(run.output.find(std::string("column ") + c.column + ":") != std::string::npos);
        CHECK(run.output.find("row (id)=(" + std::to_string(c.id) + ")") != std::string::npos);
        CHECK(run.output.find(c.why) != std::string::npos);
        // The table's transaction was rolled back: not even the row that fitted is there.
        CHECK(dest.QueryValue("SELECT count(*) FROM narrow") == "0");
      }
    }
  }
}

TEST_CASE("an unconstrained PostgreSQL numeric too wide for MariaDB is refused by key",
          "[limits][mariadb]") {
  TestDatabase source(Db::kPostgres, "wide_src");
  TestDatabase dest(Db::kMariaDB, "wide_dst");
  source.Exec(
      "CREATE TABLE wide (id int PRIMARY KEY, n numeric);\n"
      "INSERT INTO wide VALUES (1, 123.456), (7, 1e40)");
  FerryResult run = Copy(source, dest);
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("column n:") != std::string::npos);
  CHECK(run.output.find("row (id)=(7)") != std::string::npos);
  CHECK_FALSE(TableExists(dest, "wide"));
}

TEST_CASE("text PostgreSQL cannot store (a NUL character, invalid UTF-8) is refused by key",
          "[limits][postgresql]") {
  TestDatabase source(Db::kSQLite, "nul_src");
  TestDatabase dest(Db::kPostgres, "nul_dst");
  source.Exec(
      "CREATE TABLE nul (id INTEGER PRIMARY KEY, t TEXT);\n"
      "INSERT INTO nul VALUES (1, 'fine'), (5, 'a' || char(0) || 'b');\n"
      "CREATE TABLE latin (id INTEGER PRIMARY KEY, t TEXT);\n"
      "INSERT INTO latin VALUES (9, CAST(X'6361666509' || X'e9' AS TEXT))");
  FerryResult run = Copy(source, dest);
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("table main.nul: column t: row (id)=(5)") != std::string::npos);
  CHECK(run.output.find("NUL") != std::string::npos);
  CHECK(run.output.find("table main.latin: column t: row (id)=(9)") != std::string::npos);
  CHECK(run.output.find("not valid UTF-8") != std::string::npos);
}

TEST_CASE("MariaDB unsigned integers at their limits copy exactly everywhere", "[limits]") {
  for (Db to : kAllDbs) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase source(Db::kMariaDB, "unsigned_src");
      TestDatabase dest(to, "unsigned_dst");
      source.Exec(
          "CREATE TABLE u (id bigint unsigned PRIMARY KEY, t tinyint unsigned, s smallint "
          "unsigned, m mediumint unsigned, i int unsigned);\n"
          "INSERT INTO u VALUES (18446744073709551615, 255, 65535, 16777215, 4294967295), "
          "(0, 0, 0, 0, 0)");
      FerryResult run = Copy(source, dest);
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      CHECK(FirstDifference(ReadCanonical(source, "u"), ReadCanonical(dest, "u")) == "");
    }
  }
}
