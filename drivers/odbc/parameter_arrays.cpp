#include "drivers/odbc/parameter_arrays.hpp"

#include <cstdint>

namespace ferry::odbc {

ParameterArrays::ParameterArrays(Statement& statement, std::vector<ParameterDescription> params,
                                 bool driver_supports_arrays)
    : statement_(statement), arrays_(driver_supports_arrays) {
  params_.resize(params.size());
  for (size_t i = 0; i < params.size(); ++i) params_[i].description = params[i];
  statement_.SetAttribute(SQL_ATTR_PARAM_BIND_TYPE, SQL_PARAM_BIND_BY_COLUMN,
                          "SQL_ATTR_PARAM_BIND_TYPE");
}

void ParameterArrays::Prepare(size_t rows, const std::vector<size_t>& element_sizes) {
  bool rebind = rows > capacity_rows_;
  capacity_rows_ = std::max(capacity_rows_, rows);
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = params_[i];
    size_t size = std::max<size_t>(element_sizes[i], 1);
    if (size != p.element_size) rebind = true;
    p.element_size = size;
    if (p.data.size() < size * capacity_rows_) p.data.resize(size * capacity_rows_);
    if (p.indicators.size() < capacity_rows_) p.indicators.resize(capacity_rows_);
  }
  status_.resize(capacity_rows_);
  if (rebind) BindAll(0);
}

void ParameterArrays::BindAll(size_t offset_rows) {
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = params_[i];
    const ParameterDescription& d = p.description;
    SQLULEN column_size = d.column_size;
    if (column_size == 0) column_size = std::max<SQLULEN>(p.element_size, 1);
    Check(SQLBindParameter(statement_.get(), SQLUSMALLINT(i + 1), SQL_PARAM_INPUT, d.c_type,
                           d.sql_type, column_size, d.decimal_digits,
                           p.data.data() + offset_rows * p.element_size, SQLLEN(p.element_size),
                           p.indicators.data() + offset_rows),
          SQL_HANDLE_STMT, statement_.get(), "SQLBindParameter");
  }
}

void ParameterArrays::Execute(size_t rows, std::optional<size_t>* failed_row) {
  if (rows == 0) return;
  if (arrays_) {
    statement_.SetAttribute(SQL_ATTR_PARAMSET_SIZE, rows, "SQL_ATTR_PARAMSET_SIZE");
    statement_.SetAttributePointer(SQL_ATTR_PARAMS_PROCESSED_PTR, &processed_,
                                   "SQL_ATTR_PARAMS_PROCESSED_PTR");
    statement_.SetAttributePointer(SQL_ATTR_PARAM_STATUS_PTR, status_.data(),
                                   "SQL_ATTR_PARAM_STATUS_PTR");
    std::fill(status_.begin(), status_.begin() + long(rows), SQLUSMALLINT(SQL_PARAM_UNUSED));
    try {
      statement_.Execute();
    } catch (const Error&) {
      for (size_t r = 0; r < rows; ++r) {
        if (status_[r] == SQL_PARAM_ERROR) {
          *failed_row = r;
          break;
        }
      }
      throw;
    }
    for (size_t r = 0; r < rows && r < processed_; ++r) {
      if (status_[r] == SQL_PARAM_ERROR) {
        *failed_row = r;
        Check(SQL_ERROR, SQL_HANDLE_STMT, statement_.get(), "SQLExecute (parameter status)");
      }
    }
    return;
  }
  // One parameter set at a time: rebind at each row's offset.
  for (size_t r = 0; r < rows; ++r) {
    BindAll(r);
    try {
      statement_.Execute();
    } catch (const Error&) {
      *failed_row = r;
      BindAll(0);
      throw;
    }
  }
  BindAll(0);
}

void ParameterArrays::ExecuteStreaming(const std::vector<Streamed>& streamed) {
  if (arrays_) statement_.SetAttribute(SQL_ATTR_PARAMSET_SIZE, 1, "SQL_ATTR_PARAMSET_SIZE");
  BindAll(0);
  // The driver asks for each streamed parameter by the token bound as its value pointer (its
  // place in `streamed`, plus one), and takes its length from the indicator.
  std::vector<SQLLEN> lengths(streamed.size());
  for (size_t k = 0; k < streamed.size(); ++k) {
    const ParameterDescription& d = params_[streamed[k].param].description;
    lengths[k] = SQL_LEN_DATA_AT_EXEC(SQLLEN(streamed[k].size));
    Check(SQLBindParameter(statement_.get(), SQLUSMALLINT(streamed[k].param + 1), SQL_PARAM_INPUT,
                           d.c_type, d.sql_type, std::max<SQLULEN>(streamed[k].size, 1),
                           d.decimal_digits, reinterpret_cast<SQLPOINTER>(uintptr_t(k + 1)), 0,
                           &lengths[k]),
          SQL_HANDLE_STMT, statement_.get(), "SQLBindParameter");
  }
  auto put = [&](std::string_view piece) {
    Check(SQLPutData(statement_.get(), const_cast<char*>(piece.data()), SQLLEN(piece.size())),
          SQL_HANDLE_STMT, statement_.get(), "SQLPutData");
  };
  try {
    SQLRETURN rc = SQLExecute(statement_.get());
    while (rc == SQL_NEED_DATA) {
      SQLPOINTER token = nullptr;
      rc = SQLParamData(statement_.get(), &token);
      if (rc != SQL_NEED_DATA) break;
      const Streamed& value = streamed.at(reinterpret_cast<uintptr_t>(token) - 1);
      if (value.size == 0) put(std::string_view("", 0));
      value.pieces(put);
    }
    Check(rc, SQL_HANDLE_STMT, statement_.get(), "SQLExecute");
  } catch (const Error&) {
    SQLCancel(statement_.get());  // ends a data-at-execution exchange left half done
    BindAll(0);
    throw;
  }
  BindAll(0);
}

}  // namespace ferry::odbc
