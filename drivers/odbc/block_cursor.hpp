// Reads a result set rowset by rowset into column-wise bound arrays
// (SQL_ATTR_ROW_ARRAY_SIZE), one buffer per column reused for every fetch. A value longer
// than its column's buffer is not lost: ValuePieces() fetches it with SQLGetData, a piece at a
// time.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/odbc/connection.hpp"

namespace ferry::odbc {

// How one column is transferred: the C type and the bytes each element takes. Kept apart
// from the column's database type (the driver converts between them).
struct BufferDescription {
  SQLSMALLINT c_type = SQL_C_CHAR;
  size_t element_size = 0;  // for SQL_C_CHAR this includes the terminating NUL
};

class BlockCursor {
 public:
  // `statement` has been executed and has a result with one column per description.
  // `rowset_size` rows are fetched at a time; `allow_positioning` says whether the driver can
  // SQLGetData a row of a multi-row rowset (SQL_GD_BLOCK); when it cannot, the caller must use
  // rowset_size 1 for results whose values may exceed their buffers.
  BlockCursor(Statement& statement, std::vector<BufferDescription> columns, size_t rowset_size,
              bool allow_positioning);
  ~BlockCursor();
  BlockCursor(const BlockCursor&) = delete;
  BlockCursor& operator=(const BlockCursor&) = delete;

  // Fetches the next rowset; returns how many rows it holds (0 at the end).
  size_t Fetch();

  size_t rowset_size() const { return rowset_size_; }
  const BufferDescription& description(size_t column) const { return columns_[column].description; }
  const char* Element(size_t column, size_t row) const {
    const Column& c = columns_[column];
    return c.data.data() + row * c.description.element_size;
  }
  // SQL_NULL_DATA, the value's length in bytes, or SQL_NO_TOTAL.
  SQLLEN Indicator(size_t column, size_t row) const { return columns_[column].indicators[row]; }
  const SQLLEN* Indicators(size_t column) const { return columns_[column].indicators.data(); }
  // True when the element holds only part of the value.
  bool IsTruncated(size_t column, size_t row) const;
  // Calls `piece` with the bytes of a truncated SQL_C_CHAR or SQL_C_BINARY cell in order
  // (without terminator), at most `piece_size` at a time: the value is never held whole here.
  // Returns its length.
  size_t ValuePieces(size_t column, size_t row, size_t piece_size,
                     const std::function<void(std::string_view)>& piece);

 private:
  struct Column {
    BufferDescription description;
    std::vector<char> data;
    std::vector<SQLLEN> indicators;
  };

  Statement& statement_;
  std::vector<Column> columns_;
  size_t rowset_size_;
  bool allow_positioning_;
  SQLULEN rows_fetched_ = 0;
  std::vector<SQLUSMALLINT> row_status_;
};

}  // namespace ferry::odbc
