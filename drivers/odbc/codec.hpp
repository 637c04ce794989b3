// How batch values cross the ODBC boundary: the fetch buffer each column gets and how a
// fetched rowset is appended to a batch column; the parameter each destination column gets
// and how a range of batch rows fills its array. Chosen once per column.
#pragma once

#include <functional>
#include <string>

#include "copier/batch.hpp"
#include "drivers/odbc/block_cursor.hpp"
#include "drivers/odbc/parameter_arrays.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry {

// How a value of one column is spelled on the ODBC wire in a given direction.
enum class WireForm {
  kInt64,    // SQL_C_SBIGINT
  kUInt64,   // SQL_C_UBIGINT
  kFloat32,  // SQL_C_FLOAT (read only: widened exactly to double)
  kFloat64,  // SQL_C_DOUBLE
  kBinary,   // SQL_C_BINARY
  kText,     // SQL_C_CHAR, UTF-8
};

struct WriteParameter {
  WireForm form = WireForm::kText;
  SQLSMALLINT sql_type = SQL_VARCHAR;
  SQLSMALLINT decimal_digits = 0;
};

// How a column of `type` is fetched (the reader parses text forms into batch storage) and
// bound for writing, as the engine's driver wants it (Dialect::quirks().odbc).
WireForm ReadForm(const OdbcQuirks& quirks, const ColumnType& type);
WriteParameter WriteForm(const OdbcQuirks& quirks, const ColumnType& type);

// Fetch buffer bytes for values whose type has no useful bound (text, blobs, json);
// longer values are fetched with SQLGetData when they appear.
constexpr size_t kLongValueBuffer = 8 * 1024;

odbc::BufferDescription ReadBuffer(WireForm form, const ColumnType& type);
// True when the buffer may be too small for some values of the type.
bool ReadBufferIsCapped(WireForm form, const ColumnType& type);

// Appends rows [0, rows) of cursor column `column` to `out`. Returns "" or why a value could not
// be read (with the row in *bad_row); the offending cell is appended as NULL. A text or bytes
// value longer than `long_threshold` is appended as a LongValue, fetched in pieces.
std::string AppendFetched(odbc::BlockCursor& cursor, size_t column, size_t rows, WireForm form,
                          const ColumnType& type, size_t long_threshold, ColumnVector& out,
                          size_t* bad_row);

struct ParameterPlan {
  WriteParameter parameter;
  odbc::ParameterDescription description;
  bool utc_offset = false;      // append "+00" to timestamps sent as text
  const char* true_text = "1";  // booleans sent as text
  const char* false_text = "0";
};
ParameterPlan PlanParameter(const Dialect& dialect, const ColumnType& type);
// Bytes one element of rows [begin, end) of `in` needs.
size_t ParameterElementSize(const ParameterPlan& plan, const ColumnVector& in, size_t begin,
                            size_t end);
// Writes rows [begin, end) of `in` into parameter `param` of `arrays`, starting at element 0.
void FillParameter(const ParameterPlan& plan, const ColumnVector& in, size_t begin, size_t end,
                   odbc::ParameterArrays& arrays, size_t param);

}  // namespace ferry
