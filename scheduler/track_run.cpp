// `ferry track` and the change-log registration `ferry run` makes for a tracked source
// (scheduler/sync_run.hpp).
#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/sync_run.hpp"
#include "scheduler/sync_support.hpp"

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
      // Where it stands now (an earlier attempt's registration was kept): a staging directory
      // keeps it for the import.
      if (std::optional<LogConsumer> now = tracker->Registration(table, c.id)) {
        state->RecordRegistration(name, *now);
      }
    } catch (const Error& e) {
      return fmt::format(
          "{}: this destination could not register with the change log ({}); "
          "its first sync may have to copy the table again",
          DisplayName(name), e.what());
    }
  }
  return "";
}

std::string CarryLogPositions(Endpoint& source, Endpoint& destination, const CopyReport& report) {
  std::vector<std::pair<TableName, TableName>> tables;  // source, destination
  for (const TableOutcome& t : report.tables) {
    if (t.state == TableState::kDone) tables.emplace_back(t.source, t.destination);
  }
  const std::vector<CarriedLogPosition> carried = source.CarriedLogPositions();
  if (carried.empty() || tables.empty()) return "";
  std::string failed;
  try {
    std::unique_ptr<SyncStateStore> state = destination.OpenSyncState(kDefaultStatePrefix);
    state->Prepare();
    for (const CarriedLogPosition& p : carried) {
      auto copied = std::find_if(tables.begin(), tables.end(),
                                 [&](const auto& t) { return t.first == p.table; });
      if (copied == tables.end()) continue;
      const TableName& at = copied->second;
      std::string position = sync::FormatPosition(p.generation, p.applied);
      if (!p.consumer.empty()) position += " export " + p.consumer;
      try {
        state->Set(at, SyncPosition{"tracked", position, "", ""});
      } catch (const Error& e) {
        failed += fmt::format("{}{}: {}", failed.empty() ? "" : "; ", DisplayName(at), e.what());
      }
    }
  } catch (const Error& e) {
    failed = e.what();
  }
  if (failed.empty()) return "";
  return "the export's change-log positions could not be kept at the destination (" + failed +
         "); a sync from the source would not know where the files stand";
}

std::vector<TrackOutcome> RunTrack(Endpoint& source, const Job& job, TrackAction action,
                                   const std::string& consumer) {
  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::vector<TrackOutcome> out;
  for (const TableName& name : TablesInScope(source, job)) {
    // A stop (SIGINT, SIGTERM) lets the table in hand finish (its statements each wait at most
    // 10 s for a lock) and begins no other: MariaDB commits each DDL statement, and a log
    // left without its triggers would record nothing.
    if (StopRequested()) break;
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
