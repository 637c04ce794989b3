// Real MariaDB and SQLite schemas, tried as a new user would (tests/fixtures/wordpress_mariadb.sql,
// features_mariadb.sql, features_sqlite.sql: WordPress's schema with its zero dates, MySQL's
// employees and world sample databases, MariaDB's own features from its documentation, and what
// real SQLite files hold). Same-engine copies are schema-identical by the engine's own tools and
// equal value by value as the engine's own client prints them; what another engine cannot hold
// is named by check first and refused by row, never changed. (check_predicts_run_test.cpp runs
// the same fixtures on every pair.)
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

std::string MariaDbPort() {
  const char* port = std::getenv("FERRY_TEST_MARIADB_PORT");
  return port ? port : "33069";
}

std::string MariaDbClient(const std::string& tool) {
  return "MYSQL_PWD=" + ShellQuote(TestPassword()) + " " + tool + " -h 127.0.0.1 -P " +
         MariaDbPort() + " -u ferry";
}

std::string SqliteFile(const TestDatabase& db) {
  return db.Url().substr(7);
}

// mariadb-dump --no-data of the database without ferry's run state, AUTO_INCREMENT values and
// the dump's own comments; for SQLite every object's text in sqlite_schema, ferry's left out.
std::string EngineSchema(TestDatabase& db, const std::vector<std::string>& leave_out = {}) {
  std::string text;
  if (db.db() == Db::kSQLite) {
    for (const Row& r : db.Query("SELECT type, name, sql, tbl_name FROM sqlite_schema WHERE "
                                 "tbl_name NOT LIKE 'ferry\\_%' ESCAPE '\\' ORDER BY type, name")) {
      const std::string table = r[3].value_or("");
      if (std::find(leave_out.begin(), leave_out.end(), table) != leave_out.end()) continue;
      text += r[0].value_or("") + " " + r[1].value_or("") + "\n" + r[2].value_or("NULL") + "\n";
    }
    return text;
  }
  std::string ignored;
  for (const char* t : {"runs", "tables", "units", "workers", "leases", "held_keys"}) {
    ignored += " --ignore-table=" + db.name() + ".ferry_" + t;
  }
  for (const std::string& t : leave_out) ignored += " --ignore-table=" + db.name() + "." + t;
  text = Capture(MariaDbClient("mariadb-dump") +
                 " --no-data --routines --triggers --events --skip-dump-date" + ignored + " " +
                 db.name());
  text = std::regex_replace(text, std::regex(" AUTO_INCREMENT=[0-9]+"), "");
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("--", 0) != 0) out += line + "\n";
  }
  return out;
}

// Every row of `table` as the engine's own client prints it (MariaDB's batch output, SQLite's
// quote mode, which shows each value's storage class), sorted.
std::vector<std::string> ClientRows(TestDatabase& db, const std::string& table) {
  std::string text;
  if (db.db() == Db::kMariaDB) {
    text = Capture(MariaDbClient("mariadb") + " --batch --skip-column-names " + db.name() + " -e " +
                   ShellQuote("SELECT * FROM `" + table + "`"));
  } else {
    std::string quoted = "\"";
    for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    text = Capture("sqlite3 -cmd '.mode quote' " + ShellQuote(SqliteFile(db)) + " " +
                   ShellQuote("SELECT * FROM " + quoted + "\""));
  }
  std::vector<std::string> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) rows.push_back(line);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// The findings of `kind` in check --json output, as "table.column: message".
std::vector<std::string> Findings(const std::string& output, const std::string& kind) {
  std::vector<std::string> out;
  const json report = json::parse(output);
  for (const json& f : report["findings"]) {
    if (f["kind"] == kind) {
      out.push_back(f["table"].get<std::string>() + "." + f["column"].get<std::string>() + ": " +
                    f["message"].get<std::string>());
    }
  }
  return out;
}

bool AnyHas(const std::vector<std::string>& lines, const std::vector<std::string>& parts) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](const std::string& p) { return Has(line, p); });
  });
}

// check passes, run and verify succeed, the schema and every table's rows are the same.
void CopyIdentically(TestDatabase& source, TestDatabase& dest, const std::string& extra = "",
                     const std::vector<std::string>& left_out = {}) {
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --include '*'" + extra);
  INFO("check: " << check.output);
  CHECK(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --include '*'" + extra);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(source, dest) + " --include '*'" + extra);
  INFO("verify: " << verify.output);
  CHECK(verify.exit_code == 0);
  CHECK(EngineSchema(source, left_out) == EngineSchema(dest));
  for (const std::string& table : ListTables(source)) {
    if (std::find(left_out.begin(), left_out.end(), table) != left_out.end()) continue;
    INFO(table);
    CHECK(ClientRows(source, table) == ClientRows(dest, table));
  }
}

}  // namespace

TEST_CASE(
    "WordPress, employees and world databases copy into MariaDB schema-identical, zero dates "
    "and all",
    "[real][mariadb]") {
  TestDatabase source(Db::kMariaDB, "wp_src");
  TestDatabase dest(Db::kMariaDB, "wp_dst");
  LoadScript(source, Fixture("wordpress_mariadb.sql"));
  CopyIdentically(source, dest);
  // A zero date in a row and as a default: read, written and kept as it was.
  CHECK(dest.QueryValue("SELECT CAST(user_registered AS CHAR) FROM wp_users WHERE user_login = "
                        "'ghost'") == "0000-00-00 00:00:00");
  CHECK(dest.QueryValue("SELECT count(*) FROM wp_posts WHERE post_date_gmt = '0000-00-00 "
                        "00:00:00'") == "6");
  dest.Exec("INSERT INTO wp_options (option_name, option_value) VALUES ('new', 'x')");
  CHECK(dest.QueryValue("SELECT max(option_id) FROM wp_options") == "5");
}

TEST_CASE(
    "MariaDB's own features copy into MariaDB schema-identical: system versioning, sequences, "
    "invisible columns, TIME beyond a day, INET6 and UUID",
    "[real][mariadb]") {
  TestDatabase source(Db::kMariaDB, "mdbf_src");
  TestDatabase dest(Db::kMariaDB, "mdbf_dst");
  LoadScript(source, Fixture("features_mariadb.sql"));
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --include '*'");
  INFO(check.output);
  // The system-versioned table is copied (it was left out unseen), its history said to stay.
  CHECK(Has(check.output, "price_history"));
  CHECK(Has(check.output, "history of system-versioned tables"));
  CHECK(check.exit_code == 0);
  CopyIdentically(source, dest);
  CHECK(dest.QueryValue("SELECT group_concat(dur ORDER BY id) FROM extremes") ==
        "838:59:59,-00:00:01,-838:59:59,24:00:00");
  CHECK(dest.QueryValue("SELECT group_concat(price ORDER BY id) FROM price_history") ==
        "1.10,2.50");
  // Where mariadb-dump would set it: past the values the source's cache reserved.
  CHECK(dest.QueryValue("SELECT nextval(order_seq)") ==
        source.QueryValue("SELECT next_not_cached_value FROM order_seq"));
  CHECK(dest.QueryValue("SELECT group_concat(secret ORDER BY order_no) FROM orders") ==
        "hidden,hidden,shh");
}

// Each value of `column` with its storage class, in the order of the table's first column (SQLite).
std::string Classes(TestDatabase& db, const std::string& table, const std::string& column) {
  return db.QueryValue("SELECT group_concat(typeof(\"" + column + "\") || ':' || quote(\"" +
                       column + "\"), ' ') FROM (SELECT * FROM \"" + table + "\" ORDER BY 1)");
}

TEST_CASE(
    "MariaDB BIT columns copy into MariaDB exactly: BIT(1) to BIT(64), all ones, NULLs, as a "
    "primary key and in unique keys, by every write path, and sync carries their changes",
    "[real][mariadb]") {
  TestDatabase source(Db::kMariaDB, "bit_src");
  LoadScript(source, Fixture("features_mariadb.sql"));
  const std::string bits =
      "SELECT group_concat(concat_ws(':', id, bin(flag), bin(bits), mask + 0) ORDER BY id) FROM "
      "flags";
  const std::string keys =
      "SELECT group_concat(concat_ws(':', bin(perms), name, wide + 0) ORDER BY perms) FROM "
      "permission_sets";
  // Bulk prepared inserts (MariaDB's own), in units by the key; LOAD DATA LOCAL (MySQL's); ODBC
  // parameter arrays.
  for (const std::string extra : {"", " --partitions 3", " --mariadb-write-method load-data",
                                  " --mariadb-write-method odbc"}) {
    DYNAMIC_SECTION("options:" << extra) {
      TestDatabase dest(Db::kMariaDB, "bit_dst");
      const std::string include = " --include flags --include permission_sets";
      FerryResult check = RunFerry("check" + Ends(source, dest) + include);
      INFO(check.output);
      CHECK(check.exit_code == 0);
      FerryResult run = RunFerry("run" + Ends(source, dest) + include + extra);
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      FerryResult verify = RunFerry("verify" + Ends(source, dest) + include);
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
      CHECK(dest.QueryValue(bits) == source.QueryValue(bits));
      CHECK(dest.QueryValue(bits) ==
            "1:1:1111111111:18446744073709551615,2:0:0:0,3:1,4:0:1000000001:9223372036854775808,"
            "5:1:1:1");
      CHECK(dest.QueryValue(keys) == source.QueryValue(keys));
      CHECK(dest.QueryValue("SELECT column_type FROM information_schema.columns WHERE "
                            "table_schema = database() AND table_name = 'flags' AND column_name "
                            "= 'mask'") == "bit(64)");
      // A changed bit is a difference verify finds.
      dest.Exec("UPDATE flags SET mask = 18446744073709551614 WHERE id = 1");
      FerryResult changed = RunFerry("verify" + Ends(source, dest) + include);
      INFO(changed.output);
      CHECK(changed.exit_code != 0);
    }
  }
  SECTION("sync brings changes to BIT values and BIT keys") {
    TestDatabase dest(Db::kMariaDB, "bit_dst");
    const std::string include = " --include flags --include permission_sets";
    REQUIRE(RunFerry("run" + Ends(source, dest) + include).exit_code == 0);
    FerryResult track = RunFerry("track enable --source " + ShellQuote(source.Url()) + include);
    INFO(track.output);
    REQUIRE(track.exit_code == 0);
    source.Exec(
        "UPDATE flags SET mask = 18446744073709551614, flag = b'0' WHERE id = 1;\n"
        "INSERT INTO flags VALUES (6, b'1', b'1111100000', 12345);\n"
        "DELETE FROM flags WHERE id = 2;\n"
        "UPDATE permission_sets SET perms = b'00000111' WHERE perms = b'00000101';\n"
        "INSERT INTO permission_sets VALUES (b'01000000', 'audit', 1);\n"
        "DELETE FROM permission_sets WHERE perms = b'00000000'");
    FerryResult sync = RunFerry("sync" + Ends(source, dest) + include);
    INFO(sync.output);
    REQUIRE(sync.exit_code == 0);
    CHECK(dest.QueryValue(bits) == source.QueryValue(bits));
    CHECK(dest.QueryValue(keys) == source.QueryValue(keys));
    CHECK(RunFerry("verify" + Ends(source, dest) + include).exit_code == 0);
  }
  SECTION("read through plain ODBC") {
    // READ_TIMEOUT is an attribute the libmariadb path does not reproduce: the plain ODBC endpoint.
    const std::string odbc = "Driver={MariaDB Unicode};Server=127.0.0.1;Port=" + MariaDbPort() +
                             ";Database=" + source.name() +
                             ";Uid=ferry;CHARSET=utf8mb4;READ_TIMEOUT=600;";
    TestDatabase dest(Db::kMariaDB, "bit_dst");
    const std::string ends = " --source " + ShellQuote(odbc) + " --dest " + ShellQuote(dest.Url()) +
                             " --include flags --include permission_sets";
    FerryResult run = RunFerry("run" + ends);
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    FerryResult verify = RunFerry("verify" + ends);
    INFO(verify.output);
    CHECK(verify.exit_code == 0);
    CHECK(dest.QueryValue(bits) == source.QueryValue(bits));
    CHECK(dest.QueryValue(keys) == source.QueryValue(keys));
  }
  for (Db to : {Db::kPostgres, Db::kSQLite}) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      // The number the bits spell, in an integer type that holds them.
      TestDatabase dest(to, "bit_dst");
      const std::string include = " --include flags --include permission_sets";
      FerryResult check = RunFerry("check" + Ends(source, dest) + include);
      INFO(check.output);
      CHECK(check.exit_code == 0);
      FerryResult run = RunFerry("run" + Ends(source, dest) + include);
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      FerryResult verify = RunFerry("verify" + Ends(source, dest) + include);
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
      CHECK(dest.QueryValue("SELECT bits FROM flags WHERE id = 1") == "1023");
      CHECK(dest.QueryValue("SELECT mask FROM flags WHERE id = 1") == "18446744073709551615");
      CHECK(dest.QueryValue("SELECT mask FROM flags WHERE id = 4") == "9223372036854775808");
      CHECK(dest.QueryValue("SELECT name FROM permission_sets WHERE perms = 5") == "read+exec");
    }
  }
}

TEST_CASE(
    "zero dates and TIME values beyond a day are counted by check --scan and refused by row "
    "into PostgreSQL and SQLite",
    "[real][mariadb]") {
  for (Db to : {Db::kPostgres, Db::kSQLite}) {
    DYNAMIC_SECTION(DbName(to)) {
      TestDatabase source(Db::kMariaDB, "zero_src");
      TestDatabase dest(to, "zero_dst");
      source.Exec(
          "SET SESSION sql_mode = '';\n"
          "CREATE TABLE shifts (id int PRIMARY KEY, day date, started datetime, took time);\n"
          "INSERT INTO shifts VALUES (1, '2024-01-02', '2024-01-02 08:00:00', '08:30:00'), "
          "(2, '0000-00-00', '2024-01-03 08:00:00', '07:00:00'), (3, '2024-01-04', "
          "'2024-00-04 08:00:00', '31:15:00'), (4, '2024-01-05', '2024-01-05 08:00:00', "
          "'-01:00:00')");
      FerryResult scan = RunFerry("check" + Ends(source, dest) + " --json --scan");
      INFO(scan.output);
      CHECK(scan.exit_code == 4);
      const std::vector<std::string> refused = Findings(scan.output, "refused values");
      CHECK(AnyHas(refused, {"shifts.day: ", "1 value ", "zero dates", "id 2"}));
      CHECK(AnyHas(refused, {"shifts.started: ", "1 value ", "zero dates", "id 3"}));
      CHECK(AnyHas(refused, {"shifts.took: ", "2 values", "beyond 24:00:00", "id 3, 4"}));
      // Without --scan the read sample converts rows as the run would: a blocker too.
      FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
      INFO(check.output);
      CHECK(check.exit_code == 4);
      CHECK(Has(check.output, "holds a value the destination cannot store"));
      FerryResult run = RunFerry("run" + Ends(source, dest));
      INFO(run.output);
      CHECK(run.exit_code == 1);
      CHECK(Has(run.output, "(id)=(2)"));
      CHECK(Has(run.output, "is a zero date, which the destination cannot store"));
    }
  }
}

TEST_CASE(
    "a real-world SQLite file copies into SQLite schema-identical with its dangling references, "
    "and into PostgreSQL and MariaDB without the keys its rows break",
    "[real][sqlite]") {
  // typed, kv and strict_items hold values of another type than their columns declare: into
  // another engine check blocks them (the next test), so they stay out there.
  const std::string exclude = " --exclude typed --exclude kv --exclude strict_items";
  SECTION("into SQLite") {
    TestDatabase source(Db::kSQLite, "sqlf_src");
    TestDatabase dest(Db::kSQLite, "sqlf_dst");
    LoadScript(source, Fixture("features_sqlite.sql"));
    FerryResult check = RunFerry("check" + Ends(source, dest) + " --include '*'");
    INFO(check.output);
    CHECK(Has(check.output, "[dangling references]"));
    CHECK(Has(check.output, "books_author_id_fkey"));
    CopyIdentically(source, dest);
  }
  for (Db to : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase source(Db::kSQLite, "sqlf_src");
      TestDatabase dest(to, "sqlf_dst");
      LoadScript(source, Fixture("features_sqlite.sql"));
      FerryResult check = RunFerry("check" + Ends(source, dest) + exclude);
      INFO(check.output);
      CHECK(check.exit_code == 0);
      CHECK(Has(check.output, "books_author_id_fkey"));
      FerryResult run = RunFerry("run" + Ends(source, dest) + exclude);
      INFO(run.output);
      CHECK(run.exit_code == 0);
      CHECK(Has(run.output,
                "foreign key books_author_id_fkey not created: the source holds rows "
                "that reference no row of main.authors"));
      FerryResult verify = RunFerry("verify" + Ends(source, dest) + exclude);
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
      CHECK(dest.QueryValue("SELECT count(*) FROM books") == "3");
    }
  }
}

TEST_CASE(
    "check --scan counts SQLite values of another type than their column declares, with "
    "example keys",
    "[real][sqlite][check]") {
  for (Db to : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(to)) {
      TestDatabase source(Db::kSQLite, "sqlk_src");
      TestDatabase dest(to, "sqlk_dst");
      LoadScript(source, Fixture("features_sqlite.sql"));
      FerryResult scan = RunFerry("check" + Ends(source, dest) + " --json --scan");
      INFO(scan.output);
      CHECK(scan.exit_code == 4);
      const std::vector<std::string> refused = Findings(scan.output, "refused values");
      // 'yes' in a BOOLEAN column; 'free' in a DECIMAL one; an integer and 'not a date' in a
      // DATETIME one; 'many' in an UNSIGNED BIG INT one.
      CHECK(AnyHas(refused, {"typed.active: ", "1 value ", "BOOLEAN", "id 3"}));
      CHECK(AnyHas(refused, {"typed.price: ", "1 value ", "id 4"}));
      CHECK(AnyHas(refused, {"typed.born: ", "2 values", "id 3, 4"}));
      CHECK(AnyHas(refused, {"typed.big: ", "1 value ", "id 4"}));
      // Text that reads as the column's type is no refusal: '12' and '2.5' (row 5).
      CHECK_FALSE(AnyHas(refused, {"id 5"}));
    }
  }
}

TEST_CASE(
    "a SQLite file copies into SQLite keeping every value's storage class: untyped columns, text "
    "and integers in DATETIME and BOOLEAN, blobs in REAL, STRICT tables with ANY",
    "[real][sqlite]") {
  TestDatabase source(Db::kSQLite, "sqlc_src");
  TestDatabase dest(Db::kSQLite, "sqlc_dst");
  LoadScript(source, Fixture("features_sqlite.sql"));
  // Every class in one untyped column and in typed ones, with text that reads as a number, an
  // empty text and an empty blob, and a long text and blob (read in pieces, spilled).
  source.Exec(
      "CREATE TABLE anything (id INTEGER PRIMARY KEY, v, d DATETIME, b BOOLEAN, r REAL, n "
      "NUMERIC);\n"
      "INSERT INTO anything (v, d, b, r, n) VALUES (1, '2024-01-02', 1, 1.5, 1), ('1', 1700000000, "
      "'yes', X'01', '1.0e400'), (1.0, 1.25, 0, 'N/A', 'x'), (X'31', X'00', 'true', NULL, "
      "X''), ('', NULL, 2, 7, 2.5), (X'', '', '', '', ''), (-9223372036854775808, "
      "'9999-12-31T23:59:59Z', -1, -0.0, 9223372036854775807), (zeroblob(3000000), "
      "printf('%.2000000c', 'x'), 1, 1, 1);");
  FerryResult scan = RunFerry("check" + Ends(source, dest) + " --include '*' --scan --json");
  INFO(scan.output);
  CHECK(scan.exit_code == 0);
  CHECK(Findings(scan.output, "refused values").empty());
  CopyIdentically(source, dest);
  for (const auto& [table, column] :
       std::vector<std::pair<std::string, std::string>>{{"typed", "active"},
                                                        {"typed", "born"},
                                                        {"typed", "big"},
                                                        {"typed", "ratio"},
                                                        {"typed", "price"},
                                                        {"typed", "untyped"},
                                                        {"typed", "blobby"},
                                                        {"kv", "v"},
                                                        {"strict_items", "payload"},
                                                        {"anything", "v"},
                                                        {"anything", "d"},
                                                        {"anything", "b"},
                                                        {"anything", "r"},
                                                        {"anything", "n"}}) {
    INFO(table << "." << column);
    CHECK(Classes(dest, table, column) == Classes(source, table, column));
  }
  CHECK(Classes(dest, "anything", "v")
            .rfind("integer:1 text:'1' real:1.0 blob:X'31' text:'' "
                   "blob:X'' integer:-9223372036854775808",
                   0) == 0);
  // Values over the long-value threshold (1 MiB with --batch-bytes 1MiB) take the spill paths
  // with their class: the 3 MB blob is left out of the row by its length, the 2 MB text stops the
  // step at the length limit.
  TestDatabase spilled(Db::kSQLite, "sqlc_spill");
  const std::string small = " --include anything --batch-bytes 1MiB";
  FerryResult run = RunFerry("run" + Ends(source, spilled) + small);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(RunFerry("verify" + Ends(source, spilled) + small).exit_code == 0);
  for (const std::string column : {"v", "d"}) {
    CHECK(Classes(spilled, "anything", column) == Classes(source, "anything", column));
  }

  // Text '42' for the integer 42 is a difference verify finds, as is a real for an integer.
  dest.Exec("UPDATE typed SET untyped = '42' WHERE untyped = 42");
  FerryResult verify = RunFerry("verify" + Ends(source, dest) + " --include typed");
  INFO(verify.output);
  CHECK(verify.exit_code != 0);
  dest.Exec("UPDATE typed SET untyped = 42 WHERE untyped = '42'");
  CHECK(RunFerry("verify" + Ends(source, dest) + " --include typed").exit_code == 0);
  dest.Exec("UPDATE anything SET n = 1.0 WHERE id = 1");
  CHECK(Classes(dest, "anything", "n") == Classes(source, "anything", "n"));  // NUMERIC made it 1
  dest.Exec("UPDATE anything SET r = 7 WHERE id = 5");
  CHECK(RunFerry("verify" + Ends(source, dest) + " --include anything").exit_code == 0);
  dest.Exec("UPDATE anything SET v = 1.0 WHERE id = 1");
  CHECK(RunFerry("verify" + Ends(source, dest) + " --include anything").exit_code != 0);
  dest.Exec("UPDATE anything SET v = 1 WHERE id = 1");

  // sync carries a change of class as a change.
  FerryResult track = RunFerry("track enable --source " + ShellQuote(source.Url()) +
                               " --include typed --include anything");
  INFO(track.output);
  REQUIRE(track.exit_code == 0);
  source.Exec(
      "UPDATE typed SET untyped = '42' WHERE untyped = 42;\n"
      "UPDATE anything SET d = 1700000001, b = 'no' WHERE id = 1;\n"
      "INSERT INTO anything (v, d, b, r, n) VALUES (X'FF', 3.5, 'maybe', 'x', X'00');");
  FerryResult sync = RunFerry("sync" + Ends(source, dest) + " --include typed --include anything");
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  for (const std::string column : {"v", "d", "b", "r", "n"}) {
    CHECK(Classes(dest, "anything", column) == Classes(source, "anything", column));
  }
  CHECK(Classes(dest, "typed", "untyped") == Classes(source, "typed", "untyped"));
}
