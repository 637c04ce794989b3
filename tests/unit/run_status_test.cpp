// What `ferry status` counts while a run goes on (copier/run_status.hpp): committed rows and
// units from the unit records, each unit's attempts, and the run's time.
#include <catch2/catch.hpp>

#include "copier/run_status.hpp"

using namespace ferry;

namespace {

RunRecord Running() {
  RunRecord r;
  r.id = "20260101T000000Z-0001";
  r.command = "run";
  r.status = RunStatus::kRunning;
  r.started_at = "2026-01-01T00:00:00Z";
  return r;
}

TableRecord TableRec(int index, const std::string& state, int units, int64_t estimated) {
  TableRecord t;
  t.index = index;
  t.source = {"public", "t" + std::to_string(index)};
  t.state = state;
  t.units = units;
  t.estimated_rows = estimated;
  return t;
}

UnitRecord Unit(int table, int part, bool done, int64_t rows, int attempts) {
  UnitRecord u;
  u.table = table;
  u.part = part;
  u.state = done ? UnitRecordState::kDone : UnitRecordState::kPending;
  u.rows = rows;
  u.bytes = rows * 10;
  u.attempts = attempts;
  return u;
}

}  // namespace

TEST_CASE("a running table's committed rows and units come from its unit records", "[run-status]") {
  const std::vector<TableRecord> tables = {TableRec(0, "running", 3, 1000)};
  const std::vector<UnitRecord> units = {Unit(0, 0, true, 300, 1), Unit(0, 1, true, 350, 1),
                                         Unit(0, 2, false, 0, 1)};
  const double now = *ParseUtcTimestamp("2026-01-01T00:01:05Z");
  const RunStatusView view = MakeRunStatus(Running(), tables, units, now);
  REQUIRE(view.tables.size() == 1);
  CHECK(view.tables[0].record.rows == 650);
  CHECK(view.tables[0].record.units_done == 2);
  CHECK(view.tables[0].record.bytes == 6500);
  CHECK(view.rows == 650);
  CHECK(view.units_done == 2);
  CHECK(view.expected_rows == 1000);
  CHECK(view.seconds == Approx(65));
}

TEST_CASE("a finished table keeps its own record, rows made without units included",
          "[run-status]") {
  TableRecord t = TableRec(0, "done", 1, 10);
  t.rows = 12;
  t.units_done = 1;
  const RunStatusView view = MakeRunStatus(Running(), {t}, {Unit(0, 0, true, 11, 1)}, 0);
  CHECK(view.tables[0].record.rows == 12);
  CHECK(view.expected_rows == 12);
}

TEST_CASE("status lists each unit's attempts, not their sum", "[run-status]") {
  const std::vector<UnitRecord> units = {Unit(0, 0, true, 1, 1), Unit(0, 1, true, 1, 3),
                                         Unit(0, 2, true, 1, 1), Unit(0, 3, false, 0, 0)};
  const RunStatusView view = MakeRunStatus(Running(), {TableRec(0, "running", 4, 4)}, units, 0);
  const TableStatus& t = view.tables[0];
  CHECK(t.retried_units == 1);
  CHECK(t.most_attempts == 3);
  CHECK(AttemptsText(t) == "1 3 1 0");
  const RunStatusView plain = MakeRunStatus(Running(), {TableRec(0, "running", 2, 2)},
                                            {Unit(0, 0, true, 1, 1), Unit(0, 1, true, 1, 1)}, 0);
  CHECK(AttemptsText(plain.tables[0]) == "1");
}

TEST_CASE("a finished run's time ends when it finished", "[run-status]") {
  RunRecord r = Running();
  r.status = RunStatus::kDone;
  r.finished_at = "2026-01-01T01:00:00Z";
  const RunStatusView view = MakeRunStatus(r, {}, {}, 1e10);
  CHECK(view.seconds == Approx(3600));
  CHECK_FALSE(ParseUtcTimestamp("yesterday").has_value());
}

TEST_CASE("a running table's seconds are its time since its first unit started", "[run-status]") {
  std::vector<TableRecord> tables = {TableRec(0, "running", 3, 1000),
                                     TableRec(1, "running", 2, 500), TableRec(2, "done", 1, 10)};
  tables[0].started_at = "2026-01-01T00:00:20Z";
  tables[2].seconds = 4.5;
  tables[2].started_at = "2026-01-01T00:00:01Z";
  const double now = *ParseUtcTimestamp("2026-01-01T00:01:05Z");

  const RunStatusView view = MakeRunStatus(Running(), tables, {}, now);

  CHECK(view.tables[0].record.seconds == 45);
  CHECK(view.tables[0].seconds_so_far);
  // Not begun yet: no time of its own.
  CHECK(view.tables[1].record.seconds == 0);
  CHECK_FALSE(view.tables[1].seconds_so_far);
  // Done: the time its record says.
  CHECK(view.tables[2].record.seconds == 4.5);
  CHECK_FALSE(view.tables[2].seconds_so_far);
}

TEST_CASE("a table left running by a run that ended is not timed to now", "[run-status]") {
  RunRecord run = Running();
  run.status = RunStatus::kInterrupted;
  run.finished_at = "2026-01-01T00:00:30Z";
  std::vector<TableRecord> tables = {TableRec(0, "running", 3, 1000)};
  tables[0].started_at = "2026-01-01T00:00:20Z";
  const RunStatusView view =
      MakeRunStatus(run, tables, {}, *ParseUtcTimestamp("2026-01-02T00:00:00Z"));
  CHECK_FALSE(view.tables[0].seconds_so_far);
}

TEST_CASE(
    "a shared run's table under way shows as running, its time so far from its first unit's "
    "start",
    "[run-status]") {
  // Its record stays as the plan wrote it (pending, no start) until a worker builds it.
  const std::vector<TableRecord> tables = {TableRec(0, "pending", 3, 1000),
                                           TableRec(1, "pending", 2, 500)};
  std::vector<UnitRecord> units = {Unit(0, 0, true, 300, 1), Unit(0, 1, false, 0, 1),
                                   Unit(0, 2, true, 200, 1), Unit(1, 0, false, 0, 0),
                                   Unit(1, 1, false, 0, 0)};
  const double start = *ParseUtcTimestamp("2026-01-01T00:00:10Z");
  units[0].timing.started_at = start + 5;
  units[0].timing.finished_at = start + 8;
  units[2].timing.started_at = start;
  units[2].timing.finished_at = start + 4;
  units[1].worker = "host/42/ab12";  // claimed, under way
  const double now = *ParseUtcTimestamp("2026-01-01T00:01:05Z");
  RunRecord run = Running();
  run.lease_ms = 30000;  // shared
  const RunStatusView view = MakeRunStatus(run, tables, units, now);
  REQUIRE(view.tables.size() == 2);
  CHECK(view.tables[0].record.state == "running");
  CHECK(view.tables[0].seconds_so_far);
  CHECK(view.tables[0].record.seconds == Approx(55));
  CHECK(view.tables[0].record.rows == 500);
  CHECK(view.tables[0].record.units_done == 2);
  // No unit of it taken yet: still pending, no time.
  CHECK(view.tables[1].record.state == "pending");
  CHECK_FALSE(view.tables[1].seconds_so_far);
}

TEST_CASE(
    "units a run had in its spool when it stopped show as never committed, not as in the spool",
    "[run-status]") {
  const std::vector<TableRecord> tables = {TableRec(0, "running", 3, 1000)};
  std::vector<UnitRecord> units = {Unit(0, 0, true, 300, 1), Unit(0, 1, false, 0, 1),
                                   Unit(0, 2, false, 0, 1)};
  units[1].state = UnitRecordState::kSpooled;
  units[1].rows = 350;
  units[1].bytes = 4096;
  const double now = *ParseUtcTimestamp("2026-01-01T00:01:05Z");
  const RunStatusView live = MakeRunStatus(Running(), tables, units, now);
  CHECK(live.units_spooled == 1);
  CHECK(live.spooled_rows == 350);
  CHECK(live.units_spool_lost == 0);
  RunRecord dead = Running();
  dead.status = RunStatus::kInterrupted;  // its process died (status marks it so)
  const RunStatusView ended = MakeRunStatus(dead, tables, units, now);
  CHECK(ended.units_spooled == 0);
  CHECK(ended.spooled_rows == 0);
  CHECK(ended.units_spool_lost == 1);
  CHECK(ended.spool_lost == std::vector<std::string>{"public.t0 2/3"});
  CHECK(ended.units_done == 1);
  CHECK(ended.rows == 300);
}
