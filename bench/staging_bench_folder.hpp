// Where the staging benchmarks make their directories: under /dev/shm when there is one, so
// fsync and file system calls cost next to nothing and what is measured is ferry's own work.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace ferry::bench {

// A fresh folder's path (not made yet): "<base>/<prefix>-<pid>-<n>".
inline std::string NewStagingFolder(const std::string& prefix) {
  static int next = 0;
  const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                         ? std::filesystem::path("/dev/shm")
                                         : std::filesystem::temp_directory_path();
  return (base / (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(next++))).string();
}

}  // namespace ferry::bench
