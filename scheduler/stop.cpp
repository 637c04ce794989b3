#include "scheduler/stop.hpp"

#include <atomic>

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

}  // namespace ferry
