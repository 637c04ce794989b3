#include "scheduler/check_blocked_keys.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "scheduler/grouped_warnings.hpp"

namespace ferry {

void NoteKeysToBlockedTables(const std::vector<TableCheck>& tables,
                             const std::vector<CheckedForeignKey>& foreign_keys,
                             std::vector<Finding>& findings) {
  std::set<std::string> blocked;  // source tables, as shown
  for (const Finding& f : findings) {
    if (f.severity == Severity::kBlocker && !f.table.empty()) blocked.insert(f.table);
  }
  if (blocked.empty()) return;
  std::map<TableName, std::string> blocked_destinations;  // each as the source shows it
  for (const TableCheck& t : tables) {
    const std::string shown = DisplayName(t.source);
    if (blocked.count(shown)) blocked_destinations[t.destination] = shown;
  }
  std::vector<std::pair<std::string, std::string>> keys;  // referencing table, what
  for (const auto& [shown, at, fk] : foreign_keys) {
    auto to = blocked_destinations.find(fk.references);
    if (blocked.count(shown) || to == blocked_destinations.end()) continue;
    keys.emplace_back(shown, fmt::format("{}.{} to {}", shown, fk.name, to->second));
  }
  if (keys.empty()) return;
  std::string list;
  for (const auto& key : keys) list += (list.empty() ? "" : ", ") + key.second;
  const std::string rule =
      "foreign keys to tables check blocks: a run that leaves the blocked table out (--exclude) "
      "copies the referencing tables without these keys (its summary lists them), so resolve "
      "the blocker or create the keys once the table is there";
  findings.push_back({Severity::kWarning, "foreign key to blocked table",
                      keys.size() == 1 ? keys[0].first : "", "",
                      fmt::format("{}: {} foreign key{}: {}", rule, keys.size(),
                                  keys.size() == 1 ? "" : "s", list)});
}

void NoteUndeferrableKeys(const std::vector<CheckedForeignKey>& foreign_keys,
                          const EngineTraits& destination, GroupedWarnings& grouped) {
  if (destination.deferrable_keys) return;
  for (const auto& [shown, at, fk] : foreign_keys) {
    if (fk.deferrable.empty()) continue;
    grouped.Add("deferrable key",
                "DEFERRABLE foreign keys are created checked at each statement: the destination "
                "has no deferrable constraints, so a transaction that writes a child row before "
                "its parent fails there (the copy itself loads the rows before the keys)",
                shown, "", fmt::format("{} ({})", fk.name, fk.deferrable), "foreign keys");
  }
}

}  // namespace ferry
