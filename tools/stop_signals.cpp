#include "tools/stop_signals.hpp"

#include <signal.h>
#include <unistd.h>

#include "scheduler/stop.hpp"
#include "tools/exit_codes.hpp"

namespace ferry {

namespace {

void Say(const char* text, size_t size) {
  ssize_t ignored = write(STDERR_FILENO, text, size);
  (void)ignored;
}

void OnStopSignalGraceful(int) {
  if (StopRequested()) _exit(kExitInterrupted);
  RequestStop();
  static const char kMessage[] =
      "\nferry: stopping: rolling back what is in flight (signal again to exit at once)\n";
  Say(kMessage, sizeof kMessage - 1);
}

void OnStopSignalAtOnce(int) {
  static const char kMessage[] = "\nferry: stopped by a signal (this command writes nothing)\n";
  Say(kMessage, sizeof kMessage - 1);
  _exit(kExitInterrupted);
}

}  // namespace

void InstallStopHandlers(OnStop mode) {
  struct sigaction action {};
  action.sa_handler = mode == OnStop::kGraceful ? OnStopSignalGraceful : OnStopSignalAtOnce;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace ferry
