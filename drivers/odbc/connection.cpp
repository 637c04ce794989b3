#include "drivers/odbc/connection.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ferry::odbc {

Connection::Connection(const std::string& connection_string, const std::string& display,
                       int login_timeout)
    : dbc_(DbcHandle::Allocate(SharedEnvironment())), display_(display) {
  // A login timeout keeps "server unreachable" (or silent) from hanging the tool.
  SQLSetConnectAttr(dbc_.get(), SQL_ATTR_LOGIN_TIMEOUT,
                    reinterpret_cast<SQLPOINTER>(SQLULEN(std::max(login_timeout, 1))), 0);
  SQLCHAR out[1024];
  SQLSMALLINT out_length = 0;
  SQLRETURN rc = SQLDriverConnect(
      dbc_.get(), nullptr, reinterpret_cast<SQLCHAR*>(const_cast<char*>(connection_string.c_str())),
      SQL_NTS, out, sizeof out, &out_length, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    std::vector<Diagnostic> diagnostics = ReadDiagnostics(SQL_HANDLE_DBC, dbc_.get());
    ErrorCode code = ErrorCode::kConnection;
    std::string advice;
    for (const Diagnostic& d : diagnostics) {
      if (d.sqlstate == "IM002" ||
          (d.sqlstate == "01000" && d.message.find("Can't open lib") != std::string::npos)) {
        code = ErrorCode::kMissingDriver;
        advice =
            "the ODBC driver or DSN is not installed: check `odbcinst -q -d` and `odbcinst -q -s`; "
            "ferry's URL shorthands need odbc-postgresql, odbc-mariadb or libsqliteodbc";
      } else if (d.sqlstate == "28000" || d.sqlstate == "28P01" ||
                 d.message.find("password") != std::string::npos ||
                 d.message.find("Access denied") != std::string::npos) {
        advice =
            "check the user name and the password (FERRY_SOURCE_PASSWORD / "
            "FERRY_DEST_PASSWORD or odbc.ini)";
      } else if (d.message.find("expected authentication request from server") !=
                     std::string::npos ||
                 d.message.find("reading initial communication packet") != std::string::npos) {
        // A URL of one engine at the other's port: neither says so in its own words.
        advice =
            "the server at that port does not speak this engine's protocol: is it another "
            "engine's port (PostgreSQL listens on 5432 by default, MariaDB/MySQL on 3306)? A "
            "postgresql:// URL needs a PostgreSQL server, mysql:// a MariaDB or MySQL one";
      }
    }
    ErrorContext context;
    context.call = "SQLDriverConnect";
    Error error(code, fmt::format("cannot connect to {}", display), std::move(context),
                std::move(diagnostics));
    if (!advice.empty()) error.WithAdvice(advice);
    throw error;
  }
  connected_ = true;
}

Connection::~Connection() {
  if (connected_ && dbc_) {
    SQLEndTran(SQL_HANDLE_DBC, dbc_.get(), SQL_ROLLBACK);
    SQLDisconnect(dbc_.get());
  }
}

std::string Connection::InfoString(SQLUSMALLINT info) const {
  char buffer[512] = {0};
  SQLSMALLINT length = 0;
  Check(SQLGetInfo(dbc_.get(), info, buffer, sizeof buffer, &length), SQL_HANDLE_DBC, dbc_.get(),
        "SQLGetInfo");
  return std::string(buffer, std::min<size_t>(size_t(length), sizeof buffer - 1));
}

SQLUINTEGER Connection::InfoUInt(SQLUSMALLINT info) const {
  SQLUINTEGER value = 0;
  Check(SQLGetInfo(dbc_.get(), info, &value, sizeof value, nullptr), SQL_HANDLE_DBC, dbc_.get(),
        "SQLGetInfo");
  return value;
}

void Connection::SetAutocommit(bool on) {
  Check(SQLSetConnectAttr(dbc_.get(), SQL_ATTR_AUTOCOMMIT,
                          reinterpret_cast<SQLPOINTER>(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF),
                          0),
        SQL_HANDLE_DBC, dbc_.get(), "SQLSetConnectAttr(SQL_ATTR_AUTOCOMMIT)");
}

void Connection::Commit() {
  Check(SQLEndTran(SQL_HANDLE_DBC, dbc_.get(), SQL_COMMIT), SQL_HANDLE_DBC, dbc_.get(),
        "SQLEndTran(SQL_COMMIT)");
}

void Connection::Rollback() noexcept {
  SQLEndTran(SQL_HANDLE_DBC, dbc_.get(), SQL_ROLLBACK);
}

template <typename Body>
auto Connection::Naming(Body body) -> decltype(body()) {
  try {
    return body();
  } catch (Error& e) {
    for (const Diagnostic& d : e.diagnostics()) {
      if (d.sqlstate.rfind("08", 0) == 0 || d.native_code == 2006 || d.native_code == 2013) {
        e.WithAdvice(
            fmt::format("the connection to {} was lost: the server restarted or went "
                        "away, or the network dropped it",
                        display_));
        break;
      }
    }
    throw;
  }
}

void Connection::Execute(const std::string& sql) {
  Naming([&] {
    Statement statement(*this);
    statement.ExecDirect(sql);
  });
}

std::vector<Connection::Row> Connection::Query(const std::string& sql,
                                               const std::vector<std::string>& params) {
  return Naming([&] { return QueryRows(sql, params); });
}

std::vector<Connection::Row> Connection::QueryRows(const std::string& sql,
                                                   const std::vector<std::string>& params) {
  Statement statement(*this);
  std::vector<SQLLEN> lengths(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    lengths[i] = SQLLEN(params[i].size());
    Check(SQLBindParameter(statement.get(), SQLUSMALLINT(i + 1), SQL_PARAM_INPUT, SQL_C_CHAR,
                           SQL_VARCHAR, std::max<SQLULEN>(params[i].size(), 1), 0,
                           const_cast<char*>(params[i].data()), lengths[i], &lengths[i]),
          SQL_HANDLE_STMT, statement.get(), "SQLBindParameter");
  }
  statement.ExecDirect(sql);
  SQLSMALLINT columns = statement.NumResultCols();
  std::vector<Row> rows;
  std::vector<char> chunk(4096);
  while (columns > 0) {
    SQLRETURN rc = Check(SQLFetch(statement.get()), SQL_HANDLE_STMT, statement.get(), "SQLFetch");
    if (rc == SQL_NO_DATA) break;
    Row row(static_cast<size_t>(columns));
    for (SQLSMALLINT c = 1; c <= columns; ++c) {
      std::string value;
      bool is_null = false;
      for (;;) {
        SQLLEN indicator = 0;
        rc = Check(SQLGetData(statement.get(), SQLUSMALLINT(c), SQL_C_CHAR, chunk.data(),
                              SQLLEN(chunk.size()), &indicator),
                   SQL_HANDLE_STMT, statement.get(), "SQLGetData");
        if (rc == SQL_NO_DATA) break;
        if (indicator == SQL_NULL_DATA) {
          is_null = true;
          break;
        }
        size_t got = (indicator == SQL_NO_TOTAL || size_t(indicator) >= chunk.size())
                         ? chunk.size() - 1
                         : size_t(indicator);
        value.append(chunk.data(), got);
        if (rc == SQL_SUCCESS) break;
      }
      if (!is_null) row[size_t(c - 1)] = std::move(value);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Statement::Statement(const Connection& connection)
    : stmt_(StmtHandle::Allocate(connection.get())) {}

void Statement::SetAttribute(SQLINTEGER attribute, SQLULEN value, const char* what) {
  Check(SQLSetStmtAttr(stmt_.get(), attribute, reinterpret_cast<SQLPOINTER>(value), 0),
        SQL_HANDLE_STMT, stmt_.get(), what);
}

void Statement::SetAttributePointer(SQLINTEGER attribute, SQLPOINTER value, const char* what) {
  Check(SQLSetStmtAttr(stmt_.get(), attribute, value, 0), SQL_HANDLE_STMT, stmt_.get(), what);
}

void Statement::ExecDirect(const std::string& sql) {
  Check(SQLExecDirect(stmt_.get(), reinterpret_cast<SQLCHAR*>(const_cast<char*>(sql.c_str())),
                      SQLINTEGER(sql.size())),
        SQL_HANDLE_STMT, stmt_.get(), "SQLExecDirect");
}

void Statement::Prepare(const std::string& sql) {
  Check(SQLPrepare(stmt_.get(), reinterpret_cast<SQLCHAR*>(const_cast<char*>(sql.c_str())),
                   SQLINTEGER(sql.size())),
        SQL_HANDLE_STMT, stmt_.get(), "SQLPrepare");
}

bool Statement::Execute() {
  return Check(SQLExecute(stmt_.get()), SQL_HANDLE_STMT, stmt_.get(), "SQLExecute") != SQL_NO_DATA;
}

SQLSMALLINT Statement::NumResultCols() {
  SQLSMALLINT n = 0;
  Check(SQLNumResultCols(stmt_.get(), &n), SQL_HANDLE_STMT, stmt_.get(), "SQLNumResultCols");
  return n;
}

void Statement::CloseCursor() noexcept {
  SQLFreeStmt(stmt_.get(), SQL_CLOSE);
}
void Statement::ResetParams() noexcept {
  SQLFreeStmt(stmt_.get(), SQL_RESET_PARAMS);
}
void Statement::Unbind() noexcept {
  SQLFreeStmt(stmt_.get(), SQL_UNBIND);
}

}  // namespace ferry::odbc
