// Whether converted values fit their destination column (copier/convert.hpp), internal to
// copier/: each column's check is chosen once from its type and runs over the whole column; and
// what is proved of a column before any value is seen (AlwaysFits; FitRisks in convert.hpp).
#pragma once

#include <optional>
#include <string>

#include "copier/batch.hpp"
#include "copier/endpoint.hpp"
#include "copier/types.hpp"

namespace ferry {

// Checks every value (NULLs pass) of `column`; false at the first one the destination cannot
// hold exactly, with its row and why.
using ColumnCheck = bool (*)(const ColumnVector& column, const ColumnType& type,
                             const ValueLimits& limits, size_t* row, std::string* reason);

// The check for a destination column of `type` held in `storage`; nullptr when every value of
// the storage fits (booleans, UUIDs, types ferry passes through).
ColumnCheck CheckFor(const ColumnType& type, Storage storage);

// True when every value a `from` column can hold fits a `to` column unchanged, so no value
// needs looking at. Anything this does not prove is checked value by value.
bool AlwaysFits(const ColumnType& from, const ColumnType& to, const ValueLimits& dest,
                const std::optional<ValueLimits>& source);

}  // namespace ferry
