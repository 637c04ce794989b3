// `ferry report`: the destination's run state as one self-contained HTML page (run history,
// per-table tiles, a timeline of units, time per stage, throughput, verify and sync results).
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "copier/run_report.hpp"
#include "copier/run_state.hpp"
#include "drivers/open.hpp"
#include "scheduler/metrics_file.hpp"
#include "scheduler/profile.hpp"
#include "scheduler/report_page.hpp"
#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/options.hpp"

namespace ferry {

namespace {

struct ReportFlags {
  CommonOptions common;
  std::string state_prefix = kDefaultStatePrefix;
  std::string run;
  std::string output;
};

int Report(const ReportFlags& flags) {
  auto dest = OpenEndpoint(DestinationOnly(flags.common), EndpointRole::kDestination,
                           ExistingDestinationOptions(flags.common));
  ReportInput input = ReadReport(*dest, flags.state_prefix, flags.run);
  input.generated_at = UtcTimestamp();
  input.version = FERRY_VERSION;
  const std::string page = RenderReportHtml(input);
  if (flags.output.empty() || flags.output == "-") {
    std::fwrite(page.data(), 1, page.size(), stdout);
    std::fflush(stdout);
  } else {
    WriteWholeFile(flags.output, page, "report page");
    std::fprintf(stderr, "ferry: wrote the report of run %s to %s\n", input.chosen.run.id.c_str(),
                 flags.output.c_str());
  }
  return kExitOk;
}

}  // namespace

CommandAction AddReportCommand(CLI::App& app) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* report = app.add_subcommand(
      "report",
      "Write one self-contained HTML page from DEST's run state: the run history; for the "
      "newest copy run (or --run) a tile per table, a timeline of its units, the time per "
      "stage and the throughput; and the latest verify and sync results");
  auto options = std::make_shared<CommandOptions>(report, Command::kReport);
  AddCommonOptions(*options, flags->common);
  options->Add("--state-prefix", flags->state_prefix);
  options->Add("--run", flags->run);
  options->Add("--output", flags->output);
  options->Finish();
  return [report, flags, options]() -> int {
    if (!*report) return -1;
    options->ApplyEnvironment();
    return Report(*flags);
  };
}

}  // namespace ferry
