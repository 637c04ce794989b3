#include "drivers/mariadb/mariadb_client.hpp"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "copier/secrets.hpp"

namespace ferry::mariadb {

namespace {

bool IsConnectionFailure(unsigned error) {
  return error == CR_CONNECTION_ERROR || error == CR_CONN_HOST_ERROR ||
         error == CR_SERVER_GONE_ERROR || error == CR_SERVER_LOST || error == CR_UNKNOWN_HOST ||
         error == CR_SERVER_LOST_EXTENDED || error == ER_ACCESS_DENIED_ERROR ||
         error == ER_DBACCESS_DENIED_ERROR || error == ER_BAD_DB_ERROR ||
         error == ER_CON_COUNT_ERROR;
}

// Replaces '?' outside quoted literals and identifiers with `params` as escaped literals.
std::string Bind(MYSQL* mysql, const std::string& sql, const std::vector<std::string>& params) {
  std::string out;
  out.reserve(sql.size() + 32);
  char quote = 0;
  size_t next = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      out += c;
    } else if (c == '?' && next < params.size()) {
      const std::string& p = params[next++];
      std::string escaped(p.size() * 2 + 1, '\0');
      escaped.resize(mysql_real_escape_string(mysql, escaped.data(), p.data(), p.size()));
      out += '\'';
      out += escaped;
      out += '\'';
    } else {
      out += c;
    }
  }
  return out;
}

Error Make(unsigned error, std::string sqlstate, std::string text, const char* call,
           const std::string& message) {
  if (text.empty()) text = "libmariadb call failed";
  ErrorCode code = ErrorCode::kDriver;
  if (sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("23", 0) == 0) code = ErrorCode::kData;
  if (sqlstate.rfind("08", 0) == 0 || IsConnectionFailure(error)) code = ErrorCode::kConnection;
  // "The table is full" (InnoDB at a full disk or a tablespace at its maximum, a MEMORY table at
  // max_heap_table_size) and "Disk full": the run stops as at a full staging disk (exit 8,
  // committed units kept).
  if (error == ER_RECORD_FILE_FULL || error == ER_DISK_FULL) code = ErrorCode::kDiskFull;
  ErrorContext context;
  context.call = call;
  Error out(code, message, std::move(context), {Diagnostic{sqlstate, int(error), Redact(text)}});
  if (code == ErrorCode::kDiskFull) {
    out.WithAdvice(
        "the destination server has no room for the rows: free disk space (or raise the table's "
        "limit), then ferry run --resume (the units committed are kept)");
  }
  return out;
}

}  // namespace

namespace {

// A server that vanishes without a reset (a cut network, a lost node) would leave a read waiting
// for hours under the kernel's keepalive defaults, and a write retransmitting for a quarter of an
// hour; these notice it within about two minutes, as ferry's libpq connections do. No read
// timeout: a long index build or a reader held back by slow writers is not a dead server.
void KeepAlive(my_socket fd) {
  if (fd < 0) return;
  const int on = 1, idle = 60, interval = 10, count = 6;
  const unsigned user_timeout_ms = 120000;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

// The options every libmariadb connection of ferry's is made with (the silence probe's too).
void SetOptions(MYSQL* m, const ConnectParams& params, Purpose purpose) {
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const unsigned connect_timeout = params.connect_timeout ? params.connect_timeout : 15;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  // A writer answers the server's LOAD DATA LOCAL requests from memory only; other sessions
  // refuse them, so a hostile server cannot make ferry read local files.
  unsigned int local_infile = purpose == Purpose::kWrite ? 1 : 0;
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  auto option = [&](mysql_option which, const std::string& value) {
    if (!value.empty()) mysql_optionsv(m, which, value.c_str());
  };
  option(MYSQL_OPT_SSL_KEY, params.ssl_key);
  option(MYSQL_OPT_SSL_CERT, params.ssl_cert);
  option(MYSQL_OPT_SSL_CA, params.ssl_ca);
  option(MYSQL_OPT_SSL_CAPATH, params.ssl_capath);
  option(MYSQL_OPT_SSL_CIPHER, params.ssl_cipher);
  my_bool verify = params.ssl_verify;
  mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  if (params.force_tls) {
    my_bool enforce = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &enforce);
  }
}

const char* TextOrNull(const std::string& s) {
  return s.empty() ? nullptr : s.c_str();
}

}  // namespace

Error MakeError(MYSQL* mysql, const char* call, const std::string& message) {
  if (!mysql) return Make(0, "HY000", "", call, message);
  return Make(mysql_errno(mysql), mysql_sqlstate(mysql), mysql_error(mysql), call, message);
}

Error MakeError(MYSQL_STMT* stmt, const char* call, const std::string& message) {
  if (!stmt) return Make(0, "HY000", "", call, message);
  return Make(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), call,
              message);
}

Connection::Connection(const ConnectParams& params, const std::string& display, Purpose purpose)
    : params_(params), mysql_(mysql_init(nullptr)), display_(display) {
  if (!mysql_) throw Error(ErrorCode::kInternal, "libmariadb could not allocate a connection");
  MYSQL* m = mysql_.get();
  SetOptions(m, params_, purpose);
  unsigned long flags = purpose == Purpose::kWrite ? CLIENT_LOCAL_FILES : 0;
  if (!mysql_real_connect(m, params_.host.c_str(), TextOrNull(params_.user),
                          params_.password.c_str(), TextOrNull(params_.database), params_.port,
                          TextOrNull(params_.socket), flags)) {
    Error error = MakeError(m, "mysql_real_connect",
                            fmt::format("cannot connect to {} through libmariadb (MariaDB data "
                                        "moves through libmariadb, the catalog through ODBC)",
                                        display_));
    if (mysql_errno(m) == ER_ACCESS_DENIED_ERROR) {
      error.WithAdvice(
          "check the user name and the password (FERRY_SOURCE_PASSWORD / FERRY_DEST_PASSWORD or "
          "odbc.ini)");
    }
    throw error;
  }
  KeepAlive(mysql_get_socket(m));
  // SET NAMES through the client library, so its escaping knows the character set too.
  if (mysql_set_character_set(m, "utf8mb4") != 0) Fail("mysql_set_character_set", "utf8mb4");
}

void Connection::Fail(const char* call, const std::string& message) const {
  Error error = MakeError(mysql_.get(), call, message);
  if (error.code() == ErrorCode::kConnection) {
    error.WithAdvice(
        fmt::format("the connection to {} was lost: the server restarted or went "
                    "away, or the network dropped it",
                    display_));
  }
  throw error;
}

void Connection::Send(const std::string& sql, const char* call) {
  if (mysql_real_query(mysql_.get(), sql.data(), sql.size()) != 0) {
    Fail(call, "MariaDB statement failed");
  }
}

void Connection::Execute(const std::string& sql) {
  Send(sql);
  // A statement that returns rows (SHOW, say) must have them read before the next one.
  Result result(mysql_store_result(mysql_.get()));
  if (!result && mysql_field_count(mysql_.get()) != 0) {
    Fail("mysql_store_result", "MariaDB statement failed");
  }
}

std::vector<SqlSession::Row> Connection::Query(const std::string& sql,
                                               const std::vector<std::string>& params) {
  Send(params.empty() ? sql : Bind(mysql_.get(), sql, params));
  Result result(mysql_store_result(mysql_.get()));
  std::vector<Row> rows;
  if (!result) {
    if (mysql_field_count(mysql_.get()) != 0) {
      Fail("mysql_store_result", "MariaDB query failed");
    }
    return rows;
  }
  const unsigned columns = mysql_num_fields(result.get());
  rows.reserve(size_t(mysql_num_rows(result.get())));
  while (MYSQL_ROW values = mysql_fetch_row(result.get())) {
    const unsigned long* lengths = mysql_fetch_lengths(result.get());
    Row row(columns);
    for (unsigned c = 0; c < columns; ++c) {
      if (values[c]) row[c] = std::string(values[c], lengths[c]);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void Connection::KillQuery() noexcept {
  try {
    Connection killer(params_, display_, Purpose::kCatalog);
    killer.Execute(fmt::format("KILL QUERY {}", mysql_thread_id(mysql_.get())));
  } catch (...) {
    // The result is then drained row by row: slower, never wrong.
  }
}

bool AnswersWithin(const ConnectParams& params, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  MysqlHandle probe(mysql_init(nullptr));
  if (!probe) return true;
  SetOptions(probe.get(), params, Purpose::kCatalog);
  // libmariadb's timeouts are whole seconds; the handshake's read waits for the connect timeout.
  const unsigned seconds = unsigned(std::max<int64_t>(1, (timeout.count() + 999) / 1000));
  for (mysql_option which :
       {MYSQL_OPT_CONNECT_TIMEOUT, MYSQL_OPT_READ_TIMEOUT, MYSQL_OPT_WRITE_TIMEOUT}) {
    mysql_optionsv(probe.get(), which, &seconds);
  }
  const bool answered =
      mysql_real_connect(probe.get(), params.host.c_str(), TextOrNull(params.user),
                         params.password.c_str(), TextOrNull(params.database), params.port,
                         TextOrNull(params.socket), 0) &&
      mysql_query(probe.get(), "SELECT 1") == 0;
  if (answered) {
    Result result(mysql_store_result(probe.get()));
    return true;
  }
  // Failing at once is an answer (refused, too many connections, a login error); failing only
  // when a timeout ran out is silence.
  return Clock::now() - start < timeout * 9 / 10;
}

void Connection::SetOnce(const std::string& sql) {
  if (set_once_.count(sql)) return;
  Execute(sql);
  set_once_.insert(sql);
}

}  // namespace ferry::mariadb
