// More real schemas nobody on this project wrote, tried as a new user would (check, run,
// verify): Northwind's PostgreSQL port (bpchar keys without a length), large objects as pgcopydb's
// tests and contrib's lo keep them, MediaWiki's MariaDB schema (BINARY defaults, VARBINARY keys,
// tables without keys holding duplicate rows), and names that collide with something (a ferry
// operator's ferry_routes, a table called ferry_runs, "Order" beside order, reserved words).
// check_predicts_run_test holds the same fixtures to "check passes means the run succeeds" on
// every pair; these tests pin what each one found.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

// Check passes, the run succeeds and verify finds every table identical.
void CheckRunVerify(TestDatabase& source, TestDatabase& dest) {
  FerryResult check = RunFerry("check" + Ends(source, dest));
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
}

// What check --json says under `kind`: each finding's table and message.
std::vector<std::string> Named(const std::string& check_json, const std::string& kind) {
  std::vector<std::string> out;
  const json report = json::parse(check_json);
  for (const json& f : report["findings"]) {
    if (f["kind"] != kind) continue;
    out.push_back(f["table"].get<std::string>() + ": " + f["message"].get<std::string>());
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  for (const std::string& each : list) {
    if (each.find(item) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "a PostgreSQL bpchar key without a length reaches MariaDB whole, as Northwind's port "
    "keys its customers",
    "[realnew][postgresql][mariadb]") {
  TestDatabase source(Db::kPostgres, "nw_src");
  TestDatabase dest(Db::kMariaDB, "nw_dst");
  LoadScript(source, Fixture("northwind_postgres.sql"));
  CheckRunVerify(source, dest);
  CHECK(dest.QueryValue("SELECT customer_type_id FROM customer_demographics WHERE "
                        "customer_desc = 'Walk-in shops'") == "RETAIL    ");
  CHECK(dest.QueryValue("SELECT count(*) FROM orders") == "3");
}

TEST_CASE(
    "check names the columns of PostgreSQL large objects where the copy does not carry "
    "them (into another engine, while PostgreSQL copies them: see large_objects_test)",
    "[realnew][postgresql]") {
  for (Db to : kAllDbs) {
    DYNAMIC_SECTION("to " << DbName(to)) {
      TestDatabase source(Db::kPostgres, "lo_src");
      TestDatabase dest(to, "lo_dst");
      LoadScript(source, Fixture("blobs_postgres.sql"));
      FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
      INFO(check.output);
      REQUIRE(check.exit_code == 0);
      const std::string text = check.output;
      const bool named = to != Db::kPostgres;
      CHECK((text.find("pg_largeobject") != std::string::npos) == named);
      CHECK((text.find("public.attachment.content") != std::string::npos) == named);
      CHECK((text.find("public.image.raster") != std::string::npos) == named);
    }
  }
}

TEST_CASE("check says nothing of large objects where the database holds none",
          "[realnew][postgresql]") {
  TestDatabase source(Db::kPostgres, "lo_none_src");
  TestDatabase dest(Db::kPostgres, "lo_none_dst");
  source.Exec("CREATE TABLE attachment (id integer PRIMARY KEY, content oid)");
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  CHECK(check.output.find("pg_largeobject") == std::string::npos);
}

TEST_CASE(
    "a MariaDB clone keeps MediaWiki's BINARY defaults and backslashes in defaults as the "
    "source has them",
    "[realnew][mariadb]") {
  TestDatabase source(Db::kMariaDB, "mw_src");
  TestDatabase dest(Db::kMariaDB, "mw_dst");
  LoadScript(source, Fixture("mediawiki_mariadb.sql"));
  source.Exec(
      "CREATE TABLE paths (id int PRIMARY KEY, dir varchar(20) NOT NULL DEFAULT 'C:\\\\tmp', "
      "tag varbinary(4) NOT NULL DEFAULT 'a\\0b')");
  CheckRunVerify(source, dest);
  const std::string defaults =
      "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE "
      "TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'ferry\\_%' ORDER BY 1, 2";
  CHECK(RowLines(dest, defaults) == RowLines(source, defaults));
  dest.Exec("INSERT INTO paths (id) VALUES (1)");
  CHECK(dest.QueryValue("SELECT dir FROM paths") == "C:\\tmp");
  CHECK(dest.QueryValue("SELECT hex(tag) FROM paths") == "610062");
  CHECK(dest.QueryValue("SELECT count(*) FROM mw_querycache") == "5");
}

TEST_CASE(
    "a ferry operator's tables named ferry_ are cloned and copied, and one named as "
    "ferry's run state is named by check as not copied",
    "[realnew]") {
  struct Case {
    Db engine;
    const char* fixture;
  };
  for (const Case& c :
       {Case{Db::kPostgres, "names_postgres.sql"}, Case{Db::kMariaDB, "names_mariadb.sql"},
        Case{Db::kSQLite, "names_sqlite.sql"}}) {
    DYNAMIC_SECTION(DbName(c.engine)) {
      TestDatabase source(c.engine, "names_src");
      TestDatabase dest(c.engine, "names_dst");
      LoadScript(source, Fixture(c.fixture));
      // The fixture's ferry_runs refers to ferry_routes: left out, it takes its foreign key along.
      FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
      INFO(check.output);
      REQUIRE(check.exit_code == 0);
      CHECK(Contains(Named(check.output, "not copied"), "ferry_runs"));
      FerryResult run = RunFerry("run" + Ends(source, dest));
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      CHECK(dest.QueryValue("SELECT count(*) FROM ferry_routes") == "2");
      FerryResult verify = RunFerry("verify" + Ends(source, dest));
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
    }
  }
}

TEST_CASE(
    "AdventureWorks's PostgreSQL port, its tables in three schemas over domains in public, "
    "clones and copies identical",
    "[realnew][postgresql]") {
  TestDatabase source(Db::kPostgres, "aw_src");
  TestDatabase dest(Db::kPostgres, "aw_dst");
  LoadScript(source, Fixture("adventureworks_postgres.sql"));
  const std::string scope = " --include 'person.*' --include 'production.*' --include 'sales.*'";
  for (const char* command : {"check", "run", "verify"}) {
    FerryResult r = RunFerry(command + Ends(source, dest) + scope);
    INFO(command << ": " << r.output);
    REQUIRE(r.exit_code == 0);
  }
  CHECK(dest.QueryValue("SELECT count(*) FROM person.person WHERE demographics IS NOT NULL") ==
        "1");
  CHECK(dest.QueryValue("SELECT pg_typeof(makeflag)::text FROM production.product LIMIT 1") ==
        "\"Flag\"");
}
