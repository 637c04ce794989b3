// `ferry check`: which notes about what a copy leaves behind do not concern it. The source lists
// them per schema (Endpoint::OtherObjects): a run with --include or --exclude names only those of
// the tables it copies, and a partition's own foreign key the plan carries is not left behind.
#pragma once

#include <vector>

#include "copier/catalog.hpp"
#include "copier/plan.hpp"
#include "scheduler/check_objects.hpp"

namespace ferry {

// Whether `note` is about a column, index or key of a table outside `tables` (the tables in
// scope, with their partitions): a column's or an index's collation, a partition's own foreign
// key, an identity column's counter. Notes of other kinds (views, routines, types...) belong
// to the schema and are never outside.
bool OfTableOutsideScope(const LeftOut& note, const std::vector<Table>& tables);

// Whether `note` is a partition's own foreign key that `plan` adds to that partition at the
// destination (PlannedForeignKey::partition: ferry's own DDL into PostgreSQL).
bool CarriedOnPartition(const LeftOut& note, const Plan& plan);

}  // namespace ferry
