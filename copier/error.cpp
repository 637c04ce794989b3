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
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace ferry
