// Whole runs on the memory engine (scheduler/copy_run.hpp, scheduler/run_control.hpp): a plan
// made and run, fail-fast, where keys are built, which tables go first, and a recorded run that
// is stopped, refused, resumed and taken over.
#include <catch2/catch.hpp>

#include <functional>
#include <numeric>

#include "copier/job.hpp"
#include "copier/run_state.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/run_control.hpp"
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

// Calls `progress` on every progress report of the run (about twice a second).
class Watcher : public CopyObserver {
 public:
  explicit Watcher(std::function<void()> progress = {}) : progress_(std::move(progress)) {}
  void Progress(const CopyReport&) override {
    if (progress_) progress_();
  }
  void Note(const std::string& text) override { notes.push_back(text); }
  std::vector<std::string> notes;

 private:
  std::function<void()> progress_;
};

// Two memory databases and a job copying every table of one into the other.
struct Ends {
  MemoryDatabase source{"source"};
  MemoryDatabase destination{"destination"};
  Job job;
  PartitionOptions partitions;
  CopyOptions options;

  Ends() {
    job.source = "memory:source";
    job.destination = "memory:destination";
    options.engine = QuickOptions();
  }

  CopyReport Run(CopyObserver& observer) {
    std::unique_ptr<Endpoint> from = source.Connect(), to = destination.Connect();
    // A plan made first and prepared by the run, as `ferry plan` then `ferry run --plan` do.
    Plan plan = BuildPlan(*from, *to, job, partitions);
    return RunPlan(*from, *to, Unprepared(plan), options, observer);
  }

  RecordedRun Recorded(CopyObserver& observer, bool resume = false) {
    std::unique_ptr<Endpoint> from = source.Connect(), to = destination.Connect();
    // Planned and prepared in one pass, as `ferry run` does.
    const SourceTables listed = ListSourceTables(*from, job);
    auto make_plan = [&] { return PlanAndPrepare(*from, *to, job, partitions, nullptr, &listed); };
    RunControl control;
    control.resume = resume;
    const std::string scope = RunScopeKey(job.source, job.destination, listed.in_scope);
    return RunRecorded(*from, *to, scope, make_plan, options, control, observer);
  }
};

const TableOutcome& Outcome(const CopyReport& report, const std::string& table) {
  for (const TableOutcome& t : report.tables) {
    if (t.source.name == table) return t;
  }
  FAIL("no table " << table << " in the report");
  throw;
}

}  // namespace

TEST_CASE("a planned run creates the destination table and copies every row once", "[run]") {
  Ends ends;
  const TableName table = CreateNumberedTable(ends.source, "orders", 2000);
  ends.partitions.units = 4;
  Watcher watcher;

  CopyReport report = ends.Run(watcher);

  const TableOutcome& t = Outcome(report, "orders");
  CHECK(t.state == TableState::kDone);
  CHECK(t.created);
  CHECK(t.units == 4);
  CHECK(t.units_done == 4);
  CHECK(t.rows == 2000);
  CHECK(report.failed() == 0);
  CHECK(ends.destination.Rows(table) == ends.source.Rows(table));
  REQUIRE(ends.destination.Describe(table));
  CHECK(ends.destination.Describe(table)->primary_key == std::vector<int>{0});
}

TEST_CASE("a table that fails does not stop the others without fail-fast", "[run][fail-fast]") {
  Ends ends;
  const TableName big = CreateNumberedTable(ends.source, "big", 2000);
  const TableName small = CreateNumberedTable(ends.source, "small", 100);
  ends.partitions.units = 4;
  ends.destination.FailWrite(big, "1", 1, PermissionError());
  Watcher watcher;

  CopyReport report = ends.Run(watcher);

  CHECK(Outcome(report, "big").state == TableState::kFailed);
  CHECK(Outcome(report, "small").state == TableState::kDone);
  CHECK(ends.destination.Rows(small) == ends.source.Rows(small));
  // A table the run created for a copy that failed is taken back, with the rows it got.
  CHECK_FALSE(ends.destination.Exists(big));
}

TEST_CASE("with fail-fast the first failure stops the tables not yet copied", "[run][fail-fast]") {
  Ends ends;
  CreateNumberedTable(ends.source, "big", 2000);
  const TableName small = CreateNumberedTable(ends.source, "small", 100);
  ends.partitions.units = 4;
  ends.options.engine.fail_fast = true;
  ends.options.engine.readers = 1;
  ends.options.engine.writers = 1;
  ends.destination.FailWrite({"main", "big"}, "1", 1, PermissionError());
  Watcher watcher;

  CopyReport report = ends.Run(watcher);

  // The largest units go first: the small table's unit never ran.
  CHECK(Outcome(report, "big").state == TableState::kFailed);
  CHECK(Outcome(report, "small").state != TableState::kDone);
  CHECK(ends.source.ReadAttempts(small, 0).empty());
  CHECK(ends.destination.Rows(small).empty());
}

TEST_CASE("the largest table's units are read first", "[run][ordering]") {
  Ends ends;
  const TableName small = CreateNumberedTable(ends.source, "a_small", 50);
  const TableName large = CreateNumberedTable(ends.source, "z_large", 500);
  ends.options.engine.readers = 1;
  Watcher watcher;

  ends.Run(watcher);

  std::vector<TableName> read;
  for (const Event& e : ends.source.Events()) {
    if (e.kind == EventKind::kRead) read.push_back(e.table);
  }
  CHECK(read == std::vector<TableName>{large, small});
}

TEST_CASE(
    "where the destination loads faster without it, the primary key is built after the "
    "rows are in",
    "[run][keys]") {
  Ends ends;
  ends.destination.info().keys_after_load = true;
  const TableName table = CreateNumberedTable(ends.source, "orders", 1000);
  ends.partitions.units = 2;
  std::shared_ptr<Stall> stall = ends.destination.StallUnit(table, "1", Stage::kCommit);
  std::optional<std::vector<int>> key_during_load;
  Watcher watcher([&] {
    if (stall->Reached() && !key_during_load) {
      key_during_load = ends.destination.Describe(table)->primary_key;
      stall->Release();
    }
  });

  CopyReport report = ends.Run(watcher);
  stall->Release();

  CHECK(Outcome(report, "orders").state == TableState::kDone);
  REQUIRE(key_during_load);
  CHECK(key_during_load->empty());
  CHECK(ends.destination.Describe(table)->primary_key == std::vector<int>{0});
  CHECK(ends.destination.Rows(table) == ends.source.Rows(table));
}

TEST_CASE("with keys first the primary key is there before the first row", "[run][keys]") {
  Ends ends;
  ends.destination.info().keys_after_load = true;
  ends.options.keys_first = true;
  const TableName table = CreateNumberedTable(ends.source, "orders", 1000);
  ends.partitions.units = 2;
  std::shared_ptr<Stall> stall = ends.destination.StallUnit(table, "1", Stage::kCommit);
  std::optional<std::vector<int>> key_during_load;
  Watcher watcher([&] {
    if (stall->Reached() && !key_during_load) {
      key_during_load = ends.destination.Describe(table)->primary_key;
      stall->Release();
    }
  });

  ends.Run(watcher);
  stall->Release();

  REQUIRE(key_during_load);
  CHECK(*key_during_load == std::vector<int>{0});
}

TEST_CASE(
    "a stopped run is recorded interrupted, refuses a new run, and resumes to every row "
    "exactly once",
    "[run][resume][stop]") {
  StopGuard guard;
  Ends ends;
  const TableName table = CreateNumberedTable(ends.source, "orders", 2000);
  ends.partitions.units = 8;
  ends.options.engine.readers = 1;
  ends.options.engine.writers = 1;
  // The unit holding id 1000 is held while it writes; the run is stopped there.
  std::shared_ptr<Stall> stall = ends.destination.StallUnit(table, "1000", Stage::kWrite);
  Watcher stopping([&] {
    if (StopRequested()) {
      stall->Release();
    } else if (stall->Reached()) {
      RequestStop();
    }
  });

  RecordedRun first = ends.Recorded(stopping);
  stall->Release();

  CHECK(first.run.status == RunStatus::kInterrupted);
  CHECK(Outcome(first.report, "orders").state == TableState::kInterrupted);
  std::unique_ptr<RunStore> store = ends.destination.OpenRunStore();
  std::vector<int> done_parts;
  for (const UnitRecord& u : store->Units(first.run.id)) {
    if (RecordedDone(u)) done_parts.push_back(u.part);
  }
  CHECK_FALSE(done_parts.empty());
  CHECK(done_parts.size() < 8);
  // Only whole units are there: as many rows as the units recorded done.
  int64_t recorded_rows = 0;
  for (const UnitRecord& u : store->Units(first.run.id)) recorded_rows += u.rows;
  CHECK(int64_t(ends.destination.Rows(table).size()) == recorded_rows);

  ClearStopRequest();
  Watcher quiet;
  try {
    ends.Recorded(quiet);
    FAIL("a new run was started over an interrupted one");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kSchema);
    CHECK(std::string(e.what()).find("--resume") != std::string::npos);
  }

  RecordedRun resumed = ends.Recorded(quiet, /*resume=*/true);

  CHECK(resumed.resumed);
  CHECK(resumed.run.id == first.run.id);
  CHECK(resumed.run.status == RunStatus::kDone);
  CHECK(Outcome(resumed.report, "orders").state == TableState::kDone);
  CHECK(Ids(ends.destination.Rows(table)) == Range(1, 2000));
  // Units the first attempt committed were not read again.
  for (int part : done_parts) CHECK(ends.source.ReadAttempts(table, part).size() == 1);
  for (const UnitRecord& u : store->Units(first.run.id)) CHECK(RecordedDone(u));
}

TEST_CASE("a run another process took over commits nothing more and says who holds it",
          "[run][resume]") {
  StopGuard guard;
  Ends ends;
  const TableName table = CreateNumberedTable(ends.source, "orders", 1000);
  ends.partitions.units = 4;
  std::shared_ptr<Stall> stall = ends.destination.StallUnit(table, "1", Stage::kCommit);
  Watcher watcher([&] {
    if (stall->Reached()) {
      std::unique_ptr<RunStore> store = ends.destination.OpenRunStore();
      for (const RunRecord& r : store->Runs())
        ends.destination.TakeOverRun(kDefaultStatePrefix, r.id);
      stall->Release();
    }
  });

  try {
    ends.Recorded(watcher);
    FAIL("the run went on after another process took it over");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kBusy);
    CHECK(std::string(e.what()).find("no longer owned by this process") != std::string::npos);
  }
  stall->Release();

  CHECK(Ids(ends.destination.Rows(table)) != Range(1, 1000));
  CHECK(ends.destination.Rows(table).size() < 1000);
}

TEST_CASE(
    "a run whose source goes away is recorded interrupted with the units it committed, and "
    "resumes to every row exactly once",
    "[run][resume]") {
  StopGuard guard;
  Ends ends;
  const TableName table = CreateNumberedTable(ends.source, "orders", 2000);
  ends.partitions.units = 8;
  ends.options.engine.readers = 1;
  ends.options.engine.writers = 1;
  ends.options.engine.max_attempts = 3;
  // How long the readers look for it again (--reconnect-wait; 120 s by default).
  ends.options.engine.reconnect_wait = 1;
  // The source goes away as the unit holding id 1000 begins its read, and stays away through
  // every retry and every new session.
  std::shared_ptr<Stall> stall = ends.source.StallUnit(table, "1000", Stage::kRead);
  Watcher watcher([&] {
    if (stall->Reached()) {
      ends.source.SetReachable(false);
      stall->Release();
    }
  });

  std::string run_id;
  try {
    ends.Recorded(watcher);
    FAIL("the run ended although its source was gone");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInterrupted);
    CHECK(std::string(e.what()).find("`ferry run --resume` continues it") != std::string::npos);
  }
  stall->Release();
  std::unique_ptr<RunStore> store = ends.destination.OpenRunStore();
  REQUIRE(store->Runs().size() == 1);
  const RunRecord interrupted = store->Runs().front();
  CHECK(interrupted.status == RunStatus::kInterrupted);
  int64_t recorded_rows = 0;
  int done = 0;
  for (const UnitRecord& u : store->Units(interrupted.id)) {
    recorded_rows += u.rows;
    done += RecordedDone(u);
  }
  CHECK(done > 0);
  CHECK(done < 8);
  CHECK(int64_t(ends.destination.Rows(table).size()) == recorded_rows);

  ends.source.SetReachable(true);
  Watcher quiet;
  RecordedRun resumed = ends.Recorded(quiet, /*resume=*/true);

  CHECK(resumed.run.id == interrupted.id);
  CHECK(resumed.run.status == RunStatus::kDone);
  CHECK(Ids(ends.destination.Rows(table)) == Range(1, 2000));
}
