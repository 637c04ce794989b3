// Cuts a table into work units of about equal row counts: key ranges from sampled key
// quantiles (so skewed keys balance), a unit for NULL keys, heap-page ranges for keyless
// PostgreSQL tables, one unit for small tables and for keyless tables elsewhere. Every
// decision comes with its reason, for logs, --explain and plans.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "copier/job.hpp"
#include "copier/work_unit.hpp"

namespace ferry {

struct PartitionOptions {
  // Tables under both limits are copied as one unit: splitting costs a sample and more
  // transactions, and a small table is done before a split would pay off.
  int64_t small_table_rows = 250'000;
  int64_t small_table_bytes = 64ll << 20;
  // The size a unit aims for: large enough to amortise a query and a commit, small enough
  // that workers balance and a retried unit redoes little.
  int64_t target_unit_rows = 500'000;
  int64_t target_unit_bytes = 128ll << 20;
  int max_units = 256;
  // Key samples taken per unit planned: more samples, tighter balance.
  int samples_per_unit = 100;
  // Forces a unit count (0 = decide from size); still 1 for tables that cannot be split.
  int units = 0;
  // Columns to split on instead of the table's own key (a job file's override).
  std::vector<int> key;
  // Split by heap pages even when the table has a key (PostgreSQL).
  bool by_location = false;
};

struct PartitionPlan {
  std::vector<WorkUnit> units;
  Strategy strategy = Strategy::kSingle;  // never kSkip
  std::string reason;                     // one sentence a DBA can read
};

// Splits from the table's estimates; samples the source only when it splits on a key.
PartitionPlan PlanPartitions(const Table& table, Endpoint& source, const PartitionOptions& options);

// Key-range units from a sorted sample: `parts` ranges of equal sample counts, equal bounds
// merged (a key value is never split across units), the first and last open-ended, plus a unit
// for NULL keys when `nullable`. Exposed for tests.
std::vector<KeyRange> RangesFromSample(const std::vector<std::vector<std::string>>& sorted_sample,
                                       const std::vector<int>& key, int parts, bool nullable);

}  // namespace ferry
