// `ferry check`: the foreign keys a blocked table takes with it. A table check blocks is left
// out by the DBA (--exclude) or fixed; either way the keys of other tables that reference it are
// named before the run, never lost unannounced.
#pragma once

#include <string>
#include <tuple>
#include <vector>

#include "copier/plan.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

class GroupedWarnings;

// A foreign key as check plans it: the referencing table as shown, its destination, the key.
using CheckedForeignKey = std::tuple<std::string, TableName, PlannedForeignKey>;

// One warning listing each foreign key of a table check does not block that references a table
// it does (by a blocker naming that table in `findings`), said where the blockers are.
void NoteKeysToBlockedTables(const std::vector<TableCheck>& tables,
                             const std::vector<CheckedForeignKey>& foreign_keys,
                             std::vector<Finding>& findings);

// One warning listing the DEFERRABLE foreign keys (Django declares every key DEFERRABLE
// INITIALLY DEFERRED) that a destination without deferrable constraints (MariaDB) makes checked
// at each statement.
void NoteUndeferrableKeys(const std::vector<CheckedForeignKey>& foreign_keys,
                          const EngineTraits& destination, GroupedWarnings& grouped);

}  // namespace ferry
