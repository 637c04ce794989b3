// The tests' main. Tests freeze ferry processes with SIGSTOP. Under CTest the test process leads
// a process group whose parent is in another session, an orphaned group, and Linux sends SIGHUP
// (then SIGCONT) to every member of an orphaned group that has a stopped member whenever one of
// its processes exits: a frozen ferry would be killed by the exit of an unrelated `sh -c`. So the
// tests run in a child in a process group of its own under this process, which is not orphaned.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char* argv[]) {
  const pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // CTest's timeout kills the parent: the tests go with it
    setpgid(0, 0);
    return Catch::Session().run(argc, argv);
  }
  if (child < 0) return Catch::Session().run(argc, argv);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
