// `ferry check` predicts the run: on every schema fixture under tests/fixtures (and the Chinook
// sample database where ../shared/datasets has it), copied to every engine, a check that passes
// means a run that succeeds and a verify that finds the copy identical. Where check blocks, the
// tables it names are left out (--exclude) and the rest is held to the same rule, so a blocker
// for one table does not hide the rest of the fixture from the test.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

struct Fixture {
  Db engine;
  std::string path;        // a script, or a Chinook file under the shared datasets
  std::string skip_until;  // LoadScript's: a line pattern to skip the script through
  std::string scope;       // ferry's options naming the tables, where not the default schema's
};

// MediaWiki's PostgreSQL and SQLite schemas, GitLab's and Magento's are held to the same rule on
// every pair by public_schemas_test (CopyIdentically, Cross), so they are not run twice here.
std::vector<Fixture> SchemaFixtures(Db engine) {
  const std::string dir = SourceDir() + "/tests/fixtures/";
  switch (engine) {
    case Db::kPostgres:
      return {{engine, dir + "clone_postgres.sql", ""},
              {engine, dir + "generated_postgres.sql", ""},
              {engine, dir + "realworld_postgres.sql", ""},
              {engine, dir + "pgreal_layout_postgres.sql", ""},
              {engine, dir + "pgreal_types_postgres.sql", ""},
              {engine, dir + "pgreal_constraints_postgres.sql", ""},
              {engine, dir + "northwind_postgres.sql", ""},
              {engine, dir + "blobs_postgres.sql", ""},
              {engine, dir + "names_postgres.sql", ""},
              {engine, dir + "pagila_postgres.sql", ""},
              {engine, dir + "bookings_postgres.sql", "", " --include 'bookings.*'"},
              {engine, dir + "adventureworks_postgres.sql", "",
               " --include 'person.*' --include 'production.*' --include 'sales.*'"},
              {engine, dir + "pgtypes_postgres.sql", "", " --include 'public.*' --include 'app.*'"},
              {engine, dir + "mattermost_postgres.sql", ""}};
    case Db::kMariaDB:
      return {
          {engine, dir + "clone_mariadb.sql", ""},     {engine, dir + "generated_mariadb.sql", ""},
          {engine, dir + "realworld_mariadb.sql", ""}, {engine, dir + "wordpress_mariadb.sql", ""},
          {engine, dir + "features_mariadb.sql", ""},  {engine, dir + "mediawiki_mariadb.sql", ""},
          {engine, dir + "pgloader_mariadb.sql", ""},  {engine, dir + "names_mariadb.sql", ""},
          {engine, dir + "sakila_mariadb.sql", ""},    {engine, dir + "nextcloud_mariadb.sql", ""},
          {engine, dir + "zabbix_mariadb.sql", ""},    {engine, dir + "redmine_mariadb.sql", ""}};
    case Db::kSQLite:
      return {
          {engine, dir + "clone_sqlite.sql", ""},     {engine, dir + "generated_sqlite.sql", ""},
          {engine, dir + "realworld_sqlite.sql", ""}, {engine, dir + "features_sqlite.sql", ""},
          {engine, dir + "pgloader_sqlite.sql", ""},  {engine, dir + "names_sqlite.sql", ""},
          {engine, dir + "django_sqlite.sql", ""}};
  }
  return {};
}

std::vector<Fixture> ChinookFixture(Db engine, const std::string& datasets) {
  switch (engine) {
    case Db::kPostgres:
      return {{engine, datasets + "/chinook/Chinook_PostgreSql.sql", "/^\\\\c chinook;/"}};
    case Db::kMariaDB:
      return {{engine, datasets + "/chinook/Chinook_MySql.sql", "/^USE `Chinook`;/"}};
    case Db::kSQLite:
      return {{engine, datasets + "/chinook/Chinook_Sqlite.sql", ""}};
  }
  return {};
}

// The tables check blocks (none when a blocker is about the whole copy: then nothing is left).
std::optional<std::set<std::string>> BlockedTables(const json& report) {
  std::set<std::string> out;
  for (const json& f : report["findings"]) {
    if (f["severity"] != "blocker") continue;
    const std::string table = f["table"].get<std::string>();
    if (table.empty()) return std::nullopt;
    out.insert(table);
  }
  return out;
}

// Check, then (where it passes) run and verify; what check blocks is excluded and checked again.
void CheckPredictsRun(const Fixture& fixture, Db to) {
  TestDatabase source(fixture.engine, "predict_src");
  TestDatabase dest(to, "predict_dst");
  LoadScript(source, fixture.path, fixture.skip_until);
  std::string scope = fixture.scope;  // grows by the tables check blocks
  for (int round = 0; round < 2; ++round) {
    FerryResult check = RunFerry("check" + Ends(source, dest) + scope + " --json");
    INFO("check" << scope << ": " << check.output);
    if (check.exit_code != 0) {
      REQUIRE(check.exit_code == 4);  // blocked, never broken
      std::optional<std::set<std::string>> blocked = BlockedTables(json::parse(check.output));
      if (!blocked || round > 0) return;  // nothing more this fixture can say on this pair
      for (const std::string& t : *blocked) scope += " --exclude " + ShellQuote(t);
      continue;
    }
    FerryResult run = RunFerry("run" + Ends(source, dest) + scope);
    INFO("run: " << run.output);
    CHECK(run.exit_code == 0);
    FerryResult verify = RunFerry("verify" + Ends(source, dest) + scope);
    INFO("verify: " << verify.output);
    CHECK(verify.exit_code == 0);
    return;
  }
}

void EveryFixture(Db from, Db to) {
  for (const Fixture& f : SchemaFixtures(from)) {
    DYNAMIC_SECTION(f.path.substr(f.path.rfind('/') + 1)) {
      CheckPredictsRun(f, to);
    }
  }
  const std::string datasets = SharedDatasets();
  if (datasets.empty()) {
    MarkSkipped("Chinook: ../shared/datasets (or $FERRY_DATASETS) is not present on this machine");
    return;
  }
  for (const Fixture& f : ChinookFixture(from, datasets)) {
    DYNAMIC_SECTION("Chinook") {
      CheckPredictsRun(f, to);
    }
  }
}

}  // namespace

#define PREDICT_PAIR(FROM, TO, from_name, to_name)            \
  TEST_CASE("on every fixture from " from_name " to " to_name \
            ", a check that passes means "                    \
            "a run that succeeds",                            \
            "[predict][" from_name "][" to_name "]") {        \
    EveryFixture(FROM, TO);                                   \
  }

PREDICT_PAIR(Db::kPostgres, Db::kPostgres, "postgresql", "postgresql")
PREDICT_PAIR(Db::kPostgres, Db::kMariaDB, "postgresql", "mariadb")
PREDICT_PAIR(Db::kPostgres, Db::kSQLite, "postgresql", "sqlite")
PREDICT_PAIR(Db::kMariaDB, Db::kPostgres, "mariadb", "postgresql")
PREDICT_PAIR(Db::kMariaDB, Db::kMariaDB, "mariadb", "mariadb")
PREDICT_PAIR(Db::kMariaDB, Db::kSQLite, "mariadb", "sqlite")
PREDICT_PAIR(Db::kSQLite, Db::kPostgres, "sqlite", "postgresql")
PREDICT_PAIR(Db::kSQLite, Db::kMariaDB, "sqlite", "mariadb")
PREDICT_PAIR(Db::kSQLite, Db::kSQLite, "sqlite", "sqlite")

// What the fixtures above found, pinned value by value: the rule alone leaves out what check
// blocks, so a table that should copy but is blocked would pass it.
namespace {

void CopyExactly(TestDatabase& source, TestDatabase& dest) {
  for (const char* command : {"check", "run", "verify"}) {
    FerryResult r = RunFerry(command + Ends(source, dest));
    INFO(command << ": " << r.output);
    REQUIRE(r.exit_code == 0);
  }
}

}  // namespace

TEST_CASE(
    "Django's PositiveSmallIntegerField, a SQLite smallint unsigned, reaches PostgreSQL and "
    "MariaDB with 65535 whole",
    "[predict][sqlite][postgresql][mariadb]") {
  for (Db to : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("to " << DbName(to)) {
      TestDatabase source(Db::kSQLite, "django_src");
      TestDatabase dest(to, "django_dst");
      LoadScript(source, SourceDir() + "/tests/fixtures/django_sqlite.sql");
      CopyExactly(source, dest);
      CHECK(dest.QueryValue("SELECT action_flag FROM django_admin_log WHERE object_repr = "
                            "'Gadget'") == "65535");
    }
  }
}

TEST_CASE("a MariaDB tinyint(1) holding 2, as Rails leaves one, copies into MariaDB as 2",
          "[predict][mariadb]") {
  TestDatabase source(Db::kMariaDB, "redmine_src");
  TestDatabase dest(Db::kMariaDB, "redmine_dst");
  LoadScript(source, SourceDir() + "/tests/fixtures/redmine_mariadb.sql");
  CopyExactly(source, dest);
  CHECK(dest.QueryValue("SELECT must_change_passwd FROM users WHERE login = 'jsmith'") == "2");
  CHECK(dest.QueryValue("SELECT count(*) FROM users WHERE admin = 1") == "1");
}
