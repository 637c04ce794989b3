// The engines this build carries, each behind one factory: the URL schemes it answers to, how
// its servers are told apart behind an ODBC driver, and how it opens an endpoint. OpenEndpoint
// and ResolveConnection ask these factories; neither names an engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"

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

// One URL scheme: "postgresql://user@host:port/db" for a server reached through its ODBC
// driver, "sqlite:path" for a file the engine opens itself.
struct UrlScheme {
  std::string name;          // lower case, e.g. "postgresql"
  std::string odbc_driver;   // the driver a server URL connects with ("" for files)
  std::string default_port;  // the server's port when the URL names none
  bool file = false;         // "scheme:path" names a file, opened natively
};

// What an engine's factory opens: a file (`file` set), or a server an ODBC probe connection
// already reached (`probe`, connected with `odbc`).
struct EngineTarget {
  std::string odbc;  // may hold a password
  std::string display;
  std::string file;
  EndpointRole role = EndpointRole::kSource;
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

}  // namespace ferry
