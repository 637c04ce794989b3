// PostgreSQL large objects copied PostgreSQL to PostgreSQL: the same OIDs (the oid columns stay
// valid), the same bytes (an empty object, one of 5 MiB), owners and grants; verify compares
// them by size and SHA-256 and finds a changed byte; a run killed while it writes them leaves
// none half-written, and its resume copies only those not there yet.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>

#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

std::string Args(TestDatabase& source, TestDatabase& dest, const std::string& extra = "") {
  return "run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
         (extra.empty() ? "" : " " + extra);
}

// A role the test's objects are owned by and granted to, dropped when the test ends (after the
// databases, declared after it).
struct Role {
  TestDatabase& admin;
  std::string name;
  Role(TestDatabase& admin_db, const std::string& hint)
      : admin(admin_db), name(hint + "_" + std::to_string(getpid())) {
    admin.Exec("DROP ROLE IF EXISTS " + name);
    admin.Exec("CREATE ROLE " + name + " NOLOGIN");
  }
  ~Role() {
    try {
      admin.Exec("DROP ROLE IF EXISTS " + name);
    } catch (...) {
      // A failed cleanup must not hide the test's result.
    }
  }
};

// Three objects in OID order: empty, 5 MiB (more than a batch of the copy), "hello"; the
// table's oid column points at them. The last is owned by `role`, the big one granted to it.
void Fill(TestDatabase& source, const std::string& role) {
  source.Exec(
      "CREATE TABLE images (id int PRIMARY KEY, raster oid, title text);\n"
      "INSERT INTO images VALUES (1, lo_from_bytea(0, ''::bytea), 'empty');\n"
      "INSERT INTO images VALUES (2, lo_from_bytea(0, decode(repeat('0123456789abcdef', "
      "655360), 'hex') || '\\xff00'::bytea), 'big');\n"
      "INSERT INTO images VALUES (3, lo_from_bytea(0, 'hello'::bytea), 'small');\n"
      "INSERT INTO images VALUES (4, NULL, 'none')");
  source.Exec("ALTER LARGE OBJECT " + source.QueryValue("SELECT raster FROM images WHERE id = 3") +
              " OWNER TO " + role);
  source.Exec("GRANT SELECT ON LARGE OBJECT " +
              source.QueryValue("SELECT raster FROM images WHERE id = 2") + " TO " + role);
}

const char* const kObjects =
    "SELECT m.oid, pg_get_userbyid(m.lomowner), COALESCE(m.lomacl::text, '-'), "
    "octet_length(lo_get(m.oid)), encode(sha256(lo_get(m.oid)), 'hex') FROM "
    "pg_largeobject_metadata m ORDER BY m.oid";
const char* const kRows =
    "SELECT i.id, i.raster, i.title, octet_length(lo_get(i.raster)) FROM images i ORDER BY i.id";

int64_t Objects(TestDatabase& db) {
  return std::stoll(db.QueryValue("SELECT count(*) FROM pg_largeobject_metadata"));
}

}  // namespace

TEST_CASE(
    "PostgreSQL large objects are copied with their OIDs, owners and grants, and verify "
    "compares their bytes",
    "[large_objects][postgresql]") {
  TestDatabase admin(Db::kPostgres, "lo_admin");
  Role role(admin, "lo_role");
  TestDatabase source(Db::kPostgres, "lo_src");
  TestDatabase dest(Db::kPostgres, "lo_dst");
  Fill(source, role.name);
  for (const char* how : {"", "--schema-from ferry"}) {
    DYNAMIC_SECTION("schema from " << (*how ? "ferry" : "pg_dump")) {
      FerryResult check = RunFerry("check --source " + ShellQuote(source.Url()) + " --dest " +
                                   ShellQuote(dest.Url()) + " " + how);
      INFO(check.output);
      CHECK(check.exit_code == 0);
      CHECK(check.output.find("large objects (pg_largeobject) are not copied") ==
            std::string::npos);
      FerryResult run = RunFerry(Args(source, dest, how));
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      CHECK(run.output.find("3 large objects (3 copied, 0 already there") != std::string::npos);
      CHECK(RowLines(dest, kObjects) == RowLines(source, kObjects));
      CHECK(RowLines(dest, kRows) == RowLines(source, kRows));
      FerryResult verify = RunFerry("verify --source " + ShellQuote(source.Url()) + " --dest " +
                                    ShellQuote(dest.Url()));
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
      CHECK(verify.output.find("large objects: identical, 3") != std::string::npos);
      // One byte changed at the destination, one object more: verify names both.
      const std::string small = dest.QueryValue("SELECT raster FROM images WHERE id = 3");
      dest.Exec("SELECT lo_put(" + small + ", 0, 'J'::bytea)");
      const std::string extra = dest.QueryValue("SELECT lo_from_bytea(0, 'x'::bytea)");
      FerryResult differs = RunFerry("verify --source " + ShellQuote(source.Url()) + " --dest " +
                                     ShellQuote(dest.Url()));
      INFO(differs.output);
      CHECK(differs.exit_code != 0);
      CHECK(differs.output.find("different: " + small) != std::string::npos);
      CHECK(differs.output.find("extra at destination: " + extra) != std::string::npos);
    }
  }
}

TEST_CASE(
    "a run killed while it writes the large objects leaves none half-written, and its "
    "resume copies only the rest",
    "[large_objects][resume][postgresql]") {
  TestDatabase admin(Db::kPostgres, "lo_admin");
  Role role(admin, "lo_role");
  TestDatabase source(Db::kPostgres, "lo_kill_src");
  TestDatabase dest(Db::kPostgres, "lo_kill_dst");
  Fill(source, role.name);
  // Killed inside the 5 MiB object (the first batch, with the empty one, not committed), or
  // inside the third (the first batch committed: it ended once it held 4 MiB).
  for (int at : {2, 3}) {
    DYNAMIC_SECTION("killed inside object " << at) {
      setenv("FERRY_TEST_CRASH", ("in-large-object:" + std::to_string(at)).c_str(), 1);
      FerryResult killed = RunFerry(Args(source, dest));
      unsetenv("FERRY_TEST_CRASH");
      INFO(killed.output);
      REQUIRE(killed.exit_code == 86);
      const int64_t there = at == 2 ? 0 : 2;
      CHECK(Objects(dest) == there);
      // Those there are whole.
      if (there > 0) {
        const std::string whole =
            "SELECT m.oid, octet_length(lo_get(m.oid)), encode(sha256(lo_get(m.oid)), 'hex') "
            "FROM pg_largeobject_metadata m ORDER BY m.oid LIMIT 2";
        CHECK(RowLines(dest, whole) == RowLines(source, whole));
      }
      FerryResult resumed = RunFerry(Args(source, dest, "--resume"));
      INFO(resumed.output);
      REQUIRE(resumed.exit_code == 0);
      CHECK(resumed.output.find("3 large objects (" + std::to_string(3 - there) + " copied, " +
                                std::to_string(there) + " already there") != std::string::npos);
      CHECK(RowLines(dest, kObjects) == RowLines(source, kObjects));
      FerryResult verify = RunFerry("verify --source " + ShellQuote(source.Url()) + " --dest " +
                                    ShellQuote(dest.Url()));
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
    }
  }
}

TEST_CASE("large objects stay [not carried] into another engine",
          "[large_objects][postgresql][mariadb]") {
  TestDatabase admin(Db::kPostgres, "lo_admin");
  Role role(admin, "lo_role");
  TestDatabase source(Db::kPostgres, "lo_x_src");
  TestDatabase dest(Db::kMariaDB, "lo_x_dst");
  Fill(source, role.name);
  FerryResult check =
      RunFerry("check --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.find("large objects (pg_largeobject) are not copied") != std::string::npos);
  FerryResult run = RunFerry(Args(source, dest));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("large objects (") == std::string::npos);
}
