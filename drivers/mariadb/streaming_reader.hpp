// Reads a work unit through libmariadb's text protocol as a stream: mysql_use_result hands over
// one row at a time as it arrives, so memory stays at one batch whatever the table's size
// (Connector/ODBC 3.1 stores the whole result first). The text protocol beat the binary one
// (prepared statement, mysql_stmt_fetch into bound buffers) by about a third in client CPU per
// row on lineitem, because libmariadb converts every binary value into MYSQL_TIME or the bound
// type first; text is decoded once, straight into the batch.
#pragma once

#include <memory>

#include "copier/endpoint.hpp"
#include "drivers/mariadb/mariadb_client.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry::mariadb {

// The reader runs Dialect::SelectSql on `connection`, which it holds busy until it is done or
// destroyed (an unfinished reader kills its query, so the connection can read the next unit).
std::unique_ptr<RowReader> MakeStreamingReader(Connection& connection, const Dialect& dialect,
                                               const ReadRequest& request);

}  // namespace ferry::mariadb
