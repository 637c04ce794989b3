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
#include "scheduler/run_recorder.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

bool Is(const TableRecord& t, TableState state) {
  return ParseTableState(t.state) == state;
}

// The plan `run` stored, if this ferry can read it (an older ferry's may not be: its tables are
// emptied, never dropped).
std::optional<Plan> StoredPlan(const RunRecord& run) {
  try {
    return PlanFromJson(run.plan, "the plan of run " + run.id);
  } catch (const Error&) {
    return std::nullopt;
  }
}

void AddOnce(std::vector<TableName>& list, const TableName& table) {
  if (std::find(list.begin(), list.end(), table) == list.end()) list.push_back(table);
}

bool Has(const std::vector<TableName>& list, const TableName& table) {
  return std::find(list.begin(), list.end(), table) != list.end();
}

// A run that never wrote a row: the destination tables of it, and the sequences its schema
// clone made (CloneSequences).
struct Unwritten {
  std::vector<TableName> tables;
  std::vector<TableName> sequences;
};

// A clone killed in its pre-data made its sequences first (none was there: it refuses to start
// otherwise). Once every table of its run is gone, the next run clones again, which those
// sequences would stop: they go too. Where a table stays, so do they (the next run copies into
// the tables as they are, and sets the sequences).
void DropCloneSequences(Endpoint& destination, const std::vector<Unwritten>& unwritten,
                        ResetPlan& reset) {
  for (const Unwritten& run : unwritten) {
    const bool all_gone = std::all_of(run.tables.begin(), run.tables.end(), [&](const auto& t) {
      return Has(reset.dropped, t) || !destination.DescribeTable(t);
    });
    if (!all_gone) continue;
    std::vector<std::string> schemas;
    for (const TableName& s : run.sequences) {
      if (std::find(schemas.begin(), schemas.end(), s.schema) == schemas.end()) {
        schemas.push_back(s.schema);
      }
    }
    for (const TableName& there : destination.ListSequences(schemas)) {
      if (Has(run.sequences, there)) AddOnce(reset.sequences, there);
    }
  }
}

}  // namespace

ResetPlan PlanReset(Endpoint& destination, const std::string& state_prefix,
                    const std::string& source_display, const std::vector<TableName>& in_scope) {
  std::unique_ptr<RunStore> store = destination.OpenRunStore(state_prefix);
  ResetPlan reset;
  std::vector<Unwritten> unwritten;
  for (const RunRecord& r : store->Runs()) {
    if (r.source != source_display || r.command != "run") continue;
    bool touches = false;
    const std::optional<Plan> plan = StoredPlan(r);
    std::vector<TableName> created;  // by source name
    for (const TablePlan& t : plan ? plan->tables : std::vector<TablePlan>{}) {
      if (t.create) created.push_back(t.source);
    }
    Unwritten never;
    bool wrote = false;
    for (const TableRecord& t : store->Tables(r.id)) {
      if (Is(t, TableState::kSkipped)) continue;
      wrote |= !Is(t, TableState::kPending);
      never.tables.push_back(t.destination);
      if (!Has(in_scope, t.source)) continue;
      touches = true;
      if (!destination.DescribeTable(t.destination)) continue;
      if (!Is(t, TableState::kPending)) {
        AddOnce(reset.tables, t.destination);
      } else if (Has(created, t.source) && !destination.HasRows(t.destination)) {
        // Made before the run wrote a row (a MariaDB clone's pre-data commits each table as
        // it goes): emptied, it would be taken for the destination's own, and the next run
        // would neither clone nor index it.
        AddOnce(reset.dropped, t.destination);
      }
    }
    // Killed before it recorded a table (in a clone's pre-data): its plan alone names them.
    if (!touches && plan) {
      for (const TablePlan& t : plan->tables) touches |= Has(in_scope, t.source);
    }
    if (!touches) continue;
    reset.runs.push_back(r.id);
    never.sequences = CloneSequences(r);
    if (!wrote && !never.sequences.empty()) unwritten.push_back(std::move(never));
  }
  for (const TableName& t : reset.tables) {
    reset.dropped.erase(std::remove(reset.dropped.begin(), reset.dropped.end(), t),
                        reset.dropped.end());
  }
  DropCloneSequences(destination, unwritten, reset);
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
    for (const TableName& s : reset.sequences) destination.DropSequence(s);
  } catch (const Error&) {
    PutBackHeldKeys(*store, destination, "", note);
    throw;
  }
  PutBackHeldKeys(*store, destination, "", note);
  for (const std::string& run : reset.runs) store->DeleteRun(run);
}

}  // namespace ferry
