#include "drivers/odbc/block_cursor.hpp"

#include <fmt/format.h>

namespace ferry::odbc {

BlockCursor::BlockCursor(Statement& statement, std::vector<BufferDescription> columns,
                         size_t rowset_size, bool allow_positioning)
    : statement_(statement), rowset_size_(rowset_size), allow_positioning_(allow_positioning) {
  statement_.SetAttribute(SQL_ATTR_ROW_BIND_TYPE, SQL_BIND_BY_COLUMN, "SQL_ATTR_ROW_BIND_TYPE");
  statement_.SetAttribute(SQL_ATTR_ROW_ARRAY_SIZE, rowset_size_, "SQL_ATTR_ROW_ARRAY_SIZE");
  statement_.SetAttributePointer(SQL_ATTR_ROWS_FETCHED_PTR, &rows_fetched_,
                                 "SQL_ATTR_ROWS_FETCHED_PTR");
  row_status_.resize(rowset_size_);
  statement_.SetAttributePointer(SQL_ATTR_ROW_STATUS_PTR, row_status_.data(),
                                 "SQL_ATTR_ROW_STATUS_PTR");
  columns_.reserve(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    Column& c = columns_.emplace_back();
    c.description = columns[i];
    c.data.resize(c.description.element_size * rowset_size_);
    c.indicators.resize(rowset_size_);
    Check(SQLBindCol(statement_.get(), SQLUSMALLINT(i + 1), c.description.c_type, c.data.data(),
                     SQLLEN(c.description.element_size), c.indicators.data()),
          SQL_HANDLE_STMT, statement_.get(), "SQLBindCol");
  }
}

BlockCursor::~BlockCursor() {
  statement_.Unbind();
  SQLSetStmtAttr(statement_.get(), SQL_ATTR_ROWS_FETCHED_PTR, nullptr, 0);
  SQLSetStmtAttr(statement_.get(), SQL_ATTR_ROW_STATUS_PTR, nullptr, 0);
}

size_t BlockCursor::Fetch() {
  rows_fetched_ = 0;
  SQLRETURN rc = Check(SQLFetch(statement_.get()), SQL_HANDLE_STMT, statement_.get(), "SQLFetch");
  if (rc == SQL_NO_DATA) return 0;
  for (size_t r = 0; r < rows_fetched_; ++r) {
    if (row_status_[r] == SQL_ROW_ERROR) {
      Check(SQL_ERROR, SQL_HANDLE_STMT, statement_.get(), "SQLFetch (row status)");
    }
  }
  return rows_fetched_;
}

bool BlockCursor::IsTruncated(size_t column, size_t row) const {
  const Column& c = columns_[column];
  SQLLEN ind = c.indicators[row];
  if (ind == SQL_NULL_DATA) return false;
  size_t room = c.description.element_size - (c.description.c_type == SQL_C_CHAR ? 1 : 0);
  return ind == SQL_NO_TOTAL || size_t(ind) > room;
}

size_t BlockCursor::ValuePieces(size_t column, size_t row, size_t piece_size,
                                const std::function<void(std::string_view)>& piece) {
  const Column& c = columns_[column];
  if (rowset_size_ > 1) {
    if (!allow_positioning_) {
      throw Error(ErrorCode::kInternal,
                  "a value exceeds its fetch buffer and the driver cannot position in a rowset");
    }
    Check(SQLSetPos(statement_.get(), SQLSETPOSIROW(row + 1), SQL_POSITION, SQL_LOCK_NO_CHANGE),
          SQL_HANDLE_STMT, statement_.get(), "SQLSetPos(SQL_POSITION)");
  }
  const bool text = c.description.c_type == SQL_C_CHAR;
  // SQL_C_CHAR pieces end in a NUL the driver adds; one byte more keeps them piece_size long.
  std::vector<char> chunk(std::max<size_t>(piece_size, 64) + (text ? 1 : 0));
  const size_t room = chunk.size() - (text ? 1 : 0);
  size_t total = 0;
  // SQL_SUCCESS_WITH_INFO (01004, data truncated) while more is left, SQL_SUCCESS with the
  // last piece, SQL_NO_DATA once everything was returned.
  for (;;) {
    SQLLEN indicator = 0;
    SQLRETURN rc =
        Check(SQLGetData(statement_.get(), SQLUSMALLINT(column + 1), c.description.c_type,
                         chunk.data(), SQLLEN(chunk.size()), &indicator),
              SQL_HANDLE_STMT, statement_.get(), "SQLGetData");
    if (rc == SQL_NO_DATA || indicator == SQL_NULL_DATA) break;
    const size_t got =
        (indicator == SQL_NO_TOTAL || size_t(indicator) > room) ? room : size_t(indicator);
    piece(std::string_view(chunk.data(), got));
    total += got;
    if (rc == SQL_SUCCESS) break;
  }
  return total;
}

}  // namespace ferry::odbc
