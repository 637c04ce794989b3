// The sample databases a DBA tries first, whole, as their authors ship them: MySQL's Sakila
// (tests/fixtures/sakila_mariadb.sql), its PostgreSQL port Pagila (pagila_postgres.sql) and a
// Nextcloud server's MariaDB database (nextcloud_mariadb.sql). Same engine: check passes, the
// run succeeds, verify finds every table identical, the engine's own dump tool prints the same
// schema at both ends, every row is the same as the engine's own client prints it and no
// trigger fired during the load. Across engines and through a staging directory: a check that
// passes means a run and a verify that succeed, and every object the copy cannot carry (views,
// routines, triggers, spatial and full-text indexes) is named by check before anything is
// written. (check_predicts_run_test runs the same fixtures on every pair directly.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/canonical.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

std::string Fixture(const std::string& name) {
  return SourceDir() + "/tests/fixtures/" + name;
}

std::string Ends(const std::string& from, const std::string& to) {
  return " --source " + ShellQuote(from) + " --dest " + ShellQuote(to);
}

std::string Capture(const std::string& command) {
  std::string out;
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  REQUIRE(pclose(pipe) == 0);
  return out;
}

std::string Port(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return value ? value : fallback;
}

std::string MariaDbClient(const std::string& tool) {
  return "MYSQL_PWD=" + ShellQuote(TestPassword()) + " " + tool + " -h 127.0.0.1 -P " +
         Port("FERRY_TEST_MARIADB_PORT", "33069") + " -u ferry";
}

// The schema as the engine's own dump tool prints it, without the dump's comments, pg_dump's
// random \restrict key, MariaDB's AUTO_INCREMENT values (compared on their own) and ferry's own
// run state.
std::string EngineSchema(TestDatabase& db) {
  std::string text;
  if (db.db() == Db::kPostgres) {
    text = Capture("PGPASSWORD=" + ShellQuote(TestPassword()) +
                   " pg_dump --schema-only -h 127.0.0.1 -p " + Port("FERRY_TEST_PG_PORT", "54329") +
                   " -U ferry -T 'ferry_*' -N ferry_state " + db.name());
  } else {
    std::string ignored;
    for (const char* t : {"runs", "tables", "units", "workers", "leases", "held_keys"}) {
      ignored += " --ignore-table=" + db.name() + ".ferry_" + t;
    }
    text = Capture(MariaDbClient("mariadb-dump") +
                   " --no-data --routines --triggers --events --skip-dump-date" + ignored + " " +
                   db.name());
    text = std::regex_replace(text, std::regex(" AUTO_INCREMENT=[0-9]+"), "");
  }
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
    if (line.rfind("--", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

// Every row of every user table as the engine's own client prints it (ONLY a table's own rows
// in PostgreSQL, so a partitioned table's rows are counted once, in their partitions), sorted.
std::vector<std::string> ClientRows(TestDatabase& db) {
  std::vector<std::string> out;
  if (db.db() == Db::kPostgres) {
    for (const Row& t : db.Query("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind "
                                 "= 'r' AND n.nspname = 'public' AND c.relname NOT LIKE "
                                 "'ferry\\_%' ORDER BY 1")) {
      out.push_back("table " + *t[0]);
      for (const Row& r : db.Query("SELECT t::text FROM ONLY " + *t[0] + " t ORDER BY 1")) {
        out.push_back(r[0].value_or("NULL"));
      }
    }
    return out;
  }
  for (const std::string& table : ListTables(db)) {
    out.push_back("table " + table);
    std::istringstream in(Capture(MariaDbClient("mariadb") + " --batch --skip-column-names " +
                                  db.name() + " -e " +
                                  ShellQuote("SELECT * FROM `" + table + "`")));
    std::vector<std::string> rows;
    for (std::string line; std::getline(in, line);) rows.push_back(line);
    std::sort(rows.begin(), rows.end());
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

// check passes, run and verify succeed; the schema and every row are the same at both ends.
void CopyIdentically(TestDatabase& source, TestDatabase& dest) {
  const std::string ends = Ends(source.Url(), dest.Url());
  FerryResult check = RunFerry("check" + ends + " --scan");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + ends);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + ends);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  CHECK(LinesDifference(EngineSchema(source), EngineSchema(dest)) == "");
  CHECK(LinesDifference(ClientRows(source), ClientRows(dest)) == "");
}

// The findings of check --json, each as "severity kind table.column: message".
std::vector<std::string> Findings(const std::string& check_json) {
  std::vector<std::string> out;
  const json report = json::parse(check_json);
  for (const json& f : report["findings"]) {
    out.push_back(f["severity"].get<std::string>() + " " + f["kind"].get<std::string>() + " " +
                  f["table"].get<std::string>() + "." + f["column"].get<std::string>() + ": " +
                  f["message"].get<std::string>());
  }
  return out;
}

bool AnyHas(const std::vector<std::string>& lines, const std::vector<std::string>& parts) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](const std::string& p) { return line.find(p) != std::string::npos; });
  });
}

}  // namespace

TEST_CASE(
    "MySQL's Sakila copies into MariaDB schema-identical: views, routines, triggers, a spatial "
    "and a full-text index, repeated index names, a foreign key cycle, and no trigger fires",
    "[samples][mariadb]") {
  TestDatabase source(Db::kMariaDB, "sakila_src");
  TestDatabase dest(Db::kMariaDB, "sakila_dst");
  LoadScript(source, Fixture("sakila_mariadb.sql"));
  CopyIdentically(source, dest);
  // film_text holds what the source's ins_film trigger wrote, once; the BEFORE INSERT triggers
  // did not stamp the copied rows with the time of the copy.
  CHECK(dest.QueryValue("SELECT count(*) FROM film_text") == "7");
  CHECK(dest.QueryValue("SELECT group_concat(create_date ORDER BY customer_id) FROM customer") ==
        source.QueryValue("SELECT group_concat(create_date ORDER BY customer_id) FROM customer"));
  CHECK(dest.QueryValue("SELECT ST_AsText(location) FROM address WHERE address_id = 5") ==
        "POINT(129.7227851 33.1591726)");
  CHECK(dest.QueryValue("SELECT count(*) FROM film_text WHERE MATCH (title, description) "
                        "AGAINST ('Lumberjack')") == "2");
  // The routines work at the destination, and the counters go on where the source's stand.
  CHECK(dest.QueryValue("SELECT inventory_in_stock(2)") == "0");
  CHECK(dest.QueryValue("SELECT get_customer_balance(599, '2006-02-15')") ==
        source.QueryValue("SELECT get_customer_balance(599, '2006-02-15')"));
  dest.Exec("INSERT INTO actor (first_name, last_name) VALUES ('NEW', 'ACTOR')");
  CHECK(dest.QueryValue("SELECT max(actor_id) FROM actor") == "149");
}

TEST_CASE(
    "Pagila copies into PostgreSQL schema-identical: partitions by month, the never refreshed "
    "materialized view, domains, the enum, sequences at the source's values",
    "[samples][postgresql]") {
  TestDatabase source(Db::kPostgres, "pagila_src");
  TestDatabase dest(Db::kPostgres, "pagila_dst");
  LoadScript(source, Fixture("pagila_postgres.sql"));
  CopyIdentically(source, dest);
  const std::string partitions =
      "SELECT tableoid::regclass::text || ' ' || count(*) FROM payment GROUP BY tableoid "
      "ORDER BY 1";
  CHECK(LinesDifference(RowLines(source, partitions), RowLines(dest, partitions)) == "");
  // The last microsecond of March (UTC) is March's; midnight of April 1st (UTC), bound written
  // as 01:00+01, is April's.
  CHECK(dest.QueryValue("SELECT count(*) FROM payment_p2022_03") == "1");
  CHECK(dest.QueryValue("SELECT count(*) FROM payment_p2022_04") == "1");
  // As the source has it: created WITH NO DATA, never refreshed.
  CHECK(dest.QueryValue("SELECT relispopulated::text FROM pg_class WHERE relname = "
                        "'rental_by_category'") == "false");
  const std::string sequences =
      "SELECT sequencename || ' ' || last_value FROM pg_sequences WHERE schemaname = 'public' "
      "ORDER BY 1";
  CHECK(LinesDifference(RowLines(source, sequences), RowLines(dest, sequences)) == "");
  CHECK(dest.QueryValue("SELECT fulltext::text FROM film WHERE film_id = 3") ==
        source.QueryValue("SELECT fulltext::text FROM film WHERE film_id = 3"));
  CHECK(dest.QueryValue("INSERT INTO actor (first_name, last_name) VALUES ('NEW', 'ACTOR') "
                        "RETURNING actor_id") == "201");
}

TEST_CASE(
    "Pagila copies into PostgreSQL with ferry's own DDL: its domains and enum are made from the "
    "source's catalog, the partitions are attached, and every row is the same",
    "[samples][postgresql]") {
  TestDatabase source(Db::kPostgres, "pagila_src");
  TestDatabase dest(Db::kPostgres, "pagila_dst");
  LoadScript(source, Fixture("pagila_postgres.sql"));
  const std::string ends = Ends(source.Url(), dest.Url());
  FerryResult check = RunFerry("check" + ends + " --schema-from ferry");
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + ends + " --schema-from ferry");
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + ends);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  CHECK(LinesDifference(ClientRows(source), ClientRows(dest)) == "");
  for (const char* sql :
       {"SELECT t.typname, format_type(t.typbasetype, t.typtypmod), t.typtype FROM pg_type t "
        "WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('d', 'e') AND EXISTS "
        "(SELECT 1 FROM pg_attribute a WHERE a.atttypid = t.oid) ORDER BY 1",
        "SELECT enumtypid::regtype, string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM "
        "pg_enum GROUP BY 1",
        "SELECT t.typname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_type t ON "
        "t.oid = c.contypid ORDER BY 1",
        "SELECT inhrelid::regclass::text, inhparent::regclass::text FROM pg_inherits ORDER BY 1"}) {
    INFO(sql);
    CHECK(LinesDifference(RowLines(source, sql), RowLines(dest, sql)) == "");
  }
}

TEST_CASE(
    "a source table another session holds exclusively stops check and run with the table and "
    "the session named instead of waiting for it",
    "[samples][postgresql]") {
  TestDatabase source(Db::kPostgres, "pagila_src");
  TestDatabase dest(Db::kPostgres, "pagila_dst");
  LoadScript(source, Fixture("pagila_postgres.sql"));
  // A migration's transaction left open: ALTER TABLE holds film ACCESS EXCLUSIVE.
  const std::string hold =
      "PGPASSWORD=" + ShellQuote(TestPassword()) + " psql -h 127.0.0.1 -p " +
      Port("FERRY_TEST_PG_PORT", "54329") + " -U ferry -d " + source.name() + " -c " +
      ShellQuote("BEGIN; ALTER TABLE film ADD COLUMN rating_note text; SELECT pg_sleep(600);") +
      " >/dev/null 2>&1";
  std::thread holder([hold] { (void)std::system(hold.c_str()); });
  const std::string holding =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE "
      "'%pg_sleep(600)%' AND pid <> pg_backend_pid()";
  for (int i = 0; i < 200 && source.QueryValue(holding) == "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Each catalog read gives up after --lock-wait (2 s) instead of the default 30 s.
  for (const char* command : {"check", "run"}) {
    INFO(command);
    FerryResult result = RunFerry(std::string(command) + Ends(source.Url(), dest.Url()) +
                                  " --schema-from ferry -i film --lock-wait 2");
    INFO(result.output);
    CHECK(result.exit_code == 6);
    CHECK(result.output.find("public.film") != std::string::npos);
    CHECK(result.output.find("pg_sleep(600)") == std::string::npos);  // no query text shown
    CHECK(result.output.find("psql") != std::string::npos);           // the holder's application
  }
  source.Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()");
  holder.join();
}

TEST_CASE(
    "a Nextcloud database copies into MariaDB schema-identical: utf8mb4_bin keys that differ "
    "only in case, a key of 0, unsigned maxima, compressed rows",
    "[samples][mariadb]") {
  TestDatabase source(Db::kMariaDB, "nextcloud_src");
  TestDatabase dest(Db::kMariaDB, "nextcloud_dst");
  LoadScript(source, Fixture("nextcloud_mariadb.sql"));
  CopyIdentically(source, dest);
  CHECK(dest.QueryValue("SELECT count(*) FROM oc_files_trash WHERE auto_id = 0") == "1");
  CHECK(dest.QueryValue("SELECT count(*) FROM oc_users WHERE uid = 'admin'") == "1");
  dest.Exec("INSERT INTO oc_filecache (storage, path_hash) VALUES (3, 'x')");
  CHECK(dest.QueryValue("SELECT max(fileid) FROM oc_filecache") == "163");
}

namespace {

struct Sample {
  Db engine;
  const char* fixture;
  // What check must name as not carried into another engine.
  std::vector<std::string> not_carried;
  // Whether every table crosses into every other engine (check blocks none).
  bool whole_across = false;
};

const std::vector<Sample>& Samples() {
  static const std::vector<Sample> samples = {
      {Db::kMariaDB,
       "sakila_mariadb.sql",
       {"customer_list", "actor_info", "rewards_report", "get_customer_balance",
        "inventory_in_stock", "ins_film", "customer_create_date", "idx_title_description",
        "idx_location"},
       true},
      {Db::kPostgres,
       "pagila_postgres.sql",
       {"actor_info", "sales_by_store", "rental_by_category", "rewards_report", "last_day",
        "group_concat", "film_fulltext_trigger", "last_updated on public.actor",
        "film_fulltext_idx"}},
      {Db::kMariaDB, "nextcloud_mariadb.sql", {}},
  };
  return samples;
}

// Sakila's address.location (points without an SRID) elsewhere: bytes holding each point's WKB
// as the MariaDB server writes it (EWKB without an SRID is WKB).
void CheckLocations(TestDatabase& source, TestDatabase& dest) {
  const std::string hex =
      dest.db() == Db::kPostgres ? "upper(encode(location, 'hex'))" : "hex(location)";
  CHECK(dest.Query("SELECT address_id, " + hex + " FROM address ORDER BY address_id") ==
        source.Query("SELECT address_id, HEX(ST_AsBinary(location)) FROM address ORDER BY "
                     "address_id"));
  CHECK(source.QueryValue("SELECT count(*) FROM address WHERE ST_SRID(location) <> 0") == "0");
}

// The tables check blocks, to leave out of the next round (empty when none is named).
std::string ExcludeBlocked(const std::string& check_json) {
  std::string exclude;
  const json report = json::parse(check_json);
  for (const json& f : report["findings"]) {
    if (f["severity"] != "blocker") continue;
    const std::string table = f["table"].get<std::string>();
    REQUIRE(!table.empty());  // a blocker about the whole copy would leave nothing to copy
    exclude += " --exclude " + ShellQuote(table);
  }
  return exclude;
}

// check (leaving out what it blocks, once), then run and verify, which must succeed; returns
// the first check's findings.
std::vector<std::string> CheckRunVerify(const std::string& from, const std::string& to,
                                        const std::string& also_verify_from = "",
                                        bool whole = false) {
  FerryResult first = RunFerry("check" + Ends(from, to) + " --json");
  INFO("check: " << first.output);
  REQUIRE((first.exit_code == 0 || first.exit_code == 4));
  if (whole) REQUIRE(first.exit_code == 0);
  std::string exclude;
  if (first.exit_code == 4) {
    exclude = ExcludeBlocked(first.output);
    FerryResult again = RunFerry("check" + Ends(from, to) + exclude + " --json");
    INFO("check" << exclude << ": " << again.output);
    REQUIRE(again.exit_code == 0);
  }
  FerryResult run = RunFerry("run" + Ends(from, to) + exclude);
  INFO("run" << exclude << ": " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(from, to) + exclude);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  if (!also_verify_from.empty()) {
    FerryResult direct = RunFerry("verify" + Ends(also_verify_from, to) + exclude);
    INFO("verify from the source: " << direct.output);
    CHECK(direct.exit_code == 0);
  }
  return Findings(first.output);
}

}  // namespace

TEST_CASE(
    "Sakila, Pagila and Nextcloud cross engines as check says: what it passes copies and "
    "verifies, and every view, routine, trigger and index of the source's own it names",
    "[samples]") {
  for (const Sample& sample : Samples()) {
    for (Db to : kAllDbs) {
      if (to == sample.engine) continue;
      DYNAMIC_SECTION(sample.fixture << " to " << DbName(to)) {
        TestDatabase source(sample.engine, "sample_src");
        TestDatabase dest(to, "sample_dst");
        LoadScript(source, Fixture(sample.fixture));
        const std::vector<std::string> findings =
            CheckRunVerify(source.Url(), dest.Url(), "", sample.whole_across);
        for (const std::string& name : sample.not_carried) {
          INFO(name);
          CHECK(AnyHas(findings, {"not carried", name}));
        }
        if (sample.whole_across && sample.engine == Db::kMariaDB) CheckLocations(source, dest);
      }
    }
  }
}

TEST_CASE(
    "Sakila, Pagila and Nextcloud go through a staging directory into every engine as check "
    "says, and the import is identical to the source",
    "[samples][staging]") {
  for (const Sample& sample : Samples()) {
    DYNAMIC_SECTION(sample.fixture) {
      TempDir temp;
      TestDatabase source(sample.engine, "stage_sample_src");
      LoadScript(source, Fixture(sample.fixture));
      const std::string dir = "dir:" + temp.path() + "/stage";
      FerryResult exported = RunFerry("run" + Ends(source.Url(), dir));
      INFO("export: " << exported.output);
      REQUIRE(exported.exit_code == 0);
      for (Db to : kAllDbs) {
        DYNAMIC_SECTION("into " << DbName(to)) {
          TestDatabase dest(to, "stage_sample_dst");
          CheckRunVerify(dir, dest.Url(), source.Url(), sample.whole_across);
          if (sample.whole_across && to != Db::kMariaDB) CheckLocations(source, dest);
        }
      }
    }
  }
}
