#include "scheduler/stop.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace ferry {

namespace {
std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
}  // namespace

void RequestStop() noexcept {
  stop_requested.store(true);
}
bool StopRequested() noexcept {
  return stop_requested.load();
}
void ClearStopRequest() noexcept {
  stop_requested.store(false);
}

void PauseUnlessStopped(double seconds) {
  for (double slept = 0; slept < seconds && !StopRequested(); slept += 0.1) {
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.1, seconds - slept)));
  }
}

}  // namespace ferry
