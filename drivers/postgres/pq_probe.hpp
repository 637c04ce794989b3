// Whether a PostgreSQL server answers a new connection in time (drivers/silent_server.hpp says
// why): log in and run SELECT 1 with libpq's asynchronous calls under one deadline, so neither a
// silent handshake nor a silent query can hold the caller longer than asked.
#pragma once

#include <chrono>

#include "drivers/postgres/libpq_params.hpp"

namespace ferry::pq {

// False only when the deadline passed with the server still silent. A refused connection or a
// login error is an answer (a server restarting, too many clients): those are not silence.
bool AnswersWithin(const ConnectParams& params, std::chrono::milliseconds timeout);

}  // namespace ferry::pq
