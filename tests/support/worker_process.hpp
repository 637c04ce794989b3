// A process the tests start in the background with /bin/sh (a ferry worker, or an example's
// command line), with extra environment variables and its output in a file; killed if still
// running when the test ends. Header-only: the shared-run and deploy-example tests use it.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/test_database.hpp"

namespace ferry::test {

class WorkerProcess {
 public:
  // Runs `command` with `sh -c`; the test password goes to FERRY_SOURCE_PASSWORD and
  // FERRY_DEST_PASSWORD unless `env` sets them.
  WorkerProcess(const std::string& command, const std::filesystem::path& log,
                const std::map<std::string, std::string>& env = {})
      : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
      setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
      for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
      const std::string line = command + " > " + ShellQuote(log.string()) + " 2>&1";
      execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~WorkerProcess() {
    if (exit_code_ < 0 && pid_ > 0) {
      kill(pid_, SIGCONT);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for the process (killing it after `limit`): its exit code, or 128 + its signal.
  int Wait(std::chrono::seconds limit = std::chrono::seconds(180)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (exit_code_ < 0) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) kill(pid_, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exit_code_;
  }

  // Whether the process has ended (its exit code is then kept for Wait), without waiting.
  bool Finished() {
    if (exit_code_ >= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  std::string Output() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Whether process `pid` is stopped (state T in /proc/PID/stat: SIGSTOP, or a debugger).
inline bool Stopped(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T';
}

}  // namespace ferry::test
