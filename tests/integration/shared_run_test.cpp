// Shared runs (issue 17): several ferry worker processes on one plan through leases in the
// destination (ferry run --join). Each test starts real worker processes, harms one of them
// (SIGKILL in the middle of a unit, SIGSTOP past its lease), and then compares the destination
// with the source through the tests' own canonical reading: every row once, keyless table
// included.
#include <signal.h>
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/canonical.hpp"
#include "tests/support/same_tables.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"

using namespace ferry::test;

namespace {

using namespace std::chrono_literals;

// A keyless table (a doubled unit shows as extra rows) and a keyed one.
void Seed(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE events (id integer NOT NULL, v text NOT NULL);\n"
      "INSERT INTO events SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 60000) g;\n"
      "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
      "CREATE INDEX big_v ON big (v);\n"
      "INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 120000) g;\n"
      "ANALYZE");
}

void CheckSame(TestDatabase& source, TestDatabase& dest) {
  CheckTablesSame(source, dest, {"events", "big"});
}

// A ferry worker process of the shared run.
class Worker : public WorkerProcess {
 public:
  Worker(const std::string& args, const std::filesystem::path& log)
      : WorkerProcess("exec " + ShellQuote(FerryBinary()) + " " + args, log) {}
};

std::string JoinArgs(const TestDatabase& source, const TestDatabase& dest,
                     const std::string& more = "") {
  return "run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
         " --partitions 24 --batch-rows 500 --readers 1 --writers 1 --join nightly --lease 3s " +
         more;
}

// The run state's units table, where this engine keeps it.
std::string Units(const TestDatabase& dest) {
  return dest.db() == Db::kPostgres ? "ferry_state.ferry_units" : "ferry_units";
}

int64_t Value(TestDatabase& db, const std::string& sql) {
  try {
    const std::string v = db.QueryValue(sql);
    return v.empty() ? 0 : std::stoll(v);
  } catch (const std::exception&) {
    return 0;  // the state tables do not exist yet
  }
}

int64_t UnitsDone(TestDatabase& dest) {
  return Value(dest, "SELECT count(*) FROM " + Units(dest) + " WHERE state = 'done'");
}

// Waits until `ready` holds (at most 120 s).
bool WaitFor(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

nlohmann::json Status(const TestDatabase& dest) {
  FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  return nlohmann::json::parse(status.output);
}

}  // namespace

TEST_CASE("four worker processes on one shared run make one exact copy",
          "[shared][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "shared4_src");
      TestDatabase dest(db, "shared4_dst");
      Seed(source);
      TempDir dir;
      std::vector<std::unique_ptr<Worker>> workers;
      for (int i = 0; i < 4; ++i) {
        workers.push_back(std::make_unique<Worker>(
            JoinArgs(source, dest), std::filesystem::path(dir.path()) / fmt::format("w{}.log", i)));
      }
      for (auto& w : workers) {
        const int exit_code = w->Wait();
        INFO(w->Output());
        CHECK(exit_code == 0);
      }
      CheckSame(source, dest);
      nlohmann::json status = Status(dest);
      CHECK(status["run"]["status"] == "done");
      CHECK(status["run"]["workers"].size() == 4);
      // Every unit committed once, and the keyed table's key and index were built once.
      CHECK(Value(dest, "SELECT count(*) FROM " + Units(dest) + " WHERE state <> 'done'") == 0);
      int makers = 0;
      for (auto& w : workers) makers += w->Output().find("making shared run") != std::string::npos;
      CHECK(makers == 1);
    }
  }
}

TEST_CASE("a worker killed in the middle of a unit costs only its lease: another takes it over",
          "[shared][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "sharedkill_src");
      TestDatabase dest(db, "sharedkill_dst");
      Seed(source);
      TempDir dir;
      Worker first(JoinArgs(source, dest), std::filesystem::path(dir.path()) / "first.log");
      REQUIRE(WaitFor([&] { return UnitsDone(dest) >= 2; }));
      Worker second(JoinArgs(source, dest), std::filesystem::path(dir.path()) / "second.log");
      Worker third(JoinArgs(source, dest), std::filesystem::path(dir.path()) / "third.log");
      REQUIRE(WaitFor([&] { return UnitsDone(dest) >= 6; }));
      // Mid-unit: killed while it holds a unit (its name carries its pid), which the others
      // then claim again with a new generation. On a loaded machine it may be between units.
      const std::string held = "SELECT count(*) FROM " + Units(dest) +
                               " WHERE state = 'pending' AND worker LIKE '%/" +
                               std::to_string(first.pid()) + "/%'";
      REQUIRE(WaitFor([&] { return Value(dest, held) > 0; }));
      kill(first.pid(), SIGKILL);
      CHECK(first.Wait() == 128 + SIGKILL);
      const int second_exit = second.Wait();
      const int third_exit = third.Wait();
      INFO(second.Output());
      INFO(third.Output());
      CHECK(second_exit == 0);
      CHECK(third_exit == 0);
      CheckSame(source, dest);
      CHECK(Status(dest)["run"]["status"] == "done");
      // A unit the killed worker held was claimed again: its generation moved past the first.
      CHECK(Value(dest, "SELECT count(*) FROM " + Units(dest) + " WHERE generation > 1") >= 1);
    }
  }
}

TEST_CASE("a worker frozen past its lease and resumed has its late commit refused: nothing doubles",
          "[shared][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "sharedstop_src");
      TestDatabase dest(db, "sharedstop_dst");
      Seed(source);
      TempDir dir;
      // Its third unit's commit first sleeps at the server, inside the unit's transaction and
      // before the commit's lease check: the process is stopped there, holding the unit.
      const std::string stall = db == Db::kPostgres ? "SELECT pg_sleep(4)" : "DO SLEEP(4)";
      WorkerProcess frozen(
          "FERRY_TEST_CRASH=stall-before-commit:3 FERRY_TEST_STALL_SQL=" + ShellQuote(stall) +
              " exec " + ShellQuote(FerryBinary()) + " " + JoinArgs(source, dest),
          std::filesystem::path(dir.path()) / "frozen.log");
      REQUIRE(WaitFor([&] { return UnitsDone(dest) >= 2; }));
      Worker other(JoinArgs(source, dest), std::filesystem::path(dir.path()) / "other.log");
      // In its third commit's sleep: two units done, the third held (its name carries its pid).
      const std::string held = "SELECT count(*) FROM " + Units(dest) +
                               " WHERE state = 'pending' AND worker LIKE '%/" +
                               std::to_string(frozen.pid()) + "/%'";
      REQUIRE(WaitFor([&] { return Value(dest, held) > 0; }));
      kill(frozen.pid(), SIGSTOP);
      // Past its 3 s lease the other worker takes its units over, when its current round of
      // units ends (late on a loaded machine): resumed before that, the frozen worker would
      // renew its lease and commit as if it had never stopped, and there would be nothing to test.
      REQUIRE(WaitFor([&] { return Value(dest, held) == 0; }));
      kill(frozen.pid(), SIGCONT);
      const int frozen_exit = frozen.Wait();
      const int other_exit = other.Wait();
      INFO(frozen.Output());
      INFO(other.Output());
      CHECK(frozen_exit == 0);
      CHECK(other_exit == 0);
      // Refused at its commit (the fencing check), or its write met the rows the other worker
      // committed: either way said, and nothing of it kept.
      CHECK(frozen.Output().find("lease on unit") != std::string::npos);
      CheckSame(source, dest);
      CHECK(Status(dest)["run"]["status"] == "done");
    }
  }
}

TEST_CASE("a worker joining again retries the units that failed for good, their attempts counted",
          "[shared][postgresql]") {
  TestDatabase source(Db::kPostgres, "sharedretry_src");
  TestDatabase dest(Db::kPostgres, "sharedretry_dst");
  Seed(source);
  // The destination refuses one row until a DBA lifts the check: its unit fails for good.
  dest.Exec(
      "CREATE TABLE events (id integer NOT NULL, v text NOT NULL, "
      "CONSTRAINT not_777 CHECK (id <> 777))");
  TempDir dir;
  {
    Worker first(JoinArgs(source, dest, "--append"),
                 std::filesystem::path(dir.path()) / "first.log");
    Worker second(JoinArgs(source, dest, "--append"),
                  std::filesystem::path(dir.path()) / "second.log");
    // The worker that finishes the run says it failed (exit 1).
    const int first_exit = first.Wait();
    const int second_exit = second.Wait();
    INFO(first.Output());
    INFO(second.Output());
    CHECK((first_exit == 1 || second_exit == 1));
  }
  CHECK(Status(dest)["run"]["status"] == "failed");
  REQUIRE(Value(dest, "SELECT count(*) FROM " + Units(dest) + " WHERE state = 'failed'") == 1);
  // A second worker that starts late on a loaded machine joins after the first has failed the
  // unit, and so retries it once already: count from what the failed unit has now.
  const int64_t failed_attempts =
      Value(dest, "SELECT attempts FROM " + Units(dest) + " WHERE state = 'failed'");
  dest.Exec("ALTER TABLE events DROP CONSTRAINT not_777");
  Worker again(JoinArgs(source, dest, "--append"), std::filesystem::path(dir.path()) / "again.log");
  const int again_exit = again.Wait();
  INFO(again.Output());
  CHECK(again_exit == 0);
  CHECK(again.Output().find("retrying what failed in shared run nightly: 1 unit") !=
        std::string::npos);
  CheckSame(source, dest);
  CHECK(Status(dest)["run"]["status"] == "done");
  // The failed attempts and the one that worked.
  CHECK(Value(dest, "SELECT max(attempts) FROM " + Units(dest)) == failed_attempts + 1);
}

TEST_CASE(
    "a table builder frozen past its lease wakes to find the build taken over and builds "
    "nothing twice",
    "[shared][mariadb]") {
  TestDatabase source(Db::kPostgres, "sharedbuild_src");
  TestDatabase dest(Db::kMariaDB, "sharedbuild_dst");
  Seed(source);
  TempDir dir;
  // It stops itself right before its first build statement (the index on big.v, after the
  // statement's lease check), as a host frozen there would: DDL on MariaDB commits at once, so
  // nothing but the next check and the index being found there keeps it from building twice.
  WorkerProcess frozen("FERRY_TEST_CRASH=stop-in-build:1 exec " + ShellQuote(FerryBinary()) + " " +
                           JoinArgs(source, dest),
                       std::filesystem::path(dir.path()) / "frozen.log");
  REQUIRE(WaitFor([&] { return Stopped(frozen.pid()); }));
  Worker other(JoinArgs(source, dest), std::filesystem::path(dir.path()) / "other.log");
  const int other_exit = other.Wait();
  INFO(other.Output());
  CHECK(other_exit == 0);
  CHECK(Value(dest,
              "SELECT count(*) FROM information_schema.statistics WHERE table_schema = "
              "DATABASE() AND table_name = 'big' AND column_name = 'v'") == 1);
  kill(frozen.pid(), SIGCONT);
  const int frozen_exit = frozen.Wait();
  INFO(frozen.Output());
  CHECK(frozen_exit == 0);
  CHECK(frozen.Output().find("no longer holds the build lease of table") != std::string::npos);
  CHECK(frozen.Output().find("index big_v") == std::string::npos);  // no error building it
  CheckSame(source, dest);
  nlohmann::json status = Status(dest);
  CHECK(status["run"]["status"] == "done");
  for (const auto& t : status["run"]["tables"]) {
    INFO(t.dump());
    CHECK(t["state"] == "done");
  }
  CHECK(Value(dest,
              "SELECT count(*) FROM information_schema.statistics WHERE table_schema = "
              "DATABASE() AND table_name = 'big' AND column_name = 'v'") == 1);
}

TEST_CASE(
    "a worker taking over a dead worker's unit ends the server session it left hanging instead "
    "of waiting for it",
    "[shared][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "sharedsessions_src");
      TestDatabase dest(db, "sharedsessions_dst");
      Seed(source);
      TempDir dir;
      // Its third unit's commit sleeps at the server inside the unit's transaction: killed
      // there, its session sleeps on (the server does not notice the client gone), holding the
      // table's lock that the key build after the last unit needs.
      const bool pg = db == Db::kPostgres;
      const std::string stall = pg ? "SELECT pg_sleep(90)" : "DO SLEEP(90)";
      WorkerProcess dead(
          "FERRY_TEST_CRASH=stall-before-commit:3 FERRY_TEST_STALL_SQL=" + ShellQuote(stall) +
              " exec " + ShellQuote(FerryBinary()) + " " + JoinArgs(source, dest),
          std::filesystem::path(dir.path()) / "dead.log");
      const std::string held = "SELECT count(*) FROM " + Units(dest) +
                               " WHERE state = 'pending' AND worker LIKE '%/" +
                               std::to_string(dead.pid()) + "/%'";
      const std::string sleeping =
          pg ? "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
               "state = 'active' AND query LIKE '%pg_sleep(90)%' AND pid <> pg_backend_pid()"
             : "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND "
               "info LIKE '%SLEEP(90)%' AND id <> CONNECTION_ID()";
      REQUIRE(WaitFor([&] { return UnitsDone(dest) >= 2 && Value(dest, sleeping) > 0; }));
      kill(dead.pid(), SIGKILL);
      CHECK(dead.Wait() == 128 + SIGKILL);
      const auto start = std::chrono::steady_clock::now();
      Worker other(JoinArgs(source, dest), std::filesystem::path(dir.path()) / "other.log");
      const int other_exit = other.Wait();
      INFO(other.Output());
      CHECK(other_exit == 0);
      // MariaDB sometimes notices the killed client inside its SLEEP and ends the session
      // itself before the takeover looks: then there is nothing to end, and what must hold is
      // the rest (no 90 s wait, no session left, an exact copy). PostgreSQL never does.
      if (pg || other.Output().find("server session") != std::string::npos) {
        CHECK(other.Output().find("server session") != std::string::npos);
        CHECK(other.Output().find("(gone) and waited for their rollback") != std::string::npos);
      }
      CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
      CHECK(Value(dest, sleeping) == 0);
      CHECK(Value(dest, held) == 0);
      CheckSame(source, dest);
      CHECK(Status(dest)["run"]["status"] == "done");
    }
  }
}

TEST_CASE(
    "three worker processes share one run into a SQLite destination through its file lock, one "
    "of them killed mid-run",
    "[shared][sqlite]") {
  TestDatabase source(Db::kPostgres, "sharedsqlite_src");
  TestDatabase dest(Db::kSQLite, "sharedsqlite_dst");
  Seed(source);
  TempDir dir;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<Worker>(
        JoinArgs(source, dest), std::filesystem::path(dir.path()) / fmt::format("w{}.log", i)));
  }
  REQUIRE(WaitFor([&] { return UnitsDone(dest) >= 4; }));
  kill(workers[0]->pid(), SIGKILL);
  CHECK(workers[0]->Wait() == 128 + SIGKILL);
  for (size_t i = 1; i < workers.size(); ++i) {
    const int exit_code = workers[i]->Wait();
    INFO(workers[i]->Output());
    CHECK(exit_code == 0);
  }
  CheckSame(source, dest);
  nlohmann::json status = Status(dest);
  CHECK(status["run"]["status"] == "done");
  // The third may join only after the kill on a loaded machine: the killed one and another
  // are recorded at least.
  CHECK(status["run"]["workers"].size() >= 2);
  CHECK(Value(dest, "SELECT count(*) FROM " + Units(dest) + " WHERE state <> 'done'") == 0);
}

TEST_CASE("a plan published into the destination by ferry plan is the one the workers join",
          "[shared][postgresql]") {
  TestDatabase source(Db::kPostgres, "sharedpublish_src");
  TestDatabase dest(Db::kPostgres, "sharedpublish_dst");
  Seed(source);
  TempDir dir;
  const std::string plan_file = (std::filesystem::path(dir.path()) / "plan.json").string();
  FerryResult published =
      RunFerry("plan --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
               " --partitions 5 --publish nightly -o " + ShellQuote(plan_file));
  INFO(published.output);
  REQUIRE(published.exit_code == 0);
  CHECK(published.output.find("published the plan as shared run nightly") != std::string::npos);
  // Cut as published (5 units a table), not as the workers' own --partitions 24 would cut it.
  const int64_t units = Value(dest, "SELECT count(*) FROM " + Units(dest));
  CHECK(units == 10);
  CHECK(RunFerry("plan --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
                 " --publish nightly -o /dev/null")
            .exit_code != 0);  // the name is taken
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 2; ++i) {
    workers.push_back(std::make_unique<Worker>(
        JoinArgs(source, dest), std::filesystem::path(dir.path()) / fmt::format("w{}.log", i)));
  }
  int from_published = 0;
  for (auto& w : workers) {
    const int exit_code = w->Wait();
    INFO(w->Output());
    CHECK(exit_code == 0);
    CHECK(w->Output().find("making shared run nightly\n") == std::string::npos);
    from_published += w->Output().find("from the plan `ferry plan` published") != std::string::npos;
  }
  CHECK(from_published == 1);
  CheckSame(source, dest);
  CHECK(Status(dest)["run"]["status"] == "done");
  CHECK(Value(dest, "SELECT count(*) FROM " + Units(dest) + " WHERE state = 'done'") == units);
}

// The outage meets the workers wherever they are: copying units, building a table, recording
// it, waiting for the run to finish, or still preparing their part.
TEST_CASE(
    "workers of a shared run ride out the destination going away for seconds and end with one "
    "exact copy",
    "[shared][restart][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "sharedrestart_src");
      TestDatabase dest(db, "sharedrestart_dst");
      Seed(source);
      TempDir dir;
      // The workers reach the destination through a proxy that plays its restart: every
      // connection cut, none accepted for four seconds (longer than the workers' leases).
      TcpProxy proxy(ServerPort(db));
      const std::string args = "run --source " + ShellQuote(source.Url()) + " --dest " +
                               ShellQuote(proxy.Url(dest)) +
                               " --partitions 24 --batch-rows 500 --readers 1 --writers 1 "
                               "--join nightly --lease 3s";
      std::vector<std::unique_ptr<Worker>> workers;
      for (int i = 0; i < 3; ++i) {
        workers.push_back(std::make_unique<Worker>(
            args, std::filesystem::path(dir.path()) / fmt::format("w{}.log", i)));
      }
      REQUIRE(WaitFor([&] { return UnitsDone(dest) >= 4; }));
      proxy.Outage(std::chrono::seconds(4));
      for (auto& w : workers) {
        const int exit_code = w->Wait();
        INFO(w->Output());
        CHECK(exit_code == 0);
      }
      CheckSame(source, dest);
      CHECK(Status(dest)["run"]["status"] == "done");
      CHECK(Value(dest, "SELECT count(*) FROM " + Units(dest) + " WHERE state <> 'done'") == 0);
    }
  }
}
