// MariaDB endpoint: catalog, DDL and type mapping through Connector/ODBC; data through
// libmariadb, where reads stream (mysql_use_result) instead of being stored whole by the ODBC
// driver, and writes use LOAD DATA LOCAL INFILE fed from memory instead of parameter arrays.
#pragma once

#include <memory>

#include "drivers/odbc/odbc_endpoint.hpp"

namespace ferry {

// A MariaDbEndpoint when the ODBC target's attributes can be reproduced with libmariadb (else
// the plain ODBC endpoint, so a connection is never made differently from what the user asked).
std::unique_ptr<Endpoint> MakeMariaDbEndpoint(OdbcEndpointParts parts);

}  // namespace ferry
