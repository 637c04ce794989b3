// A PostgreSQL clone into a database whose owner is not a superuser (cloud PostgreSQL never gives
// superuser): what only a superuser may create (event triggers, untrusted extensions, functions
// in untrusted languages), foreign tables on servers the destination lacks, grants and
// policies for roles it lacks are left out and named by check; what the copy cannot do without
// is a blocker. Check passing means the run succeeding. And check lists, across engines, what a
// copy leaves behind (event triggers, rules, policies, expression, partial and exclusion
// indexes, identities counting down), and says no `[lossy type]` for types cloned as they are.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

// A login role made for the test and the owner of `dest`, dropped when the test ends (after the
// databases, which are declared after it).
struct OwnerRole {
  TestDatabase& admin;
  std::string name;
  OwnerRole(TestDatabase& admin_db, const std::string& hint)
      : admin(admin_db), name(hint + "_" + std::to_string(getpid())) {
    admin.Exec("DROP ROLE IF EXISTS " + name);
    admin.Exec("CREATE ROLE " + name + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '" +
               TestPassword() + "'");
  }
  ~OwnerRole() {
    try {
      admin.Exec("DROP ROLE IF EXISTS " + name);
    } catch (...) {
      // A failed cleanup must not hide the test's result.
    }
  }
  // `db`'s URL with this role as its user; `db` made its owner.
  std::string Own(TestDatabase& db) {
    admin.Exec("ALTER DATABASE " + db.name() + " OWNER TO " + name);
    std::string url = db.Url();
    url.replace(url.find("ferry@"), 5, name);
    return url;
  }
};

// Objects a real source database has beyond the fixture: an untrusted extension nothing uses and
// one a foreign table uses, a function in an untrusted language with a view over it, a trigger
// calling it, a SECURITY DEFINER function, a publication.
const char* const kExtras =
    "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;\n"
    "CREATE EXTENSION IF NOT EXISTS postgres_fdw;\n"
    "CREATE SERVER s7_remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', "
    "dbname 'elsewhere');\n"
    "CREATE FOREIGN TABLE remote_item (id integer) SERVER s7_remote;\n"
    "CREATE FUNCTION raw_abs(integer) RETURNS integer LANGUAGE internal IMMUTABLE STRICT AS "
    "'int4abs';\n"
    "COMMENT ON FUNCTION raw_abs(integer) IS 'int4abs itself';\n"
    "CREATE VIEW room_abs AS SELECT room_id, raw_abs(-room_id) AS a FROM room;\n"
    "CREATE FUNCTION who_owns() RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT "
    "current_user::text $$;\n"
    "CREATE PUBLICATION s7_pub FOR TABLE product";

bool Says(const json& report, const std::string& severity, const std::string& words) {
  for (const json& f : report["findings"]) {
    if (f["severity"] == severity &&
        f["message"].get<std::string>().find(words) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE(
    "a PostgreSQL clone into a database its non-superuser owner holds leaves out event triggers, "
    "untrusted extensions, functions in untrusted languages and foreign tables, check names each "
    "with why, and the run succeeds",
    "[pgclone][postgresql]") {
  TestDatabase admin(Db::kPostgres, "pgclone_admin");
  OwnerRole owner(admin, "ferry_pgclone_owner");
  TestDatabase source(Db::kPostgres, "pgclone_src");
  TestDatabase dest(Db::kPostgres, "pgclone_dst");
  LoadScript(source, Fixture("pgreal_constraints_postgres.sql"));
  source.Exec(kExtras);
  const std::string ends = Ends(source.Url(), owner.Own(dest));

  FerryResult check = RunFerry("check" + ends + " --json");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  const json report = json::parse(check.output);
  CHECK(Says(report, "warning", "event trigger log_ddl_commands"));
  CHECK(Says(report, "warning", "extension pg_stat_statements is not trusted"));
  CHECK(Says(report, "warning", "function public.raw_abs(integer)"));
  CHECK(Says(report, "warning", "untrusted language"));
  CHECK(Says(report, "warning", "view public.room_abs"));
  CHECK(Says(report, "warning", "foreign server s7_remote does not exist"));
  CHECK(Says(report, "warning", "publication s7_pub"));
  CHECK(Says(report, "warning", "SECURITY DEFINER"));

  FerryResult run = RunFerry("run" + ends);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("event trigger log_ddl_commands not created") != std::string::npos);
  FerryResult verify = RunFerry("verify" + ends);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  // The tables, their exclusion constraint (btree_gist, trusted) and policies are there, owned
  // by the destination's user; what it cannot make is not.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_constraint WHERE contype = 'x'") == "1");
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_policy") == "2");
  CHECK(dest.QueryValue("SELECT tableowner FROM pg_tables WHERE tablename = 'product'") ==
        owner.name);
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_event_trigger") == "0");
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_proc WHERE proname = 'raw_abs'") == "0");
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_class WHERE relname IN ('remote_item', "
                        "'room_abs')") == "0");
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == "1");
  CHECK(dest.QueryValue("SELECT count(*) FROM product") ==
        source.QueryValue("SELECT count(*) FROM product"));
}

TEST_CASE(
    "a PostgreSQL clone whose index needs an untrusted extension the destination's owner cannot "
    "create is a blocker in check, and the run refuses it before writing anything",
    "[pgclone][postgresql]") {
  TestDatabase admin(Db::kPostgres, "pgclone_admin");
  OwnerRole owner(admin, "ferry_pgclone_owner");
  TestDatabase source(Db::kPostgres, "pgclone_bloom_src");
  TestDatabase dest(Db::kPostgres, "pgclone_bloom_dst");
  source.Exec(
      "CREATE EXTENSION bloom;\n"
      "CREATE TABLE reading (id integer PRIMARY KEY, a integer, b integer);\n"
      "INSERT INTO reading SELECT g, g % 7, g % 11 FROM generate_series(1, 100) g;\n"
      "CREATE INDEX reading_bloom ON reading USING bloom (a, b)");
  const std::string ends = Ends(source.Url(), owner.Own(dest));
  FerryResult check = RunFerry("check" + ends + " --json");
  INFO("check: " << check.output);
  CHECK(check.exit_code == 4);
  CHECK(Says(json::parse(check.output), "blocker", "index reading_bloom"));
  CHECK(Says(json::parse(check.output), "blocker", "extension bloom is not trusted"));
  FerryResult run = RunFerry("run" + ends);
  INFO("run: " << run.output);
  CHECK(run.exit_code != 0);
  CHECK(run.output.find("reading_bloom") != std::string::npos);
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_tables WHERE tablename = 'reading'") == "0");
  // As a superuser, the same clone makes the extension and the index.
  FerryResult as_superuser = RunFerry("run" + Ends(source.Url(), dest.Url()));
  INFO("as superuser: " << as_superuser.output);
  CHECK(as_superuser.exit_code == 0);
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_indexes WHERE indexname = 'reading_bloom'") ==
        "1");
}

TEST_CASE(
    "check lists what a PostgreSQL copy into another engine leaves behind: the event trigger, "
    "the rule, the row security policies, the partial, expression and exclusion indexes and an "
    "identity counting down",
    "[pgclone][postgresql][sqlite][mariadb]") {
  for (Db to : {Db::kSQLite, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(to)) {
      TestDatabase source(Db::kPostgres, "pgclone_left_src");
      TestDatabase dest(to, "pgclone_left_dst");
      LoadScript(source, Fixture("pgreal_constraints_postgres.sql"));
      LoadScript(source, Fixture("pgreal_types_postgres.sql"));
      FerryResult check = RunFerry("check" + Ends(source.Url(), dest.Url()) + " --json");
      INFO("check: " << check.output);
      const json report = json::parse(check.output);
      for (const char* object :
           {"log_ddl_commands", "stock_movement_no_delete on public.stock_movement",
            "tenant_isolation on public.tenant_note", "product_active_name_idx",
            "product_lower_name_idx", "reservation_room_id_during_excl",
            "public.ticket.ticket_no (INCREMENT BY -1) (CYCLE)"}) {
        INFO(object);
        CHECK(Says(report, "warning", object));
      }
    }
  }
}

TEST_CASE("a same-engine check says no [lossy type] for columns the clone makes as they are",
          "[pgclone][postgresql][mariadb][sqlite]") {
  struct Case {
    Db engine;
    const char* fixture;
  };
  for (const Case& c :
       {Case{Db::kPostgres, "pgreal_types_postgres.sql"},
        Case{Db::kMariaDB, "realworld_mariadb.sql"}, Case{Db::kSQLite, "realworld_sqlite.sql"}}) {
    DYNAMIC_SECTION(DbName(c.engine)) {
      TestDatabase source(c.engine, "pgclone_lossy_src");
      TestDatabase dest(c.engine, "pgclone_lossy_dst");
      LoadScript(source, Fixture(c.fixture));
      FerryResult check = RunFerry("check" + Ends(source.Url(), dest.Url()) + " --json");
      INFO("check: " << check.output);
      for (const json report = json::parse(check.output); const json& f : report["findings"]) {
        CHECK(f["kind"] != "lossy type");
      }
    }
  }
}
