// The `ferry` command: the command table, error reporting and exit codes. Commands live in
// their own files; no copy logic lives in tools/.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <vector>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/stop_signals.hpp"
#include "tools/test_hooks.hpp"
#include "tools/usage.hpp"

int main(int argc, char** argv) {
  using namespace ferry;
  CLI::App app{"ferry: copies whole databases between servers, fast, and proves the copy"};
  app.set_version_flag("--version", "ferry " FERRY_VERSION);
  app.require_subcommand(1);
  std::vector<CommandAction> commands = {
      AddRunCommand(app),    AddPlanCommand(app),       AddCheckCommand(app),
      AddVerifyCommand(app), AddStatusCommand(app),     AddResetCommand(app),
      AddTrackCommand(app),  AddSyncCommand(app),       AddProfileCommand(app),
      AddReportCommand(app), AddHelpOptionsCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end parsing with exit code 0 (CLI::Success): printed, and done.
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kExitOk : kExitUsage;
    std::fprintf(
        stderr, "%s\n",
        Redact(UsageMessage(app, e, std::vector<std::string>(argv + 1, argv + argc))).c_str());
    return kExitUsage;
  }
  // A signal stops every command with kExitInterrupted; those that write (run, sync, verify,
  // reset) install their graceful handling when they start.
  InstallStopHandlers(OnStop::kAtOnce);
  StartupTestHooks();  // read the test seam's environment now, once
  try {
    for (const CommandAction& command : commands) {
      int code = command();
      if (code >= 0) return code;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "ferry: error: %s\n", e.what());
    // A connection lost on the way (a driver's error with a connection SQLSTATE, a server
    // restarting) is a database that could not be reached, not a copy that cannot start.
    for (const Diagnostic& d : e.diagnostics()) {
      if (e.code() == ErrorCode::kDriver &&
          (d.sqlstate.rfind("08", 0) == 0 || d.native_code == 2006 || d.native_code == 2013)) {
        return kExitConnection;
      }
    }
    return ExitCodeFor(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry: internal error: %s\n", Redact(e.what()).c_str());
    return kExitInternal;
  }
  return kExitUsage;
}
