// Moves values from the source's batch layout to the destination's, and refuses any value the
// destination column cannot hold exactly (out of range, too long, finer than its precision,
// NaN where the engine has none) with an error naming table, column and key. The conversion of
// each column is chosen once, when the converter is built; a batch is converted column by
// column, never by dispatching per value on types.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"

namespace ferry {

struct ColumnPairing {
  const Column* source = nullptr;
  const Column* destination = nullptr;
};

class RowConverter {
 public:
  // `pairs[i]` describes batch column i. `key_positions` are the batch columns that identify
  // a row (for messages); `table` names the table in messages. `source_limits`, when known,
  // says what the source engine itself guarantees (valid UTF-8, no NUL), so columns whose
  // every possible value fits the destination are moved without looking at each value.
  RowConverter(std::string table, std::vector<ColumnPairing> pairs, ValueLimits limits,
               std::vector<int> key_positions,
               std::optional<ValueLimits> source_limits = std::nullopt);

  std::vector<Storage> input_storages() const;
  std::vector<Storage> output_storages() const;

  // Fills `out` (reset to output_storages()) from `in`. Throws Error(kData).
  void Convert(const Batch& in, Batch& out) const;
  // The same, but columns that need no conversion are moved from `in` instead of copied;
  // `in` is left with spare buffers.
  void Convert(Batch& in, Batch& out) const;
  // Columns moved without any per-value work (for tests and profiles).
  size_t unchecked_columns() const;

 private:
  struct Failure {
    size_t row;
    std::string reason;
  };
  using ColumnFn = std::function<bool(const ColumnVector& in, ColumnVector& out, Failure* failure)>;

  void ConvertColumns(const Batch& in, Batch& out, Batch* movable) const;

  std::string table_;
  std::vector<ColumnPairing> pairs_;
  std::vector<ColumnFn> functions_;
  std::vector<bool> unchecked_;     // same storage and every value fits: move, do not look
  std::vector<bool> same_storage_;  // no conversion: moved (when `in` may be), then checked
  std::vector<int> key_positions_;
};

// Why some values of a `from` column (from an engine with `source` limits) would be refused by
// the converter on their way into a `to` column at an engine with `dest` limits: one sentence
// per kind of value ("values with more than 2 digits after the point"); empty when every value
// fits. For ferry check; the converter itself still checks every value.
std::vector<std::string> FitRisks(const ColumnType& from, const ColumnType& to,
                                  const ValueLimits& source, const ValueLimits& dest);

// "(id)=(42)" or "(tenant, order_id)=('acme', 7)": how a row is named in messages.
std::string RenderKey(const Batch& batch, const std::vector<int>& positions,
                      const std::vector<std::string>& names, size_t row);

// Reads text into the column's storage (booleans, numbers, ISO dates and timestamps with an
// optional zone, UUIDs); false when the text is not a value of that storage.
bool ParseValue(std::string_view text, ColumnVector& out);

// The canonical text of one value, as ferry prints it (dates ISO, decimals exact, UUIDs in
// lower case, bytes as \x hex).
std::string FormatValue(const ColumnVector& column, size_t row);

}  // namespace ferry
