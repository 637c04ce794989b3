// `ferry status` from another shell while a copy runs (tools/status_command.cpp): committed rows
// and units as they commit, the rate and ETA, each unit's attempts; runs filtered by command.
#include <catch2/catch.hpp>

#include <signal.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

int64_t Value(TestDatabase& db, const std::string& sql) {
  try {
    const std::string v = db.QueryValue(sql);
    return v.empty() ? 0 : std::stoll(v);
  } catch (const std::exception&) {
    return 0;  // the state tables do not exist yet
  }
}

}  // namespace

TEST_CASE("status during a copy counts the units and rows committed so far, with a rate and ETA",
          "[status][postgresql]") {
  TestDatabase source(Db::kPostgres, "live_src");
  TestDatabase dest(Db::kPostgres, "live_dst");
  source.Exec(
      "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 120000) g;\n"
      "ANALYZE");
  const std::string args = "run --source " + ShellQuote(source.Url()) + " --dest " +
                           ShellQuote(dest.Url()) +
                           " --readers 1 --writers 1 --partitions 24 --batch-rows 500";
  nlohmann::json live;
  std::string text;
  int64_t committed_rows = 0;
  // The fourth commit sleeps 5 s in the server: the run is still copying, with its table's
  // start recorded (from the progress, twice a second), when status looks.
  setenv("FERRY_TEST_CRASH", "stall-at-commit:4", 1);
  setenv("FERRY_TEST_STALL_SQL", "DO $stall$ BEGIN PERFORM pg_sleep(5); END $stall$", 1);
  FerryResult run = RunWhile(args, dest, [&](pid_t pid) {
    unsetenv("FERRY_TEST_CRASH");
    unsetenv("FERRY_TEST_STALL_SQL");
    if (Value(dest, "SELECT count(*) FROM ferry_state.ferry_units WHERE state = 'done'") < 3 ||
        Value(dest, "SELECT count(*) FROM ferry_state.ferry_tables WHERE started_at <> ''") < 1) {
      return false;
    }
    kill(pid, SIGSTOP);  // holds the run still while status looks
    committed_rows =
        Value(dest, "SELECT sum(row_count) FROM ferry_state.ferry_units WHERE state = 'done'");
    FerryResult json = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
    FerryResult plain = RunFerry("status --dest " + ShellQuote(dest.Url()));
    kill(pid, SIGCONT);
    INFO(json.output);
    REQUIRE(json.exit_code == 0);
    live = nlohmann::json::parse(json.output);
    text = plain.output;
    return true;
  });
  unsetenv("FERRY_TEST_CRASH");
  unsetenv("FERRY_TEST_STALL_SQL");
  INFO(run.output);
  INFO(text);
  REQUIRE(run.exit_code == 0);
  REQUIRE(live.contains("run"));
  CHECK(live["run"]["status"] == "running");
  const auto& table = live["run"]["tables"][0];
  CHECK(table["state"] == "running");
  CHECK(table["rows"] == committed_rows);
  CHECK(table["rows"].get<int64_t>() > 0);
  CHECK(table["units_done"].get<int>() >= 3);
  CHECK(table["unit_attempts"].size() == 24);
  // Its time so far, from its first unit's recorded start (not the 0 its record holds until it
  // ends).
  CHECK(table["seconds_so_far"] == true);
  CHECK(table["started_at"].get<std::string>().size() == 20);
  CHECK(live["run"]["rows"] == committed_rows);
  CHECK(live["run"]["expected_rows"].get<int64_t>() >= 100000);
  CHECK(text.find("rows/s on average; ETA ") != std::string::npos);
}

TEST_CASE("status --command shows only the runs of that command", "[status][postgresql]") {
  TestDatabase source(Db::kPostgres, "cmd_src");
  TestDatabase dest(Db::kPostgres, "cmd_dst");
  source.Exec("CREATE TABLE t (id integer PRIMARY KEY);\nINSERT INTO t VALUES (1), (2)");
  const std::string ends =
      " --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url());
  REQUIRE(RunFerry("run -q" + ends).exit_code == 0);
  FerryResult verify = RunFerry("verify" + ends);
  INFO(verify.output);
  REQUIRE(verify.exit_code == 0);
  FerryResult runs = RunFerry("status --json --command run --dest " + ShellQuote(dest.Url()));
  INFO(runs.output);
  REQUIRE(runs.exit_code == 0);
  const auto only_runs = nlohmann::json::parse(runs.output);
  CHECK(only_runs["runs"].size() == 1);
  CHECK(only_runs["run"]["command"] == "run");
  const auto verifies = nlohmann::json::parse(
      RunFerry("status --json --command verify --dest " + ShellQuote(dest.Url())).output);
  REQUIRE(verifies["runs"].size() == 1);
  CHECK(verifies["run"]["command"] == "verify");
  FerryResult syncs = RunFerry("status --command sync --dest " + ShellQuote(dest.Url()));
  CHECK(syncs.output.find("no ferry sync runs recorded") != std::string::npos);
  // Watching a run that has ended looks once and returns.
  FerryResult watched = RunFerry("status --watch 0.2 --dest " + ShellQuote(dest.Url()));
  CHECK(watched.exit_code == 0);
  CHECK(watched.output.find("(verify, done)") != std::string::npos);
  FerryResult bad = RunFerry("status --command copy --dest " + ShellQuote(dest.Url()));
  CHECK(bad.exit_code == 2);
}
