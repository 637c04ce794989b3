// Where --memory-limit does not bound long values: the columns of a table copy whose values
// longer than the long-value threshold one end holds whole in memory (its engine or driver
// leaves no way to read or write part of a value there), for check and run to say so.
#pragma once

#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/table_plan.hpp"

namespace ferry {

struct HeldColumn {
  std::string column;  // the source column's name
  bool at_source = false;
  HeldWhole held;
};

// Every copied column of `copy` whose source type can hold a value longer than the smallest
// long-value threshold and whose long values the source reads whole or the destination writes
// whole (Endpoint::LongValuesHeldWhole), in column order.
std::vector<HeldColumn> LongValuesHeldWhole(Endpoint& source, Endpoint& destination,
                                            const TableCopyPlan& copy);

// The warning for one such column: what is held whole, and why.
std::string HeldWholeWarning(const HeldColumn& held);

}  // namespace ferry
