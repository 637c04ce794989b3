// The wait policy endpoints are given (copier/wait.hpp): a look every quarter second, a stop
// request ending the wait within a tenth of a second, and giving up after the patience without
// progress.
#pragma once

#include "copier/wait.hpp"

namespace ferry {

// How often a waiting endpoint looks again.
inline constexpr double kWaitLookSeconds = 0.25;

std::unique_ptr<Wait> StartWait(double patience);

}  // namespace ferry
