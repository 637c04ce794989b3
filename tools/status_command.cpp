// `ferry status`: what the destination's run state says, live. While a run goes on, its
// committed rows and units are counted from the unit records (each commits with its rows), the
// rate is measured between two looks (--watch) or averaged since the run started, and the ETA
// is what is left of the estimate at that rate.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "copier/error.hpp"
#include "copier/progress.hpp"
#include "copier/run_status.hpp"
#include "copier/text.hpp"
#include "drivers/open.hpp"
#include "scheduler/metrics_file.hpp"
#include "scheduler/run_control.hpp"
#include "scheduler/stop.hpp"
#include "tools/commands.hpp"
#include "tools/exit_codes.hpp"
#include "tools/options.hpp"
#include "tools/stop_signals.hpp"

namespace ferry {

namespace {

struct StatusFlags {
  CommonOptions common;
  std::string state_prefix = kDefaultStatePrefix;
  std::string run;
  bool json = false;
  std::string command;  // only runs of this command
  std::string watch;    // seconds between looks, when watching
  bool watching = false;
};

std::string RowsPerSecond(int64_t rows, double seconds) {
  if (seconds <= 0 || rows <= 0) return "";
  return Grouped(int64_t(double(rows) / seconds)) + " rows/s";
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

nlohmann::json StatusJson(const std::vector<RunRecord>& runs, const RunStatusView& view,
                          const RunPace& pace, const RunDetail& detail) {
  const std::vector<UnitRecord>& units = detail.units;
  nlohmann::json out;
  out["runs"] = nlohmann::json::array();
  for (const RunRecord& r : runs) out["runs"].push_back(RunJson(r));
  nlohmann::json run = RunJson(view.run);
  run["rows"] = view.rows;
  run["bytes"] = view.bytes;
  run["expected_rows"] = view.expected_rows;
  run["units"] = view.units;
  run["units_done"] = view.units_done;
  run["units_spooled"] = view.units_spooled;
  run["spooled_rows"] = view.spooled_rows;
  run["spooled_bytes"] = view.spooled_bytes;
  run["spooled"] = view.spooled;
  run["units_spool_lost"] = view.units_spool_lost;
  run["spool_lost"] = view.spool_lost;
  run["seconds"] = view.seconds;
  run["rows_per_second"] = int64_t(pace.rows_per_second);
  run["eta_seconds"] = pace.eta_seconds;
  run["tables"] = nlohmann::json::array();
  for (const TableStatus& s : view.tables) {
    const TableRecord& t = s.record;
    nlohmann::json parts = nlohmann::json::array();
    for (const UnitRecord& u : units) {
      if (u.table != t.index) continue;
      // A unit in the spool of a run that no longer runs was never committed: it is pending.
      const bool lost =
          u.state == UnitRecordState::kSpooled && view.run.status != RunStatus::kRunning;
      parts.push_back({{"part", u.part},
                       {"range", u.range},
                       {"state", UnitRecordStateName(lost ? UnitRecordState::kPending : u.state)},
                       {"spool_lost", lost},
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
                             {"seconds_so_far", s.seconds_so_far},
                             {"started_at", t.started_at},
                             {"units", t.units},
                             {"units_done", t.units_done},
                             {"attempts", t.attempts},
                             {"unit_attempts", s.unit_attempts},
                             {"retried_units", s.retried_units},
                             {"error", SplitAdvice(t.error).error},
                             {"advice", SplitAdvice(t.error).advice},
                             {"partitions", parts}});
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
  out["held_foreign_keys"] = nlohmann::json::array();
  for (const HeldForeignKey& k : detail.held_keys) {
    out["held_foreign_keys"].push_back({{"table", DisplayName(k.table)},
                                        {"name", k.name},
                                        {"references", DisplayName(k.references)},
                                        {"run", k.run},
                                        {"state", k.state}});
  }
  return out;
}

// Foreign keys at the destination that a run dropped for its load and did not add back yet
// (the run is going on, or ended before it could), or added back NOT VALID.
void PrintHeldKeys(const RunDetail& detail) {
  if (detail.held_keys.empty()) return;
  fmt::print("\nforeign keys set aside for a load:\n");
  for (const HeldForeignKey& k : detail.held_keys) {
    const std::string who = k.run == "reset" ? "a ferry reset" : "run " + k.run;
    fmt::print("  {}.{} -> {}: {}\n", DisplayName(k.table), k.name, DisplayName(k.references),
               k.state == "dropped"
                   ? fmt::format("dropped by {}; the next ferry run or reset adds it back", who)
                   : fmt::format("added back NOT VALID by {}: rows violated it", who));
  }
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

// "t 1/8, t 3/8, ..." (at most a dozen named).
std::string NamedUnits(const std::vector<std::string>& units) {
  constexpr size_t kMostNamed = 12;
  std::string named;
  for (size_t i = 0; i < units.size() && i < kMostNamed; ++i) {
    named += (i ? ", " : "") + units[i];
  }
  if (units.size() > kMostNamed) named += ", ...";
  return named;
}

void PrintRun(const RunStatusView& view, const RunPace& pace) {
  const RunRecord& r = view.run;
  fmt::print("\nrun {} ({}, {}): {} -> {}\n", r.id, r.command, RunStatusName(r.status), r.source,
             r.destination);
  std::string of = view.expected_rows >= 0 ? " of ~" + Grouped(view.expected_rows) : "";
  if (view.expected_rows > 0) {
    of += fmt::format(" ({:.1f}%)", 100.0 * double(view.rows) / double(view.expected_rows));
  }
  fmt::print("  {} rows{} committed, {}, {}/{} units, {} {}", Grouped(view.rows), of,
             FormatBytes(view.bytes), view.units_done, view.units, FormatDuration(view.seconds),
             r.status == RunStatus::kRunning ? "so far" : "in all");
  if (pace.rows_per_second > 0) {
    fmt::print("; {} rows/s {}", Grouped(int64_t(pace.rows_per_second)),
               pace.measured ? "now" : "on average");
  }
  if (r.status == RunStatus::kRunning) fmt::print("; ETA {}", FormatDuration(pace.eta_seconds));
  fmt::print("\n");
  if (view.units_spooled > 0) {
    fmt::print("  in the spool, not committed yet: {} units, {} rows, {} ({})\n",
               view.units_spooled, Grouped(view.spooled_rows), FormatBytes(view.spooled_bytes),
               NamedUnits(view.spooled));
  }
  if (view.units_spool_lost > 0) {
    fmt::print(
        "  in the spool when the run ended, never committed: {} units ({}); the spool went "
        "with its process{}\n",
        view.units_spool_lost, NamedUnits(view.spool_lost),
        r.command == "run" ? fmt::format(": `ferry run --resume {}` copies them again", r.id) : "");
  }
  fmt::print("  {:<32} {:<12} {:>24} {:>9} {:>16} {:>7} {:>8}\n", "table", "state",
             "rows of estimated", "seconds", "rows/s", "units", "attempts");
  for (const TableStatus& s : view.tables) {
    const TableRecord& t = s.record;
    std::string rows = Grouped(t.rows);
    if (t.estimated_rows >= 0) rows += " of ~" + Grouped(t.estimated_rows);
    // A table still copying: its time so far; one not begun (or whose start an older ferry did
    // not record) has none yet.
    const bool unfinished = t.state == "running" || t.state == "pending";
    const std::string seconds =
        unfinished && !s.seconds_so_far ? "-" : fmt::format("{:.1f}", t.seconds);
    fmt::print("  {:<32} {:<12} {:>24} {:>9} {:>16} {:>7} {:>8}\n", DisplayName(t.source), t.state,
               rows, seconds, RowsPerSecond(t.rows, t.seconds),
               fmt::format("{}/{}", t.units_done, t.units), AttemptsText(s));
  }
  for (const TableStatus& s : view.tables) {
    const TableRecord& t = s.record;
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
}

// One look: false when there is nothing (more) to watch.
bool LookOnce(Endpoint& dest, const StatusFlags& flags, RunLook& previous, bool clear) {
  RunHistory history = ReadRunHistory(dest, flags.state_prefix);
  std::vector<RunRecord> runs;
  for (const RunRecord& r : history.runs) {
    if (flags.command.empty() || r.command == flags.command) runs.push_back(r);
  }
  if (runs.empty()) {
    const std::string what = flags.command.empty() ? "ferry" : "ferry " + flags.command;
    if (flags.json) {
      fmt::print("{}\n", nlohmann::json{{"runs", nlohmann::json::array()}}.dump(2));
    } else {
      fmt::print("no {} runs recorded in {}\n", what, dest.info().display);
    }
    return false;
  }
  RunDetail detail =
      ReadRunDetail(dest, flags.state_prefix, flags.run.empty() ? runs.front().id : flags.run);
  const double now = EpochSeconds();
  const RunStatusView view = MakeRunStatus(detail.run, detail.tables, detail.units, now);
  const RunPace pace = PaceOf(view, previous, now);
  previous = {view.run.id, now, view.rows};
  if (clear) fmt::print("\033[H\033[2J");
  if (flags.json) {
    fmt::print("{}\n", StatusJson(runs, view, pace, detail)
                           .dump(flags.watching ? -1 : 2, ' ', false,
                                 nlohmann::json::error_handler_t::replace));
  } else {
    if (flags.watching && !clear) fmt::print("--- {}\n", UtcTimestamp());
    fmt::print("runs in {} (newest first):\n", dest.info().display);
    for (const RunRecord& r : runs) {
      fmt::print("  {}  {:<7} {:<12} {} .. {}  {}\n", r.id, r.command, RunStatusName(r.status),
                 r.started_at, r.finished_at.empty() ? "" : r.finished_at, r.summary);
    }
    PrintRun(view, pace);
    PrintWorkers(detail);
    PrintHeldKeys(detail);
  }
  std::fflush(stdout);
  return view.run.status == RunStatus::kRunning;
}

int Status(const StatusFlags& flags) {
  InstallStopHandlers(OnStop::kAtOnce);
  auto dest = OpenEndpoint(DestinationOnly(flags.common), EndpointRole::kDestination,
                           ExistingDestinationOptions(flags.common));
  double every = 2;
  if (!flags.watch.empty()) {
    try {
      every = std::stod(flags.watch);
    } catch (const std::exception&) {
      every = -1;
    }
    if (!(every >= 0.1)) {
      throw Error(
          ErrorCode::kUsage,
          fmt::format("--watch {}: give the seconds between looks (0.1 or more)", flags.watch));
    }
  }
  const bool clear = flags.watching && !flags.json && isatty(fileno(stdout)) != 0;
  RunLook previous;
  while (LookOnce(*dest, flags, previous, clear) && flags.watching) {
    PauseUnlessStopped(every);
  }
  return kExitOk;
}

}  // namespace

CommandAction AddStatusCommand(CLI::App& app) {
  auto flags = std::make_shared<StatusFlags>();
  CLI::App* status = app.add_subcommand(
      "status",
      "Show the runs recorded in DEST (newest first) and, for the newest run or RUN, its "
      "committed rows and units, rate and ETA, and every table's state, rows of estimated, "
      "duration, rows/s, units, each unit's attempts and errors");
  status->add_option("run", flags->run, "The run to show in detail (default: the newest)");
  auto options = std::make_shared<CommandOptions>(status, Command::kStatus);
  AddCommonOptions(*options, flags->common);
  options->Add("--state-prefix", flags->state_prefix);
  options->Add("--json", flags->json);
  CLI::Option* watch = options->Add("--watch", flags->watch)->expected(0, 1);
  options->Add("--command", flags->command);
  options->Finish();
  return [status, flags, options, watch]() -> int {
    if (!*status) return -1;
    options->ApplyEnvironment();
    flags->watching = watch->count() > 0;
    return Status(*flags);
  };
}

}  // namespace ferry
