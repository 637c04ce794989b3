// `ferry check`'s view of one table before the findings: where it goes, how it is split, the key
// resume and verify would identify its rows by, and which way of syncing suits it.
#pragma once

#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "copier/plan.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

TableCheck StartTableCheck(const Table& table, const TablePlan& plan, bool exists);

// The key resume and verify would identify rows by, and how it was found; a keyless table adds
// its warning to `findings`.
void DescribeKey(const Table& table, const EndpointInfo& source, TableCheck& out,
                 std::vector<Finding>& findings);

// The sync mode that suits the table (tracked, watermark or diff) and why.
void RecommendSync(const Table& table, const EndpointInfo& source, TableCheck& out);

}  // namespace ferry
