// What `ferry verify` (scheduler/verify_run.hpp) keeps while it compares, internal to scheduler/:
// each table's ranges and what a pass found so far, filled by verify_compare.cpp after
// verify_prepare.cpp resolved the table, and turned into the report by verify_report.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "copier/row_hash.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/verify_run.hpp"

namespace ferry::verify {

using Clock = std::chrono::steady_clock;

inline double SecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct RangePair {
  KeyRange source;
  KeyRange destination;  // the same range in destination column indices
};

// Where a difference sorts in the report: the top-level range, the path of sub-ranges within
// it, then the key's canonical bytes (numeric order for non-negative integers: the bytes start
// with the length).
struct Found {
  std::vector<int> path;
  std::string order;
  RowDifference difference;
};

struct KeyedRow {
  uint64_t hash = 0;
  std::vector<uint64_t> columns;
  std::string display;
  std::string values;
};

// A row found on one end only, kept until every range has been compared: where the two engines
// order text keys differently (collations), a row can fall in one range at the source and in
// another at the destination, and must then not be reported twice.
struct Pending {
  std::vector<int> path;
  KeyedRow row;
};

using PendingByKey = std::unordered_map<std::string, std::vector<Pending>>;

// Rows held for that per table; beyond it, rows found on one end only are reported as they are.
constexpr size_t kMaxPending = 200'000;

// The report entry for a row on one end (`to` or `from` null) or on both.
Found MakeFound(DifferenceKind kind, const std::vector<int>& path, const std::string& key,
                const KeyedRow* from, const KeyedRow* to,
                const std::vector<std::string>& column_names);

// Keeps the first `max_keys` of each kind in report order. The first N of all differences are
// among the first N of any part of them, so trimming early never loses one the report lists.
void TrimFound(std::vector<Found>& found, size_t max_keys);

struct Leaf {
  RangePair range;
  std::vector<int> path;
  int64_t source_rows = 0;
  int64_t destination_rows = 0;
};

struct TableState {
  TableVerification* result = nullptr;
  const TablePlan* plan = nullptr;
  TableCopyPlan copy;
  std::optional<RowHasher> hasher;
  std::vector<std::string> key_names;     // source names of the row key's columns
  std::vector<std::string> column_names;  // destination names, in batch order
  std::vector<int> source_position;       // source column index -> batch position, or -1
  std::vector<RangePair> ranges;          // the copy's units
  std::vector<bool> checked;              // chosen by the sample
  bool server_hash = false;               // ranges are first compared by server digests

  // Filled by a comparison pass, under `mutex`.
  std::mutex mutex;
  bool failed = false;
  std::string error;
  ErrorCode error_code = ErrorCode::kInternal;
  DifferenceCounts counts;
  std::vector<Found> found;
  std::vector<Leaf> leaves;  // differing ranges, as small as they were cut
  PendingByKey missing;      // rows of keyed tables found at the source only, so far
  PendingByKey extra;        // and at the destination only
  size_t pending = 0;
  int64_t source_rows = 0;
  int64_t destination_rows = 0;
  int differing = 0;
  int split = 0;
  int rehashed = 0;
  std::optional<Clock::time_point> first_start;
  Clock::time_point last_end;
  int top_done = 0;  // of the copy's units: compared (cut into sub-ranges or not)

  bool keyed() const { return !copy.key_positions.empty(); }

  void ResetPass() {
    counts = {};
    found.clear();
    leaves.clear();
    missing.clear();
    extra.clear();
    pending = 0;
    source_rows = destination_rows = 0;
    differing = split = rehashed = 0;
  }
};

struct Task {
  size_t table = 0;
  RangePair range;
  std::vector<int> path;
  bool top = false;  // one of the copy's units: its rows count towards the table's totals
};

// Resolves a table of the plan against both ends: the source as it is now (refused when it
// drifted from the plan), the destination table (which must exist), the column pairs, the
// copy's units in source and destination column indices, and where rows are hashed.
// (verify_prepare.cpp)
void Prepare(TableState& t, Endpoint& source, Endpoint& destination, const VerifyOptions& options);

// Compares every task (and the sub-ranges they are cut into) on options.workers workers, each
// holding one source and one destination session. (verify_compare.cpp)
void CompareRanges(Endpoint& source, Endpoint& destination,
                   std::vector<std::unique_ptr<TableState>>& tables, const VerifyOptions& options,
                   std::vector<Task> tasks);

// Fills the report entries from the comparison's state; differences in key order.
// (verify_report.cpp)
void Summarise(TableState& t, const VerifyOptions& options);

}  // namespace ferry::verify
