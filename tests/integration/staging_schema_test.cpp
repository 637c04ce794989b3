// The offline path carries the whole schema: a database exported into a staging directory and
// imported into another database of its engine is a clone, as a direct copy would make it (the
// engines' own dump tools see the same schema at both ends, every sequence and counter gives the
// same next value); an import of part of the directory falls back to ferry's own DDL and says
// why; a second source is refused before it writes into another source's directory; a directory
// of manifest version 3 (no schema kept) still imports; an import killed after its clone's
// objects before the data resumes.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/engine_schema.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/same_tables.hpp"
#include "tests/support/staged_manifest.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest,
                  const std::string& more = "") {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest) +
                  (more.empty() ? "" : " " + more));
}

// Exports `source` whole into `dir`, then imports the directory into `dest`.
void ThroughFiles(TestDatabase& source, const std::string& dir, TestDatabase& dest,
                  const std::string& import_options = "") {
  FerryResult exported = Ferry("run --include '*'", source.Url(), dir);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult imported = Ferry("run " + import_options, dir, dest.Url());
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK(Has(imported, "schema: cloned from the source with"));
}

std::vector<std::string> PgRows(TestDatabase& db, const std::string& table) {
  return RowLines(db, "SELECT t::text FROM ONLY " + table + " t ORDER BY 1");
}

void CheckPgSequencesSame(TestDatabase& source, TestDatabase& dest) {
  for (const char* sequence :
       {"film_film_id_seq", "language_language_id_seq", "film_audit_audit_id_seq",
        "payment_payment_id_seq", "ticket_number_seq"}) {
    INFO(sequence);
    const std::string state =
        fmt::format("SELECT last_value || ' ' || is_called FROM {}", sequence);
    CHECK(source.QueryValue(state) == dest.QueryValue(state));
  }
}

}  // namespace

TEST_CASE(
    "a PostgreSQL database exported to a staging directory and imported into another is a "
    "clone: pg_dump sees the same schema, and sequences the same next values",
    "[staging][clone][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stsch_src");
  TestDatabase dest(Db::kPostgres, "stsch_dst");
  LoadScript(source, Fixture("clone_postgres.sql"));
  const std::string dir = "dir:" + temp.path() + "/stage";
  ThroughFiles(source, dir, dest);

  const std::string before = EngineSchema(source);
  CHECK(before.find("CREATE DOMAIN public.year") != std::string::npos);
  CHECK(before.find("CREATE MATERIALIZED VIEW public.rating_count") != std::string::npos);
  CHECK(before == EngineSchema(dest));
  for (const char* table : {"language", "film", "film_audit", "payment_p2022_01",
                            "payment_p2022_02", "capital", "screening", "rating_count"}) {
    INFO(table);
    CHECK(PgRows(source, table) == PgRows(dest, table));
  }
  CheckPgSequencesSame(source, dest);
  CHECK(source.QueryValue("SELECT nextval('ticket_number_seq')") ==
        dest.QueryValue("SELECT nextval('ticket_number_seq')"));
  // No trigger fired during the load; the audit trigger fires now, and the identity continues
  // where the source's stands.
  CHECK(dest.QueryValue("SELECT count(*) FROM film_audit") == "40");
  dest.Exec("INSERT INTO film (title, language_id, fulltext) VALUES ('New', 1, '')");
  CHECK(dest.QueryValue("SELECT count(*) FROM film_audit") == "41");
  CHECK(dest.QueryValue("SELECT max(film_id) FROM film") == "41");
  CHECK_THROWS(dest.Exec("UPDATE film SET release_year = 1800 WHERE film_id = 1"));
}

TEST_CASE(
    "a MariaDB database exported to a staging directory and imported into another is a clone: "
    "mariadb-dump sees the same schema, and counters the same next values",
    "[staging][clone][mariadb]") {
  TempDir temp;
  TestDatabase source(Db::kMariaDB, "stsch_src");
  TestDatabase dest(Db::kMariaDB, "stsch_dst");
  LoadScript(source, Fixture("clone_mariadb.sql"));
  ThroughFiles(source, "dir:" + temp.path() + "/stage", dest);

  const std::string before = EngineSchema(source);
  CHECK(before.find("TRIGGER film_audit_trigger AFTER INSERT") != std::string::npos);
  CHECK(before == EngineSchema(dest));
  CheckTablesSame(source, dest, {"language", "film", "film_audit"});
  auto counter = [](TestDatabase& db) {
    return db.QueryValue(
        "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 'film'");
  };
  CHECK(counter(dest) == counter(source));
  CHECK(source.QueryValue("SELECT nextval(ticket_number_seq)") ==
        dest.QueryValue("SELECT nextval(ticket_number_seq)"));
  CHECK(dest.QueryValue("SELECT film_count(1)") == source.QueryValue("SELECT film_count(1)"));
  CHECK(dest.QueryValue("SELECT count(*) FROM film_audit") == "40");
  dest.Exec("INSERT INTO film (title, language_id) VALUES ('New', 1)");
  CHECK(dest.QueryValue("SELECT count(*) FROM film_audit") == "41");
}

TEST_CASE(
    "a SQLite database exported to a staging directory and imported into another is a clone: "
    "sqlite_schema reads the same",
    "[staging][clone][sqlite]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "stsch_src");
  TestDatabase dest(Db::kSQLite, "stsch_dst");
  LoadScript(source, Fixture("clone_sqlite.sql"));
  ThroughFiles(source, "dir:" + temp.path() + "/stage", dest);
  CHECK(EngineSchema(source) == EngineSchema(dest));
  CheckTablesSame(source, dest, {"language", "film", "film_audit"});
  CHECK(dest.QueryValue("SELECT seq FROM sqlite_sequence WHERE name = 'film'") ==
        source.QueryValue("SELECT seq FROM sqlite_sequence WHERE name = 'film'"));
  dest.Exec("INSERT INTO film (title, language_id) VALUES ('New', 1)");
  CHECK(dest.QueryValue("SELECT count(*) FROM film_audit") == "41");
}

TEST_CASE(
    "an import of part of a staging directory makes its tables with ferry's own DDL and says "
    "why it does not clone",
    "[staging][clone][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stsch_part_src");
  TestDatabase dest(Db::kPostgres, "stsch_part_dst");
  LoadScript(source, Fixture("clone_postgres.sql"));
  const std::string dir = "dir:" + temp.path() + "/stage";
  REQUIRE(Ferry("run -q --include '*'", source.Url(), dir).exit_code == 0);
  FerryResult check = Ferry("check --include language --include film", dir, dest.Url());
  INFO(check.output);
  CHECK(Has(check, "the import leaves out table"));
  FerryResult imported = Ferry("run --include language --include film", dir, dest.Url());
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK(Has(imported, "the import leaves out table"));
  CHECK(!Has(imported, "schema: cloned"));
  CHECK(PgRows(source, "film") == PgRows(dest, "film"));
  // The type its column needs came with it; the view of a table left out did not.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_type WHERE typname = 'year'") == "1");
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_views WHERE viewname = 'payment_total'") == "0");
  // The standalone sequence is carried as a direct copy without a clone carries it.
  CHECK(source.QueryValue("SELECT nextval('ticket_number_seq')") ==
        dest.QueryValue("SELECT nextval('ticket_number_seq')"));
}

TEST_CASE(
    "an import whose clone meets a sequence already at the destination is refused before it "
    "writes, and check says so first",
    "[staging][clone][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stsch_seq_src");
  TestDatabase dest(Db::kPostgres, "stsch_seq_dst");
  LoadScript(source, Fixture("clone_postgres.sql"));
  const std::string dir = "dir:" + temp.path() + "/stage";
  REQUIRE(Ferry("run -q --include '*'", source.Url(), dir).exit_code == 0);
  dest.Exec("CREATE SEQUENCE ticket_number_seq");
  FerryResult check = Ferry("check", dir, dest.Url());
  INFO(check.output);
  CHECK(check.exit_code != 0);
  CHECK(Has(check, "destination sequence public.ticket_number_seq exists"));
  FerryResult run = Ferry("run", dir, dest.Url());
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(Has(run, "destination sequence public.ticket_number_seq exists"));
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
}

TEST_CASE(
    "an import killed after its clone made the objects before the data resumes without "
    "failing on them, and ends a clone",
    "[staging][clone][faults][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stsch_kill_src");
  TestDatabase dest(Db::kPostgres, "stsch_kill_dst");
  LoadScript(source, Fixture("clone_postgres.sql"));
  const std::string dir = "dir:" + temp.path() + "/stage";
  REQUIRE(Ferry("run -q --include '*'", source.Url(), dir).exit_code == 0);
  setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
  FerryResult crashed = Ferry("run -q --writers 1", dir, dest.Url());
  unsetenv("FERRY_TEST_CRASH");
  INFO(crashed.output);
  REQUIRE(crashed.exit_code == 86);
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_type WHERE typname = 'year'") == "1");
  FerryResult resumed = Ferry("run --resume --writers 1", dir, dest.Url());
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(EngineSchema(source) == EngineSchema(dest));
  CHECK(PgRows(source, "film") == PgRows(dest, "film"));
  CheckPgSequencesSame(source, dest);
}

TEST_CASE(
    "a second export into a staging directory from another database is refused before it "
    "writes, naming both sources, and check says so first",
    "[staging][mistakes]") {
  TempDir temp;
  TestDatabase first(Db::kSQLite, "stsch_first");
  TestDatabase second(Db::kSQLite, "stsch_second");
  for (TestDatabase* db : {&first, &second}) {
    db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t VALUES (1, 'a')");
  }
  second.Exec("CREATE TABLE other (id INTEGER PRIMARY KEY)");
  const std::string folder = temp.path() + "/stage";
  const std::string dir = "dir:" + folder;
  REQUIRE(Ferry("run -q", first.Url(), dir).exit_code == 0);
  const std::string manifest = ReadWhole(folder + "/manifest.json");

  FerryResult check = Ferry("check", second.Url(), dir);
  INFO(check.output);
  CHECK(check.exit_code != 0);
  CHECK(Has(check, "a second export would mix two sources"));
  FerryResult run = Ferry("run", second.Url(), dir);
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK(Has(run, first.name()));
  CHECK(Has(run, second.name()));
  CHECK(!Has(run, TestPassword()));
  CHECK(ReadWhole(folder + "/manifest.json") == manifest);
  // The same source again is not another source.
  FerryResult again = Ferry("check", first.Url(), dir);
  INFO(again.output);
  CHECK(!Has(again, "a second export would mix two sources"));
}

TEST_CASE("a staging directory of manifest version 3, which keeps no schema, still imports",
          "[staging][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stsch_v3_src");
  TestDatabase dest(Db::kPostgres, "stsch_v3_dst");
  LoadScript(source, Fixture("clone_postgres.sql"));
  const std::string folder = temp.path() + "/stage";
  REQUIRE(Ferry("run -q --include '*'", source.Url(), "dir:" + folder).exit_code == 0);
  // What a ferry of manifest version 3 wrote: no source identity, schema, sequences or large
  // objects.
  nlohmann::json m = nlohmann::json::parse(ReadWhole(folder + "/manifest.json"));
  REQUIRE(m.at("version") == 6);
  CHECK(!m.at("schema").is_null());
  CHECK(!m.at("sequences").empty());
  for (const char* member :
       {"checksum", "source_identity", "schema", "sequences", "large_objects"}) {
    m.erase(member);
  }
  m["version"] = 3;
  std::ofstream(folder + "/body.json") << m.dump();
  const std::string sum = Capture("sha256sum " + ShellQuote(folder + "/body.json"));
  std::filesystem::remove(folder + "/body.json");
  m["checksum"] = sum.substr(0, 64);
  std::ofstream(folder + "/manifest.json", std::ios::trunc) << m.dump(1) << "\n";

  FerryResult imported = Ferry("run", "dir:" + folder, dest.Url());
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK(!Has(imported, "schema: cloned"));
  CHECK(PgRows(source, "film") == PgRows(dest, "film"));
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_views WHERE viewname = 'film_list'") == "0");
}
