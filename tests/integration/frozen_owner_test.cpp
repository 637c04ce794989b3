// A resume behind a run whose process is frozen (SIGSTOP) inside a unit's commit (issue 12): the
// frozen process holds a share lock on its run's row, and whatever the resume writes about that
// run queues behind it. The resume waits a bounded time, names the holder and exits 6 (busy);
// once the frozen process is continued or killed, a later resume ends in an exact copy.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "tests/support/canonical.hpp"
#include "tests/support/same_tables.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

void Seed(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE events (id integer NOT NULL, v text NOT NULL);\n"
      "INSERT INTO events SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 40000) g;\n"
      "ANALYZE");
}

void CheckSame(TestDatabase& source, TestDatabase& dest) {
  CheckTablesSame(source, dest, {"events", "big"});
}

int64_t Value(TestDatabase& db, const std::string& sql) {
  try {
    const std::string v = db.QueryValue(sql);
    return v.empty() ? 0 : std::stoll(v);
  } catch (const std::exception&) {
    return 0;  // the state tables do not exist yet
  }
}

// Whether a session of `dest` runs the stall statement (the hook's server-side sleep).
bool Stalled(TestDatabase& dest) {
  return Value(dest, dest.db() == Db::kPostgres
                         ? "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                           "'DO $stall$%' AND datname = current_database()"
                         : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                           "'DO SLEEP(10)%' AND DB = DATABASE()") > 0;
}

// Ends the destination session holding ferry's run lock (as a DBA's kill would).
void KillLockSession(TestDatabase& dest) {
  if (dest.db() == Db::kPostgres) {
    dest.Exec(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
        "database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    return;
  }
  const int64_t id = Value(dest,
                           "SELECT IS_USED_LOCK(CONCAT('ferry:', MD5(CONCAT(DATABASE(), ':', "
                           "'ferry_'))))");
  if (id > 0) dest.Exec("KILL CONNECTION " + std::to_string(id));
}

}  // namespace

TEST_CASE(
    "a resume behind a run frozen inside a unit's commit waits a bounded time, names the frozen "
    "process and exits busy, and the copy is resumed exactly whether it is continued or killed",
    "[exactly][frozen][postgresql][mariadb]") {
  // Its run lock held; the lock's session killed (a DBA, a cut network); killed too, and its
  // record naming another host, so nothing on this host can tell it is alive and the resume
  // goes on to write about its run, behind its locks.
  const char* const variants[] = {"its lock held", "its lock session killed",
                                  "its lock session killed and its host unknown here"};
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    for (int variant = 0; variant < 3; ++variant) {
      DYNAMIC_SECTION("into " << DbName(db) << ", " << variants[variant]) {
        const bool lock_session_killed = variant > 0;
        const bool elsewhere = variant == 2;
        TestDatabase source(Db::kPostgres, "frozen_src");
        TestDatabase dest(db, "frozen_dst");
        Seed(source);
        const std::string args =
            "run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
            " --partitions 12 --batch-rows 500 --readers 1 --writers 1 --lock-wait 10";
        // The third unit's commit sleeps in the server after marking the unit done (holding the
        // share lock on the run's row the owner check takes); the process is frozen there, and
        // keeps the locks once the sleep ends: the sleep need only last until it is seen. The
        // resume's writes about the run wait half of --lock-wait (5 s, two tries).
        setenv("FERRY_TEST_CRASH", "stall-at-commit:3", 1);
        setenv("FERRY_TEST_STALL_SQL",
               db == Db::kPostgres ? "DO $stall$ BEGIN PERFORM pg_sleep(10); END $stall$"
                                   : "DO SLEEP(10)",
               1);
        // Continued, the frozen run finishes its copy itself; killed, a later resume does.
        const bool kill_it = (variant + (db == Db::kPostgres ? 0 : 1)) % 2 == 1;
        FerryResult second;
        double waited = -1;
        pid_t frozen = 0;
        bool moved = false;
        FerryResult first = RunWhile(args, dest, [&](pid_t pid) {
          unsetenv("FERRY_TEST_CRASH");
          unsetenv("FERRY_TEST_STALL_SQL");
          if (elsewhere && !moved) {
            // Before the stalled commit takes its share lock on the run's row.
            try {
              dest.Exec(std::string(db == Db::kPostgres ? "SET lock_timeout = '1s';\n"
                                                        : "SET innodb_lock_wait_timeout = 1;\n") +
                        "UPDATE ferry_runs SET host = 'elsewhere.invalid'");
              moved = Value(dest,
                            "SELECT count(*) FROM ferry_runs WHERE host = "
                            "'elsewhere.invalid'") > 0;
            } catch (const std::exception&) {
            }
            return false;
          }
          if (!Stalled(dest)) return false;
          kill(pid, SIGSTOP);
          frozen = pid;
          if (lock_session_killed) KillLockSession(dest);
          const auto start = std::chrono::steady_clock::now();
          second = RunFerry(args + " --resume");
          waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          kill(pid, kill_it ? SIGKILL : SIGCONT);
          return true;
        });
        unsetenv("FERRY_TEST_CRASH");
        unsetenv("FERRY_TEST_STALL_SQL");
        INFO(first.output);
        INFO(second.output);
        REQUIRE(frozen != 0);
        CHECK(second.exit_code == 6);
        CHECK(waited < 60);
        CHECK(second.output.find("pid " + std::to_string(frozen)) != std::string::npos);
        if (elsewhere) {
          // Waited through the lock-wait loop, which named the sessions holding the run's row.
          CHECK(second.output.find("waiting to record run") != std::string::npos);
          CHECK(second.output.find("holds locks on its run state") != std::string::npos);
          CHECK(second.output.find("elsewhere.invalid") != std::string::npos);
        } else {
          CHECK(second.output.find("alive but stopped") != std::string::npos);
          CHECK(second.output.find("kill -CONT " + std::to_string(frozen)) != std::string::npos);
        }
        if (kill_it) {
          FerryResult last = RunFerry(args + " --resume");
          INFO(last.output);
          CHECK(last.exit_code == 0);
        } else {
          CHECK(first.exit_code == 0);
        }
        CheckSame(source, dest);
      }
    }
  }
}
