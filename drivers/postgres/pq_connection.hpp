// The libpq layer: move-only owners of PGconn, PGresult and libpq-allocated buffers, and the
// one function that turns a failed libpq call into a ferry::Error (SQLSTATE, message, detail,
// the call's name). A Connection is also a SqlSession, so the PostgreSQL dialect's session
// settings and snapshot statements run on it unchanged.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "copier/error.hpp"
#include "drivers/postgres/libpq_params.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry::pq {

struct ConnDeleter {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
struct MemoryDeleter {
  void operator()(char* memory) const noexcept { PQfreemem(memory); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnDeleter>;
using Result = std::unique_ptr<PGresult, ResultDeleter>;
using Memory = std::unique_ptr<char, MemoryDeleter>;  // PQgetCopyData's buffers

// The Error for a failed call: `result` may be null (then the connection's message is used).
// Class 22 (data) and 23 (constraints) become kData, class 08 kConnection, the rest kDriver.
Error MakeError(const std::string& message, PGconn* conn, const PGresult* result, const char* call);

class Connection final : public SqlSession {
 public:
  // Connects; errors name `display` (the connection without secrets).
  Connection(const ConnectParams& params, const std::string& display);

  PGconn* get() const { return conn_.get(); }
  const std::string& display() const { return display_; }

  void Execute(const std::string& sql) override;
  // '?' markers outside quotes are PostgreSQL's $1, $2, ... (the dialect writes ODBC markers).
  std::vector<Row> Query(const std::string& sql,
                         const std::vector<std::string>& params = {}) override;

  // Runs `sql` and throws unless its result has status `expected`.
  Result Run(const std::string& sql, ExecStatusType expected, const char* call = "PQexec");
  // Throws unless `result` has status `expected`.
  Result Check(Result result, ExecStatusType expected, const char* call);
  // `error`, naming the server when the connection to it was lost.
  Error Named(Error error) const;
  // Reads every pending result; returns the first error's Error, if any (for cleanup paths).
  std::optional<Error> Drain() noexcept;
  // Asks the server to cancel what this connection runs (best effort).
  void Cancel() noexcept;
  bool InTransaction() const;

 private:
  ConnHandle conn_;
  std::string display_;
};

}  // namespace ferry::pq
