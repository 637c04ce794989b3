#include "drivers/postgres/pq_connection.hpp"

#include <fmt/format.h>

#include "copier/secrets.hpp"

namespace ferry::pq {

namespace {

std::string Field(const PGresult* result, int code) {
  const char* value = result ? PQresultErrorField(result, code) : nullptr;
  return value ? value : "";
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Server notices (a ROLLBACK outside a transaction, say) would go to stderr by default.
void IgnoreNotice(void*, const char*) {}

// '?' outside quoted literals and identifiers becomes $1, $2, ...
std::string NumberMarkers(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  char quote = 0;
  int n = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += fmt::format("${}", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Error MakeError(const std::string& message, PGconn* conn, const PGresult* result,
                const char* call) {
  std::string sqlstate = Field(result, PG_DIAG_SQLSTATE);
  std::string text = Field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (text.empty()) {
    text = Trimmed(result && *PQresultErrorMessage(result) ? PQresultErrorMessage(result)
                   : conn                                  ? PQerrorMessage(conn)
                                                           : "libpq call failed");
  }
  if (text.empty() && result) {
    // No error text: the statement did not fail but answered something other than what was
    // expected (a COPY state where a command's end was due, say); say which.
    text = fmt::format("the server answered {}", PQresStatus(PQresultStatus(result)));
  }
  if (std::string detail = Field(result, PG_DIAG_MESSAGE_DETAIL); !detail.empty()) {
    text += "; detail: " + detail;
  }
  if (std::string hint = Field(result, PG_DIAG_MESSAGE_HINT); !hint.empty()) {
    text += "; hint: " + hint;
  }
  if (std::string where = Field(result, PG_DIAG_CONTEXT); !where.empty()) {
    text += "; context: " + Trimmed(where);
  }
  ErrorCode code = ErrorCode::kDriver;
  if (sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("23", 0) == 0) code = ErrorCode::kData;
  if (sqlstate.rfind("08", 0) == 0 || (conn && PQstatus(conn) == CONNECTION_BAD)) {
    code = ErrorCode::kConnection;
  }
  // disk_full: the run stops as at a full staging disk (exit 8, committed units kept).
  if (sqlstate == "53100") code = ErrorCode::kDiskFull;
  ErrorContext context;
  context.call = call;
  Error out(code, message, std::move(context), {Diagnostic{sqlstate, 0, Redact(text)}});
  if (code == ErrorCode::kDiskFull) {
    out.WithAdvice(
        "the destination server's disk is full: free space there, then ferry run --resume (the "
        "units committed are kept)");
  }
  return out;
}

Connection::Connection(const ConnectParams& params, const std::string& display)
    : display_(display) {
  std::vector<const char*> keys, values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_.reset(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn_) throw Error(ErrorCode::kInternal, "libpq could not allocate a connection");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(conn_.get()));
    ErrorContext context;
    context.call = "PQconnectdbParams";
    Error error(ErrorCode::kConnection,
                fmt::format("cannot connect to {} through libpq (PostgreSQL data moves through "
                            "libpq, the catalog through ODBC)",
                            display),
                std::move(context), {Diagnostic{"08001", 0, why}});
    if (why.find("password") != std::string::npos) {
      error.WithAdvice(
          "check the user name and the password (FERRY_SOURCE_PASSWORD / FERRY_DEST_PASSWORD or "
          "odbc.ini)");
    }
    throw error;
  }
  PQsetNoticeProcessor(conn_.get(), IgnoreNotice, nullptr);
}

Result Connection::Check(Result result, ExecStatusType expected, const char* call) {
  if (!result || PQresultStatus(result.get()) != expected) {
    throw Named(MakeError("PostgreSQL statement failed", conn_.get(), result.get(), call));
  }
  return result;
}

Error Connection::Named(Error error) const {
  if (error.code() == ErrorCode::kConnection) {
    error.WithAdvice(
        fmt::format("the connection to {} was lost: the server restarted or went "
                    "away, or the network dropped it",
                    display_));
  }
  return error;
}

Result Connection::Run(const std::string& sql, ExecStatusType expected, const char* call) {
  return Check(Result(PQexec(conn_.get(), sql.c_str())), expected, call);
}

void Connection::Execute(const std::string& sql) {
  Result result(PQexec(conn_.get(), sql.c_str()));
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw Named(MakeError("PostgreSQL statement failed", conn_.get(), result.get(), "PQexec"));
  }
}

std::vector<SqlSession::Row> Connection::Query(const std::string& sql,
                                               const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  Result result =
      Check(Result(PQexecParams(conn_.get(), NumberMarkers(sql).c_str(), int(values.size()),
                                nullptr, values.data(), nullptr, nullptr, 0)),
            PGRES_TUPLES_OK, "PQexecParams");
  std::vector<Row> rows;
  const int n = PQntuples(result.get());
  const int columns = PQnfields(result.get());
  rows.reserve(size_t(n));
  for (int r = 0; r < n; ++r) {
    Row row(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result.get(), r, c)) continue;
      row[size_t(c)] =
          std::string(PQgetvalue(result.get(), r, c), size_t(PQgetlength(result.get(), r, c)));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<Error> Connection::Drain() noexcept {
  std::optional<Error> first;
  try {
    while (Result result{PQgetResult(conn_.get())}) {
      ExecStatusType status = PQresultStatus(result.get());
      if (status == PGRES_COPY_OUT) {
        // Still streaming: read the rest away (after Cancel it ends quickly).
        char* buffer = nullptr;
        while (PQgetCopyData(conn_.get(), &buffer, 0) > 0) PQfreemem(buffer);
        continue;
      }
      if (status == PGRES_COPY_IN) {
        PQputCopyEnd(conn_.get(), "ferry: copy abandoned");
        continue;
      }
      if (!first && (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE)) {
        first = Named(
            MakeError("PostgreSQL statement failed", conn_.get(), result.get(), "PQgetResult"));
      }
    }
  } catch (...) {
    // Building the Error allocates; a cleanup path must not throw.
  }
  return first;
}

void Connection::Cancel() noexcept {
  PGcancel* cancel = PQgetCancel(conn_.get());
  if (!cancel) return;
  char message[256];
  PQcancel(cancel, message, sizeof message);
  PQfreeCancel(cancel);
}

bool Connection::InTransaction() const {
  PGTransactionStatusType status = PQtransactionStatus(conn_.get());
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

}  // namespace ferry::pq
