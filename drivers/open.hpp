// The one entry point into drivers/ for the layers above: connects to a database given what
// the user typed and returns it as a copier Endpoint.
#pragma once

#include <memory>
#include <string>

#include "copier/endpoint.hpp"
#include "drivers/connection_string.hpp"

namespace ferry {

enum class EndpointRole {
  kSource,
  kDestination,
  // A source ferry writes its change logs and triggers into (ferry track, ferry sync): a SQLite
  // file is then opened for writing too.
  kTrackedSource,
};

// What the user chose about one end beyond where it is. tools/ fills it from its options table
// (each field is an option with an environment twin there); drivers read no setting from the
// environment (only the passwords and unixODBC's own variables), so an endpoint opened
// in-process behaves as its fields say.
struct EndpointOptions {
  bool allow_inline_password = false;  // accept a password written in the connection text
  // A destination's run state: a schema (PostgreSQL) or a database (MariaDB); empty: the
  // engine's own place (Dialect::DefaultStateSchema).
  std::string state_schema;
  // PostgreSQL destination sessions' default_toast_compression: lz4, pglz, or server (keep the
  // server's default). The reason for lz4 is in drivers/postgres_dialect.cpp.
  std::string pg_toast_compression = kDefaultToastCompression;
  // How a MariaDB/MySQL destination is written: bulk, load-data or odbc; empty: the fastest the
  // server allows (bulk prepared inserts, else LOAD DATA LOCAL, else ODBC parameter arrays).
  std::string mariadb_write_method;
  // The pg_dump a PostgreSQL schema clone runs; empty: the newest installed that can read the
  // server (pg_dump refuses servers newer than itself).
  std::string pg_dump;

  static constexpr const char* kDefaultToastCompression = "lz4";
};

// Connects, detects the engine and checks the server answers. Throws Error(kConnection,
// kMissingDriver or kUsage) with the connection's display form, never its password.
std::unique_ptr<Endpoint> OpenEndpoint(const std::string& text, EndpointRole role,
                                       const EndpointOptions& options);
inline std::unique_ptr<Endpoint> OpenEndpoint(const std::string& text, EndpointRole role,
                                              bool allow_inline_password = false) {
  EndpointOptions options;
  options.allow_inline_password = allow_inline_password;
  return OpenEndpoint(text, role, options);
}

}  // namespace ferry
