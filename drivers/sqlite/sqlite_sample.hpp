// How SQLite samples a table's key to cut it into key ranges: every n-th key in key order, so
// the quantiles are exact (SQLite has no page sampling, and reads a key index fast).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry {

// The FROM clause (and subquery) of the sample: the `keys` columns (quoted) of `table` (its
// qualified name), every `one_in`-th row of them in key order.
std::string SqliteSampleFrom(const std::vector<std::string>& keys, const std::string& table,
                             int64_t one_in);

}  // namespace ferry
