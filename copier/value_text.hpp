// Values as text for the row converter (copier/convert.hpp), internal to copier/: a parser and a
// printer per storage, chosen once per column, and how a refused value appears in a message
// (the value itself only with --show-values: logs travel where the data may not).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "copier/batch.hpp"
#include "copier/types.hpp"

namespace ferry {

// Reads canonical text into `out`, whose storage the parser was chosen for; false when the text
// is not a value of it.
using TextParser = bool (*)(std::string_view text, ColumnVector& out);
TextParser ParserFor(Storage storage);

// The canonical text of a value (not NULL) of the storage the formatter was chosen for.
using TextFormatter = std::string (*)(const ColumnVector& column, size_t row);
TextFormatter FormatterFor(Storage storage);

// Canonical decimal text without trailing fractional zeros, for comparing values.
std::string DecimalValue(std::string_view text);

std::string ShownInteger(int64_t v);
std::string ShownUnsigned(uint64_t v);
std::string ShownDecimal(std::string_view text);
std::string ShownDouble(double v);
std::string ShownTemporal(const std::string& formatted, const char* kind);

}  // namespace ferry
