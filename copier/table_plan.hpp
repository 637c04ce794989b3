// Decides how one table is copied before any row moves: where it lands, with which column
// types, which source column feeds which destination column, and whether the destination
// must be created. A destination that exists with a shape the source cannot fill is refused
// here, so bad input fails before anything is written.
#pragma once

#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"

namespace ferry {

struct TableCopyPlan {
  Table source;
  Table destination;  // as it exists, or as it will be created (types mapped)
  bool create = false;
  std::vector<int> source_columns;       // batch order
  std::vector<int> destination_columns;  // same order
  std::vector<int> key_positions;        // batch positions of the source's row key
};

TableCopyPlan PlanTableCopy(const Table& source, Engine source_engine, Endpoint& destination);

// The pairing of batch columns for a converter built from a plan.
std::vector<struct ColumnPairing> PairColumns(const TableCopyPlan& plan);

}  // namespace ferry
