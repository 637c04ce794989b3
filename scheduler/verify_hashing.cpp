#include "scheduler/verify_hashing.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>

#include <algorithm>

#include "copier/convert.hpp"

namespace ferry::verify {

void Scan(ReadSession& session, const Table& table, const std::vector<int>& columns,
          const KeyRange& range, const BatchLimits& limits,
          const std::function<void(const Batch&)>& on_batch) {
  ReadRequest request;
  request.table = &table;
  request.columns = columns;
  request.unit.table = table.name;
  request.unit.range = range;
  request.limits = limits;
  std::unique_ptr<RowReader> reader = session.Read(request);
  Batch batch;
  while (reader->Next(batch)) on_batch(batch);
}

SideDigest DigestSide(ReadSession& session, const Table& table, const std::vector<int>& columns,
                      const KeyRange& range, const BatchLimits& limits, const RowHasher& hasher,
                      int split_position) {
  SideDigest out;
  Scan(session, table, columns, range, limits, [&](const Batch& batch) {
    const size_t rows = batch.num_rows();
    out.digest.Merge(tbb::parallel_reduce(
        tbb::blocked_range<size_t>(0, rows, 512), RangeDigest{},
        [&](const tbb::blocked_range<size_t>& r, RangeDigest acc) {
          acc.Merge(DigestRows(hasher, batch, r.begin(), r.end()));
          return acc;
        },
        [](RangeDigest a, const RangeDigest& b) {
          a.Merge(b);
          return a;
        }));
    if (split_position >= 0) {
      const ColumnVector& c = batch.column(size_t(split_position));
      for (size_t row = 0; row < rows; ++row) {
        if (c.IsNull(row)) continue;
        out.min = std::min(out.min, c.Int(row));
        out.max = std::max(out.max, c.Int(row));
      }
    }
  });
  return out;
}

std::string RowValues(const Batch& batch, size_t row) {
  std::string out = "(";
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    const ColumnVector& c = batch.column(i);
    std::string v = FormatValue(c, row);
    if (v.size() > 200) v = v.substr(0, 200) + "...";
    const bool quote = !c.IsNull(row) && c.storage() != Storage::kInt64 &&
                       c.storage() != Storage::kUInt64 && c.storage() != Storage::kDecimal &&
                       c.storage() != Storage::kFloat64 && c.storage() != Storage::kBool;
    out += (i > 0 ? ", " : "") + (quote ? "'" + v + "'" : v);
  }
  return out + ")";
}

void CollectKeyed(ReadSession& session, const TableState& t, const Table& table,
                  const std::vector<int>& columns, const KeyRange& range,
                  const VerifyOptions& options, KeyedSide& out) {
  std::string scratch, key;
  Scan(session, table, columns, range, options.limits, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      KeyedRow r;
      r.columns.resize(t.hasher->num_columns());
      r.hash = t.hasher->Hash(batch, row, scratch, r.columns.data());
      r.display = RenderKey(batch, t.copy.key_positions, t.key_names, row);
      if (options.show_values) r.values = RowValues(batch, row);
      t.hasher->Key(batch, row, t.copy.key_positions, key);
      out[key].push_back(std::move(r));
    }
  });
}

void CollectKeyless(ReadSession& session, const TableState& t, const Table& table,
                    const std::vector<int>& columns, const KeyRange& range,
                    const VerifyOptions& options, uint64_t passes, uint64_t pass,
                    KeylessSide& out) {
  std::string scratch;
  Scan(session, table, columns, range, options.limits, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      const uint64_t hash = t.hasher->Hash(batch, row, scratch);
      if (hash % passes != pass) continue;
      KeylessEntry& e = out[hash];
      if (e.count++ == 0 && options.show_values) e.values = RowValues(batch, row);
    }
  });
}

}  // namespace ferry::verify
