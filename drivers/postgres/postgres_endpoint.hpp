// PostgreSQL endpoint: catalog through psqlODBC, data through libpq where COPY is faster.
#pragma once

#include <memory>

#include "drivers/odbc_endpoint.hpp"

namespace ferry {

std::unique_ptr<Endpoint> MakePostgresEndpoint(OdbcEndpointParts parts);

}  // namespace ferry
