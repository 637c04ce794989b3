#include "scheduler/run_owner.hpp"

#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace ferry {

namespace {

std::string CommandName(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/comm", pid));
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace

// Whether the ferry process that recorded `run` is alive: only knowable on its own host (a pid
// alive there running a program of ferry's name).
bool ProcessAlive(const RunRecord& run) {
  if (run.host != HostName() || run.pid <= 0 || run.pid == getpid()) return false;
  if (kill(pid_t(run.pid), 0) != 0 && errno != EPERM) return false;
  const std::string name = CommandName(pid_t(run.pid));
  return name.empty() || name == CommandName(getpid());
}

// Whether process `pid` of this host is stopped (SIGSTOP, Ctrl-Z, a debugger): state T or t in
// /proc/PID/stat, after the command name in parentheses.
bool ProcessStopped(int64_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(in, stat);
  const size_t end = stat.rfind(')');
  return end != std::string::npos && end + 2 < stat.size() &&
         (stat[end + 2] == 'T' || stat[end + 2] == 't');
}

// What the owner of `run` is doing, and what a DBA can do about it, when it keeps this process
// from going on.
std::string OwnerState(const RunRecord& run) {
  if (run.host != HostName()) {
    return fmt::format(
        "its process, pid {} on {}, may be alive there (only that host can tell): end it there, "
        "or end the server sessions listed, then resume",
        run.pid, run.host);
  }
  if (!ProcessAlive(run)) {
    return fmt::format(
        "its process, pid {}, is gone, but sessions ferry could not end (not tagged as ferry's, "
        "or another role's) hold its locks: end them, then resume",
        run.pid);
  }
  if (ProcessStopped(run.pid)) {
    return fmt::format(
        "its process, pid {} on this host, is alive but stopped (SIGSTOP, Ctrl-Z or a debugger) "
        "and keeps its locks while stopped: continue it (kill -CONT {}) and let it finish, or "
        "end it (kill {}) and resume the run",
        run.pid, run.pid, run.pid);
  }
  return fmt::format(
      "its process, pid {} on this host, is alive: wait for it, or stop it (kill {}): the run "
      "can be resumed",
      run.pid, run.pid);
}

}  // namespace ferry
