// A work unit is one independent piece of a table's copy: a half-open key range [lo, hi)
// with optional ends, or the rows whose key is NULL, or the whole table. Bounds are held as
// canonical text per key column so they print in plans and survive a round trip through
// JSON; each dialect renders them to SQL in one function.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"

namespace ferry {

struct KeyRange {
  std::vector<int> key_columns;                // indices into the table's columns
  std::optional<std::vector<std::string>> lo;  // inclusive; absent = unbounded below
  std::optional<std::vector<std::string>> hi;  // exclusive; absent = unbounded above
  bool null_keys = false;                      // the unit for rows whose (first) key is NULL
  // The range is of physical row locations (PostgreSQL heap pages: lo/hi hold one page number
  // each), for tables without a key.
  bool by_location = false;
  // When set, the unit is exactly the rows whose key equals one of these tuples (canonical
  // text, lo and hi unused): the keys a sync found in a change log. Empty selects no row.
  std::optional<std::vector<std::vector<std::string>>> keys;

  bool IsWholeTable() const { return key_columns.empty() && !null_keys && !by_location && !keys; }
};

// "[(10), (20))", "key IS NULL", "pages [0, 128)", "whole table": for plans and messages.
std::string DescribeRange(const KeyRange& range);

struct WorkUnit {
  TableName table;
  int part = 0;   // 0-based
  int parts = 1;  // how many units the table was cut into
  KeyRange range;
};

// Limits a batch by rows and by bytes, whichever comes first. A batch always takes at least
// one row, so a single value larger than max_bytes still moves.
struct BatchLimits {
  size_t max_rows = 8192;
  size_t max_bytes = 16u << 20;
};

}  // namespace ferry
