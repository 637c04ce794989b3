// SQLite through its own library: an RAII database handle and prepared statements. ferry
// reads and writes SQLite natively because the SQLite ODBC driver passes REAL values through
// 15-digit text, which changes doubles; sqlite3_column_double and sqlite3_bind_double do not.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "drivers/sql/sql_session.hpp"

namespace ferry::sqlite {

class Statement;

class Session final : public SqlSession {
 public:
  // Opens `path`; a source is opened read-only and must exist.
  Session(const std::string& path, bool read_only, const std::string& display);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& display() const { return display_; }

  void Execute(const std::string& sql) override;
  std::vector<Row> Query(const std::string& sql,
                         const std::vector<std::string>& params = {}) override;

  // Throws the Error for result code `rc` of `call`.
  [[noreturn]] void Fail(int rc, const char* call) const;

 private:
  sqlite3* db_ = nullptr;
  std::string display_;
};

class Statement {
 public:
  Statement(Session& session, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  // SQLITE_ROW or SQLITE_DONE; throws on anything else.
  int Step();
  void Reset();

 private:
  Session& session_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace ferry::sqlite
