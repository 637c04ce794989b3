#include "copier/error.hpp"

#include <fmt/format.h>

#include "copier/secrets.hpp"

namespace ferry {

namespace {
const std::string kEmpty;
}

Error::Error(ErrorCode code, std::string message) : code_(code), message_(Redact(message)) {
  Render();
}

Error::Error(ErrorCode code, std::string message, ErrorContext context,
             std::vector<Diagnostic> diagnostics)
    : code_(code),
      message_(Redact(message)),
      context_(std::move(context)),
      diagnostics_(std::move(diagnostics)) {
  for (Diagnostic& d : diagnostics_) d.message = Redact(d.message);
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
    // MariaDB's own numbers where its SQLSTATE is the generic HY000: lock wait timeout,
    // deadlock, connection killed, server shutdown, server gone away or lost.
    switch (d.native_code) {
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
