#include "drivers/mariadb/mariadb_endpoint.hpp"

namespace ferry {

// Until the libmariadb paths land, MariaDB data moves through ODBC.
std::unique_ptr<Endpoint> MakeMariaDbEndpoint(OdbcEndpointParts parts) {
  return std::make_unique<OdbcEndpoint>(std::move(parts));
}

}  // namespace ferry
