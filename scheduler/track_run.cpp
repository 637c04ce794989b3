// `ferry track` and the change-log registration `ferry run` makes for a tracked source
// (scheduler/sync_run.hpp).
#include <fmt/format.h>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/sync_run.hpp"

namespace ferry {

std::string RegisterCopyWithChangeLogs(Endpoint& source, Endpoint& destination,
                                       const std::vector<TableName>& tables) {
  std::unique_ptr<ChangeTracker> tracker;
  try {
    tracker = source.OpenChangeTracker();
  } catch (const Error&) {
    return "";  // an engine without change tracking
  }
  std::unique_ptr<SyncStateStore> state;
  LogConsumer me;
  for (const TableName& name : tables) {
    Table table;
    table.name = name;
    try {
      if (!tracker->Enabled(table)) continue;
      if (!state) {
        state = destination.OpenSyncState(kDefaultStatePrefix);
        state->Prepare();
        me.id = state->Identity();
        me.destination = destination.info().display;
      }
      LogConsumer c = me;
      c.destination += " " + DisplayName(destination.DestinationName(name, source.info().engine));
      c.generation = tracker->Generation(table).generation;
      c.applied = tracker->StableSequence(table);
      tracker->Join(table, c, /*keep=*/true);
    } catch (const Error& e) {
      return fmt::format(
          "{}: this destination could not register with the change log ({}); "
          "its first sync may have to copy the table again",
          DisplayName(name), e.what());
    }
  }
  return "";
}

std::vector<TrackOutcome> RunTrack(Endpoint& source, const Job& job, TrackAction action,
                                   const std::string& consumer) {
  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::vector<TrackOutcome> out;
  for (const TableName& name : TablesInScope(source, job)) {
    TrackOutcome o;
    o.table = name;
    try {
      std::optional<Table> table = source.DescribeTable(name);
      if (!table) throw Error(ErrorCode::kNotFound, "table disappeared from the source");
      if (action == TrackAction::kEnable) tracker->Enable(*table);
      if (action == TrackAction::kDisable) tracker->Disable(*table);
      if (action == TrackAction::kUnregister && tracker->Enabled(*table)) {
        o.unregistered = tracker->Unregister(*table, consumer);
      }
      o.status = tracker->Status(*table);
    } catch (const Error& e) {
      o.error = e.what();
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace ferry
