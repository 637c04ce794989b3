// Reads a work unit with `COPY (SELECT ...) TO STDOUT (FORMAT binary)` through libpq, decoding
// tuples straight into the batch's column storage, or, for a pass-through request, framing
// them into batch.wire() undecoded. The SELECT's key-range predicate is the dialect's.
#pragma once

#include <memory>

#include "copier/endpoint.hpp"
#include "drivers/postgres/pq_connection.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry::pg {

// The reader uses `connection` until it is destroyed; one reader per connection at a time.
std::unique_ptr<RowReader> OpenCopyReader(pq::Connection& connection, const Dialect& dialect,
                                          const ReadRequest& request);

}  // namespace ferry::pg
