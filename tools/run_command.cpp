// `ferry run`: copy what a job (flags, environment, job file) or a plan file describes.
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "copier/error.hpp"
#include "copier/job_file.hpp"
#include "copier/plan.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/files/spool_dir.hpp"
#include "drivers/open.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/empty_source.hpp"
#include "scheduler/metrics_observer.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/profile.hpp"
#include "scheduler/run_control.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/sync_run.hpp"
#include "scheduler/trace.hpp"
#include "tools/commands.hpp"
#include "tools/console.hpp"
#include "tools/exit_codes.hpp"
#include "tools/options.hpp"
#include "tools/profile_context.hpp"
#include "tools/stop_signals.hpp"

namespace ferry {

namespace {

struct RunFlags {
  CommonOptions common;
  std::string plan_file;
  LogFlags log;
  bool explain = false;
  std::string profile;
  std::string trace;
  std::string metrics_file;
  bool resume = false;
  std::string resume_run;
  std::string state_prefix = kDefaultStatePrefix;
  std::string join;
  std::string lease = "30s";
  std::string shard;
  std::string spool;
};

// "30s", "2m", "500ms", "45" (seconds): a lease's length in milliseconds.
int64_t ParseLease(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const double scale = unit == "ms" ? 1 : unit == "m" ? 60000 : unit == "h" ? 3600000 : 1000;
  if (used == 0 || !(unit.empty() || unit == "s" || unit == "ms" || unit == "m" || unit == "h") ||
      value * scale < 1000) {
    throw Error(
        ErrorCode::kUsage,
        fmt::format("--lease {}: give a length of at least 1 s, as 30s, 2m or 500ms", text));
  }
  return int64_t(value * scale);
}

// "I/N"; "/N" takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's pod index).
void ParseShard(const std::string& text, RunControl& control) {
  const size_t slash = text.find('/');
  std::string index = slash == std::string::npos ? "" : text.substr(0, slash);
  const std::string count = slash == std::string::npos ? "" : text.substr(slash + 1);
  if (index.empty()) {
    const char* env = std::getenv("JOB_COMPLETION_INDEX");
    index = env ? env : "";
  }
  try {
    size_t a = 0, b = 0;
    control.shard = std::stoi(index, &a);
    control.shards = std::stoi(count, &b);
    if (a == index.size() && b == count.size() && control.shard >= 0 && control.shards > 0 &&
        control.shard < control.shards) {
      return;
    }
  } catch (...) {
  }
  throw Error(ErrorCode::kUsage,
              fmt::format("--shard {}: give I/N with 0 <= I < N, or /N with the index in "
                          "JOB_COMPLETION_INDEX{}",
                          text, index.empty() ? " (which is not set)" : " (" + index + ")"));
}

void PrintEnds(const Endpoint& source, const Endpoint& dest) {
  fmt::print("source:      {} ({} {})\n", source.info().display, source.info().product,
             source.info().version);
  fmt::print("destination: {} ({} {})\n", dest.info().display, dest.info().product,
             dest.info().version);
}

// What a profile says of the run besides its timings: which run, which ferry, which ends, and
// the settings that shape its speed.
ProfileContext RunProfileContext(const RunRecord& run, const Endpoint& source, const Endpoint& dest,
                                 const CopyOptions& options, const CopyReport& report) {
  return ProfileContextOf(run.id, source, dest,
                          {{"readers", std::to_string(options.engine.readers)},
                           {"writers", std::to_string(options.engine.writers)},
                           {"batch_rows", std::to_string(options.engine.limits.max_rows)},
                           {"batch_bytes", std::to_string(options.engine.limits.max_bytes)},
                           {"memory_limit", std::to_string(options.engine.memory_limit)},
                           {"max_attempts", std::to_string(options.engine.max_attempts)},
                           {"consistency", report.consistency}});
}

// The run's exit code, with what to do next for a run that did not end.
int ExitCodeOf(const RecordedRun& run, const RunControl& control, bool quiet) {
  // A full staging disk has an exit code of its own: free space, then --resume.
  for (const TableOutcome& t : run.report.tables) {
    if (t.error && t.error->code() == ErrorCode::kDiskFull) {
      // The error says which limit it met (the disk, or --max-disk) and what to do.
      fmt::print(stderr, "ferry: run {} stopped: {} (committed units are kept)\n", run.run.id,
                 t.error->what());
      return kExitDiskFull;
    }
    // An import whose export stopped unfinished (drivers/files/follow.hpp).
    if (t.error && t.error->sqlstate() == "FR004") {
      fmt::print(stderr, "ferry: run {} stopped: {}\n", run.run.id, t.error->what());
      return kExitExportStopped;
    }
  }
  if (!control.join.empty() && run.run.status == RunStatus::kInterrupted) {
    fmt::print(stderr,
               "ferry: this worker left shared run {}; its units go to the other workers once "
               "their leases run out (`ferry run --join {}` joins again)\n",
               run.run.id, run.run.id);
    return kExitInterrupted;
  }
  if (!control.join.empty() && run.run.status != RunStatus::kDone) {
    if (!quiet) fmt::print("shared run {}: {}\n", run.run.id, RunStatusName(run.run.status));
    return run.run.status == RunStatus::kFailed ? kExitTablesFailed : kExitOk;
  }
  if (run.run.status == RunStatus::kInterrupted) {
    fmt::print(stderr,
               "ferry: run {} was interrupted; `ferry run --resume` continues it (committed "
               "units are kept)\n",
               run.run.id);
    return kExitInterrupted;
  }
  if (!quiet) fmt::print("run {}: {}\n", run.run.id, RunStatusName(run.run.status));
  return run.report.failed() > 0 ? kExitTablesFailed : kExitOk;
}

int Run(const RunFlags& flags) {
  const CommonOptions& c = flags.common;
  if (!flags.explain) {
    // Said before anything is copied, not after hours of it.
    if (!flags.profile.empty()) CheckWritable(flags.profile, "profile");
    if (!flags.trace.empty()) CheckWritable(flags.trace, "trace");
  }
  std::optional<Plan> plan;
  Job job = BuildJobFor(c, flags.plan_file, plan);
  CopyOptions options = BuildCopyOptions(c, job);
  options.explain_only = flags.explain;
  options.try_ddl_first = plan.has_value();
  if (!flags.spool.empty() && !flags.join.empty()) {
    throw Error(ErrorCode::kUsage,
                "--spool and --join do not go together: a shared run's workers read in one "
                "snapshot for the whole run");
  }
  auto source = OpenEndpoint(job.source, EndpointRole::kSource, SourceOptions(c));
  auto dest = OpenEndpoint(job.destination, EndpointRole::kDestination, DestinationOptions(c));
  auto watch = WatchServers(c, source.get(), dest.get());
  if (!flags.log.quiet) PrintEnds(*source, *dest);
  std::string scope;
  SourceTables listed;            // the source's tables, listed once
  std::vector<TableName> tables;  // the source tables in scope
  std::function<PlannedRun()> make_plan;
  // The same database at both ends is refused before the run state is touched.
  if (plan) {
    CheckNotSelfCopy(*plan, *source, *dest);
    if (!flags.resume && !c.allow_empty_source) {
      RefuseEmptySourceOverRows(*source, *dest, TablesReadAndWritten(*plan));
    }
    scope = RunScopeKey(*plan);
    for (const TablePlan& t : plan->tables) tables.push_back(t.source);
    make_plan = [&] { return Unprepared(*plan); };
  } else {
    job.source = WithoutSecrets(job.source);
    job.destination = WithoutSecrets(job.destination);
    listed = ListSourceTables(*source, job);
    tables = listed.in_scope;
    CheckNotSelfCopy(*source, *dest, job, tables);
    if (!flags.resume && !flags.explain && !c.allow_empty_source) {
      RefuseEmptySourceOverRows(*source, *dest, TablesReadAndWritten(*source, *dest, job, tables));
    }
    scope = RunScopeKey(job.source, job.destination, tables);
    // Planned and prepared in one pass: each table's catalog is read once at each end.
    make_plan = [&] {
      return PlanAndPrepare(*source, *dest, job, options.partitions, nullptr, &listed);
    };
  }
  if (!flags.explain) {
    // A tracked source keeps its change log for this destination from here on (ferry sync).
    if (std::string warning = RegisterCopyWithChangeLogs(*source, *dest, tables);
        !warning.empty()) {
      fmt::print(stderr, "ferry: warning: {}\n", warning);
    }
  }
  ConsoleObserver console(ConsoleSettingsOf(flags.log));
  RunControl control;
  control.resume = flags.resume;
  control.resume_run = flags.resume_run;
  control.state_prefix = flags.state_prefix;
  if (!flags.join.empty()) {
    if (flags.resume) throw Error(ErrorCode::kUsage, "--join and --resume do not go together");
    control.join = flags.join;
    control.lease_ms = ParseLease(flags.lease);
    if (!flags.shard.empty()) ParseShard(flags.shard, control);
  } else if (!flags.shard.empty()) {
    throw Error(ErrorCode::kUsage, "--shard needs --join: a share of a shared run's units");
  }
  if (plan) {
    control.plan_file = &*plan;
    control.plan_file_name = flags.plan_file;
  }
  // Made once the ends are known good, so a refused run leaves no folder behind.
  if (!flags.spool.empty() && !flags.explain) {
    options.engine.spool = staging::OpenSpool(flags.spool, c.max_disk.value_or(0));
    options.engine.readers_done = [&source] { EndSnapshot(*source); };
  }
  InstallStopHandlers(OnStop::kGraceful);
  MetricsObserver metrics(flags.explain ? "" : flags.metrics_file, "run");
  metrics.Start();
  TeeObserver observers({&console, &metrics});
  std::optional<RecordedRun> recorded;
  try {
    recorded = RunRecorded(*source, *dest, scope, make_plan, options, control, observers);
  } catch (const Error&) {
    metrics.Final(CopyReport{}, "failed", *dest, flags.state_prefix);  // swallows its own errors
    throw;
  }
  const RecordedRun& run = *recorded;
  const CopyReport& report = run.report;
  if (flags.explain) {
    console.PrintPlan(report);
    return kExitOk;
  }
  // An import: a sync from the live source continues where the export stood.
  if (std::string warning = CarryLogPositions(*source, *dest, report); !warning.empty()) {
    fmt::print(stderr, "ferry: warning: {}\n", warning);
  }
  metrics.Final(report, RunStatusName(run.run.status), *dest, flags.state_prefix);
  if (!flags.profile.empty() || !flags.trace.empty()) {
    const ProfileContext context = RunProfileContext(run.run, *source, *dest, options, report);
    if (!flags.profile.empty()) WriteProfile(report, flags.profile, context);
    if (!flags.trace.empty()) {
      WriteTrace(flags.trace, "ferry run " + run.run.id, CopySpans(report), context);
    }
  }
  if (!flags.log.quiet) console.PrintSummary(report);
  return ExitCodeOf(run, control, flags.log.quiet);
}

}  // namespace

CommandAction AddRunCommand(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand(
      "run", "Copy every table in scope from SOURCE to DEST (or what a plan file says)");
  auto options = std::make_shared<CommandOptions>(run, Command::kRun);
  AddCommonOptions(*options, flags->common);
  options->Add("--plan", flags->plan_file);
  AddLogOptions(*options, flags->log);
  options->Add("--explain", flags->explain);
  CLI::Option* resume = options->Add("--resume", flags->resume_run)->expected(0, 1);
  options->Add("--state-prefix", flags->state_prefix);
  options->Add("--profile", flags->profile);
  options->Add("--trace", flags->trace);
  options->Add("--join", flags->join);
  options->Add("--lease", flags->lease);
  options->Add("--shard", flags->shard);
  options->Add("--spool", flags->spool);
  options->Add("--metrics-file", flags->metrics_file);
  options->Finish();
  return [run, flags, options, resume]() -> int {
    if (!*run) return -1;
    options->ApplyEnvironment();
    flags->resume = resume->count() > 0;
    if (flags->resume_run == "latest") flags->resume_run.clear();
    return Run(*flags);
  };
}

}  // namespace ferry
