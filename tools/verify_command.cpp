// `ferry verify`: compare source and destination by the copy's key ranges and print, per table,
// whether they are identical and which keys differ; optionally repair what differs.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "copier/error.hpp"
#include "copier/job_file.hpp"
#include "copier/plan.hpp"
#include "copier/secrets.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/files/files_check.hpp"
#include "drivers/open.hpp"
#include "scheduler/empty_source.hpp"
#include "scheduler/parallel_for.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/profile.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/trace.hpp"
#include "scheduler/verify_run.hpp"
#include "tools/commands.hpp"
#include "tools/console.hpp"
#include "tools/exit_codes.hpp"
#include "tools/options.hpp"
#include "tools/profile_context.hpp"
#include "tools/stop_signals.hpp"

namespace ferry {

namespace {

struct VerifyFlags {
  CommonOptions common;
  std::string plan_file;
  int64_t max_keys = int64_t(VerifyOptions{}.max_keys);
  bool json = false;
  bool repair = false;
  double sample = VerifyOptions{}.sample_percent;
  std::optional<uint64_t> seed;
  int64_t leaf_rows = VerifyOptions{}.leaf_rows;
  std::string hash = HashPathName(VerifyOptions{}.hash);
  LogFlags log;
  std::string files;
  std::string profile;
  std::string trace;
};

// The comparison's progress as the copy console shows a copy's: per table the ranges compared
// of those to compare, the source rows in them against the plan's estimate, a rate and an ETA.
class VerifyConsole {
 public:
  VerifyConsole(const LogFlags& flags, const Plan& plan) : console_(Settings(flags)) {
    for (const TablePlan& p : plan.tables) {
      if (p.strategy == Strategy::kSkip) continue;
      TableOutcome t;
      t.source = p.source;
      t.destination = p.destination;
      t.estimated_rows = p.estimated_rows;
      t.state = TableState::kRunning;
      shown_.tables.push_back(std::move(t));
    }
  }

  void Progress(const VerifyProgress& progress) {
    for (size_t i = 0; i < progress.tables.size() && i < shown_.tables.size(); ++i) {
      const TableProgressCount& c = progress.tables[i];
      TableOutcome& t = shown_.tables[i];
      t.units = c.ranges;
      t.units_done = c.ranges_done;
      t.rows = c.rows;
      t.seconds = c.seconds;
      t.copied = c.ranges > 0 && c.ranges_done == c.ranges;
      t.copy_failed = c.failed;
    }
    if (!prepared_) console_.Prepared(shown_);
    prepared_ = true;
    console_.Progress(shown_);
  }

  void Close() { console_.Close(); }
  void Note(const std::string& text) { console_.Note(text); }

 private:
  static ConsoleSettings Settings(const LogFlags& flags) {
    ConsoleSettings settings = ConsoleSettingsOf(flags);
    settings.verb = "verifying";
    settings.units_done = "ranges compared";
    settings.plan_lines = false;
    settings.done_lines_from = 1;
    return settings;
  }

  ConsoleObserver console_;
  CopyReport shown_;
  bool prepared_ = false;
};

ProfileContext VerifyProfileContext(const Endpoint& source, const Endpoint& dest,
                                    const VerifyOptions& options, const VerifyReport& report) {
  return ProfileContextOf("", source, dest,
                          {{"workers", std::to_string(options.workers)},
                           {"batch_rows", std::to_string(options.limits.max_rows)},
                           {"batch_bytes", std::to_string(options.limits.max_bytes)},
                           {"hash", HashPathName(options.hash)},
                           {"leaf_rows", std::to_string(options.leaf_rows)},
                           {"sample_percent", fmt::format("{}", options.sample_percent)},
                           {"repair", options.repair ? "true" : "false"},
                           {"consistency", report.consistency}});
}

// `ferry verify --files DIR`: the directory against its manifest, every problem on a line of its
// own naming the file, the table and the unit (or, with --json, one JSON document); the chunks
// are checked by --readers (else --workers) threads at once.
int VerifyFiles(const VerifyFlags& flags) {
  std::string folder = flags.files;
  if (folder.rfind("dir:", 0) == 0) folder = folder.substr(4);
  const CommonOptions& c = flags.common;
  const int workers = BuildCopyOptions(c, Job{}).engine.readers;  // --readers, else --workers
  const staging::DirectoryCheck check =
      staging::CheckDirectory(folder, [workers](size_t n, const std::function<void(size_t)>& task) {
        ParallelFor(n, workers, task);
      });
  if (flags.json) {
    nlohmann::json problems = nlohmann::json::array();
    for (const staging::FileProblem& p : check.problems) {
      problems.push_back(
          {{"file", p.file}, {"table", p.table}, {"unit", p.unit}, {"problem", p.what}});
    }
    nlohmann::json out{{"directory", folder},
                       {"status", check.status},
                       {"tables", check.tables},
                       {"chunks", check.chunks},
                       {"rows", check.rows},
                       {"bytes", check.bytes},
                       {"removed_chunks", check.removed_chunks},
                       {"removed_rows", check.removed_rows},
                       {"large_objects", check.large_objects},
                       {"large_object_bytes", check.large_object_bytes},
                       {"removed_large_objects", check.removed_large_objects},
                       {"matches", check.problems.empty()},
                       {"problems", problems}};
    fmt::print("{}\n", out.dump(2));
    return check.problems.empty() ? kExitOk : kExitTablesFailed;
  }
  for (const staging::FileProblem& p : check.problems) {
    std::string where = p.file;
    if (!p.table.empty()) where += ": " + p.table;
    if (!p.unit.empty()) where += ", " + p.unit;
    fmt::print("{}: {}\n", where, p.what);
  }
  const std::string removed =
      check.removed_chunks == 0
          ? ""
          : fmt::format(" ({} chunks of {} rows imported and removed, as recorded in imported/)",
                        check.removed_chunks, Grouped(int64_t(check.removed_rows)));
  std::string objects = check.large_objects == 0
                            ? ""
                            : fmt::format(", {} large objects of {} bytes", check.large_objects,
                                          Grouped(int64_t(check.large_object_bytes)));
  if (check.removed_large_objects > 0) {
    objects += fmt::format(" ({} of them imported and removed)", check.removed_large_objects);
  }
  fmt::print("verify --files {}: {} tables, {} chunks, {} rows, {} bytes{}{}; {}\n", folder,
             check.tables, check.chunks, Grouped(int64_t(check.rows)),
             Grouped(int64_t(check.bytes)), objects, removed,
             check.problems.empty() ? "every file matches the manifest"
                                    : fmt::format("{} problems", check.problems.size()));
  return check.problems.empty() ? kExitOk : kExitTablesFailed;
}

std::string Counts(const DifferenceCounts& c) {
  return fmt::format("{} missing, {} extra, {} different", Grouped(c.missing), Grouped(c.extra),
                     Grouped(c.different));
}

// "hashed in the servers", "hashed by ferry (column x is ... )".
std::string HashedBy(const TableVerification& t) {
  if (t.hash == "server") {
    return t.ranges_rehashed > 0
               ? fmt::format("hashed in the servers, {} ranges again by ferry", t.ranges_rehashed)
               : "hashed in the servers";
  }
  return t.hash_note.empty() ? "hashed by ferry" : "hashed by ferry: " + t.hash_note;
}

std::string Oids(const std::vector<uint32_t>& oids, int64_t count) {
  std::string out;
  for (uint32_t oid : oids) out += (out.empty() ? "" : ", ") + std::to_string(oid);
  if (count > int64_t(oids.size()))
    out += fmt::format(" and {} more", count - int64_t(oids.size()));
  return out;
}

void PrintLargeObjects(const LargeObjectComparison& lo) {
  if (!lo.error.empty()) {
    fmt::print("large objects: FAILED to verify: {}\n", lo.error);
    return;
  }
  if (lo.identical()) {
    fmt::print("large objects: identical, {} (sizes and SHA-256 of their bytes)\n",
               Grouped(lo.source));
    return;
  }
  fmt::print("large objects: DIFFER: {} at the source, {} at the destination\n", Grouped(lo.source),
             Grouped(lo.destination));
  if (lo.missing > 0) {
    fmt::print("    missing at destination: {}\n", Oids(lo.listed_missing, lo.missing));
  }
  if (lo.extra > 0) fmt::print("    extra at destination: {}\n", Oids(lo.listed_extra, lo.extra));
  if (lo.different > 0) {
    fmt::print("    different: {}\n", Oids(lo.listed_different, lo.different));
  }
}

void PrintText(const VerifyReport& report, const Endpoint& source, const Endpoint& dest,
               bool quiet) {
  if (!quiet) {
    fmt::print("source:      {}\ndestination: {}\n", source.info().display, dest.info().display);
    if (report.sample_percent < 100) {
      fmt::print("sample:      {}% of each table's ranges, seed {} (--seed {} repeats it)\n",
                 report.sample_percent, report.seed, report.seed);
    }
  }
  for (const TableVerification& t : report.tables) {
    if (quiet && t.verdict == Verdict::kIdentical) continue;
    const std::string name =
        DisplayName(t.source) +
        (t.source == t.destination ? std::string() : " -> " + DisplayName(t.destination));
    switch (t.verdict) {
      case Verdict::kIdentical:
        fmt::print("{}: identical, {} rows, {} of {} ranges, {}, {:.2f} s{}\n", name,
                   Grouped(t.source_rows), t.ranges_checked, t.ranges, HashedBy(t), t.seconds,
                   t.repaired ? fmt::format(" (after repair: {} ranges, {} rows copied again; "
                                            "before: {})",
                                            t.ranges_repaired, Grouped(t.rows_recopied),
                                            Counts(t.counts_before_repair))
                              : "");
        break;
      case Verdict::kDiffers:
        fmt::print(
            "{}: DIFFERS: {} ({} rows at the source, {} at the destination; {} of {} "
            "ranges differ; {}), {:.2f} s\n",
            name, Counts(t.counts), Grouped(t.source_rows), Grouped(t.destination_rows),
            t.ranges_differing, t.ranges_checked, HashedBy(t), t.seconds);
        if (t.repaired && !t.repair_error.empty()) {
          fmt::print("    repair failed: {}\n", t.repair_error);
        } else if (t.repaired) {
          fmt::print("    after repair ({} ranges, {} rows copied again) it still differs\n",
                     t.ranges_repaired, Grouped(t.rows_recopied));
        }
        break;
      case Verdict::kFailed:
        fmt::print("{}: FAILED to verify: {}\n", name, t.error);
        break;
    }
    // With --repair, what was found and put right comes first, then what is left.
    std::vector<const RowDifference*> listed;
    for (const RowDifference& d : t.differences_before_repair) listed.push_back(&d);
    for (const RowDifference& d : t.differences) listed.push_back(&d);
    for (size_t i = 0; i < listed.size(); ++i) {
      const RowDifference& d = *listed[i];
      if (i == t.differences_before_repair.size() && i > 0) {
        fmt::print("    still differing after the repair:\n");
      }
      const char* what = d.kind == DifferenceKind::kMissing ? "missing at destination"
                         : d.kind == DifferenceKind::kExtra ? "extra at destination"
                                                            : "different";
      std::string columns;
      for (const std::string& c : d.columns) columns += (columns.empty() ? "" : ", ") + c;
      fmt::print("    {}{}: {}{}\n", i < t.differences_before_repair.size() ? "repaired, was " : "",
                 what, d.key, columns.empty() ? "" : " [" + columns + "]");
      if (!d.source_values.empty()) fmt::print("        source:      {}\n", d.source_values);
      if (!d.destination_values.empty()) {
        fmt::print("        destination: {}\n", d.destination_values);
      }
    }
    const int64_t shown = int64_t(t.differences.size());
    if (t.counts.total() > shown) {
      fmt::print("    ... {} more (--max-keys lists more)\n", Grouped(t.counts.total() - shown));
    }
  }
  if (report.large_objects) PrintLargeObjects(*report.large_objects);
  fmt::print("verify: {} identical, {} differ, {} failed to verify, {:.2f} s\n",
             report.Count(Verdict::kIdentical), report.Count(Verdict::kDiffers),
             report.Count(Verdict::kFailed), report.seconds);
}

nlohmann::json ToJson(const DifferenceCounts& c) {
  return {{"missing", c.missing}, {"extra", c.extra}, {"different", c.different}};
}

nlohmann::json Differences(const std::vector<RowDifference>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const RowDifference& d : list) {
    nlohmann::json e{{"kind", DifferenceKindName(d.kind)}, {"key", d.key}};
    if (!d.columns.empty()) e["columns"] = d.columns;
    if (!d.source_values.empty()) e["source_values"] = d.source_values;
    if (!d.destination_values.empty()) e["destination_values"] = d.destination_values;
    out.push_back(std::move(e));
  }
  return out;
}

void PrintJson(const VerifyReport& report, const Endpoint& source, const Endpoint& dest) {
  nlohmann::json out;
  out["source"] = source.info().display;
  out["destination"] = dest.info().display;
  out["method"] = report.method;
  out["hash"] = HashPathName(report.hash);
  out["consistency"] = report.consistency;
  out["sample_percent"] = report.sample_percent;
  out["seed"] = report.seed;
  out["repair"] = report.repair;
  out["seconds"] = report.seconds;
  out["identical"] = report.Count(Verdict::kIdentical);
  out["differ"] = report.Count(Verdict::kDiffers);
  out["failed"] = report.Count(Verdict::kFailed);
  out["tables"] = nlohmann::json::array();
  for (const TableVerification& t : report.tables) {
    nlohmann::json j;
    j["source"] = DisplayName(t.source);
    j["destination"] = DisplayName(t.destination);
    j["verdict"] = VerdictName(t.verdict);
    j["keyed"] = t.keyed;
    j["ranges"] = t.ranges;
    j["ranges_checked"] = t.ranges_checked;
    j["ranges_differing"] = t.ranges_differing;
    j["ranges_split"] = t.ranges_split;
    j["hash"] = t.hash;
    if (!t.hash_note.empty()) j["hash_note"] = t.hash_note;
    j["ranges_rehashed"] = t.ranges_rehashed;
    j["source_rows"] = t.source_rows;
    j["destination_rows"] = t.destination_rows;
    j["counts"] = ToJson(t.counts);
    j["seconds"] = t.seconds;
    if (t.verdict == Verdict::kFailed) {
      j["error"] = t.error;
      j["error_code"] = ErrorCodeName(t.error_code);
    }
    j["differences"] = Differences(t.differences);
    if (t.repaired) {
      j["repair"] = {{"verdict_before", VerdictName(t.verdict_before_repair)},
                     {"counts_before", ToJson(t.counts_before_repair)},
                     {"ranges_repaired", t.ranges_repaired},
                     {"rows_copied", t.rows_recopied},
                     {"differences_before", Differences(t.differences_before_repair)},
                     {"error", t.repair_error}};
    }
    out["tables"].push_back(std::move(j));
  }
  if (report.large_objects) {
    const LargeObjectComparison& lo = *report.large_objects;
    out["large_objects"] = {{"identical", lo.identical()},
                            {"source", lo.source},
                            {"destination", lo.destination},
                            {"missing", lo.missing},
                            {"extra", lo.extra},
                            {"different", lo.different},
                            {"listed_missing", lo.listed_missing},
                            {"listed_extra", lo.listed_extra},
                            {"listed_different", lo.listed_different},
                            {"error", lo.error}};
  }
  fmt::print("{}\n", out.dump(2));
}

int Verify(const VerifyFlags& flags) {
  if (!flags.files.empty()) return VerifyFiles(flags);
  InstallStopHandlers(OnStop::kGraceful);
  const CommonOptions& c = flags.common;
  std::optional<Plan> plan;
  Job job = BuildJobFor(c, flags.plan_file, plan);
  // Verify reads the destination as it is: the write mode only guards a copy's first write.
  if (!plan) job.write_mode = WriteMode::kAppend;
  RefuseOutside("--sample", flags.sample, std::nextafter(0.0, 1.0), 100.0,
                "give a percentage above 0 and at most 100");
  RefuseOutside("--max-keys", flags.max_keys, 0, INT64_MAX,
                "give 0 or more keys to list (0 lists none; the counts are always complete)");
  RefuseOutside("--leaf-rows", flags.leaf_rows, 1, INT64_MAX,
                "give 1 or more rows (a range of at most this many is compared key by key)");
  CopyOptions copy = BuildCopyOptions(c, job);
  VerifyOptions options;
  options.workers = copy.engine.readers;
  options.limits = copy.engine.limits;
  options.consistency = copy.consistency;
  options.partitions = copy.partitions;
  options.max_keys = size_t(flags.max_keys);
  options.show_values = c.show_values;
  options.leaf_rows = flags.leaf_rows;
  options.sample_percent = flags.sample;
  options.seed = flags.seed ? *flags.seed : std::random_device{}();
  options.repair = flags.repair;
  for (HashPath path : {HashPath::kAuto, HashPath::kServer, HashPath::kClient}) {
    if (flags.hash == HashPathName(path)) options.hash = path;
  }
  options.engine = copy.engine;

  auto source = OpenEndpoint(job.source, EndpointRole::kSource, SourceOptions(c));
  auto dest =
      OpenEndpoint(job.destination, EndpointRole::kDestination, ExistingDestinationOptions(c));
  auto watch = WatchServers(c, source.get(), dest.get());
  if (!plan) {
    job.source = WithoutSecrets(job.source);
    job.destination = WithoutSecrets(job.destination);
    plan = BuildPlan(*source, *dest, job, copy.partitions);
  }
  // A table compared with itself proves nothing, and verify records its result in (and
  // --repair writes into) what would then be the source.
  CheckNotSelfCopy(*plan, *source, *dest);
  if (options.repair && !c.allow_empty_source) {
    // A repair deletes every destination row the source lacks: from an empty source, all.
    std::vector<ReadAndWritten> tables = TablesReadAndWritten(*plan);
    for (ReadAndWritten& t : tables) t.emptied = true;
    RefuseEmptySourceOverRows(*source, *dest, tables, "--repair");
  }
  if (!flags.profile.empty()) CheckWritable(flags.profile, "profile");
  if (!flags.trace.empty()) CheckWritable(flags.trace, "trace");
  VerifyConsole console(flags.log, *plan);
  options.progress = [&](const VerifyProgress& p) { console.Progress(p); };
  VerifyReport report = RunVerify(*source, *dest, *plan, options);
  console.Close();
  if (!flags.profile.empty() || !flags.trace.empty()) {
    // Written before the verdicts, so an interrupted verification leaves its timings too.
    const ProfileContext context = VerifyProfileContext(*source, *dest, options, report);
    if (!flags.profile.empty()) WriteVerifyProfile(report, flags.profile, context);
    if (!flags.trace.empty()) WriteTrace(flags.trace, "ferry verify", VerifySpans(report), context);
  }
  if (StopRequested()) {
    try {
      RecordVerify(*dest, *plan, report);
    } catch (const std::exception&) {
      // Nothing was concluded: the record was only a note.
    }
    fmt::print(stderr,
               "ferry: verify stopped by a signal before every range was compared: nothing is "
               "concluded{}\n",
               options.repair ? " (repairs in flight were rolled back; those committed stay)" : "");
    return kExitInterrupted;
  }
  if (flags.json) {
    PrintJson(report, *source, *dest);
  } else {
    PrintText(report, *source, *dest, flags.log.quiet);
  }
  try {
    RecordVerify(*dest, *plan, report);
  } catch (const std::exception& e) {
    // The comparison stands on its own; a destination where ferry may not write its run state
    // (a read-only login) only loses the record.
    fmt::print(stderr, "ferry: warning: the result was not recorded in the run state: {}\n",
               Redact(e.what()));
  }
  const bool all_identical = report.Count(Verdict::kIdentical) == int(report.tables.size()) &&
                             (!report.large_objects || report.large_objects->identical());
  return all_identical ? kExitOk : kExitTablesFailed;
}

}  // namespace

CommandAction AddVerifyCommand(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Prove a copy: compare every table in scope between SOURCE and DEST by the copy's key "
      "ranges (row counts and checksums of canonical values), down to the keys that differ");
  auto options = std::make_shared<CommandOptions>(verify, Command::kVerify);
  AddCommonOptions(*options, flags->common);
  options->Add("--plan", flags->plan_file);
  options->Add("--max-keys", flags->max_keys);
  options->Add("--json", flags->json);
  options->Add("--repair", flags->repair);
  options->Add("--sample", flags->sample);
  options->Add("--seed", flags->seed);
  options->Add("--leaf-rows", flags->leaf_rows);
  options->Add("--hash", flags->hash);
  AddLogOptions(*options, flags->log);
  options->Add("--files", flags->files);
  options->Add("--profile", flags->profile);
  options->Add("--trace", flags->trace);
  options->Finish();
  return [verify, flags, options]() -> int {
    if (!*verify) return -1;
    options->ApplyEnvironment();
    return Verify(*flags);
  };
}

}  // namespace ferry
