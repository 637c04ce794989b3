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
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/canonical.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
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
  for (const char* table : {"events", "big"}) {
    INFO("table " << table);
    TableContents a = ReadCanonical(source, table);
    TableContents b = ReadCanonical(dest, table);
    REQUIRE(b.rows.size() == a.rows.size());
    CHECK(FirstDifference(a, b) == "");
  }
}

// A ferry worker process of the shared run.
class Worker : public WorkerProcess {
 public:
  Worker(const std::string& args, const std::filesystem::path& log)
      : WorkerProcess("exec " + ShellQuote(FERRY_BINARY) + " " + args, log) {}
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
      // Mid-unit: with one reader and one writer it always holds the unit it copies.
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
              " exec " + ShellQuote(FERRY_BINARY) + " " + JoinArgs(source, dest),
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
