// The run's timeline in the Chrome trace-event format (scheduler/trace.hpp).
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "scheduler/trace.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using json = nlohmann::json;

namespace {

UnitResult Unit(int part, int reader, int writer, double start, double read_end, double write_start,
                double commit_start, double end) {
  UnitResult u;
  u.part = part;
  u.state = UnitState::kDone;
  u.attempts = 1;
  u.rows = 100;
  u.reader = reader;
  u.writer = writer;
  u.started_at = start;
  u.read_finished_at = read_end;
  u.write_started_at = write_start;
  u.commit_started_at = commit_start;
  u.finished_at = end;
  return u;
}

// Every complete event of each thread either follows the one before or nests inside it.
void CheckNestedPerThread(const json& events) {
  std::map<int, std::vector<std::pair<int64_t, int64_t>>> by_thread;
  for (const json& e : events) {
    if (e["ph"] != "X") continue;
    by_thread[e["tid"].get<int>()].emplace_back(e["ts"].get<int64_t>(),
                                                e["ts"].get<int64_t>() + e["dur"].get<int64_t>());
  }
  for (auto& [tid, spans] : by_thread) {
    std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    });
    std::vector<int64_t> open;  // ends of the spans enclosing the current one
    for (const auto& [start, end] : spans) {
      while (!open.empty() && open.back() <= start) open.pop_back();
      if (!open.empty()) CHECK(end <= open.back());  // inside its parent, not across its end
      open.push_back(end);
    }
  }
}

}  // namespace

TEST_CASE("a trace has a span per unit on its reader's and its writer's track, commits nested",
          "[trace]") {
  CopyReport report;
  TableOutcome t;
  t.source = {"public", "orders"};
  t.units = 3;
  t.unit_results = {Unit(0, 0, 0, 0.0, 1.0, 0.001, 0.9, 1.1),
                    Unit(1, 1, 1, 0.0, 1.5, 0.002, 1.4, 1.6),
                    Unit(2, 0, 0, 1.0, 2.0, 1.1, 1.9, 2.05)};
  UnitResult never;  // stopped before a reader took it
  never.part = 3;
  never.state = UnitState::kFailed;
  never.error = Error(ErrorCode::kInterrupted, "stopped before this unit ran");
  t.unit_results.push_back(never);
  report.tables.push_back(t);
  ProfileContext context;
  context.run_id = "20260101T000000Z-0001";

  const json doc = json::parse(TraceJson("ferry run x", CopySpans(report), context));

  REQUIRE(doc["traceEvents"].is_array());
  CHECK(doc["otherData"]["run_id"] == "20260101T000000Z-0001");
  std::map<std::string, int> threads;  // name -> tid
  int reads = 0, writes = 0, commits = 0;
  for (const json& e : doc["traceEvents"]) {
    REQUIRE(e.contains("ph"));
    CHECK(e["pid"] == 1);
    if (e["ph"] == "M" && e["name"] == "thread_name") {
      threads[e["args"]["name"]] = e["tid"];
      continue;
    }
    if (e["ph"] != "X") continue;
    CHECK(e["ts"].is_number_integer());
    CHECK(e["dur"].get<int64_t>() >= 0);
    CHECK(e["tid"].get<int>() > 0);
    reads += e["cat"] == "read";
    writes += e["cat"] == "write";
    commits += e["cat"] == "commit";
  }
  CHECK(reads == 3);
  CHECK(writes == 3);
  CHECK(commits == 3);
  CHECK(threads.size() == 4);
  CHECK(threads.at("reader 0") < threads.at("reader 1"));
  CHECK(threads.at("reader 1") < threads.at("writer 0"));
  CheckNestedPerThread(doc["traceEvents"]);
  // Microseconds since the copy started.
  bool found = false;
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == "X" && e["cat"] == "read" && e["args"]["part"] == 2) {
      CHECK(e["ts"] == 1000000);
      CHECK(e["dur"] == 1000000);
      CHECK(e["tid"] == threads.at("reader 0"));
      CHECK(e["name"] == "public.orders 3/3");
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("tracks sort by their number, not as text", "[trace]") {
  std::vector<TraceSpan> spans;
  for (int i : {10, 2, 1}) spans.push_back({fmt::format("reader {}", i), "u", "read", 0, 1});
  const json doc = json::parse(TraceJson("t", spans, {}));
  std::map<std::string, int> tids;
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") tids[e["args"]["name"]] = e["tid"];
  }
  CHECK(tids.at("reader 1") < tids.at("reader 2"));
  CHECK(tids.at("reader 2") < tids.at("reader 10"));
}

TEST_CASE("a trace is written whole through a rename, and an unwritable path is an error naming it",
          "[trace]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/run.trace.json";
  WriteTrace(path, "t", {{"reader 0", "u", "read", 0, 1}}, {});
  CHECK(json::parse(std::ifstream(path))["traceEvents"].size() == 4);
  try {
    WriteTrace(dir.path() + "/missing/run.trace.json", "t", {}, {});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kIo);
    CHECK_THAT(e.what(), Catch::Contains("trace") && Catch::Contains("missing/run.trace.json"));
  }
}
