// Safe ODBC objects over the handles: a connection (connect, transactions, info) and a
// statement (execute, parameters, small result sets for catalog queries). Block cursors
// and the parameter-array inserter build on Statement.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drivers/odbc/handles.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry::odbc {

class Connection final : public SqlSession {
 public:
  // Connects with `connection_string` (which may hold a password); errors name `display`,
  // the same connection with secrets removed.
  // `login_timeout`: seconds the driver waits for the server to log it in.
  Connection(const std::string& connection_string, const std::string& display,
             int login_timeout = kDefaultLoginTimeout);

  static constexpr int kDefaultLoginTimeout = 15;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  ~Connection() override;

  SQLHDBC get() const { return dbc_.get(); }

  std::string InfoString(SQLUSMALLINT info) const;
  SQLUINTEGER InfoUInt(SQLUSMALLINT info) const;

  void SetAutocommit(bool on);
  void Commit();
  void Rollback() noexcept;

  void Execute(const std::string& sql) override;
  std::vector<Row> Query(const std::string& sql,
                         const std::vector<std::string>& params = {}) override;

 private:
  std::vector<Row> QueryRows(const std::string& sql, const std::vector<std::string>& params);
  // Runs `body`; an error of a lost connection names the server (`display_`).
  template <typename Body>
  auto Naming(Body body) -> decltype(body());

  DbcHandle dbc_;
  bool connected_ = false;
  std::string display_;  // without secrets
};

class Statement {
 public:
  explicit Statement(const Connection& connection);

  SQLHSTMT get() const { return stmt_.get(); }

  void SetAttribute(SQLINTEGER attribute, SQLULEN value, const char* what);
  void SetAttributePointer(SQLINTEGER attribute, SQLPOINTER value, const char* what);
  void ExecDirect(const std::string& sql);
  void Prepare(const std::string& sql);
  // Returns false when the statement produced SQL_NO_DATA (e.g. an UPDATE of no rows).
  bool Execute();
  SQLSMALLINT NumResultCols();
  void CloseCursor() noexcept;
  void ResetParams() noexcept;
  void Unbind() noexcept;

 private:
  StmtHandle stmt_;
};

}  // namespace ferry::odbc
