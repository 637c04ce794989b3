// Runs an engine's own client tool (pg_dump) as a child process: arguments as a vector (no
// shell), secrets only through the child's environment, standard output and error captured.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry {

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv[0]` (a path, or a name looked up in PATH) with `argv`, the parent's environment
// plus `environment` (NAME, value), and stdin closed. The child is killed when ferry dies (a
// kill -9 included), so no pg_dump outlives the run holding its snapshot and locks. Throws
// Error(kMissingDriver) when the program cannot be started.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& environment);

}  // namespace ferry
