// `ferry track enable|disable|status` and `ferry sync`: option parsing and printing only; the
// work is scheduler/sync_run.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/open.hpp"
#include "scheduler/metrics_observer.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/profile.hpp"
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

struct TrackFlags {
  CommonOptions common;
  std::string action;
  std::string consumer;
};

// track needs only the source; the scope options require a destination, so a placeholder
// stands in for it when none was given.
int Track(TrackFlags& flags) {
  // A stop finishes the table in hand and begins no other (RunTrack); `track enable` again
  // completes the rest.
  InstallStopHandlers(OnStop::kGraceful);
  const TrackAction action = flags.action == "enable"       ? TrackAction::kEnable
                             : flags.action == "disable"    ? TrackAction::kDisable
                             : flags.action == "unregister" ? TrackAction::kUnregister
                                                            : TrackAction::kStatus;
  if (action == TrackAction::kUnregister && flags.consumer.empty()) {
    throw Error(ErrorCode::kUsage,
                "track unregister needs --consumer ID (track status lists each table's consumers)");
  }
  if (!flags.common.dest) flags.common.dest = "sqlite::memory:";
  Job job = BuildJob(flags.common);
  auto source = OpenEndpoint(job.source, EndpointRole::kTrackedSource, SourceOptions(flags.common));
  std::vector<TrackOutcome> outcomes = RunTrack(*source, job, action, flags.consumer);
  int failed = 0, unregistered = 0;
  for (const TrackOutcome& o : outcomes) {
    if (!o.error.empty()) {
      ++failed;
      fmt::print("{}: FAILED: {}\n", DisplayName(o.table), o.error);
    } else if (!o.status.enabled) {
      fmt::print("{}: not tracked\n", DisplayName(o.table));
    } else {
      fmt::print("{}: tracked by {} (generation {}), backlog {} changes (last sequence {})\n",
                 DisplayName(o.table), DisplayName(o.status.log), o.status.generation.generation,
                 Grouped(o.status.backlog), o.status.last_sequence);
      for (const LogConsumer& c : o.status.consumers) {
        fmt::print("  consumer {}: {}, applied {}{}, last sync {}\n", c.id, c.destination,
                   c.applied,
                   c.generation == o.status.generation.generation ? "" : " (an earlier generation)",
                   c.updated_at);
      }
      if (o.unregistered) {
        ++unregistered;
        fmt::print("  consumer {} unregistered: the log no longer waits for it\n", flags.consumer);
      }
    }
  }
  if (StopRequested()) {
    fmt::print(stderr,
               "ferry: stopped by a signal after {} table{}: each table's tracking is whole; run "
               "`ferry track {}` again for the rest\n",
               outcomes.size(), outcomes.size() == 1 ? "" : "s", flags.action);
    return kExitInterrupted;
  }
  if (action == TrackAction::kUnregister && unregistered == 0 && failed == 0) {
    fmt::print(stderr, "ferry: consumer {} is registered with no table in scope\n", flags.consumer);
    return kExitTablesFailed;
  }
  return failed ? kExitTablesFailed : kExitOk;
}

struct SyncFlags {
  CommonOptions common;
  std::string watermark;
  int64_t overlap = SyncOptions{}.watermark_overlap;
  int64_t keys_per_batch = int64_t(SyncOptions{}.keys_per_batch);
  LogFlags log;
  std::string profile;
  std::string trace;
  bool final = false;
  bool fence = false;
  bool estimate = false;
  bool diff = false;
  bool apply_schema_changes = false;
  std::string metrics_file;
};

// Each table's sync as it ends, as the copy console shows a copy's tables: rows changed, seconds
// and rate; the tables synced of all.
class SyncConsole {
 public:
  explicit SyncConsole(const LogFlags& flags) : console_(Settings(flags)) {}

  void TableDone(const TableSync& sync, size_t index, size_t tables) {
    if (shown_.tables.size() < tables) shown_.tables.resize(tables);
    TableOutcome& t = shown_.tables[index];
    t.source = sync.source;
    t.destination = sync.destination;
    t.rows = sync.inserted + sync.updated + sync.deleted + sync.upserted;
    t.estimated_rows = t.rows;
    t.units = t.units_done = 1;
    t.seconds = std::max(sync.seconds, 1e-6);
    t.copied = !sync.failed;
    t.copy_failed = sync.failed;
    t.state = sync.failed ? TableState::kFailed : TableState::kDone;
    if (!prepared_) console_.Prepared(shown_);
    prepared_ = true;
    console_.Progress(shown_);
  }

  void Close() { console_.Close(); }

 private:
  static ConsoleSettings Settings(const LogFlags& flags) {
    ConsoleSettings settings = ConsoleSettingsOf(flags);
    settings.units_done = "synced";
    settings.plan_lines = false;
    settings.opening_note = false;
    settings.done_lines_from = 1;
    return settings;
  }

  ConsoleObserver console_;
  CopyReport shown_;
  bool prepared_ = false;
};

ProfileContext SyncProfileContext(const Endpoint& source, const Endpoint& dest,
                                  const SyncOptions& options, const SyncReport& report) {
  return ProfileContextOf(report.run_id, source, dest,
                          {{"keys_per_batch", std::to_string(options.keys_per_batch)},
                           {"watermark", options.watermark},
                           {"watermark_overlap", std::to_string(options.watermark_overlap)},
                           {"batch_rows", std::to_string(options.engine.limits.max_rows)},
                           {"batch_bytes", std::to_string(options.engine.limits.max_bytes)}});
}

// The tracked source and the destination; the job keeps their display forms only.
std::pair<std::unique_ptr<Endpoint>, std::unique_ptr<Endpoint>> OpenBothEnds(const SyncFlags& flags,
                                                                             Job& job) {
  auto source = OpenEndpoint(job.source, EndpointRole::kTrackedSource, SourceOptions(flags.common));
  auto dest = OpenEndpoint(job.destination, EndpointRole::kDestination,
                           ExistingDestinationOptions(flags.common));
  job.source = WithoutSecrets(job.source);
  job.destination = WithoutSecrets(job.destination);
  // The same database at both ends is refused before the run state is touched.
  CheckNotSelfCopy(*source, *dest, job, TablesInScope(*source, job));
  return {std::move(source), std::move(dest)};
}

// What the textfile collector reads about the sync: its outcome, each table's backlog now and
// the last successful sync's time.
void WriteSyncMetrics(const std::string& path, const SyncReport& report, Endpoint& source,
                      Endpoint& dest, const Job& job) {
  MetricsContext context;
  context.command = "sync";
  context.status = report.interrupted ? "interrupted" : report.AnyFailed() ? "failed" : "done";
  context.finished_at = EpochSeconds();
  context.started_at = context.finished_at - report.seconds;
  std::vector<SyncEstimate> backlog;
  try {
    backlog = EstimateSync(source, dest, job);
    context.last_success = LastSuccess(dest, kDefaultStatePrefix, "sync");
  } catch (const Error& e) {
    fmt::print(stderr, "ferry: warning: the metrics file has no backlog: {}\n", e.what());
  }
  WriteMetricsFile(path, SyncMetrics(report, backlog, context));
}

int Estimate(const SyncFlags& flags, Endpoint& source, Endpoint& dest, const Job& job) {
  double total = 0;
  bool measured = true;
  for (const SyncEstimate& e : EstimateSync(source, dest, job)) {
    if (!e.status.enabled) {
      fmt::print("{}: not tracked\n", DisplayName(e.table));
      continue;
    }
    if (e.seconds < 0) {
      measured = false;
      fmt::print("{}: backlog {} changes\n", DisplayName(e.table), Grouped(e.status.backlog));
    } else {
      total += e.seconds;
      fmt::print("{}: backlog {} changes, about {:.1f} s at {:.0f} rows/s\n", DisplayName(e.table),
                 Grouped(e.status.backlog), e.seconds, e.rows_per_second);
    }
  }
  if (measured) {
    fmt::print(
        "estimate: the final sync would take about {:.1f} s now, plus about a second per "
        "table to start, and verify\n",
        total);
  } else {
    fmt::print("estimate: no sync has been measured yet (run ferry sync once for a rate)\n");
  }
  (void)flags;
  return kExitOk;
}

int Final(const SyncFlags& flags, Job job, const SyncOptions& options, const CopyOptions& copy) {
  std::string undo;
  double fence_seconds = 0;
  if (flags.fence) {
    const auto start = std::chrono::steady_clock::now();
    // Fencing ends every other session of the source, this endpoint's own among them, so the
    // sync opens the source again afterwards.
    auto fenced =
        OpenEndpoint(job.source, EndpointRole::kTrackedSource, SourceOptions(flags.common));
    undo = fenced->OpenChangeTracker()->Fence();
    fence_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  auto [source, dest] = OpenBothEnds(flags, job);
  auto watch = WatchServers(flags.common, source.get(), dest.get());
  VerifyOptions verify;
  verify.workers = copy.engine.readers;
  verify.limits = copy.engine.limits;
  verify.consistency = Consistency::kNone;  // the source is fenced
  verify.partitions = copy.partitions;
  verify.engine = copy.engine;
  FinalReport report = RunFinalSync(*source, *dest, job, options, verify);
  if (flags.fence) {
    fmt::print("{:<22} {:>8.2f} s  ok: the source refuses writes; to undo: {}\n", "fence",
               fence_seconds, undo);
  }
  for (const TableSync& t : report.sync.tables) {
    fmt::print("  {}: {}\n", DisplayName(t.source), t.Summary());
  }
  for (const FinalStep& s : report.steps) {
    fmt::print("{:<22} {:>8.2f} s  {}: {}\n", s.name, s.seconds, s.ok ? "ok" : "FAILED", s.detail);
  }
  fmt::print("{}\n", report.go ? "GO: the destination equals the source; switch the applications "
                                 "over"
                               : "NO-GO: do not switch over (see above)");
  if (report.sync.busy) return kExitBusy;
  return report.go ? kExitOk : kExitTablesFailed;
}

// Sync's own numbers out of range are refused, as the common ones are (BuildCopyOptions).
void CheckSyncNumbers(const SyncFlags& flags) {
  RefuseOutside("--watermark-overlap", flags.overlap, 0, INT64_MAX,
                "give 0 or more (seconds for time columns, units for numbers): a negative "
                "overlap starts above the last high-water mark and skips rows");
  RefuseOutside("--keys-per-batch", flags.keys_per_batch, 1, INT64_MAX,
                "give 1 or more change-log entries per transaction");
}

// What the sync did with the large objects (where the tables point at any), then its totals.
void PrintTotals(const SyncReport& report, int64_t changed, bool quiet) {
  if (report.large_objects) {
    for (const std::string& note : report.large_objects->notes) {
      fmt::print("large objects: not carried: {}\n", note);
    }
    if (!report.large_objects->error.empty() || !quiet) {
      fmt::print("{}\n", DescribeLargeObjectSync(*report.large_objects));
    }
  }
  fmt::print("sync {}: {} tables, {} rows changed, {} failed, {:.2f} s\n", report.run_id,
             report.tables.size(), Grouped(changed),
             std::count_if(report.tables.begin(), report.tables.end(),
                           [](const TableSync& t) { return t.failed; }),
             report.seconds);
}

int Sync(const SyncFlags& flags) {
  Job job = BuildJob(flags.common);
  CopyOptions copy = BuildCopyOptions(flags.common, job);
  SyncOptions options;
  options.engine = copy.engine;
  options.watermark = flags.watermark;
  CheckSyncNumbers(flags);
  options.watermark_overlap = flags.overlap;
  options.keys_per_batch = size_t(flags.keys_per_batch);
  options.apply_schema_changes = flags.apply_schema_changes;
  options.verify.workers = copy.engine.readers;
  options.verify.limits = copy.engine.limits;
  options.verify.consistency = copy.consistency;
  options.verify.partitions = copy.partitions;
  options.verify.engine = copy.engine;
  if (flags.fence && !flags.final) throw Error(ErrorCode::kUsage, "--fence goes with --final");
  // As `ferry run`: the batch in flight rolls back and the sync is recorded as interrupted.
  InstallStopHandlers(OnStop::kGraceful);
  if (flags.final) return Final(flags, job, options, copy);
  auto [source, dest] = OpenBothEnds(flags, job);
  auto watch = WatchServers(flags.common, source.get(), dest.get());
  if (flags.estimate) return Estimate(flags, *source, *dest, job);
  if (!flags.metrics_file.empty()) {
    // A path that cannot be written is said before the sync, not after it.
    MetricsContext starting;
    starting.command = "sync";
    starting.started_at = EpochSeconds();
    WriteMetricsFile(flags.metrics_file, SyncMetrics(SyncReport{}, {}, starting));
  }
  if (!flags.profile.empty()) CheckWritable(flags.profile, "profile");
  if (!flags.trace.empty()) CheckWritable(flags.trace, "trace");
  SyncConsole console(flags.log);
  options.table_done = [&](const TableSync& t, size_t i, size_t n) { console.TableDone(t, i, n); };
  SyncReport report;
  if (flags.diff) {
    VerifyOptions verify;
    verify.workers = copy.engine.readers;
    verify.limits = copy.engine.limits;
    verify.consistency = copy.consistency;
    verify.partitions = copy.partitions;
    verify.engine = copy.engine;
    report = RunDiffSync(*source, *dest, job, verify);
  } else {
    report = RunSync(*source, *dest, job, options);
  }
  if (report.busy) {
    fmt::print(stderr, "ferry: another ferry process is syncing or copying into {}; nothing done\n",
               dest->info().display);
    return kExitBusy;
  }
  console.Close();
  if (!flags.metrics_file.empty())
    WriteSyncMetrics(flags.metrics_file, report, *source, *dest, job);
  if (!flags.profile.empty() || !flags.trace.empty()) {
    const ProfileContext context = SyncProfileContext(*source, *dest, options, report);
    if (!flags.profile.empty()) WriteSyncProfile(report, flags.profile, context);
    if (!flags.trace.empty()) {
      WriteTrace(flags.trace, "ferry sync " + report.run_id, SyncSpans(report), context);
    }
  }
  int64_t changed = 0;
  for (const TableSync& t : report.tables) {
    const std::string name =
        DisplayName(t.source) +
        (t.source == t.destination ? std::string() : " -> " + DisplayName(t.destination));
    if (!t.schema_changes.empty())
      fmt::print("{}: schema changes applied: {}\n", name, t.schema_changes);
    if (t.failed) {
      fmt::print("{}: {}: {}\n", name,
                 t.interrupted ? "INTERRUPTED"
                 : t.resync    ? "COPY AGAIN"
                               : "FAILED",
                 t.error);
      continue;
    }
    if (!t.warning.empty()) fmt::print("{}: warning: {}\n", name, t.warning);
    changed += t.inserted + t.updated + t.deleted + t.upserted;
    if (flags.log.quiet) continue;
    if (t.mode == "diff") {
      fmt::print("{}: diff: inserted {}, updated {}, deleted {} in {:.2f} s\n", name,
                 Grouped(t.inserted), Grouped(t.updated), Grouped(t.deleted), t.seconds);
    } else if (t.mode == "watermark") {
      fmt::print(
          "{}: watermark {}: upserted {} in {:.2f} s, high-water mark {} (deletes are not "
          "seen in watermark mode: use ferry track or ferry verify --repair)\n",
          name, t.watermark, Grouped(t.upserted), t.seconds, t.position);
    } else {
      fmt::print(
          "{}: inserted {}, updated {}, deleted {} ({} log entries) in {:.2f} s, applied "
          "up to sequence {}\n",
          name, Grouped(t.inserted), Grouped(t.updated), Grouped(t.deleted), Grouped(t.log_entries),
          t.seconds, t.position);
    }
  }
  PrintTotals(report, changed, flags.log.quiet);
  // Every table's outcome is listed above; the exit code says what needs doing first.
  if (report.interrupted) {
    fmt::print(stderr,
               "ferry: sync {} was interrupted; committed batches are kept, run ferry sync again "
               "to continue\n",
               report.run_id);
    return kExitInterrupted;
  }
  if (report.AnyResync()) {
    std::string names;
    for (const TableSync& t : report.tables) {
      if (t.resync) names += (names.empty() ? "" : ", ") + DisplayName(t.source);
    }
    fmt::print(stderr,
               "ferry: copy again (ferry run --truncate --include ...): {}; the other tables were "
               "synced\n",
               names);
    return kExitResyncNeeded;
  }
  return report.AnyFailed() ? kExitTablesFailed : kExitOk;
}

}  // namespace

CommandAction AddTrackCommand(CLI::App& app) {
  auto flags = std::make_shared<TrackFlags>();
  CLI::App* track = app.add_subcommand(
      "track",
      "Change tracking on SOURCE for `ferry sync`: enable installs a change log and triggers per "
      "table in scope, disable removes them, status shows the backlog and the destinations "
      "consuming each log, unregister --consumer ID forgets a destination that is gone");
  track->add_option("action", flags->action, "enable, disable, status or unregister")
      ->required()
      ->check(CLI::IsMember({"enable", "disable", "status", "unregister"}));
  auto options = std::make_shared<CommandOptions>(track, Command::kTrack);
  options->Add("--consumer", flags->consumer);
  AddCommonOptions(*options, flags->common);
  options->Finish();
  return [track, flags, options]() -> int {
    if (!track->parsed()) return -1;
    options->ApplyEnvironment();
    return Track(*flags);
  };
}

CommandAction AddSyncCommand(CLI::App& app) {
  auto flags = std::make_shared<SyncFlags>();
  CLI::App* sync = app.add_subcommand(
      "sync",
      "Bring DEST up to date with SOURCE after a full copy: apply the changes the source's "
      "change log recorded (ferry track enable), or with --watermark re-copy recent rows");
  auto options = std::make_shared<CommandOptions>(sync, Command::kSync);
  AddCommonOptions(*options, flags->common);
  options->Add("--watermark", flags->watermark);
  options->Add("--watermark-overlap", flags->overlap);
  options->Add("--keys-per-batch", flags->keys_per_batch);
  AddLogOptions(*options, flags->log);
  options->Add("--metrics-file", flags->metrics_file);
  options->Add("--profile", flags->profile);
  options->Add("--trace", flags->trace);
  options->Add("--final", flags->final);
  options->Add("--fence", flags->fence);
  options->Add("--diff", flags->diff);
  options->Add("--apply-schema-changes", flags->apply_schema_changes);
  options->Add("--estimate", flags->estimate);
  options->Finish();
  return [sync, flags, options]() -> int {
    if (!sync->parsed()) return -1;
    options->ApplyEnvironment();
    return Sync(*flags);
  };
}

}  // namespace ferry
