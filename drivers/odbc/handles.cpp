#include "drivers/odbc/handles.hpp"

#include <fmt/format.h>

#include <mutex>

namespace ferry::odbc {

std::vector<Diagnostic> ReadDiagnostics(SQLSMALLINT handle_type, SQLHANDLE handle) {
  std::vector<Diagnostic> out;
  if (handle == SQL_NULL_HANDLE) return out;
  for (SQLSMALLINT i = 1;; ++i) {
    SQLCHAR state[6] = {0};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    std::string message(1024, '\0');
    SQLRETURN rc = SQLGetDiagRec(handle_type, handle, i, state, &native,
                                 reinterpret_cast<SQLCHAR*>(message.data()),
                                 SQLSMALLINT(message.size()), &length);
    if (rc == SQL_SUCCESS_WITH_INFO && size_t(length) >= message.size()) {
      message.resize(size_t(length) + 1);
      rc = SQLGetDiagRec(handle_type, handle, i, state, &native,
                         reinterpret_cast<SQLCHAR*>(message.data()), SQLSMALLINT(message.size()),
                         &length);
    }
    if (!SQL_SUCCEEDED(rc)) break;
    message.resize(std::min(size_t(length), message.size()));
    while (!message.empty() && (message.back() == '\n' || message.back() == '\0')) {
      message.pop_back();
    }
    out.push_back(Diagnostic{reinterpret_cast<char*>(state), int(native), std::move(message)});
  }
  return out;
}

SQLRETURN Check(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle, const char* call,
                ErrorCode code) {
  if (rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO || rc == SQL_NO_DATA ||
      rc == SQL_NEED_DATA) {
    return rc;
  }
  std::vector<Diagnostic> diagnostics = ReadDiagnostics(handle_type, handle);
  std::string message = rc == SQL_INVALID_HANDLE ? "invalid ODBC handle (a bug in ferry)"
                        : diagnostics.empty()    ? "ODBC call failed with no diagnostic"
                                                 : "database call failed";
  ErrorContext context;
  context.call = call;
  throw Error(code, std::move(message), std::move(context), std::move(diagnostics));
}

SQLHENV SharedEnvironment() {
  static EnvHandle env = [] {
    EnvHandle e = EnvHandle::Allocate(SQL_NULL_HANDLE);
    Check(SQLSetEnvAttr(e.get(), SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3),
                        0),
          SQL_HANDLE_ENV, e.get(), "SQLSetEnvAttr(SQL_ATTR_ODBC_VERSION)");
    return e;
  }();
  return env.get();
}

}  // namespace ferry::odbc
