// A same-engine clone into a destination that already has objects of the clone's names (a
// domain, a type, a function, a view, a trigger, an event): `ferry check` names each, by kind and
// qualified name, with what to do, where it used to say ok and the run then refused (issue 14,
// point 7: check predicts the run). PostgreSQL's check tries the clone in a transaction it rolls
// back: the destination is the same, by pg_dump, before and after it. Once the objects are
// dropped, check passes and the run succeeds; a staging import into PostgreSQL is checked alike.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/engine_schema.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest,
                  const std::string& more = "") {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest) +
                  " --include '*' --sample-seconds 0" + (more.empty() ? "" : " " + more));
}

FerryResult Run(const std::string& source, const std::string& dest) {
  return RunFerry("run --source " + ShellQuote(source) + " --dest " + ShellQuote(dest) +
                  " --include '*'");
}

// Once nothing is in the way: check passes, and the run clones.
void CheckPassesAndRunClones(TestDatabase& source, TestDatabase& dest) {
  FerryResult ok = Ferry("check", source.Url(), dest.Url());
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  FerryResult run = Run(source.Url(), dest.Url());
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(Has(run, "schema: cloned from the source"));
}

}  // namespace

TEST_CASE(
    "check names every object a PostgreSQL clone would find at the destination already, and "
    "leaves the destination as it was",
    "[clone][check][postgresql]") {
  TestDatabase source(Db::kPostgres, "clone_ex_src");
  TestDatabase dest(Db::kPostgres, "clone_ex_dst");
  source.Exec(
      "CREATE EXTENSION citext;\n"
      "CREATE SCHEMA extra;\n"
      "CREATE TYPE extra.mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE DOMAIN year AS integer CHECK (VALUE BETWEEN 1901 AND 2155);\n"
      "CREATE SEQUENCE ticket_seq START 100;\n"
      "CREATE FUNCTION twice(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a * 2';\n"
      "CREATE TABLE film (id int PRIMARY KEY, title citext, released year, mood extra.mood);\n"
      "CREATE VIEW film_titles AS SELECT title FROM film;\n"
      "INSERT INTO film VALUES (1, 'Alien', 1979, 'happy'), (2, 'Heat', 1995, 'ok')");
  // The destination has some of them: a domain of another definition, the function, the view.
  dest.Exec(
      "CREATE DOMAIN year AS smallint;\n"
      "CREATE FUNCTION twice(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a + a';\n"
      "CREATE VIEW film_titles AS SELECT 'x'::text AS title");
  const std::string before = EngineSchema(dest);

  FerryResult check = Ferry("check", source.Url(), dest.Url());
  INFO(check.output);
  CHECK(check.exit_code == 4);
  CHECK(Has(check, "already has objects the schema clone creates"));
  CHECK(Has(check, "domain public.year"));
  CHECK(Has(check, "function public.twice("));
  CHECK(Has(check, "view public.film_titles"));
  CHECK(Has(check, "--schema-from ferry"));
  // The trial left nothing: no schema, extension, type, sequence or table of the clone's.
  CHECK(EngineSchema(dest) == before);
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_extension WHERE extname = 'citext'") == "0");
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_namespace WHERE nspname = 'extra'") == "0");
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_class WHERE relname IN ('film', 'ticket_seq')") ==
        "0");

  // The run refuses as check said (exit 4, nothing written).
  FerryResult refused = Run(source.Url(), dest.Url());
  INFO(refused.output);
  CHECK(refused.exit_code == 4);
  CHECK(EngineSchema(dest) == before);

  // A staging import into PostgreSQL clones from the export's dump: checked alike.
  TempDir temp;
  const std::string dir = "dir:" + temp.path() + "/stage";
  FerryResult exported = Run(source.Url(), dir);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult import_check =
      RunFerry("check --source " + ShellQuote(dir) + " --dest " + ShellQuote(dest.Url()));
  INFO(import_check.output);
  CHECK(import_check.exit_code == 4);
  CHECK(Has(import_check, "domain public.year"));
  CHECK(EngineSchema(dest) == before);

  // Once they are dropped, check passes and the run clones.
  dest.Exec("DROP VIEW film_titles; DROP FUNCTION twice(integer); DROP DOMAIN year");
  CheckPassesAndRunClones(source, dest);
  CHECK(dest.QueryValue("SELECT twice(released) FROM film WHERE id = 1") == "3958");
}

TEST_CASE(
    "check names the views, routines, triggers and events a MariaDB clone would find at the "
    "destination already",
    "[clone][check][mariadb]") {
  TestDatabase source(Db::kMariaDB, "clone_exm_src");
  TestDatabase dest(Db::kMariaDB, "clone_exm_dst");
  source.Exec(
      "CREATE TABLE film (id int PRIMARY KEY, title varchar(40), hits int DEFAULT 0);\n"
      "INSERT INTO film VALUES (1, 'Alien', 0), (2, 'Heat', 0);\n"
      "CREATE VIEW film_titles AS SELECT title FROM film;\n"
      "CREATE FUNCTION twice(a int) RETURNS int DETERMINISTIC RETURN a * 2;\n"
      "CREATE TRIGGER film_hit BEFORE UPDATE ON film FOR EACH ROW SET NEW.hits = OLD.hits + 1;\n"
      "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM film WHERE id < 0");
  dest.Exec(
      "CREATE TABLE other (id int PRIMARY KEY);\n"
      "CREATE VIEW film_titles AS SELECT 'x' AS title;\n"
      "CREATE FUNCTION twice(a int) RETURNS int DETERMINISTIC RETURN a + a;\n"
      "CREATE TRIGGER film_hit BEFORE UPDATE ON other FOR EACH ROW SET NEW.id = OLD.id;\n"
      "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM other WHERE id < 0");
  const std::string db = dest.name();

  FerryResult check = Ferry("check", source.Url(), dest.Url());
  INFO(check.output);
  CHECK(check.exit_code == 4);
  CHECK(Has(check, "view " + db + ".film_titles"));
  CHECK(Has(check, "function " + db + ".twice"));
  CHECK(Has(check, "trigger " + db + ".film_hit"));
  CHECK(Has(check, "event " + db + ".nightly"));

  for (const char* drop : {"DROP VIEW film_titles", "DROP FUNCTION twice", "DROP TRIGGER film_hit",
                           "DROP EVENT nightly"}) {
    dest.Exec(drop);
  }
  CheckPassesAndRunClones(source, dest);
  CHECK(dest.QueryValue("SELECT twice(2)") == "4");
}
