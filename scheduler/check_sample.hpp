// `ferry check`'s read sample: the first rows of the largest tables read through a real
// ReadSession, timed, and the copy's time estimated from them.
#pragma once

#include <map>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

// Reads the first rows of the largest tables through a real ReadSession and measures how fast
// they come, in the catalog's bytes (what the estimates count), so every table's read time can
// be extrapolated from its estimated size. A value the reader cannot take is a blocker.
// With `copies` (by source table) and the destination's `limits`, each sampled batch also goes
// through the run's converter: a value the destination would refuse (a MariaDB zero date into
// PostgreSQL, say) is a blocker too. The tables in `passed` (by source table) go through
// undecoded, as the run passes them (PassesThrough): read so, and nothing in them is refused.
ReadSample SampleReads(Endpoint& source, const std::vector<Table>& tables,
                       const CheckOptions& options, std::vector<Finding>& findings,
                       const std::map<TableName, TableCopyPlan>* copies = nullptr,
                       const ValueLimits* limits = nullptr,
                       const std::map<TableName, TableCopyPlan>* passed = nullptr);

// `ferry check --scan` where the source cannot count refused values itself (a staging
// directory): every row of `table` read through the run's converter, so the first value the
// destination (with `limits`) refuses is a blocker naming column and row, as the run would.
void ScanThroughConverter(Endpoint& source, const Table& table, const TableCopyPlan& copy,
                          const ValueLimits& limits, std::vector<Finding>& findings);

// Each table's estimated read time, and the copy's, from the sample.
void Estimate(CheckReport& report, const std::vector<Table>& tables, const ReadSample& sample);

}  // namespace ferry
