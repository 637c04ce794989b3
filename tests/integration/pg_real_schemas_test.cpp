// Real PostgreSQL schemas, tried as a new user would (tests/fixtures/pgreal_*_postgres.sql):
// layouts (one table name in three schemas, quoted, reserved and 63-byte names, range-of-list
// partitioning with DEFAULT partitions and partitions in another schema, inheritance from two
// parents, storage parameters, UNLOGGED, ICU collations, contrib extensions), types and counters
// (json to txid_snapshot, domains over domains, arrays of domains and enums, a countdown
// identity, a sequence owned by another table's column, dropped columns, NULL bytes, every
// Unicode plane) and constraints (EXCLUDE with btree_gist, deferrable, self-referencing and
// cyclic foreign keys, a key to a UNIQUE constraint, partial, expression, covering and opclass
// indexes, row-level security, grants, materialized views, rules, an event trigger, 1,600
// columns). PostgreSQL to PostgreSQL, check passes, the run succeeds, pg_dump --schema-only
// prints the same at both ends and every table holds the same values; across engines
// check_predicts_run_test holds the same fixtures to "check passes means the run succeeds".
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

// pg_dump --schema-only without comments, \restrict lines and ferry's own run state.
std::string PgDumpSchema(TestDatabase& db) {
  const char* port = std::getenv("FERRY_TEST_PG_PORT");
  std::istringstream in(Capture(
      "PGPASSWORD=" + ShellQuote(TestPassword()) + " pg_dump --schema-only -h 127.0.0.1 -p " +
      (port ? port : "54329") + " -U ferry -T 'ferry_*' -N ferry_state " + db.name()));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
    if (line.rfind("--", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

// Every row of every user table (ONLY its own rows), as the server renders it, and every
// sequence's state: what a clone must reproduce value by value.
std::vector<std::string> Contents(TestDatabase& db) {
  std::vector<std::string> out;
  for (const Row& t : db.Query(
           "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON "
           "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN "
           "('pg_catalog', 'information_schema', 'ferry_state') AND n.nspname NOT LIKE "
           "'pg\\_%' ORDER BY 1")) {
    out.push_back("table " + *t[0]);
    for (const Row& r : db.Query("SELECT t::text FROM ONLY " + *t[0] + " t ORDER BY 1")) {
      out.push_back(r[0].value_or("NULL"));
    }
  }
  for (const Row& s :
       db.Query("SELECT schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, "
                "'-') FROM pg_sequences WHERE schemaname <> 'ferry_state' ORDER BY 1")) {
    out.push_back("sequence " + *s[0]);
  }
  return out;
}

// check passes, the run succeeds, verify finds every table identical; pg_dump prints the same
// schema at both ends and every table and sequence holds the same.
void RequireIdenticalClone(TestDatabase& source, TestDatabase& dest, const std::string& scope) {
  FerryResult check = RunFerry("check" + Ends(source, dest) + scope);
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest) + scope);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("schema: cloned from the source with pg_dump") != std::string::npos);
  FerryResult verify = RunFerry("verify" + Ends(source, dest) + scope);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  const std::string before = PgDumpSchema(source);
  const std::string after = PgDumpSchema(dest);
  CHECK(before == after);
  CHECK(Contents(source) == Contents(dest));
}

std::string PartitionCounts(TestDatabase& db) {
  std::string out;
  for (const Row& r : db.Query("SELECT tableoid::regclass::text, count(*) FROM measurement "
                               "GROUP BY 1 ORDER BY 1")) {
    out += *r[0] + " " + *r[1] + "\n";
  }
  return out;
}

bool HasBlocker(const json& report, const std::string& rule, const std::string& table,
                const std::string& words) {
  for (const json& f : report["findings"]) {
    if (f["severity"] == "blocker" && f["kind"] == rule && f["table"] == table &&
        f["message"].get<std::string>().find(words) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE(
    "a PostgreSQL database laid out in several schemas clones schema-identical: one table name "
    "in three schemas, quoted, reserved and 63-byte names, partitions of two levels in another "
    "schema, two inheritance parents, storage parameters, UNLOGGED, ICU collations, extensions",
    "[pgreal][postgresql]") {
  TestDatabase source(Db::kPostgres, "pgreal_layout_src");
  TestDatabase dest(Db::kPostgres, "pgreal_layout_dst");
  LoadScript(source, Fixture("pgreal_layout_postgres.sql"));
  // The schemas other than public do not exist at the destination: the clone makes them, so
  // check must not block on them.
  RequireIdenticalClone(source, dest, " --include '*.*'");
  CHECK(PartitionCounts(source) == PartitionCounts(dest));
  CHECK(dest.QueryValue("SELECT relpersistence FROM pg_class WHERE relname = 'session_cache'") ==
        "u");
}

TEST_CASE(
    "a PostgreSQL copy of the default schema keeps the rows of partitions that live in another "
    "schema in those partitions, not in the DEFAULT partition",
    "[pgreal][postgresql]") {
  TestDatabase source(Db::kPostgres, "pgreal_part_src");
  TestDatabase dest(Db::kPostgres, "pgreal_part_dst");
  LoadScript(source, Fixture("pgreal_layout_postgres.sql"));
  FerryResult check = RunFerry("check" + Ends(source, dest));
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  // archive.measurement_y2021 and archive.measurement_y2022_south hold their rows...
  CHECK(PartitionCounts(source) == PartitionCounts(dest));
  CHECK(dest.QueryValue("SELECT count(*) FROM measurement_default") ==
        source.QueryValue("SELECT count(*) FROM measurement_default"));
  // ...and archive's own table, out of scope, is not made.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                        "c.relnamespace WHERE n.nspname = 'archive' AND c.relname = 'orders'") ==
        "0");
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
}

TEST_CASE(
    "a PostgreSQL database of json, xml, money, interval, bit strings, oid, regclass, pg_lsn, "
    "txid_snapshot, domains over domains, arrays of domains and enums, a countdown identity and "
    "dropped columns clones schema-identical with every counter where the source's stands",
    "[pgreal][postgresql]") {
  TestDatabase source(Db::kPostgres, "pgreal_types_src");
  TestDatabase dest(Db::kPostgres, "pgreal_types_dst");
  LoadScript(source, Fixture("pgreal_types_postgres.sql"));
  RequireIdenticalClone(source, dest, "");
  // The next values drawn follow the source's: 994 counting down, 700 past a reserved 690.
  CHECK(dest.QueryValue("INSERT INTO ticket (holder) VALUES ('next') RETURNING ticket_no") ==
        "994");
  CHECK(dest.QueryValue("INSERT INTO booking (ref) VALUES ('next') RETURNING booking_id") == "700");
  CHECK(dest.QueryValue("INSERT INTO entity (name) VALUES ('next') RETURNING entity_id") == "11");
  // The domain over a domain still checks both conditions.
  CHECK_THROWS(dest.Exec("UPDATE invoice_line SET discount = 101 WHERE invoice_id = 1"));
  CHECK_THROWS(dest.Exec("UPDATE invoice_line SET discount = 0 WHERE invoice_id = 1"));
}

TEST_CASE(
    "a domain over a domain crosses to MariaDB and SQLite as its innermost base type with the "
    "checks of both domains",
    "[pgreal][postgresql][mariadb][sqlite]") {
  for (Db to : {Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION(DbName(to)) {
      TestDatabase source(Db::kPostgres, "pgreal_dom_src");
      TestDatabase dest(to, "pgreal_dom_dst");
      LoadScript(source, Fixture("pgreal_types_postgres.sql"));
      const std::string scope = " --include invoice_line --include account --include device";
      FerryResult check = RunFerry("check" + Ends(source, dest) + scope);
      INFO("check: " << check.output);
      REQUIRE(check.exit_code == 0);
      FerryResult run = RunFerry("run" + Ends(source, dest) + scope);
      INFO("run: " << run.output);
      REQUIRE(run.exit_code == 0);
      for (const char* table : {"invoice_line", "account", "device"}) {
        TableContents expected = ReadCanonical(source, table);
        TableContents actual = ReadCanonical(dest, table);
        INFO(table << ": " << FirstDifference(expected, actual));
        CHECK(FirstDifference(expected, actual).empty());
      }
      const std::string insert =
          "INSERT INTO invoice_line (invoice_id, line_no, quantity, unit_cents, discount) "
          "VALUES (99, 1, 1, 1, ";
      CHECK_THROWS(dest.Exec(insert + "101)"));
      CHECK_THROWS(dest.Exec(insert + "0)"));
      dest.Exec(insert + "100)");
    }
  }
}

TEST_CASE(
    "a PostgreSQL database of exclusion constraints, deferrable, self-referencing and cyclic "
    "foreign keys, partial, covering and opclass indexes, row-level security, grants, rules, "
    "materialized views, an event trigger and 1,600 columns clones schema-identical",
    "[pgreal][postgresql]") {
  TestDatabase source(Db::kPostgres, "pgreal_cons_src");
  TestDatabase dest(Db::kPostgres, "pgreal_cons_dst");
  LoadScript(source, Fixture("pgreal_constraints_postgres.sql"));
  RequireIdenticalClone(source, dest, "");
  // The event trigger logged none of the clone's DDL, and logs the next.
  CHECK(dest.QueryValue("SELECT count(*) FROM ddl_log") == "0");
  dest.Exec("CREATE TABLE later (id integer)");
  CHECK(dest.QueryValue("SELECT count(*) FROM ddl_log") == "1");
}

TEST_CASE("a table of 1,600 columns is a blocker in check for MariaDB, not a failed run",
          "[pgreal][postgresql][mariadb]") {
  TestDatabase source(Db::kPostgres, "pgreal_wide_src");
  TestDatabase dest(Db::kMariaDB, "pgreal_wide_dst");
  LoadScript(source, Fixture("pgreal_constraints_postgres.sql"));
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --include wide_sensor --json");
  INFO(check.output);
  CHECK(check.exit_code == 4);
  CHECK(HasBlocker(json::parse(check.output), "type", "public.wide_sensor", "1600 columns"));
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --include wide_sensor");
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(run.output.find("at most 1017") != std::string::npos);
}

TEST_CASE(
    "a source table whose row-level security hides rows from ferry's user is a blocker in check, "
    "and a run fails on it instead of copying only the rows the policies show",
    "[pgreal][postgresql]") {
  TestDatabase admin(Db::kPostgres, "pgreal_rls_admin");
  const std::string role = "ferry_rls_" + std::to_string(getpid());
  TestDatabase source(Db::kPostgres, "pgreal_rls_src");
  TestDatabase dest(Db::kSQLite, "pgreal_rls_dst");
  admin.Exec("CREATE ROLE " + role + " LOGIN PASSWORD '" + TestPassword() + "'");
  struct DropRole {
    TestDatabase& admin;
    TestDatabase& source;
    std::string role;
    ~DropRole() {
      try {
        source.Exec("DROP OWNED BY " + role);
        admin.Exec("DROP ROLE IF EXISTS " + role);
      } catch (...) {
        // A failed cleanup must not hide the test's result.
      }
    }
  } drop{admin, source, role};
  LoadScript(source, Fixture("pgreal_constraints_postgres.sql"));
  source.Exec("GRANT SELECT ON tenant_note, room TO " + role);
  std::string as_role = source.Url();
  as_role.replace(as_role.find("ferry@"), 5, role);
  const std::string ends = " --source " + ShellQuote(as_role) + " --dest " + ShellQuote(dest.Url());

  FerryResult check = RunFerry("check" + ends + " --include tenant_note --include room --json");
  INFO(check.output);
  CHECK(check.exit_code == 4);
  const json report = json::parse(check.output);
  CHECK(HasBlocker(report, "row security", "public.tenant_note", "row-level security"));
  CHECK_FALSE(HasBlocker(report, "row security", "public.room", "row-level security"));
  FerryResult run = RunFerry("run" + ends + " --include tenant_note");
  INFO(run.output);
  CHECK(run.exit_code != 0);
  CHECK(run.output.find("row-level security") != std::string::npos);
}
