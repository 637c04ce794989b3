// The test seam of the ferry binary: hooks the integration tests switch on through the
// environment, read once when ferry starts and handed to the library as values, so no library
// code reads the environment for them.
#pragma once

#include "scheduler/pipeline.hpp"

namespace ferry {

// FERRY_TEST_CRASH=before-commit:N or after-commit:N (the crash tests; see TestHooks), or
// stall-at-commit:N or stall-before-commit:N with the statement in FERRY_TEST_STALL_SQL, or
// stop-in-build:N (TestHooks::stop_in_build), or in-large-object:N. Read
// on the first call, at startup; unset or malformed: no hook.
const TestHooks& StartupTestHooks();

}  // namespace ferry
