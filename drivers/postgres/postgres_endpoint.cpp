#include "drivers/postgres/postgres_endpoint.hpp"

namespace ferry {

// Until the libpq paths land, PostgreSQL data moves through ODBC like any other server.
std::unique_ptr<Endpoint> MakePostgresEndpoint(OdbcEndpointParts parts) {
  return std::make_unique<OdbcEndpoint>(std::move(parts));
}

}  // namespace ferry
