// `ferry reset`: starting a copy over.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "copier/error.hpp"
#include "copier/job_file.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/open.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/run_control.hpp"
#include "tools/commands.hpp"
#include "tools/console.hpp"
#include "tools/exit_codes.hpp"
#include "tools/options.hpp"
#include "tools/stop_signals.hpp"

namespace ferry {

namespace {

struct StateFlags {
  CommonOptions common;
  std::string state_prefix = kDefaultStatePrefix;
  bool yes = false;
};

int Reset(const StateFlags& flags) {
  InstallStopHandlers(OnStop::kGraceful);
  Job job = BuildJob(flags.common);
  auto source = OpenEndpoint(job.source, EndpointRole::kSource, SourceOptions(flags.common));
  auto dest = OpenEndpoint(job.destination, EndpointRole::kDestination,
                           ExistingDestinationOptions(flags.common));
  ResetPlan reset =
      PlanReset(*dest, flags.state_prefix, WithoutSecrets(job.source), TablesInScope(*source, job));
  if (reset.runs.empty() && reset.tables.empty() && reset.dropped.empty() &&
      reset.sequences.empty()) {
    fmt::print("nothing to reset: no recorded run of {} into {} covers these tables\n",
               source->info().display, dest->info().display);
    return kExitOk;
  }
  fmt::print("{} {} table{} and forget{} {} run{}:\n", flags.yes ? "emptying" : "would empty",
             reset.tables.size(), reset.tables.size() == 1 ? "" : "s", flags.yes ? "ting" : "",
             reset.runs.size(), reset.runs.size() == 1 ? "" : "s");
  for (const TableName& t : reset.tables) fmt::print("  table {}\n", DisplayName(t));
  if (!reset.dropped.empty()) {
    fmt::print(
        "{} {} empty table{} the runs made and never wrote (the next run makes them "
        "again):\n",
        flags.yes ? "dropping" : "would drop", reset.dropped.size(),
        reset.dropped.size() == 1 ? "" : "s");
  }
  for (const TableName& t : reset.dropped) fmt::print("  table {}\n", DisplayName(t));
  if (!reset.sequences.empty()) {
    fmt::print("{} {} sequence{} their schema clone made:\n", flags.yes ? "dropping" : "would drop",
               reset.sequences.size(), reset.sequences.size() == 1 ? "" : "s");
  }
  for (const TableName& s : reset.sequences) fmt::print("  sequence {}\n", DisplayName(s));
  for (const std::string& r : reset.runs) fmt::print("  run {}\n", r);
  if (!flags.yes) {
    fmt::print(stderr, "ferry: nothing was changed; run again with --yes to do it\n");
    return kExitUsage;
  }
  // A table another session holds a lock on is waited for a short while, saying who holds it.
  dest->SetWaitNotice([](const std::string& text) { fmt::print("{}\n", text); });
  ApplyReset(*dest, flags.state_prefix, reset,
             [](const std::string& text) { fmt::print("{}\n", text); });
  fmt::print("done: the next `ferry run` starts this copy over\n");
  return kExitOk;
}

}  // namespace

CommandAction AddResetCommand(CLI::App& app) {
  auto flags = std::make_shared<StateFlags>();
  CLI::App* reset = app.add_subcommand(
      "reset",
      "Start a copy over: empty the destination tables that recorded runs of this copy wrote "
      "and forget those runs. Without --yes, list what would be emptied and exit 2");
  auto options = std::make_shared<CommandOptions>(reset, Command::kReset);
  AddCommonOptions(*options, flags->common);
  options->Add("--state-prefix", flags->state_prefix);
  options->Add("--yes", flags->yes);
  options->Finish();
  return [reset, flags, options]() -> int {
    if (!*reset) return -1;
    options->ApplyEnvironment();
    return Reset(*flags);
  };
}

}  // namespace ferry
