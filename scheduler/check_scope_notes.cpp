#include "scheduler/check_scope_notes.hpp"

#include <string>

namespace ferry {

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
