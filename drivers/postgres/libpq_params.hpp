// Where the libpq data path connects, derived from the same ODBC target the catalog uses, so a
// user names a PostgreSQL server once: psqlODBC's attributes (Server/Servername, Port,
// Database, Uid/Username, Pwd/Password, SSLmode, Pqopt) map to libpq keywords, a DSN's
// attributes come from odbc.ini, and attributes in the string win over the DSN's.
#pragma once

#include "drivers/connection_string.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ferry::pq {

// libpq keyword/value pairs (host, port, dbname, user, password, sslmode, ...).
using ConnectParams = std::vector<std::pair<std::string, std::string>>;

// The libpq parameters for `odbc` (a full ODBC connection string, possibly "DSN=...;Pwd=...").
// Attributes whose names are libpq keywords (sslrootcert, keepalives, target_session_attrs...)
// pass through; psqlODBC's own attributes are dropped. Passwords found in odbc.ini are
// registered as secrets. Adds application_name=ferry, client_encoding=UTF8 and TCP keepalives
// unless given (the endpoint adds its connect timeout with SetUnlessGiven).
ConnectParams LibpqParams(const std::string& odbc, const DsnReader& read_dsn = ReadOdbcIni);

// The query parameters a postgresql:// URL takes besides its parts: sslmode and the libpq
// keywords LibpqParams passes through, less application_name and fallback_application_name
// (ferry tags its sessions by them, to find a dead run's sessions).
std::vector<std::string> UrlParameters();

// The URL's parameters as psqlODBC attributes: sslmode, connect_timeout and options as their
// own, the others gathered in Pqopt, which psqlODBC hands to libpq, so the catalog connection
// is made as the data path's (psqlODBC ignores an attribute it does not know, sslrootcert say).
std::vector<std::pair<std::string, std::string>> UrlAttributes(
    const std::vector<std::pair<std::string, std::string>>& parameters);

// Sets libpq's `keyword` to `value` unless `params` give it already.
void SetUnlessGiven(ConnectParams& params, const std::string& keyword, const std::string& value);

// The SET a destination session runs for --pg-toast-compression METHOD ("" for server); throws
// Error(kUsage) for another word.
std::string ToastCompressionSql(const std::string& method);

}  // namespace ferry::pq
