// Public schemas of real applications nobody on this project wrote, each filled with a few
// hundred rows of its own kind of data (tests/fixtures): MediaWiki's PostgreSQL and SQLite
// tables (mediawiki_postgres.sql, mediawiki_sqlite.sql), a slice of GitLab's structure.sql
// (gitlab_postgres.sql) and a Magento 2 store (magento_mariadb.sql). Same engine: check passes,
// the run succeeds, verify finds every table identical, the engine's own tool prints the same
// schema at both ends (pg_dump --schema-only, mariadb-dump --no-data, sqlite_schema) and every row
// is the same as the engine's own client prints it. Across engines: a check that passes means a
// run and a verify that succeed (what check blocks is left out and the rest held to that), and
// what the copy cannot carry is named by check.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
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

std::string Port(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return value ? value : fallback;
}

std::string MariaDbClient(const std::string& tool) {
  return "MYSQL_PWD=" + ShellQuote(TestPassword()) + " " + tool + " -h 127.0.0.1 -P " +
         Port("FERRY_TEST_MARIADB_PORT", "33069") + " -u ferry";
}

std::string SqliteFile(const TestDatabase& db) {
  return db.Url().substr(7);
}

// The schema as the engine's own tool prints it, without comments, AUTO_INCREMENT values,
// pg_dump's \restrict lines and ferry's own run state.
std::string EngineSchema(TestDatabase& db) {
  std::string text;
  switch (db.db()) {
    case Db::kPostgres:
      text =
          Capture("PGPASSWORD=" + ShellQuote(TestPassword()) +
                  " pg_dump --schema-only -h 127.0.0.1 -p " + Port("FERRY_TEST_PG_PORT", "54329") +
                  " -U ferry -T 'ferry_*' -N ferry_state " + db.name());
      break;
    case Db::kMariaDB: {
      std::string ignored;
      for (const char* t : {"runs", "tables", "units", "workers", "leases", "held_keys"}) {
        ignored += " --ignore-table=" + db.name() + ".ferry_" + t;
      }
      text = Capture(MariaDbClient("mariadb-dump") +
                     " --no-data --routines --triggers --events --skip-dump-date" + ignored + " " +
                     db.name());
      text = std::regex_replace(text, std::regex(" AUTO_INCREMENT=[0-9]+"), "");
      break;
    }
    case Db::kSQLite:
      for (const Row& r : db.Query("SELECT type, name, sql FROM sqlite_schema WHERE tbl_name NOT "
                                   "LIKE 'ferry\\_%' ESCAPE '\\' ORDER BY type, name")) {
        text += r[0].value_or("") + " " + r[1].value_or("") + "\n" + r[2].value_or("NULL") + "\n";
      }
      break;
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

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) rows.push_back(line);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Every row of every table as the engine's own client prints it (PostgreSQL: each table's own
// rows in every schema, and every sequence's state; SQLite: quote mode, which shows each value's
// storage class), sorted within each table.
std::vector<std::string> EngineRows(TestDatabase& db) {
  std::vector<std::string> out;
  if (db.db() == Db::kPostgres) {
    for (const Row& t : db.Query(
             "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON "
             "n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', "
             "'information_schema', 'ferry_state') AND n.nspname NOT LIKE 'pg\\_%' AND c.relname "
             "NOT LIKE 'ferry\\_%' ORDER BY 1")) {
      out.push_back("table " + *t[0]);
      for (const Row& r : db.Query("SELECT t::text FROM ONLY " + *t[0] + " t ORDER BY 1")) {
        out.push_back(r[0].value_or("NULL"));
      }
    }
    for (const Row& s : db.Query("SELECT schemaname || '.' || sequencename || ' ' || "
                                 "coalesce(last_value::text, '-') FROM pg_sequences WHERE "
                                 "schemaname <> 'ferry_state' ORDER BY 1")) {
      out.push_back("sequence " + *s[0]);
    }
    return out;
  }
  for (const std::string& table : ListTables(db)) {
    out.push_back("table " + table);
    std::string text;
    if (db.db() == Db::kMariaDB) {
      text = Capture(MariaDbClient("mariadb") + " --batch --skip-column-names " + db.name() +
                     " -e " + ShellQuote("SELECT * FROM `" + table + "`"));
    } else {
      text = Capture("sqlite3 -cmd '.mode quote' " + ShellQuote(SqliteFile(db)) + " " +
                     ShellQuote("SELECT * FROM \"" + table + "\""));
    }
    const std::vector<std::string> rows = SortedLines(text);
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

// check passes, run and verify succeed; the schema and every row are the same at both ends
// (unless `rows` is false).
void CopyIdentically(TestDatabase& source, TestDatabase& dest, const std::string& scope = "",
                     bool rows = true) {
  FerryResult check = RunFerry("check" + Ends(source, dest) + scope);
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest) + scope);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(source, dest) + scope);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  CHECK(EngineSchema(source) == EngineSchema(dest));
  if (rows) CHECK(EngineRows(source) == EngineRows(dest));
}

// The findings of check --json, each as "severity kind table.column: message".
std::vector<std::string> Findings(const json& report) {
  std::vector<std::string> out;
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
                       [&](const std::string& p) { return Has(line, p); });
  });
}

struct Crossing {
  std::vector<std::string> findings;  // the first check's
  std::vector<std::string> blocked;   // the tables it blocked, left out of the copy
};

// check (leaving out the tables it blocks, once), then run and verify, which must succeed.
Crossing CheckRunVerify(TestDatabase& source, TestDatabase& dest, const std::string& scope) {
  Crossing out;
  FerryResult first = RunFerry("check" + Ends(source, dest) + scope + " --json");
  INFO("check: " << first.output);
  REQUIRE((first.exit_code == 0 || first.exit_code == 4));
  const json report = json::parse(first.output);
  out.findings = Findings(report);
  std::string exclude;
  for (const json& f : report["findings"]) {
    if (f["severity"] != "blocker") continue;
    const std::string table = f["table"].get<std::string>();
    REQUIRE(!table.empty());  // a blocker of the whole copy would leave nothing to hold to it
    if (std::find(out.blocked.begin(), out.blocked.end(), table) != out.blocked.end()) continue;
    out.blocked.push_back(table);
    exclude += " --exclude " + ShellQuote(table);
  }
  if (!exclude.empty()) {
    FerryResult again = RunFerry("check" + Ends(source, dest) + scope + exclude);
    INFO("check" << exclude << ": " << again.output);
    REQUIRE(again.exit_code == 0);
  }
  FerryResult run = RunFerry("run" + Ends(source, dest) + scope + exclude);
  INFO("run" << exclude << ": " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(source, dest) + scope + exclude);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  return out;
}

}  // namespace

TEST_CASE(
    "MediaWiki's PostgreSQL tables clone schema-identical: a table named user, 'infinity' "
    "expiries, TEXT keys, a partial unique index over a float, an upper-case enum name",
    "[public][postgresql]") {
  TestDatabase source(Db::kPostgres, "mwpg_src");
  TestDatabase dest(Db::kPostgres, "mwpg_dst");
  LoadScript(source, Fixture("mediawiki_postgres.sql"));
  CopyIdentically(source, dest);
  CHECK(dest.QueryValue("SELECT count(*) FROM user_groups WHERE ug_expiry = 'infinity'") ==
        source.QueryValue("SELECT count(*) FROM user_groups WHERE ug_expiry = 'infinity'"));
  CHECK(dest.QueryValue("INSERT INTO category (cat_title) VALUES ('New') RETURNING cat_id") ==
        "401");
}

TEST_CASE(
    "MediaWiki's SQLite tables copy into SQLite schema-identical, BLOB keys holding text and "
    "blobs alike, each value in its storage class",
    "[public][sqlite]") {
  TestDatabase source(Db::kSQLite, "mwsq_src");
  TestDatabase dest(Db::kSQLite, "mwsq_dst");
  LoadScript(source, Fixture("mediawiki_sqlite.sql"));
  // Every row but those of the tables keyed by BLOB columns holding text (the next test).
  CopyIdentically(source, dest, "", false);
  for (const char* table : {"text", "page", "user", "revision", "comment", "actor", "querycache",
                            "user_newtalk", "watchlist", "site_stats", "slots"}) {
    const std::string all = std::string("SELECT * FROM \"") + table + "\"";
    INFO(table);
    CHECK(SortedLines(Capture("sqlite3 -cmd '.mode quote' " + ShellQuote(SqliteFile(source)) + " " +
                              ShellQuote(all))) ==
          SortedLines(Capture("sqlite3 -cmd '.mode quote' " + ShellQuote(SqliteFile(dest)) + " " +
                              ShellQuote(all))));
  }
  CHECK(dest.QueryValue("SELECT group_concat(class) FROM (SELECT DISTINCT typeof(old_text) AS "
                        "class FROM text ORDER BY 1)") == "blob,text");
}

// Key columns carry each value's storage class too: a text value in a BLOB key column
// (MediaWiki's objectcache.keyname, categorylinks.cl_to) arriving as a blob would no longer be
// found by a query comparing it with text. And verify tells the classes apart: a copy whose text
// key became a blob of the same bytes is not identical.
TEST_CASE("text in a SQLite BLOB key column stays text in a SQLite copy", "[public][sqlite]") {
  TestDatabase source(Db::kSQLite, "mwkey_src");
  TestDatabase dest(Db::kSQLite, "mwkey_dst");
  LoadScript(source, Fixture("mediawiki_sqlite.sql"));
  const std::string scope = Ends(source, dest) + " --include objectcache";
  FerryResult run = RunFerry("run" + scope);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const std::string classes =
      "SELECT typeof(keyname), count(*) FROM objectcache GROUP BY 1 ORDER BY 1";
  CHECK(RowLines(dest, classes) == RowLines(source, classes));
  const std::string texts = "SELECT count(*) FROM objectcache WHERE typeof(keyname) = 'text'";
  REQUIRE(source.QueryValue(texts) != "0");
  FerryResult same = RunFerry("verify" + scope);
  INFO(same.output);
  CHECK(same.exit_code == 0);
  dest.Exec(
      "UPDATE objectcache SET keyname = CAST(keyname AS BLOB) WHERE typeof(keyname) = 'text'");
  REQUIRE(dest.QueryValue(texts) == "0");
  FerryResult differs = RunFerry("verify" + scope);
  INFO(differs.output);
  CHECK(differs.exit_code == 1);
}

TEST_CASE(
    "a slice of GitLab's schema clones schema-identical: LIST, RANGE and HASH partitions in "
    "other schemas, two-column foreign keys between partitioned tables, a NOT VALID check the "
    "rows break, an id-assigning trigger that must not fire",
    "[public][postgresql]") {
  TestDatabase source(Db::kPostgres, "gitlab_src");
  TestDatabase dest(Db::kPostgres, "gitlab_dst");
  LoadScript(source, Fixture("gitlab_postgres.sql"));
  CopyIdentically(source, dest, " --include '*.*'");
  // The builds keep their ids: assign_p_ci_builds_id_trigger did not draw new ones.
  CHECK(dest.QueryValue("SELECT min(id) FROM p_ci_builds") == "9000000003");
  // The two-column keys between partitioned tables are the tables' own, not one per partition.
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --include '*.*'");
  INFO(check.output);
  CHECK_FALSE(Has(check.output, "p_ci_builds_partition_id_commit_id_fkey"));
  CHECK(dest.QueryValue("SELECT count(*) FROM projects WHERE organization_id IS NULL") == "2");
}

TEST_CASE(
    "a Magento store copies into MariaDB schema-identical: rows keyed 0, 64-character index "
    "and foreign key names, a self-reference, TIMESTAMP at 2038-01-19 03:14:07",
    "[public][mariadb]") {
  TestDatabase source(Db::kMariaDB, "magento_src");
  TestDatabase dest(Db::kMariaDB, "magento_dst");
  LoadScript(source, Fixture("magento_mariadb.sql"));
  CopyIdentically(source, dest);
  CHECK(dest.QueryValue("SELECT name FROM store WHERE store_id = 0") == "Admin");
}

namespace {

struct Public {
  Db engine;
  const char* fixture;
  std::vector<std::string> not_carried;  // named by check into every other engine
};

const Public kMediaWikiPostgres{Db::kPostgres, "mediawiki_postgres.sql", {}};
const Public kMediaWikiSqlite{Db::kSQLite, "mediawiki_sqlite.sql", {}};
const Public kGitLab{
    Db::kPostgres,
    "gitlab_postgres.sql",
    {"find_namespaces_by_id", "assign_p_ci_builds_id_trigger", "index_labels_on_title_trigram"}};
const Public kMagento{Db::kMariaDB,
                      "magento_mariadb.sql",
                      {"CMS_PAGE_TITLE_META_KEYWORDS_META_DESCRIPTION_IDENTIFIER_CONTENT"}};

// `after` looks at the destination once the copy is verified.
void Cross(const Public& p, Db to, const std::function<void(TestDatabase&)>& after = {}) {
  TestDatabase source(p.engine, "pub_src");
  TestDatabase dest(to, "pub_dst");
  LoadScript(source, Fixture(p.fixture));
  const Crossing c = CheckRunVerify(source, dest, "");
  std::string blocked;
  for (const std::string& t : c.blocked) blocked += t + " ";
  INFO("blocked: " << blocked);
  for (const std::string& name : p.not_carried) {
    INFO(name);
    CHECK(AnyHas(c.findings, {"not carried", name}));
  }
  if (after) after(dest);
}

// MediaWiki inserts a querycache row naming only its type: qc_title is BLOB NOT NULL DEFAULT ''.
void InsertsWithDefaults(TestDatabase& dest) {
  dest.Exec("INSERT INTO querycache (qc_type) VALUES ('Deadendpages')");
  CHECK(dest.QueryValue("SELECT count(*) FROM querycache WHERE qc_type = 'Deadendpages' AND "
                        "qc_value = 0 AND qc_namespace = 0") == "1");
}

}  // namespace

TEST_CASE("MediaWiki's PostgreSQL tables cross into MariaDB as check says",
          "[public][postgresql][mariadb]") {
  Cross(kMediaWikiPostgres, Db::kMariaDB);
}

TEST_CASE("MediaWiki's PostgreSQL tables cross into SQLite as check says",
          "[public][postgresql][sqlite]") {
  Cross(kMediaWikiPostgres, Db::kSQLite);
}

TEST_CASE(
    "MediaWiki's SQLite tables cross into PostgreSQL as check says, their BLOB columns' empty "
    "defaults kept",
    "[public][sqlite][postgresql]") {
  Cross(kMediaWikiSqlite, Db::kPostgres, InsertsWithDefaults);
}

TEST_CASE(
    "MediaWiki's SQLite tables cross into MariaDB as check says, their BLOB columns' empty "
    "defaults kept",
    "[public][sqlite][mariadb]") {
  Cross(kMediaWikiSqlite, Db::kMariaDB, InsertsWithDefaults);
}

TEST_CASE(
    "a slice of GitLab's schema crosses into MariaDB as check says, its two-column keys between "
    "partitioned tables created",
    "[public][postgresql][mariadb]") {
  Cross(kGitLab, Db::kMariaDB);
}

TEST_CASE("a slice of GitLab's schema crosses into SQLite as check says",
          "[public][postgresql][sqlite]") {
  Cross(kGitLab, Db::kSQLite);
}

TEST_CASE("a Magento store crosses into PostgreSQL as check says",
          "[public][mariadb][postgresql]") {
  Cross(kMagento, Db::kPostgres);
}

TEST_CASE("a Magento store crosses into SQLite as check says", "[public][mariadb][sqlite]") {
  Cross(kMagento, Db::kSQLite);
}
