#include "drivers/postgres/pq_probe.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>

#include <memory>
#include <string>
#include <vector>

namespace ferry::pq {

namespace {

using Clock = std::chrono::steady_clock;

struct Finish {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};

// Waits until `fd` is ready for `events` or `deadline` passes (false).
bool Ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, int(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let libpq meet and report the error
  }
}

}  // namespace

bool AnswersWithin(const ConnectParams& params, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<const char*> keys, values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  std::unique_ptr<PGconn, Finish> conn(PQconnectStartParams(keys.data(), values.data(), 0));
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) return true;
  for (PostgresPollingStatusType status = PGRES_POLLING_WRITING;;) {
    if (status == PGRES_POLLING_OK) break;
    if (status == PGRES_POLLING_FAILED) return true;
    const short events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (!Ready(PQsocket(conn.get()), events, deadline)) return false;
    status = PQconnectPoll(conn.get());
  }
  if (PQsetnonblocking(conn.get(), 1) != 0 || !PQsendQuery(conn.get(), "SELECT 1")) return true;
  while (PQflush(conn.get()) == 1) {
    if (!Ready(PQsocket(conn.get()), POLLOUT, deadline)) return false;
  }
  for (;;) {
    if (!PQconsumeInput(conn.get())) return true;
    while (!PQisBusy(conn.get())) {
      PGresult* result = PQgetResult(conn.get());
      if (!result) return true;
      PQclear(result);
    }
    if (!Ready(PQsocket(conn.get()), POLLIN, deadline)) return false;
  }
}

}  // namespace ferry::pq
