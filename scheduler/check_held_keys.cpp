// `ferry check` about the destination's foreign keys a run sets aside for its load
// (copier/held_foreign_key.hpp): what is dropped and added back, and where ferry cannot.
#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "scheduler/held_keys.hpp"

namespace ferry {

void CheckHeldKeys(Endpoint& destination, const std::vector<TableName>& loaded,
                   const std::vector<TableName>& truncated, std::vector<Finding>& findings) {
  if (loaded.empty()) return;
  std::vector<HeldForeignKey> keys;
  try {
    keys = destination.ForeignKeysOn(loaded);
  } catch (const Error& e) {
    findings.push_back({Severity::kWarning, "foreign keys", "", "",
                        "could not read the destination's foreign keys: " + e.message()});
    return;
  }
  if (keys.empty()) return;
  std::string list;
  for (const HeldForeignKey& k : keys) {
    list += (list.empty() ? "" : ", ") + DescribeHeldKey(k) + (k.validated ? "" : " (NOT VALID)");
    try {
      RefuseUnlessAlterable(k);
    } catch (const Error& e) {
      findings.push_back(
          {Severity::kBlocker, "foreign keys", DisplayName(k.table), "", e.message()});
    }
  }
  findings.push_back(
      {Severity::kWarning, "foreign keys", "", "",
       fmt::format("{} foreign key{} at the destination {} dropped for the load and added back "
                   "after it: {}",
                   keys.size(), keys.size() == 1 ? "" : "s", keys.size() == 1 ? "is" : "are",
                   list)});
  // A table outside the scope that references one the run empties: the key comes back valid
  // only if the reload brings back every row it references (usually so: the same data again).
  auto in = [](const std::vector<TableName>& list, const TableName& t) {
    return std::find(list.begin(), list.end(), t) != list.end();
  };
  for (const HeldForeignKey& k : keys) {
    if (in(loaded, k.table) || !in(truncated, k.references) || !k.validated) continue;
    bool rows = true;
    try {
      rows = destination.HasRows(k.table);
    } catch (const Error&) {
    }
    if (!rows) continue;
    findings.push_back(
        {Severity::kWarning, "foreign keys", DisplayName(k.table), "",
         fmt::format("foreign key {} of {}, a table outside the copy's scope that holds rows, "
                     "references {}, which write mode truncate empties: it is added back valid "
                     "only if the reload brings back every row {} references; otherwise it "
                     "comes back NOT VALID and the run fails naming a row that violates it",
                     k.name, DisplayName(k.table), DisplayName(k.references),
                     DisplayName(k.table))});
  }
}

}  // namespace ferry
