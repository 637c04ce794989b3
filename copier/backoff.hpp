// The pause before another try of something that waits on others (a lock, a server coming
// back, a session rolling back): `first`, doubling with each attempt, never more than
// kMaxBackoff, so a long wait still looks again every half minute. One rule for every retry.
#pragma once

#include <algorithm>
#include <chrono>

namespace ferry {

constexpr std::chrono::milliseconds kMaxBackoff{30'000};

// The pause after failed attempt `attempt` (1, 2, ...).
inline std::chrono::milliseconds BackoffDelay(std::chrono::milliseconds first, int attempt) {
  const int doublings = std::clamp(attempt - 1, 0, 20);
  const auto delay = first * (int64_t(1) << doublings);
  return std::min<std::chrono::milliseconds>(delay, kMaxBackoff);
}

}  // namespace ferry
