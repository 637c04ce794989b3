// ferry check: the connection limits each end leaves the connected user (a role's CONNECTION
// LIMIT, MariaDB's max_user_connections, the server's max_connections), against the sessions a
// run opens there.
#pragma once

#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "scheduler/checking.hpp"

namespace ferry {

// A blocker where an end leaves fewer sessions than a run needs at the least (one reader or
// writer and the sessions beside them), a warning where the run will go on with fewer readers
// or writers than asked (a refused reader or writer stands aside: pipeline_sessions.cpp).
// Nothing where the pair is not supported (the report says so already).
void CheckConnections(Endpoint& source, Endpoint& destination, int writers, CheckReport& report);

}  // namespace ferry
