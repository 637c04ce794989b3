// Runs a copy from a plan: refuses bad input before anything is written, creates missing
// tables, runs every unit through the parallel pipeline, builds keys, indexes and foreign keys
// after the rows are in, and reports each table's outcome. A table that fails does not stop
// the others unless fail_fast is set.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/job.hpp"
#include "copier/plan.hpp"
#include "copier/planner.hpp"
#include "copier/progress.hpp"
#include "copier/run_state.hpp"
#include "copier/work_unit.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/schema_clone.hpp"

namespace ferry {

struct CopyOptions {
  EngineOptions engine;
  PartitionOptions partitions;
  Consistency consistency = kDefaultConsistency;
  bool explain_only = false;  // plan and print, copy nothing
  // Create primary keys before loading even where building them afterwards is faster.
  bool keys_first = false;
  // The plan came from a file a person may have edited: every table to create (types, names,
  // keys, indexes) is tried at the destination, and its foreign keys checked, before anything
  // is written; a table that would fail refuses the run.
  bool try_ddl_first = false;
  // Same-engine schema clone (scheduler/schema_clone.hpp).
  CloneOptions clone;
};

// A table's state in a copy run, stored by its name in the run state (TableRecord::state).
enum class TableState { kPending, kRunning, kDone, kFailed, kSkipped, kInterrupted };
const char* TableStateName(TableState state);
std::optional<TableState> ParseTableState(const std::string& text);

struct TableOutcome {
  TableName source;
  TableName destination;
  TableState state = TableState::kPending;
  bool created = false;
  bool pass_through = false;
  int64_t estimated_rows = -1;
  int64_t rows = 0;
  int64_t bytes = 0;
  double seconds = 0;  // from the first unit's start to the last unit's commit
  // Every unit and what waited for them (a deferred key) are done: seconds is final. Set while
  // the copy runs, for progress displays.
  bool copied = false;
  bool copy_failed = false;  // a unit failed for good while the copy runs
  double key_seconds = 0;    // building the primary key after the load
  int units = 0;
  int units_done = 0;
  Strategy strategy = Strategy::kSingle;  // how it was split, and why (reason)
  std::string reason;
  std::string read_method;
  std::string write_method;
  StageTimes times;  // summed over units
  std::vector<UnitResult> unit_results;
  // Why it failed or was interrupted: the whole error (code, SQLSTATE, native code, context),
  // with advice where its reason has some.
  std::optional<Error> error;
  // Indexes, foreign keys or identity counters that could not be built after the rows were in
  // (the rows are there; the run still exits non-zero).
  std::vector<std::string> schema_errors;
  // What was left out on purpose and said so (a foreign key to a table outside the copy's scope).
  std::vector<std::string> warnings;
  int indexes_built = 0;
  int foreign_keys_built = 0;
  int attempts = 0;          // unit attempts, summed: more than units when some were retried
  int64_t resumed_rows = 0;  // rows an earlier, interrupted attempt of the run committed
};

struct CopyReport {
  std::vector<TableOutcome> tables;
  std::string consistency;  // what the source snapshot guarantees
  double seconds = 0;
  // How the destination's schema was made: "pg_dump 15.18" when the source's was cloned, else
  // "" (ferry's own DDL), and why a same-engine copy did not clone.
  std::string schema_tool;
  std::string schema_not_cloned;
  // Cloned objects of no table in scope (views, routines, grants) that could not be created.
  std::vector<std::string> schema_errors;
  // Objects of no table in scope left out on purpose and said so (a view reading a table
  // outside the scope).
  std::vector<std::string> warnings;
  // The source's large objects, where both ends keep them and a table in scope points at them
  // (scheduler/large_objects.hpp); a failure is also among schema_errors.
  std::optional<LargeObjectCopy> large_objects;
  // Tables that failed, or whose indexes or foreign keys could not be built (and one more when
  // cloned objects of no table failed).
  int failed() const;
  // Tables stopped by a stop request (a signal) before they were done.
  int interrupted() const;
  // A shared run's worker that finished the run: it built what waits for every table (foreign
  // keys, a clone's objects) and records how the run ended; other workers leave that to it.
  bool finished_shared_run = false;
};

// A worker of a shared run (ferry run --join): its name in the leases, how long a lease lasts,
// its static share of the units (shard of shards, or none), and, for the worker that made the
// run, what opens it to the others once its tables are made.
struct SharedWork {
  std::string worker;
  int64_t lease_ms = 30000;
  int shard = -1;  // 0-based; -1: no share of its own
  int shards = 0;
  std::function<void()> opened;
};

// How RunPlan records its run in the destination's run state, and what an earlier attempt of
// the same run recorded (when resuming it).
struct RunRecording {
  RunStore* store = nullptr;
  RunRecord run;  // id, scope, command, ends, host, pid; RunPlan stores the plan it runs
  bool resuming = false;
  std::vector<TableRecord> tables;  // when resuming: by plan table index
  std::vector<UnitRecord> units;
  // Set by RunPlan once the run is recorded and about to write: from then on a failure leaves
  // a run to resume, not one to forget.
  bool started = false;
  // Set for a shared run's worker: units are claimed one at a time under a lease.
  std::optional<SharedWork> shared;
};

// A table's progress as the report stands (its rates left for the observer to measure):
// finished once done before this run (resumed) or its last unit and keys are done now.
TableProgress ProgressOf(const TableOutcome& table);

// Told what happens, for display; always called on the thread that called RunPlan.
class CopyObserver {
 public:
  virtual ~CopyObserver() = default;
  virtual void Prepared(const CopyReport& /*report*/) {}
  virtual void Progress(const CopyReport& /*report*/) {}
  virtual void Finished(const CopyReport& /*report*/) {}
  // Something the user should know about the run itself ("resuming run X").
  virtual void Note(const std::string& /*text*/) {}
};

// Executes a plan in phases (copy_run_phases.hpp): checks it against both ends (throws Error,
// before anything is written, for drift and incompatible destinations; a run whose tables came
// prepared with the plan, PlanAndPrepare, was checked as it was planned), creates tables, copies
// every unit in parallel, then builds keys, indexes and foreign keys. Failures while copying
// are in the report. With `recording`, every table's and unit's progress is recorded in the
// destination as it happens, a unit's "done" mark in the unit's own transaction; when resuming,
// tables and units recorded done are not copied again and no table is created, truncated or
// emptied again (RunRecorder).
CopyReport RunPlan(Endpoint& source, Endpoint& destination, PlannedRun run,
                   const CopyOptions& options, CopyObserver& observer,
                   RunRecording* recording = nullptr);

}  // namespace ferry
