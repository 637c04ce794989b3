// Where the libmariadb data path connects, derived from the same ODBC target the catalog uses,
// so a user names a MariaDB server once: Connector/ODBC's attributes (Server, Port, Database,
// Uid, Pwd, Socket, the SSL ones) map to libmariadb options, a DSN's attributes come from
// odbc.ini, and attributes in the string win over the DSN's.
#pragma once

#include "drivers/connection_string.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ferry::mariadb {

struct ConnectParams {
  std::string host = "localhost";  // "localhost" means the Unix socket, as in Connector/ODBC
  unsigned port = 3306;
  std::string socket;
  std::string user;
  std::string password;  // registered as a secret wherever it was read
  std::string database;
  // Seconds; 0 until the connection string's CONN_TIMEOUT or the endpoint's --network-timeout
  // sets it (then 15).
  unsigned connect_timeout = 0;
  // TLS, as Connector/ODBC's SSLKEY, SSLCERT, SSLCA, SSLCAPATH, SSLCIPHER, SSLVERIFY, FORCETLS.
  std::string ssl_key, ssl_cert, ssl_ca, ssl_capath, ssl_cipher;
  bool ssl_verify = false;
  bool force_tls = false;
};

// The query parameters a mysql:// or mariadb:// URL takes besides its parts (lower case): the
// Connector/ODBC attributes this path reproduces (socket, conn_timeout, the SSL ones), so a URL
// never falls back to the ODBC path, nor sets an attribute the driver ignores.
std::vector<std::string> UrlParameters();

// The libmariadb parameters for `odbc` (a full ODBC connection string, possibly "DSN=...;
// Pwd=..."), or nullopt with the reason in *why when the string holds an attribute that changes
// how Connector/ODBC connects and that this path cannot reproduce (a TLS fingerprint, say):
// then data keeps moving through ODBC rather than through a connection that differs from it.
// CHARSET is ignored on purpose: ferry's batches hold UTF-8, so the native path is utf8mb4.
std::optional<ConnectParams> ParamsFromOdbc(const std::string& odbc, std::string* why,
                                            const DsnReader& read_dsn = ReadOdbcIni);

}  // namespace ferry::mariadb
