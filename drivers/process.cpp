#include "drivers/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "copier/error.hpp"

extern char** environ;

namespace ferry {

namespace {

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& environment) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kIo, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Fd out_read{out_pipe[0]}, out_write{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kIo, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Fd err_read{err_pipe[0]}, err_write{err_pipe[1]};

  // The child's environment: ours, with `environment` replacing variables of the same name.
  std::vector<std::string> env_text;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    bool replaced = false;
    for (const auto& [name, value] : environment) {
      replaced |= entry.rfind(name + "=", 0) == 0;
    }
    if (!replaced) env_text.push_back(std::move(entry));
  }
  for (const auto& [name, value] : environment) env_text.push_back(name + "=" + value);
  std::vector<char*> env;
  for (std::string& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg;
  for (std::string& a : args) arg.push_back(a.data());
  arg.push_back(nullptr);

  // A pipe the child reports a failed exec through (its errno), closed by a successful one.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kIo, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Fd exec_read{exec_pipe[0]}, exec_write{exec_pipe[1]};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw Error(ErrorCode::kIo, std::string("cannot start a process: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec. The child dies with ferry: a pg_dump left
    // behind by a killed run would hold its snapshot and a lock on every table it dumps (and
    // wait for ever behind a lock of another session's) with nobody to read what it writes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // ferry died before the line above
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out_write.fd, 1) < 0 ||
        ::dup2(err_write.fd, 2) < 0) {
      const int e = errno;
      (void)!::write(exec_write.fd, &e, sizeof e);
      ::_exit(127);
    }
    ::execvpe(arg[0], arg.data(), env.data());
    const int e = errno;
    (void)!::write(exec_write.fd, &e, sizeof e);
    ::_exit(127);
  }
  exec_write.Close();
  int exec_errno = 0;
  ssize_t got = 0;
  while ((got = ::read(exec_read.fd, &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  if (got == ssize_t(sizeof exec_errno)) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw Error(ErrorCode::kMissingDriver,
                std::string("cannot run ") + argv[0] + ": " + std::strerror(exec_errno));
  }
  out_write.Close();
  err_write.Close();

  ProcessResult result;
  pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
  std::string* into[2] = {&result.out, &result.err};
  int open = 2;
  char buffer[65536];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        into[i]->append(buffer, size_t(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace ferry
