// PostgreSQL's large objects through libpq's large-object calls (lo_open, loread, lo_create
// with the object's OID, lowrite), on a libpq connection of their own: what a copy between two
// PostgreSQL databases carries after the tables' data (copier/large_objects.hpp).
#pragma once

#include <memory>

#include "copier/large_objects.hpp"
#include "drivers/postgres/pq_connection.hpp"

namespace ferry::pg {

std::unique_ptr<LargeObjectStore> MakeLargeObjectStore(std::unique_ptr<pq::Connection> connection);

}  // namespace ferry::pg
