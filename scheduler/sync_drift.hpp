// Schema drift for `ferry sync` (internal to scheduler/): columns added, dropped or retyped since
// the copy. A drifted table is refused, saying what changed, unless the DBA opted in
// (--apply-schema-changes) and the change is one ferry applies (added and dropped columns).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/job.hpp"
#include "copier/run_state.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/sync_run.hpp"

namespace ferry::sync {

// Each table's drift, refused or applied, one entry a table of the plan.
struct DriftOutcome {
  std::vector<std::string> errors;   // why the table is refused; "" when it is not
  std::vector<std::string> applied;  // what --apply-schema-changes changed at the destination
  std::vector<bool> backfill;        // columns were added: every row is read again to fill them
};

// Finds each planned table's drift (`problems`: each table's planning error), refuses it or
// applies it, and plans again (`planned`, `problems`) when the destination's shape changed.
// `job` is the sync's job (upsert), whose renames name the destination's columns.
DriftOutcome ReconcileDrift(Endpoint& source, Endpoint& destination, const Job& job,
                            const SyncOptions& options, RunStore& store, SyncStateStore& state,
                            PlannedRun& planned, std::vector<std::optional<Error>>& problems);

}  // namespace ferry::sync
