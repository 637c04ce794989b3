// The parallel pipeline (scheduler/pipeline.hpp) on the memory engine: what arrives, how units
// commit, and what a failure, a retry or a stop leaves at the destination.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "scheduler/pipeline.hpp"
#include "scheduler/stop.hpp"
#include "tests/support/memory_copy.hpp"
#include "tests/support/memory_endpoint.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

std::vector<int64_t> Range(int64_t first, int64_t count) {
  std::vector<int64_t> ids(static_cast<size_t>(count));
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

int Count(const std::vector<Event>& events, EventKind kind) {
  return int(
      std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind; }));
}

}  // namespace

TEST_CASE("every row arrives exactly once, each unit in one commit", "[pipeline]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  PipelineCopy copy(source, destination, table, 8);
  REQUIRE(copy.units().size() == 8);

  std::vector<UnitResult> results = copy.Run(QuickOptions());

  REQUIRE(results.size() == 8);
  int64_t rows = 0;
  for (const UnitResult& r : results) {
    CHECK(r.state == UnitState::kDone);
    CHECK(r.attempts == 1);
    rows += r.rows;
  }
  CHECK(rows == 1000);
  CHECK(destination.Rows(table) == source.Rows(table));
  CHECK(Ids(destination.Rows(table)) == Range(1, 1000));
  // Batches of 64 rows: units span several writes, and each commits once.
  const std::vector<Event> events = destination.Events();
  CHECK(Count(events, EventKind::kCommit) == 8);
  CHECK(Count(events, EventKind::kWrite) > 8);
  CHECK(Count(events, EventKind::kRollback) == 0);
}

TEST_CASE("a unit spans batches of at most the row limit", "[pipeline]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 500);
  PipelineCopy copy(source, destination, table, 1);
  EngineOptions options = QuickOptions();
  options.limits.max_rows = 100;

  copy.Run(options);

  std::vector<int64_t> written;
  for (const Event& e : destination.Events()) {
    if (e.kind == EventKind::kWrite) written.push_back(e.rows);
  }
  CHECK(written == std::vector<int64_t>{100, 100, 100, 100, 100});
  CHECK(Ids(destination.Rows(table)) == Range(1, 500));
}

TEST_CASE("what waits for a table runs once, after its last unit has committed", "[pipeline]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 800);
  PipelineCopy copy(source, destination, table, 4);
  std::vector<size_t> rows_when_done;

  copy.Run(QuickOptions(), {},
           [&](size_t) { rows_when_done.push_back(destination.Rows(table).size()); });

  CHECK(rows_when_done == std::vector<size_t>{800});
}

TEST_CASE("what waits for a table does not run when one of its units failed", "[pipeline]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 800);
  destination.FailWrite(table, "400", 1, PermissionError());
  PipelineCopy copy(source, destination, table, 4);
  int calls = 0;

  copy.Run(QuickOptions(), {}, [&](size_t) { ++calls; });

  CHECK(calls == 0);
}

TEST_CASE("a stop request rolls back the unit being written and reports it interrupted",
          "[pipeline][stop]") {
  StopGuard guard;
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  PipelineCopy copy(source, destination, table, 4);
  const int held = copy.PartHolding(1);
  std::shared_ptr<Stall> stall = destination.StallUnit(table, "1", Stage::kWrite);
  // The pipeline notices a stop between two progress calls: the stall is released only once
  // it has (the progress call after the request).
  auto progress = [&](const PipelineProgress&) {
    if (StopRequested()) {
      stall->Release();
    } else if (stall->Reached()) {
      RequestStop();
    }
  };

  std::vector<UnitResult> results = copy.Run(QuickOptions(), progress);
  stall->Release();

  REQUIRE(stall->Reached());
  const UnitResult& stopped = results.at(size_t(held));
  CHECK(stopped.state == UnitState::kFailed);
  CHECK(ErrorCodeOf(stopped) == ErrorCode::kInterrupted);
  // Nothing of the stopped unit is there, and every unit that reports done is there whole.
  const std::vector<int64_t> there = Ids(destination.Rows(table));
  CHECK(copy.IdsOfPart(held, there).empty());
  std::vector<int64_t> expected;
  for (const UnitResult& r : results) {
    if (r.state == UnitState::kDone) {
      for (int64_t id : copy.IdsOfPart(r.part, Range(1, 1000))) expected.push_back(id);
    } else {
      CHECK(ErrorCodeOf(r) == ErrorCode::kInterrupted);
    }
  }
  std::sort(expected.begin(), expected.end());
  CHECK(there == expected);
  CHECK(Count(destination.Events(), EventKind::kRollback) >= 1);
}

TEST_CASE("an ordered run commits its units in the order of the jobs", "[pipeline][ordered]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 600);
  PipelineCopy copy(source, destination, table, 6);
  std::vector<UnitJob> jobs = copy.Jobs();
  std::reverse(jobs.begin(), jobs.end());
  EngineOptions options = QuickOptions();
  options.ordered = true;
  options.readers = 4;  // an ordered run uses one of each whatever it is given
  options.writers = 4;

  std::unique_ptr<Endpoint> from = source.Connect(), to = destination.Connect();
  from->BeginSnapshot(Consistency::kSnapshot);
  std::vector<UnitResult> results = RunPipeline(*from, *to, options, jobs, 1, {});

  std::vector<int> committed_parts;
  for (const Event& e : destination.Events()) {
    if (e.kind == EventKind::kCommit) {
      committed_parts.push_back(copy.PartHolding(std::stoll(e.first_key.value())));
    }
  }
  CHECK(committed_parts == std::vector<int>{5, 4, 3, 2, 1, 0});
  CHECK(Ids(destination.Rows(table)) == Range(1, 600));
}

TEST_CASE("an ordered run commits nothing after a unit that failed", "[pipeline][ordered]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 600);
  PipelineCopy copy(source, destination, table, 6);
  const int failing = copy.PartHolding(300);
  REQUIRE(failing > 0);
  REQUIRE(failing < 5);
  destination.FailWrite(table, "300", 1, DeadlockError());
  EngineOptions options = QuickOptions();
  options.ordered = true;

  std::vector<UnitResult> results = copy.Run(options);

  // Not retried either: the caller of an ordered run retries from the first unit not done.
  CHECK(results.at(size_t(failing)).state == UnitState::kFailed);
  CHECK(results.at(size_t(failing)).attempts == 1);
  std::vector<int64_t> before;
  for (int part = 0; part < failing; ++part) {
    CHECK(results.at(size_t(part)).state == UnitState::kDone);
    for (int64_t id : copy.IdsOfPart(part, Range(1, 600))) before.push_back(id);
  }
  for (size_t part = size_t(failing) + 1; part < results.size(); ++part) {
    CHECK(results[part].state != UnitState::kDone);
  }
  CHECK(Ids(destination.Rows(table)) == before);
}

TEST_CASE("a failed unit skips the units of its table not yet started", "[pipeline]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 800);
  PipelineCopy copy(source, destination, table, 8);
  destination.FailWrite(table, "1", 1, PermissionError());
  EngineOptions options = QuickOptions();
  options.readers = 1;
  options.writers = 1;

  std::vector<UnitResult> results = copy.Run(options);

  CHECK(results.at(0).state == UnitState::kFailed);
  // Units the one reader had taken before the failure (two in channels, one waiting for a
  // channel) may still go through; every later one is skipped without being read.
  int skipped = 0;
  for (const UnitResult& r : results) {
    skipped += r.state == UnitState::kSkipped;
    if (r.state == UnitState::kSkipped) CHECK(source.ReadAttempts(table, r.part).empty());
  }
  CHECK(skipped >= 5);
}

TEST_CASE("each unit says which reader and writer ran it and when each stage began", "[pipeline]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  PipelineCopy copy(source, destination, table, 8);
  EngineOptions options = QuickOptions();
  options.readers = 3;
  options.writers = 2;

  std::vector<UnitResult> results = copy.Run(options);

  REQUIRE(results.size() == 8);
  for (const UnitResult& r : results) {
    CHECK(r.reader >= 0);
    CHECK(r.reader < 3);
    CHECK(r.writer >= 0);
    CHECK(r.writer < 2);
    // Read from started_at to read_finished_at; written from write_started_at (once a reader
    // started it) through its commit to finished_at.
    CHECK(r.started_at <= r.read_finished_at);
    CHECK(r.started_at <= r.write_started_at);
    CHECK(r.write_started_at <= r.commit_started_at);
    CHECK(r.read_finished_at <= r.finished_at);
    CHECK(r.commit_started_at <= r.finished_at);
  }
  // A thread runs one unit at a time: its units' spans do not overlap.
  for (int w = 0; w < 2; ++w) {
    std::vector<std::pair<double, double>> spans;
    for (const UnitResult& r : results) {
      if (r.writer == w) spans.emplace_back(r.write_started_at, r.finished_at);
    }
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) CHECK(spans[i - 1].second <= spans[i].first);
  }
}

TEST_CASE("units' times count from the epoch a run gives its pipelines", "[pipeline]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 100);
  PipelineCopy copy(source, destination, table, 2);
  EngineOptions options = QuickOptions();
  options.epoch = std::chrono::steady_clock::now() - std::chrono::seconds(100);

  for (const UnitResult& r : copy.Run(options)) {
    CHECK(r.started_at >= 100);
    CHECK(r.finished_at >= r.started_at);
  }
}
