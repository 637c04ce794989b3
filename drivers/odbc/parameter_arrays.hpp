// Executes a prepared statement once for many rows with column-wise parameter arrays
// (SQL_ATTR_PARAMSET_SIZE). Buffers grow to the widest element seen and are reused; the
// caller fills elements and indicators, then calls Execute.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "drivers/odbc/connection.hpp"

namespace ferry::odbc {

struct ParameterDescription {
  SQLSMALLINT c_type = SQL_C_CHAR;
  SQLSMALLINT sql_type = SQL_VARCHAR;
  SQLULEN column_size = 0;
  SQLSMALLINT decimal_digits = 0;
};

class ParameterArrays {
 public:
  // `statement` is prepared with one marker per description. `driver_supports_arrays` false
  // makes Execute loop over rows one parameter set at a time (same results, slower).
  ParameterArrays(Statement& statement, std::vector<ParameterDescription> params,
                  bool driver_supports_arrays);

  // Makes room for `rows` rows where parameter i takes element_sizes[i] bytes, and binds.
  void Prepare(size_t rows, const std::vector<size_t>& element_sizes);

  char* Element(size_t param, size_t row) {
    Param& p = params_[param];
    return p.data.data() + row * p.element_size;
  }
  size_t element_size(size_t param) const { return params_[param].element_size; }
  SQLLEN* Indicators(size_t param) { return params_[param].indicators.data(); }

  // Executes for rows [0, rows). On failure throws the driver's Error; `*failed_row` is set to
  // the first row whose status says error, when the driver reports it.
  void Execute(size_t rows, std::optional<size_t>* failed_row);

  // Executes row 0 alone, with the parameters `streamed` names sent at execution in pieces
  // (SQL_DATA_AT_EXEC, SQLPutData) instead of from their arrays: a value too long to hold.
  // Throws the driver's Error on failure.
  struct Streamed {
    size_t param = 0;
    size_t size = 0;
    std::function<void(const std::function<void(std::string_view)>&)> pieces;
  };
  void ExecuteStreaming(const std::vector<Streamed>& streamed);

 private:
  struct Param {
    ParameterDescription description;
    size_t element_size = 0;
    std::vector<char> data;
    std::vector<SQLLEN> indicators;
  };
  void BindAll(size_t offset_rows);

  Statement& statement_;
  std::vector<Param> params_;
  bool arrays_;
  size_t capacity_rows_ = 0;
  SQLULEN processed_ = 0;
  std::vector<SQLUSMALLINT> status_;
};

}  // namespace ferry::odbc
