// PostgreSQL's user-defined types (tests/fixtures/pgtypes_postgres.sql: domains with DEFAULTs and
// checks, one calling the application's own function, enums with labels added out of order,
// composite and range types) on every path a table can take from PostgreSQL: a clone (pg_dump),
// ferry's own DDL (--schema-from ferry), which reads them from the catalog and needs no pg_dump,
// and into MariaDB and SQLite, where a domain's DEFAULT lands on the column. On each, check
// passing means the run succeeding; what cannot be made is named by check, and the run then makes
// nothing.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

const std::string kScope = " -i 'public.*' -i 'app.*'";

// check and run of `scope` with `how` (options of check and run only), then verify of `scope`;
// each must succeed.
void CheckRunVerify(TestDatabase& source, TestDatabase& dest, const std::string& scope,
                    const std::string& how) {
  FerryResult check = RunFerry("check" + Ends(source, dest) + scope + how);
  INFO("check" << scope << how << ": " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest) + scope + how);
  INFO("run" << scope << how << ": " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(source, dest) + scope);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
}

// The domains (base type, default, NOT NULL, every check with its name and whether it was
// validated), the enums' labels in order, the composite types' attributes and the range types,
// as the catalog describes them.
const char* const kTypeQueries[] = {
    "SELECT t.typnamespace::regnamespace || '.' || t.typname, format_type(t.typbasetype, "
    "t.typtypmod), coalesce(t.typdefault, '-'), t.typnotnull FROM pg_type t WHERE t.typtype = "
    "'d' AND t.typnamespace::regnamespace::text IN ('public', 'app') ORDER BY 1",
    "SELECT t.typname, c.conname, pg_get_constraintdef(c.oid), c.convalidated FROM "
    "pg_constraint c JOIN pg_type t ON t.oid = c.contypid ORDER BY 1, 2",
    "SELECT enumtypid::regtype, string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
    "GROUP BY 1 ORDER BY 1",
    "SELECT t.typname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_type t "
    "JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' JOIN pg_attribute a ON "
    "a.attrelid = c.oid ORDER BY 1, 2",
    "SELECT rngtypid::regtype, rngsubtype::regtype, rngsubdiff::text, rngmultitypid::regtype "
    "FROM pg_range WHERE rngtypid >= 16384 ORDER BY 1",
};

const char* const kRows[] = {
    "SELECT t::text FROM order_line t ORDER BY 1",  "SELECT t::text FROM person t ORDER BY 1",
    "SELECT t::text FROM app.on_hand t ORDER BY 1", "SELECT t::text FROM measurement t ORDER BY 1",
    "SELECT t::text FROM parcel t ORDER BY 1",
};

// A new row that leaves the domain columns out takes each domain's default.
const std::string kDefaults =
    "INSERT INTO order_line (order_id, line_no) VALUES (9, 9) RETURNING amount, small, guess, "
    "status";

}  // namespace

// No ": " in the name: Catch2 2.13 indents a test name's wrapped lines to just after its first
// ": ", and one near the 80th column leaves them no width, so printing the name of a failing test
// never ends (it printed "-" forever here).
TEST_CASE(
    "user-defined types copy PostgreSQL to PostgreSQL cloned and with ferry's DDL, domains "
    "keeping their DEFAULTs and checks, the function a check calls first, enums their label order",
    "[pg_user_types][postgresql]") {
  for (const char* how : {"", " --schema-from ferry"}) {
    DYNAMIC_SECTION("schema from " << (*how ? "ferry" : "pg_dump")) {
      TestDatabase source(Db::kPostgres, "pgtypes_src");
      TestDatabase dest(Db::kPostgres, "pgtypes_dst");
      LoadScript(source, Fixture("pgtypes_postgres.sql"));
      CheckRunVerify(source, dest, kScope, how);
      for (const char* sql : kTypeQueries) {
        INFO(sql);
        CHECK(LinesDifference(RowLines(source, sql), RowLines(dest, sql)) == "");
      }
      for (const char* sql : kRows) {
        INFO(sql);
        CHECK(LinesDifference(RowLines(source, sql), RowLines(dest, sql)) == "");
      }
      const std::vector<std::string> defaults = RowLines(dest, kDefaults);
      CHECK(LinesDifference(RowLines(source, kDefaults), defaults) == "");
      CHECK(defaults == std::vector<std::string>{"1|1|42|NO DATA"});
      // The checks hold at the destination, the one calling app.is_valid_code too.
      CHECK_THROWS(
          dest.Exec("INSERT INTO order_line (order_id, line_no, product) VALUES "
                    "(8, 1, 'not a code')"));
      CHECK_THROWS(
          dest.Exec("INSERT INTO order_line (order_id, line_no, amount) VALUES "
                    "(8, 2, 0)"));
      CHECK(dest.QueryValue("SELECT ('ok'::mood < 'meh'::mood)::text") == "false");
    }
  }
}

TEST_CASE(
    "ferry's own DDL makes domains, enums, composite and range types without pg_dump, and a "
    "clone that has no pg_dump stops before writing, naming it",
    "[pg_user_types][postgresql]") {
  TestDatabase source(Db::kPostgres, "pgtypes_src");
  TestDatabase dest(Db::kPostgres, "pgtypes_dst");
  LoadScript(source, Fixture("pgtypes_postgres.sql"));
  const std::string no_pg_dump = " --pg-dump /nonexistent/bin/pg_dump";
  SECTION("a clone") {
    FerryResult check = RunFerry("check" + Ends(source, dest) + kScope + no_pg_dump);
    INFO(check.output);
    CHECK(check.exit_code == 4);
    CHECK(Has(check.output, "pg_dump"));
    FerryResult run = RunFerry("run" + Ends(source, dest) + kScope + no_pg_dump);
    INFO(run.output);
    CHECK(run.exit_code == 4);
    CHECK(Has(run.output, "--pg-dump"));
    CHECK(dest.QueryValue("SELECT count(*) FROM pg_type WHERE typnamespace = "
                          "'public'::regnamespace AND typtype IN ('d', 'e', 'c', 'r')") == "0");
  }
  SECTION("ferry's own DDL") {
    CheckRunVerify(source, dest, kScope, no_pg_dump + " --schema-from ferry");
    for (const char* sql : kTypeQueries) {
      INFO(sql);
      CHECK(LinesDifference(RowLines(source, sql), RowLines(dest, sql)) == "");
    }
    CHECK(RowLines(dest, kDefaults) == std::vector<std::string>{"1|1|42|NO DATA"});
  }
}

TEST_CASE(
    "a domain check calling a function ferry cannot make is named by check, and the run then "
    "makes nothing, and left out, the rest copies",
    "[pg_user_types][postgresql]") {
  TestDatabase source(Db::kPostgres, "pgtypes_src");
  TestDatabase dest(Db::kPostgres, "pgtypes_dst");
  // A function of the server's own C code under another name, as extensions-less databases do.
  source.Exec(
      "CREATE FUNCTION shouted(text) RETURNS text LANGUAGE internal IMMUTABLE STRICT AS "
      "'upper';\n"
      "CREATE DOMAIN shout AS text CHECK (shouted(VALUE) = VALUE);\n"
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE TABLE yell (id integer PRIMARY KEY, s shout, m mood);\n"
      "INSERT INTO yell VALUES (1, 'HEY', 'ok');\n"
      "CREATE TABLE calm (id integer PRIMARY KEY, m mood);\n"
      "INSERT INTO calm VALUES (1, 'sad')");
  const std::string ferry_ddl = " --schema-from ferry";
  FerryResult check = RunFerry("check" + Ends(source, dest) + ferry_ddl + " --json");
  INFO(check.output);
  CHECK(check.exit_code == 4);
  bool named = false;
  for (const json report = json::parse(check.output); const json& f : report["findings"]) {
    named |= f["severity"] == "blocker" && f["table"] == "public.yell" &&
             Has(f["message"].get<std::string>(), "shouted");
  }
  CHECK(named);
  FerryResult run = RunFerry("run" + Ends(source, dest) + ferry_ddl);
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(Has(run.output, "shouted"));
  // Nothing half-made: neither the enum nor either table.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_type WHERE typname IN ('mood', 'shout', "
                        "'yell', 'calm')") == "0");
  CheckRunVerify(source, dest, " --exclude public.yell", ferry_ddl);
  CHECK(dest.QueryValue("SELECT m::text FROM calm") == "sad");
}

TEST_CASE(
    "a domain's DEFAULT lands on the column in MariaDB and SQLite where it translates, and check "
    "names the one that does not",
    "[pg_user_types][postgresql][mariadb][sqlite]") {
  for (Db to : {Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION("PostgreSQL to " << DbName(to)) {
      TestDatabase source(Db::kPostgres, "pgtypes_src");
      TestDatabase dest(to, "pgtypes_dst");
      LoadScript(source, Fixture("pgtypes_postgres.sql"));
      source.Exec(
          "CREATE DOMAIN token AS text DEFAULT md5(random()::text);\n"
          "ALTER TABLE order_line ADD COLUMN tag token");
      const std::string scope = " -i order_line -i parcel";
      FerryResult check = RunFerry("check" + Ends(source, dest) + scope + " --json");
      INFO(check.output);
      REQUIRE(check.exit_code == 0);
      bool warned = false;
      for (const json report = json::parse(check.output); const json& f : report["findings"]) {
        warned |= f["kind"] == "default" && Has(f.dump(), "tag") && Has(f.dump(), "md5");
      }
      CHECK(warned);
      CheckRunVerify(source, dest, scope, "");
      dest.Exec("INSERT INTO order_line (order_id, line_no) VALUES (9, 9)");
      CHECK(RowLines(dest,
                     "SELECT amount, small, guess, status FROM order_line WHERE "
                     "order_id = 9") == std::vector<std::string>{"1|1|42|NO DATA"});
    }
  }
}
