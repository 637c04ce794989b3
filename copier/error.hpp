// The one error type of ferry. Every failure, from a driver diagnostic to a value that
// does not fit, becomes an Error carrying what failed and where (table, column, key),
// so a DBA can act on it without a debugger. Messages never contain secrets.
#pragma once

#include <exception>
#include <string>
#include <vector>

namespace ferry {

enum class ErrorCode {
  kUsage,          // bad command line, job file or argument
  kConnection,     // cannot reach or log in to a database
  kDriver,         // a database or driver call failed
  kMissingDriver,  // the ODBC driver named in a connection is not installed
  kNotFound,       // a table, schema or column named by the user does not exist
  kSchema,         // a shape that ferry cannot copy (unmappable type, mismatched table)
  kData,           // a value that the destination cannot hold
  kIo,             // local files
  kDiskFull,       // no space left: a staging directory's, a SQLite file's or a server's disk
  kInterrupted,    // the user stopped the run
  kBusy,           // another ferry process is writing into the destination
  kResyncNeeded,   // sync: a gap in a table's change log; the table must be copied again
  kInternal,       // a bug in ferry
};

// One diagnostic record from a driver or server.
struct Diagnostic {
  std::string sqlstate;
  int native_code = 0;
  std::string message;
};

// Where an error happened; every part is optional.
struct ErrorContext {
  std::string table;  // qualified, as shown to users
  std::string column;
  std::string key;   // "(id)=(42)"
  std::string call;  // the ODBC or libpq call, e.g. "SQLExecute"
  // The work unit of a table split in several: "3 of 8, keys [(10), (20))". Added at the unit
  // boundary (the pipeline), once for every error a unit ends with.
  std::string unit;
};

// What kind of refusal an error is, where ferry can tell from its code, SQLSTATE or native code
// (never from its text): what advice a DBA gets (AdviceFor) follows from it.
enum class ErrorReason {
  kUnknown,
  kDuplicateKey,     // a unique key at the destination already holds the row's key
  kValueDoesNotFit,  // longer, larger or finer than the destination column allows
  kNullRefused,      // a NOT NULL column at the destination was given NULL
  kForeignKey,       // a foreign key at the destination refused the row
  kPermission,       // the database user lacks a privilege
  kConnectionLost,   // the connection dropped (the retries, if any, ran out)
  kNameCollision,    // two source tables or columns would land on one destination name
};

class Error : public std::exception {
 public:
  Error(ErrorCode code, std::string message);
  Error(ErrorCode code, std::string message, ErrorContext context,
        std::vector<Diagnostic> diagnostics = {});

  ErrorCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const ErrorContext& context() const noexcept { return context_; }
  const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }
  // The first diagnostic's SQLSTATE, or "" when there is none.
  const std::string& sqlstate() const noexcept;
  // Told by whoever raised the error (WithReason), else read from the code and diagnostics.
  ErrorReason reason() const noexcept { return reason_; }

  // Adds context that an inner layer could not know; keeps what is already set.
  Error& WithTable(std::string table);
  Error& WithColumn(std::string column);
  Error& WithKey(std::string key);
  Error& WithUnit(std::string unit);
  Error& WithAdvice(std::string advice);
  Error& WithReason(ErrorReason reason);

  // The full, human-readable text: message, context, diagnostics, advice.
  const char* what() const noexcept override { return rendered_.c_str(); }

 private:
  void Render();

  ErrorCode code_;
  std::string message_;
  ErrorContext context_;
  std::vector<Diagnostic> diagnostics_;
  std::string advice_;
  ErrorReason reason_ = ErrorReason::kUnknown;
  std::string rendered_;
};

// Whether trying the same work again may succeed: a dropped connection, a deadlock victim, a
// serialization failure, a lock wait timeout, a server shutting down or refusing connections.
bool IsTransient(const Error& error) noexcept;

// What a DBA can do about an error of this reason ("" where ferry knows nothing useful).
const char* AdviceFor(ErrorReason reason) noexcept;

// Short stable name of a code, for JSON output and logs ("data", "connection", ...).
const char* ErrorCodeName(ErrorCode code) noexcept;

}  // namespace ferry
