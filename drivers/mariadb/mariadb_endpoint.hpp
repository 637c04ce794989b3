// MariaDB endpoint: catalog through Connector/ODBC, data through libmariadb where its
// streaming reads and LOAD DATA are faster.
#pragma once

#include <memory>

#include "drivers/odbc_endpoint.hpp"

namespace ferry {

std::unique_ptr<Endpoint> MakeMariaDbEndpoint(OdbcEndpointParts parts);

}  // namespace ferry
