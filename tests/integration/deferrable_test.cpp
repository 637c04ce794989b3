// DEFERRABLE foreign keys (Django declares every key DEFERRABLE INITIALLY DEFERRED, as
// tests/fixtures/django_sqlite.sql does) keep when they are checked wherever the destination has
// deferrable constraints (PostgreSQL, SQLite), under ferry's own DDL too; into MariaDB, which has
// none, check says which keys become checked at each statement. A staging directory carries
// the clause to the engine it is imported into.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// parent <- child.parent_id (deferred), child.other_id (deferrable, initially immediate),
// child.plain_id (not deferrable).
const char* const kSqlite =
    "CREATE TABLE parent (id integer NOT NULL PRIMARY KEY);\n"
    "CREATE TABLE child (id integer NOT NULL PRIMARY KEY, \"parent_id\" integer NOT NULL "
    "REFERENCES \"parent\" (\"id\") DEFERRABLE INITIALLY DEFERRED, other_id integer, "
    "plain_id integer REFERENCES parent (id) NOT DEFERRABLE, "
    "FOREIGN KEY (other_id) REFERENCES parent (id) DEFERRABLE);\n"
    "INSERT INTO parent VALUES (1), (2);\n"
    "INSERT INTO child VALUES (10, 1, 2, 1), (11, 2, NULL, NULL)";
const char* const kPostgres =
    "CREATE TABLE parent (id integer PRIMARY KEY);\n"
    "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent "
    "DEFERRABLE INITIALLY DEFERRED, other_id integer REFERENCES parent DEFERRABLE, "
    "plain_id integer REFERENCES parent);\n"
    "INSERT INTO parent VALUES (1), (2);\n"
    "INSERT INTO child VALUES (10, 1, 2, 1), (11, 2, NULL, NULL)";

// Each foreign key of child at a PostgreSQL destination as "column deferrable deferred".
std::string PgKeys(TestDatabase& db) {
  std::string out;
  for (const Row& r : db.Query(
           "SELECT a.attname || ' ' || c.condeferrable || ' ' || c.condeferred FROM pg_constraint "
           "c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] WHERE "
           "c.contype = 'f' AND c.conrelid = 'child'::regclass ORDER BY 1")) {
    out += r[0].value_or("") + "\n";
  }
  return out;
}

constexpr const char* kCarried = "other_id true false\nparent_id true true\nplain_id false false\n";

}  // namespace

TEST_CASE("DEFERRABLE foreign keys arrive deferrable in PostgreSQL and SQLite",
          "[deferrable][sqlite][postgresql]") {
  SECTION("SQLite to PostgreSQL") {
    TestDatabase source(Db::kSQLite, "defer_src");
    TestDatabase dest(Db::kPostgres, "defer_dst");
    source.Exec(kSqlite);
    FerryResult run = RunFerry("run" + Ends(source, dest));
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(PgKeys(dest) == kCarried);
  }
  SECTION("PostgreSQL to PostgreSQL with ferry's own DDL, and on to SQLite") {
    TestDatabase source(Db::kPostgres, "defer_src");
    TestDatabase dest(Db::kPostgres, "defer_dst");
    TestDatabase file(Db::kSQLite, "defer_file");
    source.Exec(kPostgres);
    FerryResult run = RunFerry("run" + Ends(source, dest) + " --schema-from ferry");
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(PgKeys(dest) == kCarried);
    FerryResult into_sqlite = RunFerry("run" + Ends(source, file));
    INFO(into_sqlite.output);
    REQUIRE(into_sqlite.exit_code == 0);
    const std::string create =
        file.QueryValue("SELECT sql FROM sqlite_schema WHERE name = 'child'");
    INFO(create);
    CHECK(create.find("DEFERRABLE INITIALLY DEFERRED") != std::string::npos);
  }
}

TEST_CASE("check names the DEFERRABLE foreign keys MariaDB will check at each statement",
          "[deferrable][check][mariadb]") {
  TestDatabase source(Db::kPostgres, "defer_src");
  TestDatabase dest(Db::kMariaDB, "defer_dst");
  source.Exec(kPostgres);
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --sample-seconds 0");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check, "[deferrable key]"));
  CHECK(Has(check, "child_parent_id_fkey (DEFERRABLE INITIALLY DEFERRED)"));
  CHECK(Has(check, "child_other_id_fkey (DEFERRABLE)"));
  CHECK(!Has(check, "child_plain_id_fkey ("));
}

TEST_CASE("an import from a staging directory keeps DEFERRABLE keys as the direct copy does",
          "[deferrable][staging][sqlite][mariadb]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "defer_src");
  TestDatabase file(Db::kSQLite, "defer_file");
  TestDatabase maria(Db::kMariaDB, "defer_maria");
  source.Exec(kPostgres);
  const std::string dir = "dir:" + temp.path() + "/stage";
  FerryResult exported = RunFerry("run" + Ends(source.Url(), dir));
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult into_sqlite = RunFerry("run" + Ends(dir, file.Url()));
  INFO(into_sqlite.output);
  REQUIRE(into_sqlite.exit_code == 0);
  const std::string create = file.QueryValue("SELECT sql FROM sqlite_schema WHERE name = 'child'");
  INFO(create);
  CHECK(create.find("DEFERRABLE INITIALLY DEFERRED") != std::string::npos);
  FerryResult check = RunFerry("check" + Ends(dir, maria.Url()) + " --sample-seconds 0");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check, "[deferrable key]"));
  CHECK(Has(check, "child_parent_id_fkey (DEFERRABLE INITIALLY DEFERRED)"));
  CHECK(!Has(check, "child_plain_id_fkey ("));
}
