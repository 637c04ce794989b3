// What a dialect's catalog and DDL code needs from a live connection, whatever carries it
// (ODBC, libpq, libmariadb or SQLite's own library): run a statement, run a small query with text
// parameters.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ferry {

class SqlSession {
 public:
  using Row = std::vector<std::optional<std::string>>;

  virtual ~SqlSession() = default;
  virtual void Execute(const std::string& sql) = 0;
  // Every row as text (NULL = nullopt). For catalog queries and other small results.
  virtual std::vector<Row> Query(const std::string& sql,
                                 const std::vector<std::string>& params = {}) = 0;
};

}  // namespace ferry
