// The parallel pipeline (scheduler/pipeline.hpp) on the memory engine: what arrives, how units
// commit, and what a failure, a retry or a stop leaves at the destination.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "scheduler/pipeline.hpp"
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
  return int(std::count_if(events.begin(), events.end(),
                           [&](const Event& e) { return e.kind == kind; }));
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
