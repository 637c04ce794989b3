// Writes a work unit with `COPY t (cols) FROM STDIN (FORMAT binary)` inside one transaction:
// Prepare encodes a converted batch into binary tuples on a worker thread, Write sends them,
// Commit ends the COPY and commits. A table with a column whose binary form ferry does not
// produce (enum, interval, arrays, ...) is written in COPY text format instead.
#pragma once

#include <memory>

#include "copier/endpoint.hpp"
#include "drivers/postgres/pq_connection.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry::pg {

// The writer uses `connection` until it is destroyed; one writer per connection at a time.
std::unique_ptr<RowWriter> OpenCopyWriter(pq::Connection& connection, const Dialect& dialect,
                                          const WriteRequest& request);

}  // namespace ferry::pg
