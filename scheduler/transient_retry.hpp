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

#include "copier/backoff.hpp"
#include "copier/error.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

// How long a worker waits for its destination to come back before it gives up (and exits
// non-zero, for its scheduler to start it again): a restart of a busy server with crash
// recovery takes tens of seconds.
constexpr std::chrono::seconds kDestinationPatience{120};

template <typename Call>
auto RetryTransient(Call call, std::chrono::seconds patience = kDestinationPatience)
    -> decltype(call()) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (int attempt = 1;; ++attempt) {
    try {
      return call();
    } catch (const Error& e) {
      if (!IsTransient(e) || StopRequested() || std::chrono::steady_clock::now() >= deadline) {
        throw;
      }
    }
    // At most a few seconds apart: the server is looked for again soon after it is back.
    const auto pause = std::min<std::chrono::milliseconds>(
        BackoffDelay(std::chrono::milliseconds(250), attempt), std::chrono::seconds(4));
    PauseUnlessStopped(double(pause.count()) / 1000);
  }
}

// Opens a session (or makes any call) with `open`, again after a transient error for up to
// kDestinationPatience, pausing a quarter second, then longer, 4 s at most, and giving up at once
// when `stop` is set. A copy's threads reopen their sessions this way between units: the units
// wait for the server to come back instead of spending their attempts, where a few quick tries
// stopped the whole run 3.5 s into a restart.
template <typename Open>
auto WaitingForServer(Open open, const std::atomic<bool>& stop) -> decltype(open()) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point give_up = Clock::now() + kDestinationPatience;
  for (int attempt = 1;; ++attempt) {
    try {
      return open();
    } catch (const Error& e) {
      if (!IsTransient(e) || Clock::now() >= give_up || stop) throw;
    }
    const auto until = Clock::now() + std::min<std::chrono::milliseconds>(
                                          BackoffDelay(std::chrono::milliseconds(250), attempt),
                                          std::chrono::seconds(4));
    while (Clock::now() < until && !stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace ferry
