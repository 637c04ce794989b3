// Signals and kills at the phases of a command that no copy test reaches: SIGTERM while `ferry
// track enable` or `disable` waits inside a table's statements, a change log left half made by a
// kill between those statements (MariaDB commits each DDL statement), and SIGKILL in the middle
// of a single-process run's index builds, then `--resume`. Each test checks what the source or
// destination holds through its own queries, never by asking ferry alone.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/canonical.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"

using namespace ferry::test;

namespace {

const std::vector<std::string> kTables = {"t1", "t2", "t3", "t4"};

int64_t Count(TestDatabase& db, const std::string& sql) {
  const std::string v = db.QueryValue(sql);
  return v.empty() ? 0 : std::stoll(v);
}

void SeedTables(TestDatabase& db) {
  for (const std::string& t : kTables) {
    db.Exec("CREATE TABLE " + t + " (id integer PRIMARY KEY, v varchar(20))");
    db.Exec("INSERT INTO " + t + " VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  }
}

// Starts the engine's command-line client in the background holding a lock on `table` that
// keeps a trigger from being created on it, until ReleaseHold. Returns once it holds it.
std::thread HoldTable(TestDatabase& db, const std::string& table) {
  std::string command;
  if (db.db() == Db::kPostgres) {
    command = "PGPASSWORD=" + ShellQuote(TestPassword()) + " psql -h 127.0.0.1 -p " +
              std::to_string(ServerPort(Db::kPostgres)) + " -U ferry -d " + db.name() + " -c " +
              ShellQuote("BEGIN; LOCK TABLE " + table + " IN SHARE MODE; SELECT pg_sleep(600);") +
              " >/dev/null 2>&1";
  } else {
    command = "MYSQL_PWD=" + ShellQuote(TestPassword()) + " mariadb -h 127.0.0.1 -P " +
              std::to_string(ServerPort(Db::kMariaDB)) + " -u ferry " + db.name() + " -e " +
              ShellQuote("LOCK TABLES " + table + " READ; SELECT SLEEP(600);") + " >/dev/null 2>&1";
  }
  std::thread client([command] { (void)std::system(command.c_str()); });
  const std::string holds =
      db.db() == Db::kPostgres
          ? "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query "
            "LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"
          : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO "
            "LIKE 'SELECT SLEEP(600)%'";
  for (int i = 0; i < 200 && Count(db, holds) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return client;
}

void ReleaseHold(TestDatabase& db, std::thread& client) {
  if (db.db() == Db::kPostgres) {
    db.Exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        "current_database() AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()");
  } else {
    for (const Row& row : db.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = "
                                   "DATABASE() AND INFO LIKE 'SELECT SLEEP(600)%'")) {
      if (row[0]) db.Exec("KILL CONNECTION " + *row[0]);
    }
  }
  client.join();
}

// A ferry statement waiting for the held lock.
bool WaitsForLock(TestDatabase& db) {
  return Count(db, db.db() == Db::kPostgres
                       ? "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                         "current_database() AND wait_event_type = 'Lock' AND query LIKE "
                         "'%TRIGGER%'"
                       : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = "
                         "DATABASE() AND STATE LIKE '%metadata lock%' AND INFO LIKE "
                         "'%TRIGGER%'") > 0;
}

// Runs `command` against `source` while `holder` holds a table it must change, sends SIGTERM once
// a ferry statement waits for that lock, and lets the lock go a moment later (the statement
// waiting for it goes on after the signal).
FerryResult TermWhileWaiting(TestDatabase& source, const std::string& command,
                             std::thread& holder) {
  bool signalled = false;
  FerryResult stopped = RunWhile(command, source, [&](pid_t pid) {
    if (!WaitsForLock(source)) return false;
    kill(pid, SIGTERM);
    signalled = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ReleaseHold(source, holder);
    return true;
  });
  if (holder.joinable()) ReleaseHold(source, holder);
  INFO(stopped.output);
  REQUIRE(signalled);
  return stopped;
}

// The number of triggers on `table`.
int64_t Triggers(TestDatabase& db, const std::string& table) {
  return Count(db, db.db() == Db::kPostgres
                       ? "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = '" +
                             table + "'::regclass"
                       : "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
                         "DATABASE() AND EVENT_OBJECT_TABLE = '" +
                             table + "'");
}

// Each table's line of `ferry track status`.
std::string StatusLine(const std::string& output, const std::string& table) {
  const size_t at = output.find(table + ": ");
  if (at == std::string::npos) return "";
  return output.substr(at, output.find('\n', at) - at);
}

// Every table either tracked with its changes logged (one update each: backlog 1) or not tracked
// at all; never tracked with a log that records nothing.
void CheckWholeOrAbsent(TestDatabase& source, const std::string& at, bool all_tracked) {
  for (const std::string& t : kTables) source.Exec("UPDATE " + t + " SET v = 'z' WHERE id = 1");
  FerryResult status = RunFerry("track status" + at);
  INFO(status.output);
  CHECK(status.exit_code == 0);
  for (const std::string& t : kTables) {
    const std::string line = StatusLine(status.output, t);
    INFO(line);
    if (all_tracked || line.find("not tracked") == std::string::npos) {
      CHECK(line.find("tracked by") != std::string::npos);
      CHECK(line.find("backlog 1 changes") != std::string::npos);
    }
  }
}

}  // namespace

TEST_CASE(
    "SIGTERM while track enable waits inside a table finishes that table, begins no other, exits "
    "5, and enable again tracks the rest",
    "[signals][sync]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "sig_track_src");
      SeedTables(source);
      const std::string at = " --source " + ShellQuote(source.Url());
      std::thread holder = HoldTable(source, "t3");
      FerryResult stopped = TermWhileWaiting(source, "track enable" + at, holder);
      INFO(stopped.output);
      CHECK(stopped.exit_code == 5);
      CHECK(stopped.output.find("run `ferry track enable` again") != std::string::npos);
      CHECK(StatusLine(stopped.output, "t4") == "");  // begun after the signal: never
      CHECK(Triggers(source, "t4") == 0);
      CHECK(Triggers(source, "t3") == (db == Db::kPostgres ? 1 : 3));
      CheckWholeOrAbsent(source, at, false);
      FerryResult again = RunFerry("track enable" + at);
      INFO(again.output);
      REQUIRE(again.exit_code == 0);
      for (const std::string& t : kTables) {
        source.Exec("DELETE FROM " + t + " WHERE id = 3");  // a second change each
      }
      FerryResult status = RunFerry("track status" + at);
      INFO(status.output);
      for (const char* t : {"t3", "t4"}) CHECK(Triggers(source, t) > 0);
      CHECK(StatusLine(status.output, "t4").find("backlog 1 changes") != std::string::npos);
      CHECK(StatusLine(status.output, "t1").find("backlog 2 changes") != std::string::npos);
    }
  }
}

TEST_CASE(
    "SIGTERM while track disable waits inside a table finishes that table, begins no other, exits "
    "5, and disable again leaves nothing of ferry's",
    "[signals][sync]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "sig_untrack_src");
      SeedTables(source);
      const std::string at = " --source " + ShellQuote(source.Url());
      REQUIRE(RunFerry("track enable" + at).exit_code == 0);
      std::thread holder = HoldTable(source, "t3");
      FerryResult stopped = TermWhileWaiting(source, "track disable" + at, holder);
      INFO(stopped.output);
      CHECK(stopped.exit_code == 5);
      CHECK(stopped.output.find("run `ferry track disable` again") != std::string::npos);
      CHECK(Triggers(source, "t3") == 0);
      CHECK(Triggers(source, "t4") > 0);  // begun after the signal: never
      CheckWholeOrAbsent(source, at, false);
      FerryResult again = RunFerry("track disable" + at);
      INFO(again.output);
      CHECK(again.exit_code == 0);
      for (const std::string& t : kTables) CHECK(Triggers(source, t) == 0);
      CHECK(Count(source, db == Db::kPostgres
                              ? "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ferry%'"
                              : "SELECT count(*) FROM information_schema.TABLES WHERE "
                                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'ferry%'") == 0);
    }
  }
}

TEST_CASE(
    "a MariaDB change log left half made by a kill between track's statements is refused by "
    "name, and track enable or disable again completes it",
    "[signals][sync][mariadb]") {
  TestDatabase source(Db::kMariaDB, "sig_halfmade_src");
  SeedTables(source);
  const std::string at = " --source " + ShellQuote(source.Url());
  REQUIRE(RunFerry("track enable" + at).exit_code == 0);
  // What `track disable` killed after its first statements leaves (its generation deleted,
  // one trigger dropped), and what `track enable` killed before its last ones leaves (a log,
  // one trigger of three, no generation): the same state.
  source.Exec("DELETE FROM ferry_tracking WHERE table_name = 't2'");
  source.Exec("DROP TRIGGER ferry_log_t2_upd");
  source.Exec("DROP TRIGGER ferry_log_t2_del");
  REQUIRE(Triggers(source, "t2") == 1);
  FerryResult status = RunFerry("track status" + at);
  INFO(status.output);
  CHECK(status.exit_code == 1);
  CHECK(StatusLine(status.output, "t2").find("left half made") != std::string::npos);
  CHECK(StatusLine(status.output, "t1").find("tracked by") != std::string::npos);
  SECTION("a copy and a sync name it") {
    TestDatabase dest(Db::kMariaDB, "sig_halfmade_dst");
    const std::string ends = at + " --dest " + ShellQuote(dest.Url());
    FerryResult copy = RunFerry("run --quiet" + ends);
    INFO(copy.output);
    CHECK(copy.exit_code == 0);
    CHECK(copy.output.find("left half made") != std::string::npos);
    FerryResult sync = RunFerry("sync" + ends);
    INFO(sync.output);
    CHECK(sync.exit_code != 0);
    CHECK(sync.output.find("left half made") != std::string::npos);
    CHECK(sync.output.find("t1 -> ") != std::string::npos);
  }
  SECTION("enable again") {
    FerryResult again = RunFerry("track enable" + at);
    INFO(again.output);
    CHECK(again.exit_code == 0);
    CHECK(Triggers(source, "t2") == 3);
    CheckWholeOrAbsent(source, at, true);
  }
  SECTION("disable again") {
    FerryResult again = RunFerry("track disable" + at + " --include t2");
    INFO(again.output);
    CHECK(again.exit_code == 0);
    CHECK(Triggers(source, "t2") == 0);
    CHECK(Count(source,
                "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = 'ferry_log_t2'") == 0);
  }
}

namespace {

// Two tables with a primary key each, a unique and two plain indexes, and a foreign key: five
// or more build statements after the rows.
void SeedKeyed(TestDatabase& db) {
  db.Exec("CREATE TABLE parent (id integer PRIMARY KEY, name varchar(40) NOT NULL)");
  db.Exec("CREATE UNIQUE INDEX parent_name ON parent (name)");
  db.Exec(
      "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL, v integer, w "
      "varchar(20), FOREIGN KEY (parent_id) REFERENCES parent (id))");
  db.Exec("CREATE INDEX child_v ON child (v)");
  db.Exec("CREATE INDEX child_wv ON child (w, v)");
  std::string parents, children;
  for (int i = 1; i <= 3000; ++i) {
    if (i <= 300) {
      parents += (parents.empty() ? "" : ", ") + fmt::format("({}, 'p{}')", i, i);
    }
    children += (children.empty() ? "" : ", ") +
                fmt::format("({}, {}, {}, 'w{}')", i, 1 + i % 300, i % 97, i % 13);
  }
  db.Exec("INSERT INTO parent VALUES " + parents);
  db.Exec("INSERT INTO child VALUES " + children);
}

// The destination's indexes and constraints on the two tables, one line each.
std::vector<std::string> Structure(TestDatabase& db) {
  if (db.db() == Db::kPostgres) {
    return RowLines(db,
                    "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename IN "
                    "('parent', 'child') UNION ALL SELECT conname || ' ' || contype::text FROM "
                    "pg_constraint WHERE conrelid IN ('parent'::regclass, 'child'::regclass) "
                    "ORDER BY 1");
  }
  return RowLines(
      db,
      "SELECT CONCAT_WS(' ', table_name, index_name, seq_in_index, column_name, non_unique) FROM "
      "information_schema.STATISTICS WHERE table_schema = DATABASE() AND table_name IN "
      "('parent', 'child') UNION ALL SELECT CONCAT_WS(' ', table_name, constraint_name, "
      "constraint_type) FROM information_schema.TABLE_CONSTRAINTS WHERE table_schema = "
      "DATABASE() AND table_name IN ('parent', 'child') ORDER BY 1");
}

}  // namespace

TEST_CASE(
    "a single-process run killed in the middle of its index builds resumes to every key, index "
    "and row, building nothing twice",
    "[signals][resume]") {
  for (auto [from, to] :
       {std::pair{Db::kPostgres, Db::kMariaDB}, std::pair{Db::kMariaDB, Db::kPostgres}}) {
    // Into MariaDB the keys come with the tables: three index builds; into PostgreSQL the keys
    // wait for the rows: five builds. Killed before the first, and before the last.
    for (int n : to == Db::kMariaDB ? std::vector<int>{1, 3} : std::vector<int>{2, 5}) {
      DYNAMIC_SECTION(DbName(from) << " into " << DbName(to) << ", killed before build " << n) {
        TestDatabase source(from, "sig_build_src");
        TestDatabase dest(to, "sig_build_dst");
        TestDatabase whole(to, "sig_build_whole");
        SeedKeyed(source);
        const std::string args =
            "run --source " + ShellQuote(source.Url()) + " --readers 1 --writers 1 --quiet --dest ";
        REQUIRE(RunFerry(args + ShellQuote(whole.Url())).exit_code == 0);
        TempDir dir;
        // Stopped just before its nth key or index build (the builds before it made), then
        // killed there: what a kill -9 between two builds leaves.
        WorkerProcess run("FERRY_TEST_CRASH=stop-in-build:" + std::to_string(n) + " exec " +
                              ShellQuote(FerryBinary()) + " " + args + ShellQuote(dest.Url()),
                          std::filesystem::path(dir.path()) / "run.log");
        bool stopped = false;
        for (int i = 0; i < 600 && !stopped; ++i) {
          stopped = Stopped(run.pid());
          if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        INFO(run.Output());
        REQUIRE(stopped);
        kill(run.pid(), SIGKILL);
        CHECK(run.Wait() == 128 + SIGKILL);
        FerryResult resumed = RunFerry(args + ShellQuote(dest.Url()) + " --resume");
        INFO(resumed.output);
        CHECK(resumed.exit_code == 0);
        CHECK(resumed.output.find("already exists") == std::string::npos);
        CHECK(resumed.output.find("Duplicate") == std::string::npos);
        CHECK(Structure(dest) == Structure(whole));
        for (const char* table : {"parent", "child"}) {
          INFO(table);
          TableContents a = ReadCanonical(source, table);
          TableContents b = ReadCanonical(dest, table);
          REQUIRE(b.rows.size() == a.rows.size());
          CHECK(FirstDifference(a, b) == "");
        }
      }
    }
  }
}

TEST_CASE(
    "track disable while a sync applies the log leaves the destination whole, every change the "
    "sync read applied or none, and a later sync refused by name",
    "[signals][sync]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "sig_disable_src");
      TestDatabase dest(db, "sig_disable_dst");
      CreateItems(source, 2000);
      const std::string at = " --source " + ShellQuote(source.Url());
      const std::string ends = at + " --dest " + ShellQuote(dest.Url());
      REQUIRE(RunFerry("track enable" + at).exit_code == 0);
      REQUIRE(RunFerry("run --quiet" + ends).exit_code == 0);
      const std::vector<std::string> copied = Items(source);
      source.Exec("UPDATE items SET qty = 1 WHERE id <= 500");
      source.Exec("DELETE FROM items WHERE id > 1900");
      TempDir dir;
      // The sync's first batch sits in its commit at the destination for a few seconds: the
      // disable comes while the sync is between reading the log and purging it.
      const bool pg = db == Db::kPostgres;
      WorkerProcess sync("FERRY_TEST_CRASH=stall-at-commit:1 FERRY_TEST_STALL_SQL=" +
                             ShellQuote(pg ? "SELECT pg_sleep(4)" : "DO SLEEP(4)") + " exec " +
                             ShellQuote(FerryBinary()) + " sync" + ends,
                         std::filesystem::path(dir.path()) / "sync.log");
      const std::string sleeping =
          pg ? "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
               "query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid()"
             : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND "
               "INFO LIKE '%SLEEP(4)%' AND ID <> CONNECTION_ID()";
      bool stalled = false;
      for (int i = 0; i < 400 && !stalled; ++i) {
        stalled = Count(dest, sleeping) > 0;
        if (!stalled) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      REQUIRE(stalled);
      FerryResult disable = RunFerry("track disable" + at);
      const int sync_exit = sync.Wait();
      INFO("disable: " << disable.exit_code << "\n" << disable.output);
      INFO("sync: " << sync_exit << "\n" << sync.Output());
      // Nothing of ferry's is left on the source, and the sync under way either applied every
      // change it had read (PostgreSQL: the log dropped under it fails its batch, rolled back)
      // or none: the destination is the source now, or the copy, never between.
      CHECK(disable.exit_code == 0);
      CHECK(Triggers(source, "items") == 0);
      CHECK(Count(source, pg ? "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ferry%'"
                             : "SELECT count(*) FROM information_schema.TABLES WHERE "
                               "TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'ferry%'") == 0);
      if (sync_exit == 0) {
        CHECK(Items(dest) == Items(source));
      } else {
        CHECK(sync_exit == 1);
        CHECK(sync.Output().find("items: FAILED") != std::string::npos);
        CHECK(Items(dest) == copied);
      }
      // A later sync is refused by name: no log, nothing read from a log that misses changes.
      FerryResult again = RunFerry("sync" + ends);
      INFO("sync again: " << again.exit_code << "\n" << again.output);
      CHECK(again.exit_code == 1);
      CHECK(again.output.find("change tracking is not enabled for this table") !=
            std::string::npos);
    }
  }
}

namespace {

// Runs `args` (its process found by `by`'s database name), stopped, sent SIGTERM and continued
// `delay` after it shows, so the signal lands at some phase of its first seconds. Then resumes
// what it left (or runs it again when the signal came before it wrote anything): the result of
// the last command, which must be a finished one.
FerryResult SignalledThenFinished(const std::string& args, const TestDatabase& by,
                                  std::chrono::milliseconds delay, std::string* first) {
  FerryResult r = RunWhile(args, by, [&](pid_t pid) {
    std::this_thread::sleep_for(delay);
    kill(pid, SIGSTOP);
    kill(pid, SIGTERM);
    kill(pid, SIGCONT);
    return true;
  });
  *first = std::to_string(r.exit_code) + "\n" + r.output;
  if (r.exit_code == 0) return r;
  if (r.exit_code != 5 && r.exit_code != 128 + SIGTERM) return r;  // neither: the test fails
  // Before the run began to write, ferry stops at once and says it wrote nothing: run again.
  // After, the stop names --resume.
  const bool nothing = r.exit_code != 5 || r.output.find("writes nothing") != std::string::npos;
  if (!nothing && r.output.find("--resume") == std::string::npos) {
    r.exit_code = -5;  // a stop that does not say how to go on
    return r;
  }
  return RunFerry(args + (nothing ? "" : " --resume"));
}

void CheckKeyedSame(TestDatabase& source, TestDatabase& dest) {
  for (const char* table : {"parent", "child"}) {
    INFO(table);
    TableContents a = ReadCanonical(source, table);
    TableContents b = ReadCanonical(dest, table);
    REQUIRE(b.rows.size() == a.rows.size());
    CHECK(FirstDifference(a, b) == "");
  }
}

}  // namespace

TEST_CASE(
    "SIGTERM at any phase of a run's first second, schema clone, cross-engine CREATE TABLEs, "
    "export into a directory or import from one, exits 5 or finishes, and the resume is exact",
    "[signals][resume]") {
  TestDatabase source(Db::kPostgres, "sig_phase_src");
  SeedKeyed(source);
  const std::string from = "run --readers 1 --writers 1 --partitions 6 --source " +
                           ShellQuote(source.Url()) + " --dest ";
  for (int ms : {40, 250, 700}) {
    const std::chrono::milliseconds delay(ms);
    DYNAMIC_SECTION("a schema clone into postgresql, signalled after " << ms << " ms") {
      TestDatabase dest(Db::kPostgres, "sig_phase_clone");
      std::string first;
      FerryResult r = SignalledThenFinished(from + ShellQuote(dest.Url()), dest, delay, &first);
      INFO(first);
      INFO(r.output);
      REQUIRE(r.exit_code == 0);
      CheckKeyedSame(source, dest);
    }
    DYNAMIC_SECTION("CREATE TABLEs into mariadb, signalled after " << ms << " ms") {
      TestDatabase dest(Db::kMariaDB, "sig_phase_create");
      std::string first;
      FerryResult r = SignalledThenFinished(from + ShellQuote(dest.Url()), dest, delay, &first);
      INFO(first);
      INFO(r.output);
      REQUIRE(r.exit_code == 0);
      CheckKeyedSame(source, dest);
    }
    DYNAMIC_SECTION("an export into a directory and an import from it, signalled after " << ms
                                                                                         << " ms") {
      TempDir dir;
      const std::string files = ShellQuote("dir:" + dir.path() + "/stage");
      std::string first;
      FerryResult exported = SignalledThenFinished(from + files, source, delay, &first);
      INFO(first);
      INFO(exported.output);
      REQUIRE(exported.exit_code == 0);
      TestDatabase dest(Db::kMariaDB, "sig_phase_import");
      FerryResult imported = SignalledThenFinished(
          "run --readers 1 --writers 1 --source " + files + " --dest " + ShellQuote(dest.Url()),
          dest, delay, &first);
      INFO(first);
      INFO(imported.output);
      REQUIRE(imported.exit_code == 0);
      CheckKeyedSame(source, dest);
    }
  }
}
