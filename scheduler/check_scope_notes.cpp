#include "scheduler/check_scope_notes.hpp"

#include <algorithm>
#include <string>

namespace ferry {

namespace {

std::string Dotted(const TableName& t) {
  return t.schema + "." + t.name;
}

// Whether `object` names `table` the way OtherObjects writes the kind: "schema.table.column
// ..." for a column's note, "name on schema.table ..." for an index's or a key's.
bool Names(const std::string& kind, const std::string& object, const TableName& table) {
  if (kind == "column collation" || kind == "countdown or cycling identity column") {
    return object.rfind(Dotted(table) + ".", 0) == 0;
  }
  const std::string on = " on " + Dotted(table);
  const size_t at = object.find(on);
  if (at == std::string::npos) return false;
  const size_t end = at + on.size();
  return end == object.size() || object[end] == ' ';
}

}  // namespace

bool OfTableOutsideScope(const LeftOut& note, const std::vector<Table>& tables) {
  const std::string& kind = note.kind;
  if (kind != "column collation" && kind != "index collation" && kind != "partition foreign key" &&
      kind != "countdown or cycling identity column") {
    return false;
  }
  return std::none_of(tables.begin(), tables.end(), [&](const Table& t) {
    if (Names(kind, note.object, t.name)) return true;
    return std::any_of(t.partitions.begin(), t.partitions.end(),
                       [&](const TablePartition& p) { return Names(kind, note.object, p.name); });
  });
}

bool CarriedOnPartition(const LeftOut& note, const Plan& plan) {
  if (note.kind != "partition foreign key") return false;
  for (const TablePlan& t : plan.tables) {
    for (const PlannedForeignKey& fk : t.foreign_keys) {
      // "name on schema.partition": the partition may have moved to another schema.
      if (!fk.partition.name.empty() && note.object.rfind(fk.name + " on ", 0) == 0 &&
          note.object.ends_with("." + fk.partition.name)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace ferry
