// The libmariadb layer: move-only owners of MYSQL and MYSQL_RES, and the one function that
// turns a failed call into a ferry::Error (SQLSTATE, errno, message, the call's name). A
// Connection is also a SqlSession, so the MariaDB dialect's session settings and snapshot
// statements run on it unchanged.
#pragma once

#include <mysql.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "copier/error.hpp"
#include "drivers/mariadb/mariadb_params.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry::mariadb {

struct MysqlDeleter {
  void operator()(MYSQL* mysql) const noexcept { mysql_close(mysql); }
};
struct ResultDeleter {
  // Frees a streaming result too; the caller must have read it to the end or killed its query
  // first, or this reads every remaining row (see Connection::KillQuery).
  void operator()(MYSQL_RES* result) const noexcept { mysql_free_result(result); }
};
struct StmtDeleter {
  void operator()(MYSQL_STMT* stmt) const noexcept { mysql_stmt_close(stmt); }
};
using MysqlHandle = std::unique_ptr<MYSQL, MysqlDeleter>;
using Result = std::unique_ptr<MYSQL_RES, ResultDeleter>;
using StmtHandle = std::unique_ptr<MYSQL_STMT, StmtDeleter>;

// The Error for the failed `call` on `mysql`. Class 22 (data) and 23 (constraints) become
// kData; lost and refused connections (client errors 2000-2999, class 08) kConnection; the
// rest kDriver. The message is redacted.
Error MakeError(MYSQL* mysql, const char* call, const std::string& message);
// The same for a failed prepared-statement call.
Error MakeError(MYSQL_STMT* stmt, const char* call, const std::string& message);

enum class Purpose {
  kCatalog,
  kRead,
  kWrite,  // allows LOAD DATA LOCAL, served only from memory (see mariadb_writer.cpp)
};

class Connection final : public SqlSession {
 public:
  // Connects with utf8mb4 and the server's own defaults otherwise; errors name `display`.
  Connection(const ConnectParams& params, const std::string& display, Purpose purpose);

  MYSQL* get() const { return mysql_.get(); }
  const std::string& display() const { return display_; }

  void Execute(const std::string& sql) override;
  // '?' markers outside quotes and backticks become escaped literals (the server's own escaping
  // rules, which follow NO_BACKSLASH_ESCAPES).
  std::vector<Row> Query(const std::string& sql,
                         const std::vector<std::string>& params = {}) override;

  // Sends `sql` and throws with the statement failure named by `call`.
  void Send(const std::string& sql, const char* call = "mysql_real_query");
  // Throws the Error for the last failure of `call` on this connection.
  [[noreturn]] void Fail(const char* call, const std::string& message) const;
  // Stops the statement this connection runs, from a second short-lived connection (libmariadb
  // has no in-band cancel), so an abandoned streaming result ends quickly. Best effort.
  void KillQuery() noexcept;
  // Runs `sql` (a SET SESSION ...) the first time this connection is asked to, not per unit:
  // the session keeps it, and a new connection starts without.
  void SetOnce(const std::string& sql);

 private:
  ConnectParams params_;
  MysqlHandle mysql_;
  std::string display_;
  std::set<std::string> set_once_;
};

// Whether the server answers a new connection (log in, SELECT 1) within `timeout`, as
// drivers/silent_server.hpp needs: false only when it stayed silent until the time ran out.
bool AnswersWithin(const ConnectParams& params, std::chrono::milliseconds timeout);

}  // namespace ferry::mariadb
