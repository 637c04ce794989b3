// `ferry status` and `ferry reset`: what the destination's run state says, and starting a copy
// over.
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

// A recorded table error and its advice. The run state keeps an error as ferry rendered it
// (Error::what()), whose advice, chosen from the error's code when it was raised, is its own line.
struct RecordedError {
  std::string error;
  std::string advice;
};

RecordedError SplitAdvice(const std::string& recorded) {
  static const std::string kMarker = "\n  advice: ";
  const size_t at = recorded.find(kMarker);
  if (at == std::string::npos) return {recorded, ""};
  const size_t end = recorded.find('\n', at + kMarker.size());
  RecordedError out;
  out.advice = recorded.substr(at + kMarker.size(),
                               end == std::string::npos ? end : end - at - kMarker.size());
  out.error = recorded.substr(0, at) + (end == std::string::npos ? "" : recorded.substr(end));
  return out;
}

struct StateFlags {
  CommonOptions common;
  std::string state_prefix = kDefaultStatePrefix;
  std::string run;
  bool json = false;
  bool yes = false;
};

// Status reads only the destination, so a job file need not name a source for it.
std::string Destination(const CommonOptions& c) {
  if (c.dest) return *c.dest;
  if (!c.job_file.empty()) {
    if (Job job = LoadJobFile(c.job_file); !job.destination.empty()) return job.destination;
  }
  throw Error(ErrorCode::kUsage,
              "no destination: give --dest (or FERRY_DEST, or destination: in the job file)");
}

std::string RowsPerSecond(const TableRecord& t) {
  if (t.seconds <= 0 || t.rows <= 0) return "";
  return Grouped(int64_t(double(t.rows) / t.seconds)) + " rows/s";
}

nlohmann::json RunJson(const RunRecord& r) {
  return {{"id", r.id},
          {"command", r.command},
          {"status", RunStatusName(r.status)},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"source", r.source},
          {"destination", r.destination},
          {"host", r.host},
          {"pid", r.pid},
          {"summary", r.summary}};
}

// A shared run's workers, and the units each holds under a lease (by the destination's clock).
void PrintWorkers(const RunDetail& detail) {
  if (detail.workers.empty()) return;
  fmt::print("\n  {:<40} {:<24} {:>7} {:<9} {:>10} {:>10}  {}\n", "worker", "host", "shard",
             "state", "lease left", "units done", "holds (table.part)");
  for (const WorkerRecord& w : detail.workers) {
    std::string holds;
    for (const UnitRecord& u : detail.units) {
      if (u.worker != w.worker || u.state != UnitRecordState::kPending || u.lease_left_ms < 0) {
        continue;
      }
      holds += fmt::format("{}{}.{}", holds.empty() ? "" : " ", u.table + 1, u.part + 1);
    }
    const std::string left = w.state != "working" ? "-"
                             : w.lease_left_ms < 0
                                 ? "expired"
                                 : fmt::format("{:.1f} s", double(w.lease_left_ms) / 1000);
    fmt::print("  {:<40} {:<24} {:>7} {:<9} {:>10} {:>10}  {}\n", w.worker, w.host,
               w.shard.empty() ? "-" : w.shard, w.state, left, w.units_done,
               holds.empty() ? "-" : holds);
  }
}

int Status(const StateFlags& flags) {
  InstallStopHandlers(OnStop::kAtOnce);
  auto dest = OpenEndpoint(Destination(flags.common), EndpointRole::kDestination,
                           DestinationOptions(flags.common));
  RunHistory history = ReadRunHistory(*dest, flags.state_prefix);
  if (history.runs.empty()) {
    if (flags.json) {
      fmt::print("{}\n", nlohmann::json{{"runs", nlohmann::json::array()}}.dump(2));
    } else {
      fmt::print("no ferry runs recorded in {}\n", dest->info().display);
    }
    return kExitOk;
  }
  RunDetail detail = ReadRunDetail(*dest, flags.state_prefix, flags.run);
  if (flags.json) {
    nlohmann::json out;
    out["runs"] = nlohmann::json::array();
    for (const RunRecord& r : history.runs) out["runs"].push_back(RunJson(r));
    nlohmann::json run = RunJson(detail.run);
    run["tables"] = nlohmann::json::array();
    for (const TableRecord& t : detail.tables) {
      nlohmann::json units = nlohmann::json::array();
      for (const UnitRecord& u : detail.units) {
        if (u.table != t.index) continue;
        units.push_back({{"part", u.part},
                         {"range", u.range},
                         {"state", UnitRecordStateName(u.state)},
                         {"rows", u.rows},
                         {"bytes", u.bytes},
                         {"attempts", u.attempts},
                         {"error", u.error},
                         {"worker", u.worker},
                         {"lease_left_ms", u.lease_left_ms}});
      }
      run["tables"].push_back({{"source", DisplayName(t.source)},
                               {"destination", DisplayName(t.destination)},
                               {"state", t.state},
                               {"rows", t.rows},
                               {"estimated_rows", t.estimated_rows},
                               {"bytes", t.bytes},
                               {"seconds", t.seconds},
                               {"units", t.units},
                               {"units_done", t.units_done},
                               {"attempts", t.attempts},
                               {"error", SplitAdvice(t.error).error},
                               {"advice", SplitAdvice(t.error).advice},
                               {"partitions", units}});
    }
    run["workers"] = nlohmann::json::array();
    for (const WorkerRecord& w : detail.workers) {
      run["workers"].push_back({{"worker", w.worker},
                                {"host", w.host},
                                {"pid", w.pid},
                                {"shard", w.shard},
                                {"started_at", w.started_at},
                                {"state", w.state},
                                {"lease_left_ms", w.lease_left_ms},
                                {"units_done", w.units_done}});
    }
    out["run"] = run;
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  fmt::print("runs in {} (newest first):\n", dest->info().display);
  for (const RunRecord& r : history.runs) {
    fmt::print("  {}  {:<7} {:<12} {} .. {}  {}\n", r.id, r.command, RunStatusName(r.status),
               r.started_at, r.finished_at.empty() ? "" : r.finished_at, r.summary);
  }
  const RunRecord& r = detail.run;
  fmt::print("\nrun {} ({}, {}): {} -> {}\n", r.id, r.command, RunStatusName(r.status), r.source,
             r.destination);
  fmt::print("  {:<32} {:<12} {:>24} {:>9} {:>16} {:>7} {:>8}\n", "table", "state",
             "rows of estimated", "seconds", "rows/s", "units", "attempts");
  for (const TableRecord& t : detail.tables) {
    std::string rows = Grouped(t.rows);
    if (t.estimated_rows >= 0) rows += " of ~" + Grouped(t.estimated_rows);
    fmt::print("  {:<32} {:<12} {:>24} {:>9.1f} {:>16} {:>7} {:>8}\n", DisplayName(t.source),
               t.state, rows, t.seconds, RowsPerSecond(t),
               fmt::format("{}/{}", t.units_done, t.units), t.attempts);
  }
  PrintWorkers(detail);
  for (const TableRecord& t : detail.tables) {
    if (t.error.empty() || t.state == "done") continue;
    fmt::print("\n{} ({}):\n  {}\n", DisplayName(t.source), t.state, t.error);
  }
  if (r.status == RunStatus::kInterrupted) {
    if (r.command == "sync") {
      fmt::print("\nthis sync can be continued with `ferry sync` (committed batches are kept)\n");
    } else {
      fmt::print("\nthis run can be continued with `ferry run --resume {}`\n", r.id);
    }
  }
  return kExitOk;
}

int Reset(const StateFlags& flags) {
  InstallStopHandlers(OnStop::kGraceful);
  Job job = BuildJob(flags.common);
  auto source = OpenEndpoint(job.source, EndpointRole::kSource, SourceOptions(flags.common));
  auto dest =
      OpenEndpoint(job.destination, EndpointRole::kDestination, DestinationOptions(flags.common));
  ResetPlan reset =
      PlanReset(*dest, flags.state_prefix, WithoutSecrets(job.source), TablesInScope(*source, job));
  if (reset.runs.empty() && reset.tables.empty()) {
    fmt::print("nothing to reset: no recorded run of {} into {} covers these tables\n",
               source->info().display, dest->info().display);
    return kExitOk;
  }
  fmt::print("{} {} table{} and forget{} {} run{}:\n", flags.yes ? "emptying" : "would empty",
             reset.tables.size(), reset.tables.size() == 1 ? "" : "s", flags.yes ? "ting" : "",
             reset.runs.size(), reset.runs.size() == 1 ? "" : "s");
  for (const TableName& t : reset.tables) fmt::print("  table {}\n", DisplayName(t));
  for (const std::string& r : reset.runs) fmt::print("  run {}\n", r);
  if (!flags.yes) {
    fmt::print(stderr, "ferry: nothing was changed; run again with --yes to do it\n");
    return kExitUsage;
  }
  // A table another session holds a lock on is waited for a short while, saying who holds it.
  dest->SetWaitNotice([](const std::string& text) { fmt::print("{}\n", text); });
  ApplyReset(*dest, flags.state_prefix, reset);
  fmt::print("done: the next `ferry run` starts this copy over\n");
  return kExitOk;
}

}  // namespace

CommandAction AddStatusCommand(CLI::App& app) {
  auto flags = std::make_shared<StateFlags>();
  CLI::App* status = app.add_subcommand(
      "status",
      "Show the runs recorded in DEST (newest first) and, for the newest run or RUN, every "
      "table's state, rows of estimated, duration, rows/s, units, attempts and errors");
  status->add_option("run", flags->run, "The run to show in detail (default: the newest)");
  auto options = std::make_shared<CommandOptions>(status, Command::kStatus);
  AddCommonOptions(*options, flags->common);
  options->Add("--state-prefix", flags->state_prefix);
  options->Add("--json", flags->json);
  options->Finish();
  return [status, flags, options]() -> int {
    if (!*status) return -1;
    options->ApplyEnvironment();
    return Status(*flags);
  };
}

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
