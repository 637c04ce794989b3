// The profile a performance engineer compares (scheduler/profile.hpp).
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "scheduler/profile.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;

TEST_CASE("a profile labels summed stage times, times each unit, and names the run and host",
          "[profile]") {
  CopyReport report;
  report.seconds = 3;
  TableOutcome t;
  t.source = {"public", "orders"};
  t.destination = t.source;
  t.seconds = 2;
  t.times.write = 3.5;  // two units writing in parallel: more than the wall time
  UnitResult done;
  done.state = UnitState::kDone;
  done.attempts = 2;
  done.started_at = 0.5;
  done.finished_at = 2.5;
  done.reader = 1;
  done.writer = 0;
  done.read_finished_at = 2.0;
  done.write_started_at = 0.6;
  done.commit_started_at = 2.1;
  UnitResult stopped;
  stopped.part = 1;
  stopped.state = UnitState::kFailed;
  stopped.error = Error(ErrorCode::kInterrupted, "stopped before this unit was committed");
  t.unit_results = {done, stopped};
  report.tables.push_back(t);
  ProfileContext context;
  context.run_id = "20260101T000000Z-0001";
  context.version = "0.1.0";
  context.settings = {{"readers", "4"}};
  test::TempDir dir;
  const std::string path = dir.path() + "/profile.json";
  WriteProfile(report, path, context);
  const auto j = nlohmann::json::parse(std::ifstream(path));
  CHECK(j["run_id"] == "20260101T000000Z-0001");
  CHECK(j["settings"]["readers"] == "4");
  CHECK(j["host"]["cores"].get<int>() > 0);
  CHECK(j["host"]["memory_bytes"].get<int64_t>() > 0);
  CHECK(j["stages_summed_over_threads"]["write_s"] == 3.5);
  const auto& table = j["tables"][0];
  CHECK(table["seconds_wall"] == 2);
  CHECK(table["stages_summed_over_threads"]["write_s"] == 3.5);
  CHECK(table["units"][0]["started_at_s"] == 0.5);
  CHECK(table["units"][0]["finished_at_s"] == 2.5);
  CHECK(table["units"][0]["attempts"] == 2);
  CHECK(table["units"][0]["reader"] == 1);
  CHECK(table["units"][0]["writer"] == 0);
  CHECK(table["units"][0]["read_finished_at_s"] == 2.0);
  CHECK(table["units"][0]["write_started_at_s"] == 0.6);
  CHECK(table["units"][0]["commit_started_at_s"] == 2.1);
  CHECK(table["units"][1]["reader"] == -1);
  CHECK(table["units"][1]["state"] == "interrupted");
}
