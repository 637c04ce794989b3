// A new run into tables an interrupted run of another copy wrote into.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "copier/error.hpp"
#include "copier/plan.hpp"
#include "copier/run_state.hpp"

namespace ferry {

// Throws Error(kSchema) when `plan` appends into a destination table that an interrupted run
// among `runs` (another copy: other tables, or the same ends spelt otherwise, `localhost` for
// `127.0.0.1`, which makes another scope) wrote into and no later run superseded
// (`superseded`): the new run would append every row to the rows that run committed, doubling
// them with exit 0. The message names that run as it was started (`display`: the destination)
// and what to do instead.
void RefuseAppendOverInterrupted(RunStore& store, const std::vector<RunRecord>& runs,
                                 const Plan& plan, const std::string& display,
                                 const std::function<bool(const RunRecord&)>& superseded);

// `ferry run --resume` found no run of this copy, but `r`, an interrupted run of another copy
// (other ends as spelt, or other tables), is in the destination: the user meant that one. The
// error (kUsage) names it, its ends, its tables and how `source` (this run's, as shown) differs.
Error ResumeOfAnotherCopy(const RunRecord& r, const std::string& source,
                          const std::string& destination);

}  // namespace ferry
