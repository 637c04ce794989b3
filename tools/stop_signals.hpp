// SIGINT and SIGTERM for every command. A command that writes stops gracefully: the first
// signal asks the library to stop (StopRequested: units in flight roll back, the run is
// recorded as interrupted), the command exits with kExitInterrupted, and a second signal ends
// the process at once. A command that only reads stops at once with the same exit code: it has
// nothing to roll back or record.
#pragma once

namespace ferry {

enum class OnStop { kGraceful, kAtOnce };

void InstallStopHandlers(OnStop mode);

}  // namespace ferry
