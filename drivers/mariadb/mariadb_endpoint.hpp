// MariaDB endpoint: catalog, DDL and type mapping through the dialect on a Connector/ODBC
// catalog session (an OdbcLink, drivers/odbc); data through libmariadb. Reads stream
// (mysql_use_result) instead of being stored whole by the ODBC driver. Writes are bulk prepared
// inserts (one prepared INSERT executed over whole arrays of rows, COM_STMT_BULK_EXECUTE:
// mariadb/bulk_insert_writer.hpp) where the server runs them (MariaDB 10.2 and later), LOAD DATA
// LOCAL INFILE fed from memory where only that is allowed (MySQL with local_infile=ON), and ODBC
// parameter arrays otherwise.
#pragma once

#include "drivers/engine.hpp"

namespace ferry {

// The engine's factory: a MariaDB endpoint when the ODBC target's attributes can be reproduced
// with libmariadb, else a plain ODBC endpoint, so a connection is never made differently from
// what the user asked.
EngineFactory MariaDbEngine();

}  // namespace ferry
