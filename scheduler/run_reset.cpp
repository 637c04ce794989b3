// `ferry reset`: what recorded runs of a copy wrote, emptied (or, made and never written,
// dropped), and the runs forgotten, so the next run starts the copy over.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "copier/error.hpp"
#include "copier/plan.hpp"
#include "scheduler/held_keys.hpp"
#include "scheduler/run_control.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

bool Is(const TableRecord& t, TableState state) {
  return ParseTableState(t.state) == state;
}

// The tables the plan `run` stored creates, by source name (none for an older ferry's plan
// that cannot be read: its tables are emptied, never dropped).
std::vector<TableName> PlannedToCreate(const RunRecord& run) {
  std::vector<TableName> out;
  try {
    for (const TablePlan& t : PlanFromJson(run.plan, "the plan of run " + run.id).tables) {
      if (t.create) out.push_back(t.source);
    }
  } catch (const Error&) {
  }
  return out;
}

void AddOnce(std::vector<TableName>& list, const TableName& table) {
  if (std::find(list.begin(), list.end(), table) == list.end()) list.push_back(table);
}

}  // namespace

ResetPlan PlanReset(Endpoint& destination, const std::string& state_prefix,
                    const std::string& source_display, const std::vector<TableName>& in_scope) {
  std::unique_ptr<RunStore> store = destination.OpenRunStore(state_prefix);
  ResetPlan reset;
  for (const RunRecord& r : store->Runs()) {
    if (r.source != source_display || r.command != "run") continue;
    bool touches = false;
    const std::vector<TableName> created = PlannedToCreate(r);
    for (const TableRecord& t : store->Tables(r.id)) {
      if (std::find(in_scope.begin(), in_scope.end(), t.source) == in_scope.end()) continue;
      touches = true;
      if (Is(t, TableState::kSkipped) || !destination.DescribeTable(t.destination)) continue;
      if (!Is(t, TableState::kPending)) {
        AddOnce(reset.tables, t.destination);
      } else if (std::find(created.begin(), created.end(), t.source) != created.end() &&
                 !destination.HasRows(t.destination)) {
        // Made before the run wrote a row (a MariaDB clone's pre-data commits each table as
        // it goes): emptied, it would be taken for the destination's own, and the next run
        // would neither clone nor index it.
        AddOnce(reset.dropped, t.destination);
      }
    }
    if (touches) reset.runs.push_back(r.id);
  }
  for (const TableName& t : reset.tables) {
    reset.dropped.erase(std::remove(reset.dropped.begin(), reset.dropped.end(), t),
                        reset.dropped.end());
  }
  return reset;
}

void ApplyReset(Endpoint& destination, const std::string& state_prefix, const ResetPlan& reset,
                const std::function<void(const std::string&)>& note) {
  std::unique_ptr<RunStore> store = destination.OpenRunStore(state_prefix);
  std::unique_ptr<ScopeLock> lock = LockDestination(*store, destination);
  // TRUNCATE refuses a table another one references: the keys are set aside as a run's are,
  // and come back with those a killed run left dropped once the tables are empty.
  SetKeysAsideForReset(*store, destination, reset.tables);
  // The runs are forgotten only once every table is empty: a reset stopped halfway (a signal
  // between two tables) is simply run again.
  size_t emptied = 0;
  const size_t all = reset.tables.size() + reset.dropped.size();
  try {
    for (const TableName& t : reset.tables) {
      if (StopRequested()) {
        throw Error(ErrorCode::kInterrupted,
                    fmt::format("reset stopped by a signal after emptying {} of {} tables; the "
                                "runs are still recorded: run the same reset again to finish it",
                                emptied, all));
      }
      destination.TruncateTable(t);
      ++emptied;
    }
    for (const TableName& t : reset.dropped) {
      if (StopRequested()) {
        throw Error(ErrorCode::kInterrupted,
                    fmt::format("reset stopped by a signal after {} of {} tables; the runs are "
                                "still recorded: run the same reset again to finish it",
                                emptied, all));
      }
      destination.DropTable(t);
      ++emptied;
    }
  } catch (const Error&) {
    PutBackHeldKeys(*store, destination, "", note);
    throw;
  }
  PutBackHeldKeys(*store, destination, "", note);
  for (const std::string& run : reset.runs) store->DeleteRun(run);
}

}  // namespace ferry
