#include "drivers/sqlite/sqlite_session.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "copier/error.hpp"
#include "copier/values.hpp"
#include "drivers/sqlite/sqlite_reader.hpp"

namespace ferry::sqlite {

namespace {

// Before the first connection: readers and writers run on separate threads, and SQLite's
// default memory statistics take one global mutex on every allocation, which serialised them.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_initialize();
  });
}

// ferry_fail(message): fails the statement with `message`, for checks that must stop a
// transaction (Dialect::AssertSql). A message "[SQLSTATE] text" carries its SQLSTATE.
void FerryFail(sqlite3_context* context, int, sqlite3_value** argv) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  sqlite3_result_error(context, text ? text : "ferry_fail", -1);
}

// ferry_valid_utf8(x): 1 when x's bytes are valid UTF-8 (or x is not text), else 0; SQLite
// stores whatever bytes it is given as text, so ferry check --scan counts such values here.
void FerryValidUtf8(sqlite3_context* context, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_int(context, 1);
    return;
  }
  // The bytes as stored: sqlite3_value_blob does not convert text.
  const auto* bytes = static_cast<const char*>(sqlite3_value_blob(argv[0]));
  const int size = sqlite3_value_bytes(argv[0]);
  sqlite3_result_int(
      context, Utf8Length(std::string_view(bytes ? bytes : "", size_t(size))).has_value() ? 1 : 0);
}

// ferry_readable(x, storage): 1 when the reader accepts x for a column read as the Storage
// numbered `storage` (a value of another storage class than its column declares may not be),
// else 0.
void FerryReadable(sqlite3_context* context, int, sqlite3_value** argv) {
  const auto storage = static_cast<Storage>(sqlite3_value_int(argv[1]));
  sqlite3_result_int(context, Readable(argv[0], storage) ? 1 : 0);
}

std::string SqlstateOf(const std::string& message, const char* fallback) {
  if (message.size() > 7 && message[0] == '[' && message[6] == ']') return message.substr(1, 5);
  return fallback;
}

// Why SQLite refuses to write (SQLITE_READONLY), with the file's name: its mode, or its folder,
// where SQLite makes its journal. "" when neither explains it.
std::string ReadOnlyAdvice(sqlite3* db, int rc) {
  if ((rc & 0xff) != SQLITE_READONLY || !db) return "";
  const char* file = sqlite3_db_filename(db, "main");
  struct stat st {};
  if (!file || !*file || stat(file, &st) != 0) return "";
  if (access(file, W_OK) != 0) {
    return fmt::format(
        "{} is read-only to this user (mode {:04o}, owner uid {}): ferry writes the "
        "copy and its run state into it; make it writable (chmod u+w) or copy "
        "into another file",
        file, st.st_mode & 07777, st.st_uid);
  }
  const std::filesystem::path path(file);
  const std::string folder = path.has_parent_path() ? path.parent_path().string() : ".";
  if (access(folder.c_str(), W_OK | X_OK) != 0) {
    return fmt::format(
        "the folder {} is read-only to this user: SQLite writes its journal "
        "beside {}; make the folder writable or copy into a file elsewhere",
        folder, file);
  }
  return "";
}

// A full disk (SQLITE_FULL, or a write past the process's file size limit) stops the run as a
// full staging disk does (exit 8, committed units kept), naming the file and what to do.
ErrorCode CodeOf(int rc) {
  return (rc & 0xff) == SQLITE_FULL ? ErrorCode::kDiskFull : ErrorCode::kDriver;
}

std::string FullAdvice(sqlite3* db, int rc) {
  if ((rc & 0xff) != SQLITE_FULL || !db) return "";
  const char* file = sqlite3_db_filename(db, "main");
  return fmt::format(
      "the disk holding {} is full: free space there, then ferry run --resume "
      "(the units committed are kept)",
      file && *file ? file : "the SQLite database");
}

}  // namespace

Session::Session(const std::string& path, bool read_only, const std::string& display)
    : display_(display) {
  ConfigureSqliteOnce();
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
    ErrorContext context;
    context.call = "sqlite3_open_v2";
    // SQLite makes a missing file but not its folder, and says only "unable to open".
    const std::filesystem::path file(path);
    std::string why = read_only ? " (a source must be an existing SQLite file)" : "";
    std::error_code ignored;
    if (!read_only && file.has_parent_path() &&
        !std::filesystem::is_directory(file.parent_path(), ignored)) {
      why = fmt::format(" (the folder {} does not exist: ferry makes the file, not its folder)",
                        file.parent_path().string());
    }
    throw Error(ErrorCode::kConnection, fmt::format("cannot open {}{}", display, why),
                std::move(context), {Diagnostic{"", rc, message}});
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_create_function(db_, "ferry_fail", 1, SQLITE_UTF8, nullptr, FerryFail, nullptr, nullptr);
  sqlite3_create_function(db_, "ferry_valid_utf8", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                          FerryValidUtf8, nullptr, nullptr);
  sqlite3_create_function(db_, "ferry_readable", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                          FerryReadable, nullptr, nullptr);
  // Another process may hold a write lock for a moment (a running application).
  sqlite3_busy_timeout(db_, 30000);
  try {
    // Fail now, with a clear message, if the file is not a database.
    Query("SELECT count(*) FROM sqlite_schema");
  } catch (Error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::kConnection, fmt::format("{} is not a SQLite database", display),
                ErrorContext{}, e.diagnostics());
  }
}

Session::~Session() {
  if (db_) sqlite3_close_v2(db_);
}

void Session::Fail(int rc, const char* call) const {
  ErrorContext context;
  context.call = call;
  const std::string text = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string sqlstate = (rc & 0xff) == SQLITE_CONSTRAINT ? "23000" : SqlstateOf(text, "HY000");
  Error error(CodeOf(rc), "SQLite call failed", std::move(context),
              {Diagnostic{sqlstate, rc, text}});
  if (std::string advice = ReadOnlyAdvice(db_, rc); !advice.empty()) error.WithAdvice(advice);
  if (std::string advice = FullAdvice(db_, rc); !advice.empty()) error.WithAdvice(advice);
  throw error;
}

void Session::Execute(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    ErrorContext context;
    context.call = "sqlite3_exec";
    Error error(CodeOf(rc), "SQLite statement failed", std::move(context),
                {Diagnostic{SqlstateOf(text, "HY000"), rc, text}});
    if (std::string advice = ReadOnlyAdvice(db_, rc); !advice.empty()) error.WithAdvice(advice);
    if (std::string advice = FullAdvice(db_, rc); !advice.empty()) error.WithAdvice(advice);
    throw error;
  }
}

std::vector<SqlSession::Row> Session::Query(const std::string& sql,
                                            const std::vector<std::string>& params) {
  Statement statement(*this, sql);
  for (size_t i = 0; i < params.size(); ++i) {
    int rc = sqlite3_bind_text(statement.get(), int(i + 1), params[i].data(), int(params[i].size()),
                               SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) Fail(rc, "sqlite3_bind_text");
  }
  std::vector<Row> rows;
  const int columns = sqlite3_column_count(statement.get());
  while (statement.Step() == SQLITE_ROW) {
    Row row(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (sqlite3_column_type(statement.get(), c) == SQLITE_NULL) continue;
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), c));
      row[size_t(c)] = std::string(text, size_t(sqlite3_column_bytes(statement.get(), c)));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Statement::Statement(Session& session, const std::string& sql) : session_(session) {
  int rc = sqlite3_prepare_v2(session.get(), sql.c_str(), int(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) session.Fail(rc, "sqlite3_prepare_v2");
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

int Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) session_.Fail(rc, "sqlite3_step");
  return rc;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

}  // namespace ferry::sqlite
