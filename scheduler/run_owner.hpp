// Whether the process that recorded a run is alive, stopped or gone, and what a DBA can do
// about an owner that keeps another ferry process from going on.
#pragma once

#include <cstdint>
#include <string>

#include "copier/run_state.hpp"

namespace ferry {

// Whether the ferry process that recorded `run` is alive: only knowable on its own host (a pid
// alive there running a program of ferry's name).
bool ProcessAlive(const RunRecord& run);

// Whether process `pid` of this host is stopped (SIGSTOP, Ctrl-Z, a debugger).
bool ProcessStopped(int64_t pid);

// What the owner of `run` is doing, and what a DBA can do about it.
std::string OwnerState(const RunRecord& run);

}  // namespace ferry
