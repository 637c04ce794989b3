// What a resumed copy run knows from the run state (scheduler/run_recorder.hpp): tables the
// interrupted attempt started or finished, units it committed, and the plan this attempt runs.
#include <catch2/catch.hpp>

#include <algorithm>

#include "copier/plan.hpp"
#include "scheduler/run_recorder.hpp"

using namespace ferry;

namespace {

TableRecord Recorded(int index, TableState state, bool created = false, int64_t rows = 0) {
  TableRecord r;
  r.index = index;
  r.state = TableStateName(state);
  r.created = created;
  r.rows = rows;
  return r;
}

UnitRecord Unit(int table, int part, UnitRecordState state, int64_t rows = 0) {
  UnitRecord u;
  u.table = table;
  u.part = part;
  u.state = state;
  u.rows = rows;
  return u;
}

Plan ThreeTables(WriteMode mode) {
  Plan plan;
  for (const char* name : {"a", "b", "c"}) {
    TablePlan t;
    t.source = {"main", name};
    t.destination = {"main", name};
    t.write_mode = mode;
    plan.tables.push_back(t);
  }
  return plan;
}

}  // namespace

TEST_CASE("a resumed run knows the tables its interrupted attempt started and finished",
          "[recorder]") {
  RunRecording recording;
  recording.resuming = true;
  recording.tables = {Recorded(0, TableState::kDone, true, 500),
                      Recorded(1, TableState::kRunning, true), Recorded(2, TableState::kPending)};
  RunRecorder recorder(&recording, 3);
  CHECK(recorder.resuming());
  CHECK(recorder.Started(0));
  CHECK(recorder.Finished(0));
  CHECK(recorder.RecordedRows(0) == 500);
  CHECK(recorder.Started(1));
  CHECK_FALSE(recorder.Finished(1));
  CHECK(recorder.Created(1));
  CHECK_FALSE(recorder.Started(2));
  CHECK_FALSE(recorder.Created(2));
}

TEST_CASE("a resumed run skips exactly the units recorded done", "[recorder]") {
  RunRecording recording;
  recording.resuming = true;
  recording.units = {Unit(1, 0, UnitRecordState::kDone, 40), Unit(1, 1, UnitRecordState::kFailed),
                     Unit(1, 2, UnitRecordState::kPending)};
  RunRecorder recorder(&recording, 2);
  REQUIRE(recorder.DoneUnit(1, 0));
  CHECK(recorder.DoneUnit(1, 0)->rows == 40);
  CHECK_FALSE(recorder.DoneUnit(1, 1));
  CHECK_FALSE(recorder.DoneUnit(1, 2));
  CHECK_FALSE(recorder.DoneUnit(0, 0));
}

TEST_CASE(
    "a resumed run finds each unit's record among thousands, whether the records are in (table, "
    "part) order or not",
    "[recorder]") {
  RunRecording recording;
  recording.resuming = true;
  for (int table = 0; table < 3; ++table) {
    for (int part = 0; part < 2000; ++part) {
      const bool done = (table + part) % 3 == 0;
      recording.units.push_back(Unit(table, part,
                                     done ? UnitRecordState::kDone : UnitRecordState::kPending,
                                     table * 10000 + part));
    }
  }
  auto every_unit_found = [&] {
    RunRecorder recorder(&recording, 3);
    for (int table = 0; table < 3; ++table) {
      for (int part = 0; part < 2000; ++part) {
        const UnitRecord* u = recorder.DoneUnit(size_t(table), part);
        if (((table + part) % 3 == 0) != (u != nullptr)) return false;
        if (u && u->rows != table * 10000 + part) return false;
      }
    }
    return !recorder.DoneUnit(3, 0) && !recorder.DoneUnit(0, 2000);
  };
  CHECK(every_unit_found());
  // An older ferry's records, or a store that reads them back in another order.
  std::reverse(recording.units.begin(), recording.units.end());
  std::swap(recording.units[10], recording.units[4000]);
  CHECK(every_unit_found());
}

TEST_CASE("a table an interrupted attempt started is appended to, never created or emptied again",
          "[recorder]") {
  for (WriteMode mode : {WriteMode::kCreate, WriteMode::kTruncate}) {
    RunRecording recording;
    recording.resuming = true;
    recording.tables = {Recorded(0, TableState::kInterrupted), Recorded(1, TableState::kPending)};
    RunRecorder recorder(&recording, 3);
    Plan adjusted = recorder.Adjusted(ThreeTables(mode));
    CHECK(adjusted.tables[0].write_mode == WriteMode::kAppend);
    CHECK(adjusted.tables[1].write_mode == mode);
    CHECK(adjusted.tables[2].write_mode == mode);
  }
  RunRecording recording;
  recording.resuming = true;
  recording.tables = {Recorded(0, TableState::kFailed)};
  Plan upsert = RunRecorder(&recording, 3).Adjusted(ThreeTables(WriteMode::kUpsert));
  CHECK(upsert.tables[0].write_mode == WriteMode::kUpsert);
}

TEST_CASE("a run without a recording knows nothing and records nothing", "[recorder]") {
  RunRecorder recorder(nullptr, 2);
  CHECK_FALSE(recorder.recording());
  CHECK_FALSE(recorder.resuming());
  CHECK_FALSE(recorder.Started(0));
  CHECK_FALSE(recorder.Finished(1));
  CHECK_FALSE(recorder.DoneUnit(0, 0));
  Plan plan = ThreeTables(WriteMode::kTruncate);
  CHECK(recorder.Adjusted(plan).tables[0].write_mode == WriteMode::kTruncate);
  recorder.Start(plan, {});  // nothing to record into: no effect, no crash
  UnitJob job;
  recorder.MarkOnCommit(job, 0, 0);
  CHECK_FALSE(job.finish);
  CHECK_FALSE(job.committed);
}

TEST_CASE("a new recorded run records nothing from before", "[recorder]") {
  RunRecording recording;  // not resuming: records from an earlier run are not looked at
  recording.tables = {Recorded(0, TableState::kDone)};
  recording.units = {Unit(0, 0, UnitRecordState::kDone)};
  RunRecorder recorder(&recording, 1);
  CHECK(recorder.recording());
  CHECK_FALSE(recorder.Finished(0));
  CHECK_FALSE(recorder.DoneUnit(0, 0));
}
