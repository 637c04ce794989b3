// Prometheus metrics for the textfile collector (copier/metrics.hpp, scheduler/metrics_file.hpp).
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "copier/metrics.hpp"
#include "scheduler/metrics_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;

namespace {

CopyReport Report() {
  CopyReport report;
  TableOutcome t;
  t.source = {"public", "orders \"2026\""};
  t.destination = t.source;
  t.state = TableState::kDone;
  t.rows = 1000;
  t.bytes = 64000;
  t.units = 3;
  t.units_done = 3;
  t.times.read = 1.5;
  for (int part = 0; part < 2; ++part) {
    UnitResult u;
    u.part = part;
    u.state = UnitState::kDone;
    u.attempts = part == 1 ? 3 : 1;
    if (part == 1)
      u.retried_errors = {Error(ErrorCode::kConnection, "gone"),
                          Error(ErrorCode::kConnection, "gone")};
    t.unit_results.push_back(u);
  }
  report.tables.push_back(t);
  return report;
}

}  // namespace

TEST_CASE("each metric family has its HELP and TYPE once, and no sample has a timestamp",
          "[metrics]") {
  MetricsContext c;
  c.status = "done";
  c.started_at = 1700000000;
  c.finished_at = 1700000100;
  c.last_success = 1700000100;
  const std::string text = CopyMetrics(Report(), c);
  std::istringstream in(text);
  std::map<std::string, int> types;
  // name{labels} value: two fields, so no timestamp.
  const std::regex sample(R"(^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$)");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) types[line.substr(7, line.find(' ', 7) - 7)] += 1;
    if (line[0] == '#') continue;
    INFO(line);
    CHECK(std::regex_match(line, sample));
  }
  for (const auto& [name, count] : types) {
    INFO(name);
    CHECK(count == 1);
  }
  CHECK(text.find("ferry_run_status{command=\"run\",status=\"done\"} 1\n") != std::string::npos);
  CHECK(text.find("ferry_run_status{command=\"run\",status=\"failed\"} 0\n") != std::string::npos);
  CHECK(
      text.find(R"(ferry_rows_copied_total{command="run",table="public.orders \"2026\""} 1000)") !=
      std::string::npos);
  CHECK(text.find("ferry_last_success_timestamp_seconds{command=\"run\"} 1700000100") !=
        std::string::npos);
}

TEST_CASE("units are counted by state, with each unit's retries and errors", "[metrics]") {
  const std::string text = CopyMetrics(Report(), MetricsContext{});
  // Three units: two ran in this attempt, one was done by an earlier one.
  CHECK(text.find("state=\"done\"} 3") != std::string::npos);
  CHECK(text.find("ferry_unit_retries_total{command=\"run\",table=") != std::string::npos);
  CHECK(text.find("} 2\n# HELP ferry_table_failed") != std::string::npos);  // retries: 2
  CHECK(text.find("stage=\"read\"} 1.5") != std::string::npos);
}

TEST_CASE("a sync's metrics give each table's backlog and changes", "[metrics]") {
  SyncReport report;
  TableSync t;
  t.source = {"public", "items"};
  t.inserted = 5;
  t.deleted = 2;
  report.tables.push_back(t);
  SyncEstimate e;
  e.table = t.source;
  e.status.enabled = true;
  e.status.backlog = 42;
  MetricsContext c;
  c.command = "sync";
  c.status = "done";
  const std::string text = SyncMetrics(report, {e}, c);
  CHECK(text.find("ferry_sync_backlog{table=\"public.items\"} 42") != std::string::npos);
  CHECK(text.find("ferry_sync_rows_total{table=\"public.items\",change=\"inserted\"} 5") !=
        std::string::npos);
  CHECK(text.find("ferry_run_status{command=\"sync\",status=\"done\"} 1") != std::string::npos);
}

TEST_CASE(
    "the metrics file is replaced whole, and a folder that is not there is an error naming it",
    "[metrics]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/ferry.prom";
  WriteMetricsFile(path, "a 1\n");
  WriteMetricsFile(path, "b 2\n");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "b 2\n");
  CHECK_THROWS_WITH(WriteMetricsFile(dir.path() + "/missing/ferry.prom", "x"),
                    Catch::Contains("missing/ferry.prom"));
}
