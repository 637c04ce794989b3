// The tables of ferry's run state in a destination, as the run store creates them (and adds
// their newer columns to an older ferry's tables).
#pragma once

#include <functional>
#include <vector>

#include "copier/catalog.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry {

// runs, tables, units, and a shared run's workers and leases (RunLeases); `home` places each
// table (its schema and prefixed name) from its short name.
std::vector<Table> RunStateTables(const Dialect& dialect,
                                  const std::function<TableName(const char*)>& home);

}  // namespace ferry
