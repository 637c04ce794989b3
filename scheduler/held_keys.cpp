#include "scheduler/held_keys.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"

namespace ferry {

std::string DescribeHeldKey(const HeldForeignKey& key) {
  return fmt::format("{}.{} -> {}", DisplayName(key.table), key.name, DisplayName(key.references));
}

KeyBack RestoreHeldKey(RunStore* store, Endpoint& destination, const HeldForeignKey& key,
                       std::string* error) {
  try {
    destination.RestoreForeignKey(key);
    if (store) store->ForeignKeyBack(key, false);
    return KeyBack::kValid;
  } catch (const Error& e) {
    *error = e.message();
    if (e.code() != ErrorCode::kData) return KeyBack::kDropped;
  }
  try {
    if (store) store->ForeignKeyBack(key, true);
  } catch (const Error&) {
    // Recorded as dropped still: the next run adds it back (which does nothing, it is there)
    // and records it then.
  }
  return KeyBack::kNotValid;
}

std::string StillDroppedNote(const HeldForeignKey& key, const std::string& error) {
  return fmt::format(
      "foreign key {} could not be added back ({}); it stays dropped, recorded in the run state: "
      "the next ferry run or ferry reset adds it back",
      DescribeHeldKey(key), error);
}

void RefuseUnlessAlterable(const HeldForeignKey& k) {
  if (k.owned && k.may_reference) return;
  const std::string why =
      !k.owned ? fmt::format("ALTER TABLE needs the table's owner, and {} is owned by {}",
                             DisplayName(k.table), k.owner)
               : fmt::format("adding it back needs the REFERENCES privilege on {}",
                             DisplayName(k.references));
  throw Error(ErrorCode::kSchema,
              fmt::format("foreign key {} at the destination must be dropped while the rows "
                          "load and added back after, but ferry's user may not: {}; run as "
                          "that owner (or a member of its role), or grant what is missing",
                          DescribeHeldKey(k), why),
              ErrorContext{DisplayName(k.table), "", "", ""});
}

void SetKeysAsideForReset(RunStore& store, Endpoint& destination,
                          const std::vector<TableName>& tables) {
  if (tables.empty()) return;
  std::vector<HeldForeignKey> keys = destination.ForeignKeysOn(tables);
  if (keys.empty()) return;
  for (const HeldForeignKey& k : keys) RefuseUnlessAlterable(k);
  store.Prepare();
  store.HoldForeignKeys("reset", keys);
  for (const HeldForeignKey& k : keys) destination.DropForeignKey(k);
}

void PutBackHeldKeys(RunStore& store, Endpoint& destination, const std::string& keep_run,
                     const std::function<void(const std::string&)>& note) {
  std::vector<HeldForeignKey> recorded = store.HeldForeignKeys();
  std::vector<TableName> not_valid_tables;
  for (const HeldForeignKey& k : recorded) {
    if (k.state != "dropped") {
      not_valid_tables.push_back(k.table);
      continue;
    }
    if (k.run == keep_run) continue;
    const std::string who = k.run == "reset" ? "a ferry reset" : "run " + k.run;
    std::string error;
    switch (RestoreHeldKey(&store, destination, k, &error)) {
      case KeyBack::kValid:
        note(
            fmt::format("added back foreign key {}, which {} had dropped and could not add "
                        "back (it ended first)",
                        DescribeHeldKey(k), who));
        break;
      case KeyBack::kNotValid:
        note(fmt::format("{} had dropped foreign key {}: {}", who, DescribeHeldKey(k), error));
        break;
      case KeyBack::kDropped:
        note(
            fmt::format("{} had dropped foreign key {}, which could not be added back ({}): it "
                        "stays dropped and recorded; the next ferry run or reset tries again",
                        who, DescribeHeldKey(k), error));
        break;
    }
  }
  if (not_valid_tables.empty()) return;
  // A key added back NOT VALID that the DBA validated since (or dropped) needs no record.
  std::vector<HeldForeignKey> now = destination.ForeignKeysOn(not_valid_tables);
  for (const HeldForeignKey& k : recorded) {
    if (k.state == "dropped") continue;
    auto there =
        std::find_if(now.begin(), now.end(), [&](const HeldForeignKey& n) { return n.SameKey(k); });
    if (there == now.end() || there->validated) store.ForeignKeyBack(k, false);
  }
}

}  // namespace ferry
