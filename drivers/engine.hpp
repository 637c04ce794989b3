// The engines this build carries, each behind one factory: the URL schemes it answers to, how
// its servers are told apart behind an ODBC driver, and how it opens an endpoint. OpenEndpoint
// and ResolveConnection ask these factories; neither names an engine.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/wait.hpp"

namespace ferry {

namespace odbc {
class Connection;
}

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
  // server's default). The reason for lz4 is in drivers/postgres/postgres_dialect.cpp.
  std::string pg_toast_compression = kDefaultToastCompression;
  // How a MariaDB/MySQL destination is written: bulk, load-data or odbc; empty: the fastest the
  // server allows (bulk prepared inserts, else LOAD DATA LOCAL, else ODBC parameter arrays).
  std::string mariadb_write_method;
  // The pg_dump a PostgreSQL schema clone runs; empty: the newest installed that can read the
  // server (pg_dump refuses servers newer than itself).
  std::string pg_dump;
  // A staging directory written to (an export): how many bytes its files may take (--max-disk;
  // 0: as many as the disk holds).
  uint64_t staging_max_bytes = 0;
  // An export at --max-disk waits this long for an import to take files away (the bytes it
  // removed not growing) before it stops (--max-disk-wait).
  double staging_drain_patience = 600;
  // An import from a staging directory removes each unit's chunk files once the destination
  // committed the unit, recording them as imported and removed (--remove-imported).
  bool staging_remove_imported = false;
  // Seconds a server may take to answer a new connection (--network-timeout): every connection
  // the end makes (ODBC, libpq, libmariadb) gives up after it, and a server that takes longer
  // is counted silent (Endpoint::ServerAnswers). A connection string's own timeout wins.
  double network_timeout = 15;
  // Seconds a statement waits in all for locks another session holds on a table (--lock-wait)
  // before it fails naming the sessions: a PostgreSQL catalog read and pg_dump wait it at once;
  // emptying, dropping, building an index or a key and writing a run's state wait half of it,
  // in tries of 2 s with growing pauses (drivers/sql/lock_waits.cpp).
  int lock_wait = 30;
  // How an endpoint waits for another process (tools/ gives the scheduler's); unset: it does
  // not wait (an import refuses to follow a running export, an export at --max-disk stops).
  WaitPolicy wait;
  // The destination of a command that reads or keeps in step what a copy made (status, report,
  // reset, verify, sync): a SQLite file that does not exist is an error naming it, not a new
  // empty database made by the open (a misspelt path said "no runs", and left the file behind).
  bool existing_only = false;

  static constexpr const char* kDefaultToastCompression = "lz4";
};

// EndpointOptions::network_timeout as the whole seconds connection timeouts take (1 at least).
inline int ConnectTimeout(const EndpointOptions& options) {
  const double seconds = options.network_timeout > 0 ? options.network_timeout : 15;
  return std::max(1, int(std::ceil(seconds)));
}

// One URL scheme: "postgresql://user@host:port/db" for a server reached through its ODBC
// driver, "sqlite:path" for a file the engine opens itself.
struct UrlScheme {
  std::string name;          // lower case, e.g. "postgresql"
  std::string odbc_driver;   // the driver a server URL connects with ("" for files)
  std::string default_port;  // the server's port when the URL names none
  bool file = false;         // "scheme:path" names a file, opened natively
  // The query parameters (?name=value, lower case) a server URL takes besides host, port, user,
  // dbname/database and password, which stand for the URL's parts. Any other is refused: the
  // ODBC drivers ignore attributes they do not know, so a misspelt ?sslmod=require connected
  // without TLS and said nothing. A file URL takes none.
  std::vector<std::string> parameters;
  // How the accepted parameters become ODBC attributes; unset: one attribute each, as typed.
  std::vector<std::pair<std::string, std::string>> (*attributes)(
      const std::vector<std::pair<std::string, std::string>>& parameters) = nullptr;
};

// What an engine's factory opens: a file (`file` set), or a server at `odbc`, which an ODBC
// probe connection may already have reached (`probe`; none when a URL's scheme named the engine).
struct EngineTarget {
  std::string odbc;  // may hold a password
  std::string display;
  std::string file;
  EndpointRole role = EndpointRole::kSource;
  EndpointOptions options;
  std::unique_ptr<odbc::Connection> probe;
};

struct EngineFactory {
  Engine engine = Engine::kOther;
  std::string product;  // for messages: "PostgreSQL", "MariaDB/MySQL"
  std::vector<UrlScheme> schemes;
  // Words of the product name an ODBC driver reports (lower case), by which a DSN or an ODBC
  // connection string is found to reach this engine.
  std::vector<std::string> product_words;
  std::unique_ptr<Endpoint> (*open)(EngineTarget target) = nullptr;
};

// Every engine of this build (drivers/engines.cpp), in the order schemes are suggested.
const std::vector<EngineFactory>& Engines();

// Each engine's factory, defined in its own folder.
EngineFactory PostgresEngine();
EngineFactory MariaDbEngine();
EngineFactory SqliteEngine();
EngineFactory FilesEngine();

}  // namespace ferry
