// Moves values from the source's batch layout to the destination's, and refuses any value the
// destination column cannot hold exactly (out of range, too long, finer than its precision,
// NaN where the engine has none) with an error naming table, column and key. The conversion of
// each column is chosen once, when the converter is built; a batch is converted column by
// column, never by dispatching per value on types.
#pragma once

#include <functional>
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
  // a row (for messages); `table` names the table in messages.
  RowConverter(std::string table, std::vector<ColumnPairing> pairs, ValueLimits limits,
               std::vector<int> key_positions);

  std::vector<Storage> input_storages() const;
  std::vector<Storage> output_storages() const;

  // Fills `out` (reset to output_storages()) from `in`. Throws Error(kData).
  void Convert(const Batch& in, Batch& out) const;

 private:
  struct Failure {
    size_t row;
    std::string reason;
  };
  using ColumnFn = std::function<bool(const ColumnVector& in, ColumnVector& out, Failure* failure)>;

  std::string table_;
  std::vector<ColumnPairing> pairs_;
  std::vector<ColumnFn> functions_;
  std::vector<int> key_positions_;
};

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
