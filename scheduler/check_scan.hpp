// `ferry check --scan`: the values of a table the destination would refuse, each rule asked of
// the source server (Endpoint::ScanValues) by what the two ends' limits and traits say.
#pragma once

#include <vector>

#include "copier/endpoint.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

// The values each column of `table` holds that `to` refuses, counted by the source server in
// one pass; each rule that finds some is a blocker in `findings`, a scan that fails a warning.
void ScanTable(Endpoint& source, const Table& table, const TableCopyPlan& copy,
               const EndpointInfo& from, const EndpointInfo& to, std::vector<Finding>& findings);

}  // namespace ferry
