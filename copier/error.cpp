#include "copier/error.hpp"

#include <fmt/format.h>

#include "copier/secrets.hpp"

namespace ferry {

namespace {
const std::string kEmpty;

bool Starts(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The reason a diagnostic names: its SQLSTATE where it is specific, else the engine's own number
// (MariaDB's where its SQLSTATE is the generic 23000 or HY000; SQLite's extended result codes,
// which its driver reports under 23000 for every constraint).
ErrorReason ReasonOf(const Diagnostic& d) {
  const std::string& s = d.sqlstate;
  if (s == "23505") return ErrorReason::kDuplicateKey;
  if (s == "23502") return ErrorReason::kNullRefused;
  if (s == "23503") return ErrorReason::kForeignKey;
  if (s == "22001" || s == "22003") return ErrorReason::kValueDoesNotFit;
  if (s == "42501") return ErrorReason::kPermission;
  if (Starts(s, "08")) return ErrorReason::kConnectionLost;
  if (s == "23000" || s == "HY000" || s == "42000" || s == "22007" || s.empty()) {
    switch (d.native_code) {
      case 1062:  // MariaDB: duplicate entry
      case 1586:
      case 2067:  // SQLite: SQLITE_CONSTRAINT_UNIQUE
      case 1555:  // SQLite: SQLITE_CONSTRAINT_PRIMARYKEY
        return ErrorReason::kDuplicateKey;
      case 1048:  // MariaDB: column cannot be null
      case 1299:  // SQLite: SQLITE_CONSTRAINT_NOTNULL
        return ErrorReason::kNullRefused;
      case 1451:  // MariaDB: a foreign key refuses the delete or update
      case 1452:  // MariaDB: a foreign key refuses the row
      case 787:   // SQLite: SQLITE_CONSTRAINT_FOREIGNKEY
        return ErrorReason::kForeignKey;
      case 1406:  // MariaDB: data too long
      case 1264:  // MariaDB: out of range
        return ErrorReason::kValueDoesNotFit;
      case 1044:  // MariaDB: access denied to a database
      case 1142:  // MariaDB: command denied to a user
      case 1143:  // MariaDB: column command denied
        return ErrorReason::kPermission;
      case 2006:  // MariaDB client: server gone away
      case 2013:  // MariaDB client: lost connection
        return ErrorReason::kConnectionLost;
      default:
        break;
    }
  }
  return ErrorReason::kUnknown;
}

ErrorReason ReasonOf(ErrorCode code, const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (ErrorReason r = ReasonOf(d); r != ErrorReason::kUnknown) return r;
  }
  // ferry's own conversion refuses a value the destination column cannot hold (kData).
  if (code == ErrorCode::kData) return ErrorReason::kValueDoesNotFit;
  if (code == ErrorCode::kConnection) return ErrorReason::kConnectionLost;
  return ErrorReason::kUnknown;
}

}  // namespace

Error::Error(ErrorCode code, std::string message)
    : code_(code), message_(Redact(message)), reason_(ReasonOf(code, {})) {
  Render();
}

Error::Error(ErrorCode code, std::string message, ErrorContext context,
             std::vector<Diagnostic> diagnostics)
    : code_(code),
      message_(Redact(message)),
      context_(std::move(context)),
      diagnostics_(std::move(diagnostics)) {
  for (Diagnostic& d : diagnostics_) d.message = Redact(d.message);
  reason_ = ReasonOf(code_, diagnostics_);
  Render();
}

const std::string& Error::sqlstate() const noexcept {
  return diagnostics_.empty() ? kEmpty : diagnostics_.front().sqlstate;
}

Error& Error::WithTable(std::string table) {
  if (context_.table.empty()) context_.table = std::move(table);
  Render();
  return *this;
}

Error& Error::WithColumn(std::string column) {
  if (context_.column.empty()) context_.column = std::move(column);
  Render();
  return *this;
}

Error& Error::WithKey(std::string key) {
  if (context_.key.empty()) context_.key = std::move(key);
  Render();
  return *this;
}

Error& Error::WithUnit(std::string unit) {
  if (context_.unit.empty()) context_.unit = std::move(unit);
  Render();
  return *this;
}

Error& Error::WithReason(ErrorReason reason) {
  reason_ = reason;
  return *this;
}

Error& Error::WithAdvice(std::string advice) {
  if (advice_.empty()) advice_ = std::move(advice);
  Render();
  return *this;
}

void Error::Render() {
  std::string out;
  if (!context_.table.empty()) out += fmt::format("table {}: ", context_.table);
  if (!context_.column.empty()) out += fmt::format("column {}: ", context_.column);
  if (!context_.key.empty()) out += fmt::format("row {}: ", context_.key);
  out += message_;
  if (!context_.call.empty()) out += fmt::format(" ({})", context_.call);
  if (!context_.unit.empty()) out += fmt::format(" [unit {}]", context_.unit);
  for (const Diagnostic& d : diagnostics_) {
    out += fmt::format("\n  [{}] (native {}) {}", d.sqlstate, d.native_code, d.message);
  }
  if (!advice_.empty()) out += fmt::format("\n  advice: {}", advice_);
  rendered_ = Redact(out);
}

bool IsTransient(const Error& error) noexcept {
  if (error.code() == ErrorCode::kConnection) return true;
  for (const Diagnostic& d : error.diagnostics()) {
    const std::string& s = d.sqlstate;
    // SQL standard classes: 08 connection exception, 40 transaction rollback (serialization
    // failure 40001, deadlock 40P01); PostgreSQL's 57P01-57P03 (shutdown, crash recovery),
    // 53300 (too many connections), 55P03 (lock not available); MariaDB's 70100 (killed).
    if (s.rfind("08", 0) == 0 || s.rfind("40", 0) == 0 || s == "57P01" || s == "57P02" ||
        s == "57P03" || s == "53300" || s == "55P03" || s == "70100" ||
        s == "FR002" /* ferry's run lock session was lost (run_state.hpp): taken again */) {
      return true;
    }
    // MariaDB's own numbers where its SQLSTATE is the generic HY000 (or 42000): lock wait
    // timeout, deadlock, connection killed, server shutdown, server gone away or lost, too many
    // connections (the server's, and the account's max_user_connections).
    switch (d.native_code) {
      case 1040:
      case 1226:
      case 1205:
      case 1213:
      case 1927:
      case 1053:
      case 2006:
      case 2013:
        return true;
      default:
        break;
    }
  }
  return false;
}

const char* AdviceFor(ErrorReason reason) noexcept {
  switch (reason) {
    case ErrorReason::kDuplicateKey:
      return "the destination already holds a row with this key: empty the table (ferry reset "
             "--yes, or --truncate), or copy with --write-mode upsert";
    case ErrorReason::kValueDoesNotFit:
      return "a value does not fit the destination column: widen the column, or let ferry "
             "create the table";
    case ErrorReason::kNullRefused:
      return "the destination column refuses NULL but the source holds NULLs";
    case ErrorReason::kForeignKey:
      return "a foreign key at the destination refuses the row: copy the referenced table "
             "first or let ferry build foreign keys after the load";
    case ErrorReason::kPermission:
      return "the database user lacks a privilege: `ferry check` lists what is missing";
    case ErrorReason::kConnectionLost:
      return "the connection dropped and the retries ran out: `ferry run --resume` continues "
             "where the run stopped";
    case ErrorReason::kNameCollision:  // the message says what to rename
    case ErrorReason::kUnknown:
      break;
  }
  return "";
}

const char* ErrorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kConnection:
      return "connection";
    case ErrorCode::kDriver:
      return "driver";
    case ErrorCode::kMissingDriver:
      return "missing-driver";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kSchema:
      return "schema";
    case ErrorCode::kData:
      return "data";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kDiskFull:
      return "disk-full";
    case ErrorCode::kInterrupted:
      return "interrupted";
    case ErrorCode::kBusy:
      return "busy";
    case ErrorCode::kResyncNeeded:
      return "resync-needed";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace ferry
