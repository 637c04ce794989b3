// Turns what a user types for --source/--dest into an ODBC connection string: a raw ODBC
// string, a DSN name, or a URL shorthand in one of the engines' schemes (drivers/engine.hpp:
// postgresql://, mysql:// or mariadb://, sqlite:).
// Passwords are taken from an environment variable (or odbc.ini), registered as secrets, and
// never part of the display form.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ferry {

struct ConnectionOptions {
  std::string password_env;            // e.g. "FERRY_SOURCE_PASSWORD"
  bool allow_inline_password = false;  // accept a password typed on the command line
  std::string role;                    // "source" or "destination", for messages
};

struct ResolvedConnection {
  std::string odbc;     // what SQLDriverConnect gets; may hold a password
  std::string display;  // the same with secrets removed, for messages and plans
  bool from_url = false;
  std::string scheme;  // the URL's scheme, lower case ("" when not a URL)
  std::string file;    // the file a file URL (sqlite:path) names, which its engine opens itself
};

// Throws Error(kUsage) for malformed input, and for a password written in `text` unless
// options.allow_inline_password.
ResolvedConnection ResolveConnection(const std::string& text, const ConnectionOptions& options);

// The odbc.ini files unixODBC reads data sources from: the user's ($ODBCINI, else
// ~/.odbc.ini), then the system's ($ODBCSYSINI/odbc.ini, else /etc/odbc.ini).
std::vector<std::string> OdbcIniFiles();

// Reads attribute `key` of data source `dsn` ("" when unset) as the driver manager does, from the
// user's and the system's odbc.ini; a DsnReader, so native paths deriving their parameters from
// a DSN can be tested with another.
using DsnReader = std::function<std::string(const std::string& dsn, const std::string& key)>;
std::string ReadOdbcIni(const std::string& dsn, const std::string& key);

// Throws Error(kUsage) when one of `files` defines data source `dsn` with a password
// (Password= or PWD=) and others may read it, or its group may and root does not own it: a
// password is no secret in a world-readable file, so it is refused as libpq refuses such a
// .pgpass, naming the file and its mode.
void CheckOdbcIniPermissions(const std::string& dsn, const std::vector<std::string>& files);

// What the user typed with any password left out (not masked): usable again as a connection
// wherever the password comes from the environment or odbc.ini; what plans record.
std::string WithoutSecrets(const std::string& text);

// `odbc` with the values of PWD/PASSWORD (any case) replaced by "***".
std::string RedactConnectionString(const std::string& odbc);

// The attributes of an ODBC connection string in order, braces removed ("k={a;b}" -> a;b).
// For native paths that derive their own connection parameters from the ODBC target.
std::vector<std::pair<std::string, std::string>> SplitConnectionString(const std::string& odbc);

// Appends `key=value` unless the string already sets `key` (case-insensitive).
std::string WithAttribute(const std::string& odbc, const std::string& key,
                          const std::string& value);

}  // namespace ferry
