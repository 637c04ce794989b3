// ferry's command table: each command registers its options and returns the function that
// runs it once the command line is parsed. Commands only translate options into library calls.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace ferry {

using CommandAction = std::function<int()>;

CommandAction AddRunCommand(CLI::App& app);
CommandAction AddPlanCommand(CLI::App& app);
CommandAction AddCheckCommand(CLI::App& app);
CommandAction AddVerifyCommand(CLI::App& app);
CommandAction AddStatusCommand(CLI::App& app);
CommandAction AddReportCommand(CLI::App& app);
CommandAction AddResetCommand(CLI::App& app);
CommandAction AddTrackCommand(CLI::App& app);
CommandAction AddSyncCommand(CLI::App& app);
CommandAction AddHelpOptionsCommand(CLI::App& app);
CommandAction AddProfileCommand(CLI::App& app);

}  // namespace ferry
