// A copy run's memory and its pen: what an earlier, interrupted attempt of the same run did (the
// tables it started or finished, the units it committed), and every table's and unit's outcome
// recorded in the destination's run state as it happens (RunRecording). Without a recording it
// knows nothing and records nothing, so a copy run asks it the same questions either way: there
// is no "resuming" branch anywhere else.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "copier/plan.hpp"
#include "copier/run_state.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/planning.hpp"

namespace ferry {

// The sequences a run's schema clone creates before the data, at the destination (none was
// there: the clone refuses to start otherwise), as the run's stored plan keeps them. Where each
// CREATE commits by itself (MariaDB), a clone killed there leaves some made: `ferry reset` drops
// them with the tables the run made and never wrote, so the next run clones again.
std::vector<TableName> CloneSequences(const RunRecord& run);

class RunRecorder {
 public:
  RunRecorder(RunRecording* recording, size_t tables);

  bool recording() const { return recording_ != nullptr; }
  bool resuming() const { return recording_ && recording_->resuming; }
  // A shared run's worker: what it is, the store and the run it works on.
  const SharedWork* shared() const {
    return recording_ && recording_->shared ? &*recording_->shared : nullptr;
  }
  RunStore& store() const { return *recording_->store; }
  const std::string& run_id() const { return recording_->run.id; }

  // The interrupted attempt started the table: its rows are partly there, and it is never
  // created, truncated or emptied again.
  bool Started(size_t table) const;
  // ... and finished it: this attempt does not touch it.
  bool Finished(size_t table) const;
  // The interrupted attempt created the table (what waits for its rows is still to do).
  bool Created(size_t table) const;
  int64_t RecordedRows(size_t table) const;
  // The unit, if the interrupted attempt committed it.
  const UnitRecord* DoneUnit(size_t table, int part) const;

  // The plan as this attempt runs it: a table started before is appended to, never created or
  // emptied again.
  Plan Adjusted(const Plan& plan) const;
  // From here on the run writes: a new run is recorded with the plan as it was cut into units
  // (so a resume copies exactly them); a failure now leaves a run to resume, not one to forget.
  // Beside the plan, the sequences the run's schema clone creates (CloneSequences).
  void Start(const Plan& plan, const std::vector<PreparedTable>& tables,
             const std::vector<TableName>& clone_sequences = {});
  // A schema clone that failed took back all it made: nothing was written, and a new run is
  // refused as blocked rather than kept as an interrupted one.
  void Abandon();
  // The unit's done mark, committed in the unit's own transaction, and the question whether a
  // commit whose reply was lost happened.
  void MarkOnCommit(UnitJob& job, size_t table, int part) const;
  // A shared run's worker: the lease the pipeline takes on a unit before reading it and asks
  // again before each retry (EngineOptions::claim); empty for a run of one process.
  std::function<bool(const UnitJob&)> UnitClaim() const;
  void TableRunning(size_t table, const TableOutcome& outcome) const;
  // Its first unit started `seconds_ago` seconds ago: recorded, so `ferry status` shows how long
  // a running table has been copying.
  void TableStarted(size_t table, const TableOutcome& outcome, double seconds_ago) const;
  // The table ferry made for this copy was dropped with its rows: its units are to do again.
  void TableDropped(size_t table) const;
  // `resumed_units`: units of the table the interrupted attempt had committed.
  void TableFinished(size_t table, const TableOutcome& outcome, int resumed_units) const;

 private:
  RunRecording* recording_;
  std::vector<const TableRecord*> tables_;  // by plan index, when resuming
};

}  // namespace ferry
