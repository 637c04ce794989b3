// The one rule every retry that waits on others pauses by (copier/backoff.hpp).
#include <catch2/catch.hpp>

#include <chrono>

#include "copier/backoff.hpp"

using namespace ferry;
using std::chrono::milliseconds;

TEST_CASE("a retry's pause starts at its first value and doubles with each attempt", "[backoff]") {
  CHECK(BackoffDelay(milliseconds(200), 1) == milliseconds(200));
  CHECK(BackoffDelay(milliseconds(200), 2) == milliseconds(400));
  CHECK(BackoffDelay(milliseconds(200), 5) == milliseconds(3200));
  CHECK(BackoffDelay(milliseconds(1000), 0) == milliseconds(1000));  // before any failure
}

TEST_CASE("a retry's pause never exceeds thirty seconds, however many attempts failed",
          "[backoff]") {
  CHECK(BackoffDelay(milliseconds(1000), 6) == milliseconds(30000));
  CHECK(BackoffDelay(milliseconds(1000), 1000) == kMaxBackoff);
  CHECK(BackoffDelay(milliseconds(50), 100) == kMaxBackoff);
}
