#include "scheduler/long_values_held.hpp"

#include <fmt/format.h>

#include "copier/batch.hpp"
#include "copier/types.hpp"

namespace ferry {

namespace {

// Whether a value of `type` can be longer than the smallest long-value threshold (1 MiB): a text
// or bytes type without a bound that keeps it under (MariaDB's TEXT holds 65,535 bytes).
bool CanBeLong(const ColumnType& type) {
  const Storage storage = StorageOf(type);
  if (storage != Storage::kText && storage != Storage::kBytes) return false;
  const int64_t smallest = int64_t(LongValueThreshold(0));
  if (type.max_bytes >= 0 && type.max_bytes <= smallest) return false;
  // A length in characters takes at most four bytes each in UTF-8.
  return type.length < 0 || type.length * 4 > smallest;
}

}  // namespace

std::vector<HeldColumn> LongValuesHeldWhole(Endpoint& source, Endpoint& destination,
                                            const TableCopyPlan& copy) {
  std::vector<HeldColumn> held;
  for (size_t i = 0; i < copy.source_columns.size() && i < copy.destination_columns.size(); ++i) {
    const int from = copy.source_columns[i];
    const Column& column = copy.source.columns[size_t(from)];
    if (!CanBeLong(column.type)) continue;
    HeldWhole reason = source.LongValuesHeldWhole(copy.source, from, true);
    bool at_source = true;
    if (reason.reason.empty()) {
      reason =
          destination.LongValuesHeldWhole(copy.destination, copy.destination_columns[i], false);
      at_source = false;
    }
    if (!reason.reason.empty()) held.push_back({column.name, at_source, std::move(reason)});
  }
  return held;
}

std::string HeldWholeWarning(const HeldColumn& held) {
  return fmt::format(
      "a value of column {} longer than the long-value threshold is held whole "
      "in memory when {}, beyond --memory-limit ({})",
      held.column, held.at_source ? "read" : "written", held.held.reason);
}

}  // namespace ferry
