// The ODBC handles layer: move-only RAII owners of environment, connection and statement
// handles, and Check(), the one function that turns an ODBC return code into an Error with
// every diagnostic record. Internal to drivers/: nothing outside includes ODBC headers.
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <string>
#include <utility>
#include <vector>

#include "copier/error.hpp"

namespace ferry::odbc {

// Reads every diagnostic record of `handle`.
std::vector<Diagnostic> ReadDiagnostics(SQLSMALLINT handle_type, SQLHANDLE handle);

// Returns `rc` when it is SQL_SUCCESS, SQL_SUCCESS_WITH_INFO, SQL_NO_DATA or SQL_NEED_DATA;
// otherwise throws Error(code) naming `call`, with all diagnostic records.
SQLRETURN Check(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle, const char* call,
                ErrorCode code = ErrorCode::kDriver);

template <SQLSMALLINT kType>
class Handle {
 public:
  Handle() = default;
  explicit Handle(SQLHANDLE handle) : handle_(handle) {}
  Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { Reset(); }

  SQLHANDLE get() const { return handle_; }
  explicit operator bool() const { return handle_ != SQL_NULL_HANDLE; }

  // Allocates a handle of this kind under `parent`.
  static Handle Allocate(SQLHANDLE parent) {
    SQLHANDLE h = SQL_NULL_HANDLE;
    SQLRETURN rc = SQLAllocHandle(kType, parent, &h);
    if (!SQL_SUCCEEDED(rc)) {
      SQLSMALLINT parent_type = kType == SQL_HANDLE_STMT ? SQL_HANDLE_DBC : SQL_HANDLE_ENV;
      if (parent == SQL_NULL_HANDLE) {
        throw Error(ErrorCode::kDriver,
                    "cannot allocate an ODBC environment (is unixODBC installed?)");
      }
      Check(rc, parent_type, parent, "SQLAllocHandle");
    }
    return Handle(h);
  }

 private:
  void Reset() noexcept {
    if (handle_ != SQL_NULL_HANDLE) SQLFreeHandle(kType, handle_);
    handle_ = nullptr;
  }

  SQLHANDLE handle_ = nullptr;
};

using EnvHandle = Handle<SQL_HANDLE_ENV>;
using DbcHandle = Handle<SQL_HANDLE_DBC>;
using StmtHandle = Handle<SQL_HANDLE_STMT>;

// The process-wide ODBC 3 environment (connection pooling off).
SQLHENV SharedEnvironment();

}  // namespace ferry::odbc
