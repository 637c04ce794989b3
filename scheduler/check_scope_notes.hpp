// `ferry check`: which notes about what a copy leaves behind do not concern it. The source lists
// them per schema (Endpoint::OtherObjects): a partition's own foreign key the plan carries is not
// left behind.
#pragma once

#include "copier/plan.hpp"
#include "scheduler/check_objects.hpp"

namespace ferry {

// Whether `note` is a partition's own foreign key that `plan` adds to that partition at the
// destination (PlannedForeignKey::partition: ferry's own DDL into PostgreSQL).
bool CarriedOnPartition(const LeftOut& note, const Plan& plan);

}  // namespace ferry
