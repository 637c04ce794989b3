// Reading one end of a range for `ferry verify`: every row hashed in its canonical form
// (copier/row_hash.hpp) on oneTBB, or collected by key (keyed tables) or by hash (keyless ones)
// for the comparison row by row. Internal to scheduler/.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "copier/batch.hpp"
#include "copier/endpoint.hpp"
#include "copier/row_hash.hpp"
#include "scheduler/verify_state.hpp"

namespace ferry::verify {

struct SideDigest {
  RangeDigest digest;
  int64_t min = std::numeric_limits<int64_t>::max();
  int64_t max = std::numeric_limits<int64_t>::min();
};

void Scan(ReadSession& session, const Table& table, const std::vector<int>& columns,
          const KeyRange& range, const BatchLimits& limits,
          const std::function<void(const Batch&)>& on_batch);

// Hashes every row of the range on oneTBB while the session thread waits for the next batch
// to be needed; notes the smallest and largest value of the integer split column (when
// `split_position` >= 0), which is where the range can be cut.
SideDigest DigestSide(ReadSession& session, const Table& table, const std::vector<int>& columns,
                      const KeyRange& range, const BatchLimits& limits, const RowHasher& hasher,
                      int split_position);

// "(42, 'abc', NULL)", each value cut at 200 characters: for --show-values only.
std::string RowValues(const Batch& batch, size_t row);

using KeyedSide = std::unordered_map<std::string, std::vector<KeyedRow>>;

void CollectKeyed(ReadSession& session, const TableState& t, const Table& table,
                  const std::vector<int>& columns, const KeyRange& range,
                  const VerifyOptions& options, KeyedSide& out);

struct KeylessEntry {
  int64_t count = 0;
  std::string values;
};

using KeylessSide = std::unordered_map<uint64_t, KeylessEntry>;

// Rows of one residue class (`pass` of `passes`) of their hashes.
void CollectKeyless(ReadSession& session, const TableState& t, const Table& table,
                    const std::vector<int>& columns, const KeyRange& range,
                    const VerifyOptions& options, uint64_t passes, uint64_t pass, KeylessSide& out);

}  // namespace ferry::verify
