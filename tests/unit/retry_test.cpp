// How the pipeline meets failures (scheduler/pipeline.hpp), on the memory engine: a transient
// error is tried again after a pause that grows, a permanent one is not, a commit whose reply
// was lost is asked about before anything is copied again, and a refused value names its row.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <numeric>

#include "copier/run_state.hpp"
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

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A run recorded in `store` with one table of `units` units, as RunPlan records one; the jobs
// mark their unit done in their own commit and can ask whether it happened.
std::vector<UnitJob> RecordedJobs(RunStore& store, const PipelineCopy& copy) {
  store.Prepare();
  RunRecord run;
  run.id = "20261206T000000Z-test";
  run.command = "run";
  run.owner_token = NewOwnerToken();
  TableRecord table;
  table.units = int(copy.units().size());
  std::vector<UnitRecord> units;
  for (const WorkUnit& u : copy.units()) {
    UnitRecord record;
    record.part = u.part;
    units.push_back(record);
  }
  store.StartRun(run, {table}, units);
  std::vector<UnitJob> jobs = copy.Jobs();
  for (UnitJob& job : jobs) {
    const int part = job.read.unit.part;
    job.finish = [&store, id = run.id, part](const UnitResult& r) {
      return store.UnitDoneSql(id, 0, part, r.rows, r.bytes, r.attempts);
    };
    job.committed = [&store, id = run.id, part] { return store.UnitCommitted(id, 0, part); };
  }
  return jobs;
}

}  // namespace

TEST_CASE("a unit that fails with a transient error is tried again and its rows arrive once",
          "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  destination.FailWrite(table, "500", 2, DeadlockError());
  PipelineCopy copy(source, destination, table, 4);
  const int part = copy.PartHolding(500);

  std::vector<UnitResult> results = copy.Run(QuickOptions());

  const UnitResult& retried = results.at(size_t(part));
  CHECK(retried.state == UnitState::kDone);
  CHECK(retried.attempts == 3);
  REQUIRE(RetriedErrors(retried).size() == 2);
  CHECK(RetriedErrors(retried)[0].find("deadlock detected") != std::string::npos);
  CHECK(source.ReadAttempts(table, part).size() == 3);
  CHECK(Ids(destination.Rows(table)) == Range(1, 1000));
}

TEST_CASE("a unit whose read breaks after some batches is read again from its start",
          "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  source.FailRead(table, "500", 1, ConnectionLost(), /*after_batches=*/2);
  PipelineCopy copy(source, destination, table, 2);
  const int part = copy.PartHolding(500);

  std::vector<UnitResult> results = copy.Run(QuickOptions());

  CHECK(results.at(size_t(part)).state == UnitState::kDone);
  CHECK(results.at(size_t(part)).attempts == 2);
  CHECK(destination.Rows(table) == source.Rows(table));
}

TEST_CASE("a unit that fails with a permanent error is not tried again", "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  destination.FailWrite(table, "500", 1, PermissionError("permission denied for table orders"));
  PipelineCopy copy(source, destination, table, 4);
  const int part = copy.PartHolding(500);

  std::vector<UnitResult> results = copy.Run(QuickOptions());

  const UnitResult& failed = results.at(size_t(part));
  CHECK(failed.state == UnitState::kFailed);
  CHECK(failed.attempts == 1);
  CHECK_FALSE(Transient(failed));
  CHECK(ErrorText(failed).find("permission denied for table orders") != std::string::npos);
  CHECK(source.ReadAttempts(table, part).size() == 1);
  CHECK(copy.IdsOfPart(part, Ids(destination.Rows(table))).empty());
}

TEST_CASE("a transient error that persists fails the unit after the allowed attempts",
          "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  source.FailRead(table, "500", 100, ConnectionLost());
  PipelineCopy copy(source, destination, table, 4);
  const int part = copy.PartHolding(500);
  EngineOptions options = QuickOptions();
  options.max_attempts = 3;

  std::vector<UnitResult> results = copy.Run(options);

  const UnitResult& failed = results.at(size_t(part));
  CHECK(failed.state == UnitState::kFailed);
  CHECK(failed.attempts == 3);
  CHECK(Transient(failed));
  CHECK(ErrorCodeOf(failed) == ErrorCode::kConnection);
  CHECK(destination.ReadAttempts(table, part).size() == 0);
  CHECK(source.ReadAttempts(table, part).size() == 3);
}

TEST_CASE("each retry of a unit waits twice as long as the one before", "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 200);
  source.FailRead(table, std::nullopt, 3, DeadlockError());
  PipelineCopy copy(source, destination, table, 1);
  EngineOptions options = QuickOptions();
  options.retry_delay = 0.1;
  options.max_attempts = 5;

  std::vector<UnitResult> results = copy.Run(options);

  REQUIRE(results.at(0).state == UnitState::kDone);
  const auto attempts = source.ReadAttempts(table, 0);
  REQUIRE(attempts.size() == 4);
  // Pauses of 0.1, 0.2 and 0.4 s; the pipeline looks for due retries every 50 ms, and a
  // shared machine may add more, so only a generous upper bound is checked.
  const double expected[] = {0.1, 0.2, 0.4};
  for (size_t i = 0; i < 3; ++i) {
    const double pause = Seconds(attempts[i + 1] - attempts[i]);
    INFO("pause before attempt " << i + 2 << ": " << pause << " s");
    CHECK(pause >= expected[i] - 0.005);
    CHECK(pause < expected[i] + 0.5);
  }
  CHECK(Seconds(attempts[3] - attempts[2]) > Seconds(attempts[2] - attempts[1]));
  CHECK(Ids(destination.Rows(table)) == Range(1, 200));
}

TEST_CASE("a unit whose commit reply was lost is asked about and not copied again",
          "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  destination.LoseCommitReply(table, "500");
  PipelineCopy copy(source, destination, table, 4);
  const int part = copy.PartHolding(500);
  std::unique_ptr<RunStore> store = destination.OpenRunStore();

  std::vector<UnitResult> results = copy.Run(QuickOptions(), RecordedJobs(*store, copy));

  const UnitResult& asked = results.at(size_t(part));
  INFO(ErrorText(asked));
  CHECK(asked.state == UnitState::kDone);
  REQUIRE(RetriedErrors(asked).size() == 1);
  CHECK(asked.committed_before_error);
  CHECK(source.ReadAttempts(table, part).size() == 1);
  CHECK(Ids(destination.Rows(table)) == Range(1, 1000));
  for (const UnitRecord& u : store->Units("20261206T000000Z-test")) CHECK(RecordedDone(u));
}

TEST_CASE(
    "a lost commit reply with no way to ask is retried, and the table's key refuses the "
    "second copy",
    "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  destination.LoseCommitReply(table, "500");
  PipelineCopy copy(source, destination, table, 4);
  const int part = copy.PartHolding(500);

  std::vector<UnitResult> results = copy.Run(QuickOptions());

  const UnitResult& duplicate = results.at(size_t(part));
  CHECK(duplicate.state == UnitState::kFailed);
  CHECK(duplicate.attempts == 2);
  CHECK(ErrorText(duplicate).find("duplicate key") != std::string::npos);
  // The first attempt's commit did happen, once.
  const std::vector<int64_t> there = Ids(destination.Rows(table));
  CHECK(copy.IdsOfPart(part, there) == copy.IdsOfPart(part, Range(1, 1000)));
}

TEST_CASE("a value the destination refuses fails its unit with an error naming the row",
          "[pipeline][retry]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  PipelineCopy copy(source, destination, table, 4);
  destination.RefuseValue(table, "label", "row 777");
  const int part = copy.PartHolding(777);

  std::vector<UnitResult> results = copy.Run(QuickOptions());

  const UnitResult& refused = results.at(size_t(part));
  CHECK(refused.state == UnitState::kFailed);
  CHECK(refused.attempts == 1);
  CHECK(ErrorText(refused).find("(id)=(777)") != std::string::npos);
  CHECK(ErrorText(refused).find("label") != std::string::npos);
  CHECK(copy.IdsOfPart(part, Ids(destination.Rows(table))).empty());
}

TEST_CASE(
    "a shared run's unit whose lease another worker took while it waited to be retried is not "
    "read or written again",
    "[pipeline][retry][shared]") {
  MemoryDatabase source("source"), destination("destination");
  const TableName table = CreateNumberedTable(source, "orders", 1000);
  destination.FailWrite(table, "500", 1, DeadlockError());
  PipelineCopy copy(source, destination, table, 4);
  const int part = copy.PartHolding(500);
  // The lease, as the run state would answer: every unit is this worker's when first claimed;
  // by the time the failed one is due for its retry, another worker holds it.
  std::mutex mutex;  // readers claim from their own threads
  std::map<int, int> claims;
  EngineOptions options = QuickOptions();
  options.claim = [&](const UnitJob& job) {
    std::lock_guard lock(mutex);
    return ++claims[job.read.unit.part] == 1;
  };

  std::vector<UnitResult> results = copy.Run(options);

  const UnitResult& lost = results.at(size_t(part));
  INFO(ErrorText(lost));
  CHECK(lost.state == UnitState::kSkipped);
  CHECK(lost.elsewhere);
  CHECK(lost.attempts == 1);
  CHECK(ErrorText(lost).find("is not tried again here") != std::string::npos);
  CHECK(claims[part] == 2);  // asked once more, before the retry
  CHECK(source.ReadAttempts(table, part).size() == 1);
  // Nothing of it here: its rows are the other worker's to write.
  const std::vector<int64_t> there = Ids(destination.Rows(table));
  CHECK(copy.IdsOfPart(part, there).empty());
  for (const UnitResult& r : results) {
    if (r.part != part) CHECK(r.state == UnitState::kDone);
  }
}
