// Recorded runs: the run state in the destination around RunPlan. One ferry process at a time
// writes into a destination (a lock held by the destination itself, released when its holder
// dies); a run whose process died is marked interrupted; a new run into a copy whose last run
// was interrupted is refused until it is resumed or reset; `--resume` continues a run from its
// stored plan, skipping what it committed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/plan.hpp"
#include "copier/run_state.hpp"
#include "scheduler/copy_run.hpp"

namespace ferry {

struct RunControl {
  std::string state_prefix = kDefaultStatePrefix;
  bool resume = false;
  std::string resume_run;  // "" = the latest interrupted run of the same copy
  // The plan file the user gave (`ferry run --plan F`), if any: a resume refuses it when it
  // differs from the plan the run stored, naming the table and field.
  const Plan* plan_file = nullptr;
  std::string plan_file_name;
  // ferry run --join RUN: this process is one worker of the shared run RUN (made, planned and
  // opened by the first worker to arrive); leases last lease_ms; shard of shards is its own
  // share of the units (shard -1: none).
  std::string join;
  int64_t lease_ms = 30000;
  int shard = -1;
  int shards = 0;
};

struct RecordedRun {
  CopyReport report;
  RunRecord run;
  bool resumed = false;
};

// Runs the plan `make_plan` makes as a recorded run (see above); `scope` is the copy's
// RunScopeKey, known before the plan is made (a resume runs the stored plan instead). Throws
// Error(kBusy) naming the run that holds the destination, Error(kSchema) when an interrupted
// run is in the way, and what `make_plan` and RunPlan throw.
RecordedRun RunRecorded(Endpoint& source, Endpoint& destination, const std::string& scope,
                        const std::function<PlannedRun()>& make_plan, const CopyOptions& options,
                        const RunControl& control, CopyObserver& observer);

// One worker of a shared run (control.join; shared_run.cpp). Returns when the whole run has
// finished (its status: done or failed), or when this worker was stopped (status interrupted:
// the run goes on with the others). Throws Error(kUsage) when the run named copies something
// else, and what RunPlan throws.
RecordedRun RunShared(Endpoint& source, Endpoint& destination, const std::string& scope,
                      const std::function<PlannedRun()>& make_plan, const CopyOptions& options,
                      const RunControl& control, CopyObserver& observer);

// `ferry plan --publish RUN`: records `plan`, cut into its units, in the destination's run
// state as shared run RUN, not yet opened: the first worker to `ferry run --join RUN` makes its
// tables and opens it, and every worker works through exactly this plan. Throws Error(kUsage)
// when a run of that name is already recorded.
void PublishSharedRun(Endpoint& source, Endpoint& destination, const Plan& plan,
                      const std::string& run, const PartitionOptions& partitions,
                      const std::string& state_prefix);

// What the destination's run state says, for `ferry status`.
struct RunHistory {
  std::vector<RunRecord> runs;  // newest first
};
struct RunDetail {
  RunRecord run;
  std::vector<TableRecord> tables;
  std::vector<UnitRecord> units;
  std::vector<WorkerRecord> workers;  // a shared run's
  // Foreign keys runs set aside and did not add back as they were (scheduler/held_keys.hpp).
  std::vector<HeldForeignKey> held_keys;
};
RunHistory ReadRunHistory(Endpoint& destination, const std::string& state_prefix);
// `run` "" = the newest run. Throws Error(kNotFound) for an unknown run.
RunDetail ReadRunDetail(Endpoint& destination, const std::string& state_prefix,
                        const std::string& run);

// Takes the destination's lock (one ferry process writes into it at a time), or throws
// Error(kBusy) naming the run that holds it.
std::unique_ptr<ScopeLock> LockDestination(RunStore& store, const Endpoint& destination);

// What `ferry reset` empties: destination tables that recorded runs of `source_display` wrote
// for the source tables in `in_scope`, and those runs; and the tables such a run made before it
// wrote a row (its plan created them; a MariaDB clone's pre-data, each table committed by
// itself, killed halfway), which are dropped: the next run makes them again as it would have,
// cloned with the rest of the schema; with them, once none of such a run's tables is left, the
// sequences its clone made (CloneSequences), which the next clone would find in its way.
struct ResetPlan {
  std::vector<TableName> tables;     // destination tables to empty (that exist)
  std::vector<TableName> dropped;    // empty destination tables a run made and never wrote
  std::vector<TableName> sequences;  // sequences the clone of such a run made
  std::vector<std::string> runs;     // runs to forget
};
ResetPlan PlanReset(Endpoint& destination, const std::string& state_prefix,
                    const std::string& source_display, const std::vector<TableName>& in_scope);
// Empties the tables, drops `dropped`, and forgets the runs, holding the destination's lock.
// Foreign keys on the tables are dropped around the emptying and added back, with those a
// killed run left dropped (scheduler/held_keys.hpp); each said through `note`.
void ApplyReset(Endpoint& destination, const std::string& state_prefix, const ResetPlan& reset,
                const std::function<void(const std::string&)>& note);

}  // namespace ferry
