// ferry check: reports both ends, every schema and table with its estimates, key, strategy and
// time, and the blockers and warnings a DBA must see before a copy, against the real servers;
// exits 0 when nothing blocks and 4 when something does; never prints a password; writes
// nothing.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

FerryResult Check(const std::string& args) {
  FerryResult result = RunFerry("check" + args);
  CHECK(result.output.find(TestPassword()) == std::string::npos);
  return result;
}

// The findings of a JSON report of one severity, as "kind table.column: message" lines.
std::vector<json> Findings(const json& report, const std::string& severity) {
  std::vector<json> out;
  for (const json& f : report["findings"]) {
    if (f["severity"] == severity) out.push_back(f);
  }
  return out;
}

bool HasFinding(const json& report, const std::string& severity, const std::string& kind,
                const std::string& table_part, const std::string& message_part) {
  for (const json& f : Findings(report, severity)) {
    if (f["kind"] == kind && Has(f["table"].get<std::string>(), table_part) &&
        Has(f["message"].get<std::string>(), message_part)) {
      return true;
    }
  }
  return false;
}

// Runs a statement on the server's maintenance database when it goes out of scope: roles and
// users outlive the test databases, so they are dropped after them.
struct ServerCleanup {
  TestDatabase& admin;
  std::vector<std::string> statements;
  ~ServerCleanup() {
    for (const std::string& sql : statements) {
      try {
        admin.Exec(sql);
      } catch (...) {
        // A failed cleanup must not hide the test's result.
      }
    }
  }
};

}  // namespace

TEST_CASE("a clean pair exits 0 and lists every schema, table, key, strategy and estimate",
          "[check]") {
  TestDatabase source(Db::kPostgres, "check_src");
  TestDatabase dest(Db::kMariaDB, "check_dst");
  source.Exec(
      "CREATE TABLE customers (id integer PRIMARY KEY, name varchar(40) NOT NULL);\n"
      "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer NOT NULL, "
      "amount numeric(10,2), placed date);\n"
      "INSERT INTO customers SELECT n, 'customer ' || n FROM generate_series(1, 300) n;\n"
      "INSERT INTO orders SELECT n, 1 + n % 300, n / 100.0, DATE '2024-01-01' + n % 365 "
      "FROM generate_series(1, 5000) n;\n"
      "ANALYZE customers;\n"
      "ANALYZE orders");
  FerryResult r = Check(Ends(source, dest));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "PostgreSQL"));
  CHECK(Has(r.output, "MariaDB"));
  CHECK(Has(r.output, "postgresql → mariadb: supported"));
  CHECK(Has(r.output, "public: 2 tables, ~5,300 rows"));
  CHECK(Has(r.output, "public.orders → " + dest.name() + ".orders (to create)"));
  CHECK(Has(r.output, "~5,000 rows"));
  CHECK(Has(r.output, "key: (id), primary key"));
  CHECK(Has(r.output, "strategy: single, 1 unit: small table"));
  CHECK(Has(r.output, "estimated copy time:"));
  CHECK(Has(r.output, "an estimate"));
  CHECK(Has(r.output, "ok: nothing blocks the copy"));
  CHECK_FALSE(Has(r.output, "blockers ("));
  CHECK(ListTables(dest).empty());  // checking writes nothing
}

TEST_CASE("check --json prints both ends, schemas, tables, findings and a time estimate",
          "[check]") {
  TestDatabase source(Db::kSQLite, "check_src");
  TestDatabase dest(Db::kPostgres, "check_dst");
  source.Exec(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR(20), price NUMERIC(8,2));\n"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000) "
      "INSERT INTO items SELECT n, 'item ' || n, n / 10.0 FROM g");
  FerryResult r = Check(Ends(source, dest) + " --json --partitions 3");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  json report = json::parse(r.output);
  CHECK(report["source"]["product"] == "SQLite");
  CHECK(report["source"]["engine"] == "sqlite");
  CHECK(report["destination"]["product"] == "PostgreSQL");
  CHECK_FALSE(report["destination"]["version"].get<std::string>().empty());
  CHECK(report["pair_supported"] == true);
  CHECK(report["blocked"] == false);
  CHECK(report["blockers"] == 0);
  REQUIRE(report["schemas"].size() == 1);
  CHECK(report["schemas"][0]["name"] == "main");
  CHECK(report["schemas"][0]["tables"] == 1);
  CHECK(report["schemas"][0]["estimated_rows"] == 3000);
  REQUIRE(report["tables"].size() == 1);
  const json& items = report["tables"][0];
  CHECK(items["source"]["name"] == "items");
  CHECK(items["destination"]["schema"] == "public");
  CHECK(items["destination_exists"] == false);
  CHECK(items["estimated_rows"] == 3000);
  CHECK(items["key"] == json::array({"id"}));
  CHECK(items["strategy"] == "key ranges");
  CHECK(items["partitions"] == 3);
  CHECK(items["split_key"] == json::array({"id"}));
  CHECK(items["sampled"] == true);
  CHECK(items["estimated_seconds"].is_number());
  CHECK(report["estimate"]["seconds"].is_number());
  CHECK(report["estimate"]["sample_rows"].get<int64_t>() > 0);
  CHECK(Has(report["estimate"]["note"].get<std::string>(), "estimate"));
  CHECK(report["findings"].is_array());
  CHECK(ListTables(dest).empty());
}

TEST_CASE("an unmappable type blocks and a narrowing type warns, naming table and column",
          "[check]") {
  TestDatabase source(Db::kPostgres, "check_src");
  TestDatabase dest(Db::kMariaDB, "check_dst");
  source.Exec(
      "CREATE TABLE shapes (id integer PRIMARY KEY, area numeric(70,2), ratio double precision, "
      "total numeric);\n"
      "INSERT INTO shapes VALUES (1, 1.5, 0.5, 12.25)");
  FerryResult r = Check(Ends(source, dest) + " --json");
  INFO(r.output);
  CHECK(r.exit_code == 4);
  json report = json::parse(r.output);
  CHECK(report["blocked"] == true);
  bool area = false, ratio = false, total = false;
  for (const json& f : report["findings"]) {
    if (f["table"] != "public.shapes") continue;
    if (f["column"] == "area") area = f["severity"] == "blocker" && f["kind"] == "type";
    if (f["column"] == "ratio") {
      ratio = f["severity"] == "warning" && Has(f["message"].get<std::string>(), "NaN");
    }
    if (f["column"] == "total") {
      total = f["severity"] == "warning" &&
              Has(f["message"].get<std::string>(), "decimal(65,30)") &&
              Has(f["message"].get<std::string>(), "30 after the point");
    }
  }
  CHECK(area);
  CHECK(ratio);
  CHECK(total);

  FerryResult text = Check(Ends(source, dest));
  INFO(text.output);
  CHECK(text.exit_code == 4);
  CHECK(Has(text.output, "blocked: 1 blocker"));
  CHECK(Has(text.output, "public.shapes.area"));
}

TEST_CASE("a table without a key can be copied but is warned about: resume and verify are coarser",
          "[check]") {
  TestDatabase source(Db::kSQLite, "check_src");
  TestDatabase dest(Db::kPostgres, "check_dst");
  source.Exec(
      "CREATE TABLE events (at TEXT, what TEXT);\n"
      "INSERT INTO events VALUES ('2024-01-01', 'start'), ('2024-01-02', 'stop')");
  FerryResult r = Check(Ends(source, dest));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "[no key] main.events"));
  CHECK(Has(r.output, "resume and verify are coarser"));
  CHECK(Has(r.output, "key: none"));
}

TEST_CASE("an existing destination table of another shape blocks, naming the difference",
          "[check]") {
  TestDatabase source(Db::kPostgres, "check_src");
  TestDatabase dest(Db::kPostgres, "check_dst");
  source.Exec(
      "CREATE TABLE people (id integer PRIMARY KEY, name text, email text);\n"
      "CREATE TABLE pets (id integer PRIMARY KEY, born date);\n"
      "INSERT INTO people VALUES (1, 'Ann', 'ann@example.com')");
  dest.Exec(
      "CREATE TABLE people (id integer PRIMARY KEY, name text);\n"
      "CREATE TABLE pets (id integer PRIMARY KEY, born boolean)");
  FerryResult r = Check(Ends(source, dest) + " --json");
  INFO(r.output);
  CHECK(r.exit_code == 4);
  json report = json::parse(r.output);
  CHECK(HasFinding(report, "blocker", "destination shape", "public.people", "has no column email"));
  CHECK(HasFinding(report, "blocker", "destination shape", "public.pets", "born is boolean"));
  CHECK(report["tables"][0]["destination_exists"] == true);
}

TEST_CASE("a destination table that already holds rows blocks unless truncate or append is chosen",
          "[check]") {
  TestDatabase source(Db::kSQLite, "check_src");
  TestDatabase dest(Db::kMariaDB, "check_dst");
  source.Exec(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n"
      "INSERT INTO t VALUES (1, 'a')");
  dest.Exec(
      "CREATE TABLE t (id int PRIMARY KEY, v longtext);\n"
      "INSERT INTO t VALUES (7, 'x')");
  FerryResult blocked = Check(Ends(source, dest));
  INFO(blocked.output);
  CHECK(blocked.exit_code == 4);
  CHECK(Has(blocked.output, "already holds rows"));
  FerryResult appended = Check(Ends(source, dest) + " --append");
  INFO(appended.output);
  CHECK(appended.exit_code == 0);
}

TEST_CASE(
    "source tables or columns whose names differ only in case block a case-insensitive "
    "destination, in check and in the run, before anything is written",
    "[check]") {
  TestDatabase source(Db::kPostgres, "check_src");
  source.Exec(
      "CREATE TABLE \"Users\" (id integer PRIMARY KEY);\n"
      "CREATE TABLE users (id integer PRIMARY KEY);\n"
      "CREATE TABLE mixed (id integer PRIMARY KEY, \"Name\" text, name text)");
  for (Db to : {Db::kSQLite, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase dest(to, "check_dst");
      FerryResult r = Check(Ends(source, dest));
      INFO(r.output);
      CHECK(r.exit_code == 4);
      CHECK(Has(r.output, "[name collision]"));
      CHECK(Has(r.output, "columns Name and name would both become column"));
      if (to == Db::kSQLite) {
        CHECK(
            Has(r.output, "source tables public.Users and public.users would both be copied into"));
      }
      // The run refuses what check refused, before it writes (it used to create the other
      // tables and fail this one on the server's "duplicate column name").
      FerryResult run = RunFerry("run" + Ends(source, dest) + " --include mixed");
      INFO(run.output);
      CHECK(run.exit_code == 4);
      CHECK(Has(run.output, "columns Name and name would both become column"));
      if (to == Db::kSQLite) {
        FerryResult tables = RunFerry("run" + Ends(source, dest) + " --exclude mixed");
        INFO(tables.output);
        CHECK(tables.exit_code == 4);
        CHECK(Has(tables.output, "compares table names ignoring case"));
      }
      CHECK(ListTables(dest).empty());
    }
  }
}

TEST_CASE(
    "missing PostgreSQL privileges block the copy: SELECT on the source, CREATE and INSERT "
    "on the destination",
    "[check]") {
  TestDatabase admin(Db::kPostgres, "check_admin");
  const std::string role = "ferry_check_" + std::to_string(getpid());
  ServerCleanup cleanup{admin, {"DROP ROLE IF EXISTS " + role}};
  TestDatabase source(Db::kPostgres, "check_src");
  TestDatabase dest(Db::kPostgres, "check_dst");
  admin.Exec("CREATE ROLE " + role + " LOGIN PASSWORD '" + TestPassword() + "'");
  source.Exec(
      "CREATE TABLE open_t (id integer PRIMARY KEY);\n"
      "CREATE TABLE secret_t (id integer PRIMARY KEY);\n"
      "CREATE TABLE existing_t (id integer PRIMARY KEY);\n"
      "GRANT SELECT ON open_t, existing_t TO " +
      role);
  dest.Exec(
      "CREATE TABLE existing_t (id integer PRIMARY KEY);\n"
      "REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n"
      "GRANT SELECT ON existing_t TO " +
      role);
  FerryResult r = Check(Ends(AsUser(source.Url(), role), AsUser(dest.Url(), role)) +
                        " --json --sample-seconds 0");
  INFO(r.output);
  CHECK(r.exit_code == 4);
  json report = json::parse(r.output);
  CHECK(HasFinding(report, "blocker", "privilege", "public.secret_t", "may not SELECT"));
  CHECK_FALSE(HasFinding(report, "blocker", "privilege", "public.open_t", "may not SELECT"));
  CHECK(HasFinding(report, "blocker", "privilege", "public.open_t", "may not CREATE tables"));
  CHECK(HasFinding(report, "blocker", "privilege", "public.existing_t", "may not INSERT into"));
  // Granted, they disappear.
  dest.Exec("GRANT CREATE ON SCHEMA public TO " + role + ";\nGRANT INSERT ON existing_t TO " +
            role);
  source.Exec("GRANT SELECT ON secret_t TO " + role);
  FerryResult granted =
      Check(Ends(AsUser(source.Url(), role), AsUser(dest.Url(), role)) + " --json");
  INFO(granted.output);
  CHECK(granted.exit_code == 0);
  // The role's grants go with the databases; the role itself is dropped by `cleanup`.
  source.Exec("DROP OWNED BY " + role);
  dest.Exec("DROP OWNED BY " + role);
}

TEST_CASE("missing MariaDB privileges on the destination block the copy", "[check]") {
  TestDatabase admin(Db::kMariaDB, "check_admin");
  const std::string user = "ferry_ck_" + std::to_string(getpid());
  ServerCleanup cleanup{admin, {"DROP USER IF EXISTS '" + user + "'@'127.0.0.1'"}};
  TestDatabase source(Db::kSQLite, "check_src");
  TestDatabase dest(Db::kMariaDB, "check_dst");
  admin.Exec("CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY '" + TestPassword() + "'");
  source.Exec(
      "CREATE TABLE existing_t (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE new_t (id INTEGER PRIMARY KEY)");
  dest.Exec("CREATE TABLE existing_t (id int PRIMARY KEY)");
  admin.Exec("GRANT SELECT ON " + dest.name() + ".* TO '" + user + "'@'127.0.0.1'");
  const std::string dest_url = AsUser(dest.Url(), user);
  FerryResult r = Check(Ends(source.Url(), dest_url) + " --json");
  INFO(r.output);
  CHECK(r.exit_code == 4);
  json report = json::parse(r.output);
  CHECK(HasFinding(report, "blocker", "privilege", "main.new_t", "may not CREATE tables"));
  CHECK(HasFinding(report, "blocker", "privilege", "main.existing_t", "may not INSERT into"));

  admin.Exec("GRANT CREATE, INSERT ON " + dest.name() + ".* TO '" + user + "'@'127.0.0.1'");
  FerryResult granted = Check(Ends(source.Url(), dest_url));
  INFO(granted.output);
  CHECK(granted.exit_code == 0);
}

TEST_CASE("check --help documents the exit codes", "[check]") {
  FerryResult r = RunFerry("check --help");
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "--json"));
  CHECK(Has(r.output, "4 when something does"));
}

TEST_CASE(
    "a sampled SQLite value that cannot be read as its column's declared type blocks the "
    "check, naming table, column and row, as the run would fail the table",
    "[check]") {
  TestDatabase source(Db::kSQLite, "check_src");
  TestDatabase dest(Db::kPostgres, "check_dst");
  // SQLite keeps whatever it is given: a date written without leading zeros stays text.
  source.Exec(
      "CREATE TABLE dates (id INTEGER PRIMARY KEY, d DATE);\n"
      "INSERT INTO dates VALUES (1, '2024-01-02'), (2, '2024-1-2')");
  FerryResult r = Check(Ends(source, dest));
  INFO(r.output);
  CHECK(r.exit_code == 4);
  CHECK(Has(r.output, "[refused values] main.dates.d: a sampled row (id)=(2) holds a value"));
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(Has(run.output, "column d: row (id)=(2)"));
}
