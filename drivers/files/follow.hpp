// An import that starts while its export still runs: it follows the manifest as the export
// commits units. The import is planned from what the export's own plan (recorded in the
// manifest when the export started) says the tables, units, indexes and foreign keys will be;
// a unit is read once the manifest names its chunks (a chunk being written is never named), and
// what is final only when the export is (row counts of tables without columns, identity
// counters, the change-log position) is asked once the manifest says complete. While it waits
// it tells why; when the export's process is gone (ExportRunning) with the export unfinished,
// the wait ends with an interruption marked kExportStoppedState.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "copier/plan.hpp"
#include "copier/wait.hpp"
#include "drivers/files/manifest.hpp"

namespace ferry::staging {

// The SQLSTATE (ferry's own class FR, as run_state.hpp's) of the interruption that ends an
// import whose export stopped unfinished: ErrorCode::kInterrupted (its committed units are
// kept, as a signal keeps them) with this diagnostic, which `ferry run` exits 9 for.
inline constexpr const char* kExportStoppedState = "FR004";

// What a wait says, on the waiting thread, at every look: what it waits for. It may throw to
// end the wait (the run was asked to stop). `wait` paces the looks (the scheduler's policy).
struct FollowHooks {
  std::function<void(const std::string&)> notice;
  WaitPolicy wait;
};

class ExportFollower {
 public:
  // `first`: the manifest as the import found it (unfinished, its exporter running).
  ExportFollower(std::string folder, std::string display, const Manifest& first, FollowHooks hooks);

  // The manifest as it is now on disk (read again, and indexed, when the file changed).
  std::shared_ptr<const IndexedManifest> Latest();
  // The units of `table` as the export's plan cut them, in its order (the export's parts);
  // empty when the plan does not list them (one unit: the whole table).
  std::vector<KeyRange> PlannedUnits(const TableEntry& table) const;
  // `shape` with the indexes and foreign keys the export's plan gives its table, where the
  // manifest does not hold them yet (the export records them once the table's rows are in).
  void AddPlannedObjects(Table& shape) const;
  int64_t PlannedRows(const TableName& table) const;

  // The manifest once the export committed the unit of `table` whose range is `range`, or
  // every unit of the table when `range` is none of its planned units (a whole-table read).
  std::shared_ptr<const IndexedManifest> WaitForUnit(const TableName& table, const KeyRange& range);
  // The manifest once the export is complete.
  std::shared_ptr<const IndexedManifest> WaitForComplete(const std::string& why);

 private:
  std::shared_ptr<const IndexedManifest> WaitFor(
      const std::string& what, const std::function<bool(const IndexedManifest&)>& ready);
  const TablePlan* PlanOf(const TableName& table) const;
  int PartsOf(const TableName& table) const;
  // A table's planned units, made once (an import asks at each of its units), and each unit's
  // part by its range.
  using RangeKey = std::tuple<std::vector<int>, std::optional<std::vector<std::string>>,
                              std::optional<std::vector<std::string>>, bool, bool>;
  struct Planned {
    std::vector<KeyRange> units;
    std::map<RangeKey, int> parts;
  };
  std::shared_ptr<const Planned> PlannedOf(const TableEntry& table) const;

  std::string folder_, display_;
  FollowHooks hooks_;
  Plan plan_;                            // the export's
  std::map<TableName, size_t> plan_at_;  // plan_.tables by destination (the first of each)
  mutable std::mutex planned_mutex_;
  mutable std::map<TableName, std::shared_ptr<const Planned>> planned_;
  std::string run_;
  std::map<TableName, int> parts_;  // units per table, as the export's run state lists them
  std::mutex mutex_;
  std::shared_ptr<const IndexedManifest> latest_;
  std::string latest_stamp_;  // the file's inode, size and modification time when read
};

}  // namespace ferry::staging
