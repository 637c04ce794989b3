// `ferry check` on a same-engine schema clone: whether the run would clone, and what the clone
// would meet at the destination, found by trying it (SchemaClone::RefuseObstacles).
#pragma once

#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/plan.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

class GroupedWarnings;

// A same-engine copy clones the schema with the engine's own tools: that they can read it
// (pg_dump installed and new enough, allowed to read every object) is checked by doing it, and
// what the clone would meet at the destination by trying it. Returns whether the run would
// clone; what blocks it is a blocker in `report`, but a lock another session held for all of
// --lock-wait is thrown (Error kBusy, exit 6), as the run would.
bool CheckClone(Endpoint& source, Endpoint& destination, const Plan& clone_plan,
                const std::vector<bool>& clone_copied, const CheckOptions& options,
                std::string* why_not_cloned, CheckReport& report, GroupedWarnings& grouped);

}  // namespace ferry
