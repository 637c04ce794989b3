// `ferry plan`: write the plan for a job as JSON, for review, editing and `ferry run --plan`.
#include <fmt/format.h>

#include <signal.h>

#include <fstream>
#include <memory>

#include "copier/error.hpp"
#include "copier/plan.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/open.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/run_control.hpp"
#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/options.hpp"
#include "tools/stop_signals.hpp"

namespace ferry {

namespace {

struct PlanFlags {
  CommonOptions common;
  std::string output;
  std::string publish;  // a shared run's name
  std::string state_prefix = kDefaultStatePrefix;
};

int MakePlan(const PlanFlags& flags) {
  InstallStopHandlers(OnStop::kAtOnce);
  Job job = BuildJob(flags.common);
  CopyOptions options = BuildCopyOptions(flags.common, job);
  auto source = OpenEndpoint(job.source, EndpointRole::kSource, SourceOptions(flags.common));
  auto dest =
      OpenEndpoint(job.destination, EndpointRole::kDestination, DestinationOptions(flags.common));
  auto watch = WatchServers(flags.common, source.get(), dest.get());
  job.source = WithoutSecrets(job.source);
  job.destination = WithoutSecrets(job.destination);
  Plan plan = BuildPlan(*source, *dest, job, options.partitions);
  const std::string json = PlanToJson(plan);
  if (!flags.publish.empty()) {
    PublishSharedRun(*source, *dest, plan, flags.publish, options.partitions, flags.state_prefix);
    fmt::print(
        stderr,
        "published the plan as shared run {} in {}: start workers with ferry run --join {}\n",
        flags.publish, dest->info().display, flags.publish);
  }
  if (flags.output.empty() || flags.output == "-") {
    fmt::print("{}", json);
  } else {
    // A signal waits until the file is whole.
    sigset_t stop_signals, before;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, &before);
    bool written;
    {
      std::ofstream out(flags.output);
      out << json;
      out.close();
      written = bool(out);
    }
    sigprocmask(SIG_SETMASK, &before, nullptr);
    if (!written) {
      throw Error(ErrorCode::kIo, fmt::format("cannot write the plan to {}", flags.output));
    }
    int units = 0;
    for (const TablePlan& t : plan.tables) units += t.partitions;
    fmt::print(stderr, "wrote {}: {} table{}, {} unit{}\n", flags.output, plan.tables.size(),
               plan.tables.size() == 1 ? "" : "s", units, units == 1 ? "" : "s");
  }
  return kExitOk;
}

}  // namespace

CommandAction AddPlanCommand(CLI::App& app) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* plan = app.add_subcommand(
      "plan",
      "Write the plan of a copy (tables, column mapping, units and why, write modes, "
      "indexes, source shapes) as JSON; `ferry run --plan FILE` executes it");
  auto options = std::make_shared<CommandOptions>(plan, Command::kPlan);
  AddCommonOptions(*options, flags->common);
  options->Add("--output", flags->output);
  options->Add("--publish", flags->publish);
  options->Add("--state-prefix", flags->state_prefix);
  options->Finish();
  return [plan, flags, options]() -> int {
    if (!*plan) return -1;
    options->ApplyEnvironment();
    return MakePlan(*flags);
  };
}

}  // namespace ferry
