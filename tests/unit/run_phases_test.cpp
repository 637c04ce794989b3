// The phases of a copy run on the memory engine (scheduler/copy_run_phases.hpp): a unit's error
// carried whole into its table's outcome, outcomes and failed units recorded, the plan stored as
// it was cut into units, and a table the job skips left alone.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "copier/job.hpp"
#include "copier/run_state.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/run_control.hpp"
#include "tests/support/memory_copy.hpp"
#include "tests/support/memory_endpoint.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

class Quiet : public CopyObserver {};

// Two memory databases and a job copying every table of one into the other, recorded as
// `ferry run` records it.
struct Run {
  MemoryDatabase source{"source"};
  MemoryDatabase destination{"destination"};
  Job job;
  PartitionOptions partitions;
  CopyOptions options;

  Run() {
    job.source = "memory:source";
    job.destination = "memory:destination";
    options.engine = QuickOptions();
    partitions.units = 4;
  }

  RecordedRun Recorded() {
    std::unique_ptr<Endpoint> from = source.Connect(), to = destination.Connect();
    const SourceTables listed = ListSourceTables(*from, job);
    auto make_plan = [&] { return PlanAndPrepare(*from, *to, job, partitions, nullptr, &listed); };
    const std::string scope = RunScopeKey(job.source, job.destination, listed.in_scope);
    Quiet quiet;
    return RunRecorded(*from, *to, scope, make_plan, options, RunControl{}, quiet);
  }

  const TableRecord& Recorded(const std::vector<TableRecord>& tables, const std::string& name) {
    for (const TableRecord& t : tables) {
      if (t.source.name == name) return t;
    }
    FAIL("no table " << name << " recorded");
    throw;
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

TEST_CASE("a unit's failure reaches its table's outcome whole: SQLSTATE, table, unit, advice",
          "[run][errors]") {
  Run run;
  const TableName big = CreateNumberedTable(run.source, "big", 2000);
  run.destination.FailWrite(big, "1", 99, PermissionError("permission denied for table big"));

  RecordedRun recorded = run.Recorded();

  const TableOutcome& t = Outcome(recorded.report, "big");
  REQUIRE(t.state == TableState::kFailed);
  REQUIRE(t.error);
  CHECK(t.error->code() == ErrorCode::kDriver);
  CHECK(t.error->sqlstate() == "42501");
  CHECK(t.error->reason() == ErrorReason::kPermission);
  CHECK(t.error->context().table == "main.big");
  // The unit holding id 1 is the first of four: its part and key range are named.
  CHECK(t.error->context().unit.rfind("1 of 4, [-inf, (", 0) == 0);
  const std::string text = t.error->what();
  CHECK(text.find("permission denied for table big") != std::string::npos);
  CHECK(text.find("advice: the database user lacks a privilege") != std::string::npos);
}

TEST_CASE("a recorded run records every table's outcome and each failed unit with its error",
          "[run][recorder]") {
  Run run;
  const TableName big = CreateNumberedTable(run.source, "big", 2000);
  CreateNumberedTable(run.source, "small", 100);
  run.destination.FailWrite(big, "1", 99, PermissionError());

  RecordedRun recorded = run.Recorded();

  CHECK(recorded.run.status == RunStatus::kFailed);
  std::unique_ptr<RunStore> store = run.destination.OpenRunStore();
  const std::vector<TableRecord> tables = store->Tables(recorded.run.id);
  const TableRecord& failed = run.Recorded(tables, "big");
  CHECK(failed.state == "failed");
  CHECK(failed.error.find("[42501]") != std::string::npos);
  CHECK(failed.error.find("advice: ") != std::string::npos);
  const TableRecord& done = run.Recorded(tables, "small");
  CHECK(done.state == "done");
  CHECK(done.rows == 100);
  CHECK(done.units_done == done.units);
  int failed_units = 0;
  for (const UnitRecord& u : store->Units(recorded.run.id)) {
    if (u.table != failed.index || u.state != UnitRecordState::kFailed) continue;
    ++failed_units;
    CHECK(u.error.find("[42501]") != std::string::npos);
  }
  CHECK(failed_units == 1);
}

TEST_CASE("a recorded run stores its plan with the units it was cut into", "[run][recorder]") {
  Run run;
  CreateNumberedTable(run.source, "orders", 2000);

  RecordedRun recorded = run.Recorded();

  REQUIRE(recorded.run.status == RunStatus::kDone);
  std::unique_ptr<RunStore> store = run.destination.OpenRunStore();
  const std::vector<RunRecord> runs = store->Runs();
  REQUIRE(runs.size() == 1);
  Plan stored = PlanFromJson(runs[0].plan, "the stored plan");
  REQUIRE(stored.tables.size() == 1);
  CHECK(stored.tables[0].strategy == Strategy::kKeyRanges);
  CHECK(stored.tables[0].units.size() == 4);
  CHECK(stored.tables[0].partitions == 4);
  const std::vector<UnitRecord> units = store->Units(recorded.run.id);
  REQUIRE(units.size() == 4);
  for (const UnitRecord& u : units) {
    CHECK(u.state == UnitRecordState::kDone);
    CHECK_FALSE(u.range.empty());
  }
}

TEST_CASE("a table the job skips is neither created nor read, and is recorded skipped",
          "[run][strategy]") {
  Run run;
  const TableName skipped = CreateNumberedTable(run.source, "scratch", 500);
  const TableName copied = CreateNumberedTable(run.source, "orders", 500);
  run.job.overrides.push_back(
      TableOverride{TablePattern::Parse("main.scratch"), Strategy::kSkip, {}, {}, {}, {}});

  RecordedRun recorded = run.Recorded();

  CHECK(recorded.run.status == RunStatus::kDone);
  const TableOutcome& t = Outcome(recorded.report, "scratch");
  CHECK(t.state == TableState::kSkipped);
  CHECK(t.strategy == Strategy::kSkip);
  CHECK_FALSE(run.destination.Exists(skipped));
  CHECK(run.source.ReadAttempts(skipped, 0).empty());
  CHECK(run.destination.Rows(copied) == run.source.Rows(copied));
  std::unique_ptr<RunStore> store = run.destination.OpenRunStore();
  const std::vector<TableRecord> tables = store->Tables(recorded.run.id);
  CHECK(run.Recorded(tables, "scratch").state == "skipped");
  for (const UnitRecord& u : store->Units(recorded.run.id)) {
    CHECK(u.table != run.Recorded(tables, "scratch").index);
  }
}
