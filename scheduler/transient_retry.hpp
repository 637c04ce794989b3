// Run-state calls of a shared run's worker that must outlast the destination going away for a
// while (a restart, a failover, a cut network): an error that may pass (IsTransient) is tried
// again with growing pauses until `patience` has passed, then thrown. Without this, a worker
// that met the outage between two steps of its bookkeeping either exited with the connection
// error or left a step half done (a table built but never recorded) that nobody finished.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "copier/backoff.hpp"
#include "copier/error.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

// How long a worker waits for its destination to come back before it gives up (and exits
// non-zero, for its scheduler to start it again): a restart of a busy server with crash
// recovery takes tens of seconds.
constexpr std::chrono::seconds kDestinationPatience{120};

// Makes `call` again after an error that may pass (IsTransient), pausing a quarter second, then
// longer, 4 s at most (the server is looked for again soon after it is back), until `patience`
// has passed or `stopped()` says to give up; then the error is thrown.
template <typename Call, typename Stopped>
auto RetryWhileTransient(Call call, Stopped stopped, std::chrono::milliseconds patience)
    -> decltype(call()) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point give_up = Clock::now() + patience;
  for (int attempt = 1;; ++attempt) {
    try {
      return call();
    } catch (const Error& e) {
      if (!IsTransient(e) || stopped() || Clock::now() >= give_up) throw;
    }
    const auto until = Clock::now() + std::min<std::chrono::milliseconds>(
                                          BackoffDelay(std::chrono::milliseconds(250), attempt),
                                          std::chrono::seconds(4));
    while (Clock::now() < until && !stopped()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

// A shared run's bookkeeping step, given up when the process is asked to stop.
template <typename Call>
auto RetryTransient(Call call, std::chrono::seconds patience = kDestinationPatience)
    -> decltype(call()) {
  return RetryWhileTransient(
      std::move(call), [] { return StopRequested(); }, patience);
}

// Opens a session (or makes any call) with `open`, given up at once when `stop` is set. A copy's
// threads reopen their sessions this way between units: the units wait for the server to come
// back instead of spending their attempts, where a few quick tries stopped the whole run 3.5 s
// into a restart.
template <typename Open>
auto WaitingForServer(Open open, const std::atomic<bool>& stop,
                      std::chrono::milliseconds patience = kDestinationPatience)
    -> decltype(open()) {
  return RetryWhileTransient(
      std::move(open), [&stop] { return stop.load(); }, patience);
}

}  // namespace ferry
