// kill -9 at the moments of a same-engine copy where the schema is made: while pg_dump (a child
// of ferry's) reads the source, while the clone replays the dump's pre-data section, and in
// the middle of one long index build after the data. Whatever was under way, a --resume (or a
// new run, where no run was recorded yet) ends with a copy the engine's own dump tool finds
// identical to the source, every row equal, each index there once and valid, and no pg_dump
// left behind holding the source's snapshot and locks.
#include <signal.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/same_tables.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

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

// The schema as pg_dump prints it, without comments (they name the database) and ferry's own
// run state.
std::string PgSchema(TestDatabase& db) {
  const std::string text = Capture("PGPASSWORD=" + ShellQuote(TestPassword()) +
                                   " pg_dump --schema-only -h 127.0.0.1 -p " +
                                   std::to_string(ServerPort(Db::kPostgres)) +
                                   " -U ferry -T 'ferry_*' -N ferry_state " + db.name());
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
    if (line.rfind("--", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

int64_t Count(TestDatabase& db, const std::string& sql) {
  return std::stoll(db.QueryValue(sql));
}

// A schema whose pre-data section takes a while to replay: many tables, functions and views.
void SeedManyObjects(TestDatabase& source) {
  source.Exec(
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
      // One line: the tests' statement splitter cuts at a semicolon that ends a line.
      "DO $$ BEGIN FOR i IN 1..120 LOOP "
      "EXECUTE format('CREATE TABLE t%s (id integer PRIMARY KEY, v text NOT NULL, m mood, "
      "n numeric(10, 2) DEFAULT 0)', i); "
      "EXECUTE format('CREATE FUNCTION f%s(x integer) RETURNS integer LANGUAGE sql IMMUTABLE "
      "AS ''SELECT x + %s''', i, i); "
      "EXECUTE format('CREATE VIEW v%s AS SELECT id, f%s(id) AS g FROM t%s', i, i, i); "
      "END LOOP; END $$;\n"
      "INSERT INTO t1 SELECT g, md5(g::text), 'ok', g / 7.0 FROM generate_series(1, 5000) g;\n"
      "INSERT INTO t120 SELECT g, md5(g::text), NULL, g FROM generate_series(1, 3000) g");
}

std::string Ends(TestDatabase& source, TestDatabase& dest) {
  return " --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url());
}

// A ferry session of `dest` inside an uncommitted transaction that has created tables: the
// clone's pre-data (the run state's own tables are committed, and visible, at once).
bool InPreData(TestDatabase& dest) {
  return Count(dest,
               "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE "
               "a.datname = current_database() AND a.pid <> pg_backend_pid() AND l.locktype = "
               "'relation' AND l.mode = 'AccessExclusiveLock' AND NOT EXISTS (SELECT 1 FROM "
               "pg_class c WHERE c.oid = l.relation)") > 0;
}

// The pg_dump processes on this host reading `db` (a zombie's command line is empty).
int PgDumpsOf(const TestDatabase& db) {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline");
    std::string line;
    std::getline(in, line, '\0');
    if (line.find("pg_dump") == std::string::npos) continue;
    std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (rest.find(db.name()) != std::string::npos) ++found;
  }
  return found;
}

void CheckCloneExact(TestDatabase& source, TestDatabase& dest) {
  CHECK(PgSchema(dest) == PgSchema(source));
  CheckTablesSame(source, dest, {"t1", "t120"});
}

}  // namespace

TEST_CASE(
    "a kill -9 while the clone replays pg_dump's pre-data leaves nothing of it, and a resume, or "
    "a reset and a new run, ends schema- and value-identical",
    "[kill][clone][postgresql]") {
  TestDatabase source(Db::kPostgres, "kill_predata_src");
  SeedManyObjects(source);
  for (bool resume : {true, false}) {
    DYNAMIC_SECTION((resume ? "ferry run --resume" : "ferry reset, then a new ferry run")) {
      TestDatabase dest(Db::kPostgres, "kill_predata_dst");
      const std::string args = "run" + Ends(source, dest);
      bool killed = false;
      FerryResult run = RunWhile(args, dest, [&](pid_t pid) {
        if (!InPreData(dest)) return false;
        kill(pid, SIGKILL);
        killed = true;
        return true;
      });
      INFO(run.output);
      REQUIRE(killed);
      CHECK(run.exit_code == 128 + SIGKILL);
      // The clone is one transaction: the kill took all of it (once the server saw the
      // connection go).
      for (int i = 0; i < 100 && InPreData(dest); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      CHECK(Count(dest, "SELECT count(*) FROM pg_class WHERE relname IN ('t1', 'v1', 'f1')") == 0);
      if (!resume) {
        // A plain run is refused, naming the interrupted run and both ways on, writing nothing;
        // the DBA starts over.
        FerryResult refused = RunFerry(args);
        INFO(refused.output);
        if (refused.exit_code == 0) {
          // Killed before the run was recorded: nothing stood in the way of a new copy.
          CheckCloneExact(source, dest);
          continue;
        }
        CHECK(refused.exit_code == 4);
        CHECK(refused.output.find("ferry reset --yes") != std::string::npos);
        CHECK(Count(dest, "SELECT count(*) FROM pg_class WHERE relname = 't1'") == 0);
        FerryResult reset = RunFerry("reset --yes" + Ends(source, dest));
        INFO(reset.output);
        REQUIRE(reset.exit_code == 0);
      }
      FerryResult again = RunFerry(args + (resume ? " --resume" : ""));
      INFO(again.output);
      CHECK(again.exit_code == 0);
      CheckCloneExact(source, dest);
    }
  }
}

TEST_CASE(
    "a kill -9 while ferry's pg_dump reads the source takes pg_dump with it, and the next run "
    "ends schema- and value-identical",
    "[kill][clone][postgresql]") {
  TestDatabase source(Db::kPostgres, "kill_pgdump_src");
  TestDatabase dest(Db::kPostgres, "kill_pgdump_dst");
  SeedManyObjects(source);
  const std::string args = "run" + Ends(source, dest);
  bool killed = false;
  FerryResult run = RunWhile(args, dest, [&](pid_t pid) {
    if (PgDumpsOf(source) == 0) return false;
    kill(pid, SIGKILL);
    killed = true;
    return true;
  });
  INFO(run.output);
  REQUIRE(killed);
  // Gone with ferry at once, not reading on (and holding a lock on every table it read) with
  // nobody to read what it prints.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(PgDumpsOf(source) == 0);
  // Nothing was recorded yet: a new run copies.
  FerryResult again = RunFerry(args);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CheckCloneExact(source, dest);
}

TEST_CASE(
    "a kill -9 in the middle of one long index build leaves, after --resume, that index once, "
    "built and valid, under its own name",
    "[kill][index][postgresql]") {
  TestDatabase source(Db::kPostgres, "kill_index_src");
  TestDatabase dest(Db::kPostgres, "kill_index_dst");
  // An expression index whose function sleeps a millisecond a row: its build takes seconds
  // while the server idles; the clone builds it after the data, on a session of its own.
  source.Exec(
      "CREATE FUNCTION slow_key(k integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS "
      "$$ BEGIN PERFORM pg_catalog.pg_sleep(0.001); RETURN k; END $$;\n"
      "CREATE TABLE paced (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO paced SELECT g, md5(g::text) FROM generate_series(1, 2000) g;\n"
      "CREATE INDEX paced_slow ON paced (slow_key(id))");
  const std::string args = "run" + Ends(source, dest);
  const std::string building =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = "
      "'active' AND query LIKE '%CREATE INDEX paced_slow%'";
  bool killed = false;
  FerryResult run = RunWhile(args, dest, [&](pid_t pid) {
    if (Count(dest, building) == 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // well inside the build
    kill(pid, SIGKILL);
    killed = true;
    return true;
  });
  INFO(run.output);
  REQUIRE(killed);
  FerryResult resumed = RunFerry(args + " --resume");
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  // Once, under its name, valid and ready; nothing else on the table but its key.
  CHECK(Count(dest,
              "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE "
              "i.indrelid = 'paced'::regclass AND c.relname = 'paced_slow' AND i.indisvalid AND "
              "i.indisready") == 1);
  CHECK(Count(dest, "SELECT count(*) FROM pg_index WHERE indrelid = 'paced'::regclass") == 2);
  CHECK(PgSchema(dest) == PgSchema(source));
  CheckTablesSame(source, dest, {"paced"});
}

namespace {

// A MariaDB schema whose pre-data (a sequence and 120 tables, each CREATE its own commit) takes
// a while to replay; functions and views come after the data.
void SeedManyMariaDbObjects(TestDatabase& source) {
  std::string sql = "CREATE SEQUENCE ticket_seq START WITH 100;\n";
  for (int i = 1; i <= 120; ++i) {
    const std::string n = std::to_string(i);
    sql += "CREATE TABLE t" + n +
           " (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v varchar(40) NOT NULL, m "
           "enum('sad','ok','happy'), n decimal(10,2) DEFAULT 0, KEY t" +
           n + "_v (v)) ENGINE=InnoDB;\n";
    sql += "CREATE FUNCTION f" + n + "(x int) RETURNS int DETERMINISTIC RETURN x + " + n + ";\n";
    sql += "CREATE VIEW v" + n + " AS SELECT id, f" + n + "(id) AS g FROM t" + n + ";\n";
  }
  sql +=
      "INSERT INTO t1 (id, v, m, n) SELECT seq, md5(seq), 'ok', seq / 7 FROM seq_1_to_5000;\n"
      "INSERT INTO t120 (id, v, m, n) SELECT seq, md5(seq), NULL, seq FROM seq_1_to_3000";
  source.Exec(sql);
}

// The schema as mariadb-dump prints it with routines, triggers and events, without comments,
// the AUTO_INCREMENT counters (the copy moves them past its rows, the source's may stand
// further on), and ferry's own run state.
std::string MariaDbSchema(TestDatabase& db) {
  std::string tables;
  for (const std::string& t : RowLines(db,
                                       "SELECT TABLE_NAME FROM information_schema.TABLES "
                                       "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT "
                                       "LIKE 'ferry\\_%' ORDER BY 1")) {
    tables += " " + ShellQuote(t);
  }
  const std::string text =
      Capture("MYSQL_PWD=" + ShellQuote(TestPassword()) +
              " mariadb-dump --no-data --skip-comments --routines --triggers --events -h "
              "127.0.0.1 -P " +
              std::to_string(ServerPort(Db::kMariaDB)) + " -u ferry " + db.name() + tables);
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    const size_t counter = line.find(" AUTO_INCREMENT=");
    if (counter != std::string::npos) {
      const size_t end = line.find(' ', counter + 1);
      line.erase(counter, end == std::string::npos ? std::string::npos : end - counter);
    }
    out += line + "\n";
  }
  return out;
}

// The tables of the clone at `dest`: while some but not all are there, the pre-data is under
// way (each CREATE commits by itself).
int64_t ClonedTables(TestDatabase& dest) {
  return Count(dest,
               "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
               "AND TABLE_NAME REGEXP '^t[0-9]+$'");
}

}  // namespace

// Each MariaDB CREATE commits by itself: the killed clone leaves its sequence and some tables.
// A resume makes the rest (the source's database is on the same server: its tables, of the
// same names, are not taken for the clone's); a reset drops what the clone made, its sequence
// too, so the new run clones again.
TEST_CASE(
    "a kill -9 while a MariaDB clone creates its tables, then a resume, or a reset and a new "
    "run, ends schema- and value-identical",
    "[kill][clone][mariadb]") {
  TestDatabase source(Db::kMariaDB, "kill_mpre_src");
  SeedManyMariaDbObjects(source);
  for (bool resume : {true, false}) {
    DYNAMIC_SECTION((resume ? "ferry run --resume" : "ferry reset, then a new ferry run")) {
      TestDatabase dest(Db::kMariaDB, "kill_mpre_dst");
      const std::string args = "run" + Ends(source, dest);
      int64_t made = 0;
      FerryResult run = RunWhile(args, dest, [&](pid_t pid) {
        made = ClonedTables(dest);
        if (made < 10) return false;
        kill(pid, SIGKILL);
        return true;
      });
      INFO(run.output);
      REQUIRE(run.exit_code == 128 + SIGKILL);
      INFO("tables made before the kill: " << made);
      REQUIRE(made < 120);  // killed inside the pre-data
      FerryResult again;
      if (resume) {
        again = RunFerry(args + " --resume");
      } else {
        FerryResult refused = RunFerry(args);
        INFO(refused.output);
        if (refused.exit_code != 0) {
          // The interrupted run is named, with both ways on; nothing is written.
          CHECK(refused.exit_code == 4);
          CHECK(refused.output.find("ferry reset --yes") != std::string::npos);
          FerryResult reset = RunFerry("reset --yes" + Ends(source, dest));
          INFO(reset.output);
          REQUIRE(reset.exit_code == 0);
          // Nothing of the clone is left: no table, no sequence.
          CHECK(ClonedTables(dest) == 0);
          CHECK(Count(dest,
                      "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                      "DATABASE() AND TABLE_NAME NOT LIKE 'ferry\\_%'") == 0);
          again = RunFerry(args);
        } else {
          again = refused;
        }
      }
      INFO(again.output);
      CHECK(again.exit_code == 0);
      CHECK(MariaDbSchema(dest) == MariaDbSchema(source));
      CheckTablesSame(source, dest, {"t1", "t120"});
    }
  }
}
