// The copy run's phases that set the destination's foreign keys aside for the load and add
// them back after it (copier/held_foreign_key.hpp says why). See copy_run_phases.hpp.
//
// Dropping the keys, rather than one TRUNCATE of several tables, also serves the keys of tables
// outside the scope (TRUNCATE would refuse them, or empty them with CASCADE), loads children and
// parents in parallel in any order, and lets upserts and appends through that a unit of a
// child table would otherwise have to wait for its parent's.
#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "scheduler/copy_run_phases.hpp"
#include "scheduler/held_keys.hpp"
#include "scheduler/parallel_for.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

// Before the run is recorded: nothing is written yet when a key cannot be set aside.
void CopyRun::FindHeldKeys() {
  // A shared run's workers start and stop on their own: its keys are not set aside (README).
  if (plan_.schema_only || recorder_.shared()) return;
  std::vector<TableName> loaded;
  for (size_t i = 0; i < tables_.size(); ++i) {
    const PreparedTable& t = tables_[i];
    // A table this run (or the attempt it resumes) made has only the keys ferry adds after it.
    if (t.skip || t.copy.create || recorder_.Created(i)) continue;
    loaded.push_back(t.copy.destination.name);
  }
  if (loaded.empty()) return;
  std::vector<HeldForeignKey> keys = destination_.ForeignKeysOn(loaded);
  if (recorder_.recording()) {
    for (HeldForeignKey& r : recorder_.store().HeldForeignKeys()) {
      auto same = std::find_if(keys.begin(), keys.end(),
                               [&](const HeldForeignKey& k) { return k.SameKey(r); });
      if (same != keys.end()) {
        // Added back NOT VALID by an earlier run whose rows violated it: it was valid before.
        if (r.state != "dropped" && r.validated) same->validated = true;
        continue;
      }
      // Still dropped by the attempt this run resumes: this run adds it back.
      if (r.state == "dropped" && r.run == recorder_.run_id()) keys.push_back(std::move(r));
    }
  }
  for (const HeldForeignKey& k : keys) RefuseUnlessAlterable(k);
  held_keys_ = std::move(keys);
}

// Recorded first (committed), then dropped: a process killed in between leaves a record, and
// adding back a key that is there does nothing.
void CopyRun::DropHeldKeys() {
  if (held_keys_.empty()) return;
  if (recorder_.recording()) recorder_.store().HoldForeignKeys(recorder_.run_id(), held_keys_);
  std::string list;
  for (const HeldForeignKey& k : held_keys_) {
    destination_.DropForeignKey(k);
    list += (list.empty() ? "" : ", ") + DescribeHeldKey(k);
  }
  observer_.Note(
      fmt::format("dropped {} foreign key{} at the destination for the load; they are "
                  "added back after it: {}",
                  held_keys_.size(), held_keys_.size() == 1 ? "" : "s", list));
}

void CopyRun::RestoreHeldKeys() {
  std::vector<std::function<void()>> tasks;
  for (const HeldForeignKey& key : held_keys_) {
    tasks.push_back([this, key] {
      std::string problem;
      RunStore* store = recorder_.recording() ? &recorder_.store() : nullptr;
      switch (RestoreHeldKey(store, destination_, key, &problem)) {
        case KeyBack::kValid:
          return;
        case KeyBack::kNotValid:
          break;
        case KeyBack::kDropped:
          problem = StillDroppedNote(key, problem);
          break;
      }
      // The table in scope that holds the key, else the one it references, fails with it; a
      // stopped run's rows are partly there, and its resume adds the key back validated.
      const bool stopped = StopRequested();
      if (stopped) problem += "; `ferry run --resume` loads the rest and adds it back validated";
      std::lock_guard lock(errors_mutex_);
      for (const TableName& name : {key.table, key.references}) {
        for (size_t i = 0; i < tables_.size(); ++i) {
          if (tables_[i].skip || tables_[i].copy.destination.name != name) continue;
          (stopped ? report_.tables[i].warnings : report_.tables[i].schema_errors)
              .push_back(problem);
          return;
        }
      }
      report_.schema_errors.push_back(problem);
    });
  }
  ParallelFor(tasks.size(), engine_.writers, [&](size_t i) { tasks[i](); });
  held_keys_.clear();
}

// The run threw after it may have dropped keys: each is added back where it can be; one that
// cannot stays recorded for the next run or reset.
void CopyRun::RestoreHeldKeysAfterError() noexcept {
  RunStore* store = recorder_.recording() ? &recorder_.store() : nullptr;
  for (const HeldForeignKey& key : held_keys_) {
    try {
      std::string error;
      const KeyBack back = RestoreHeldKey(store, destination_, key, &error);
      if (back != KeyBack::kValid) {
        observer_.Note(back == KeyBack::kNotValid ? error : StillDroppedNote(key, error));
      }
    } catch (...) {
    }
  }
  held_keys_.clear();
}

}  // namespace ferry
