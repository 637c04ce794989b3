#include "tools/options.hpp"
#include "tools/test_hooks.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

#include "copier/error.hpp"
#include "copier/job_file.hpp"
#include "copier/planner.hpp"
#include "copier/secrets.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/waiting.hpp"
#include "tools/option_table.hpp"

namespace ferry {

void AddCommonOptions(CommandOptions& c, CommonOptions& o) {
  c.AddIfUsed("--job", o.job_file);
  c.AddIfUsed("--source", o.source);
  c.AddIfUsed("--dest", o.dest);
  c.AddIfUsed("--include", o.include);
  c.AddIfUsed("--exclude", o.exclude);
  CLI::Option* truncate = c.AddIfUsed("--truncate", o.truncate);
  CLI::Option* append = c.AddIfUsed("--append", o.append);
  CLI::Option* mode = c.AddIfUsed("--write-mode", o.write_mode);
  if (truncate && append && mode) {
    truncate->excludes(append)->excludes(mode);
    append->excludes(mode);
  }
  CLI::Option* schema_only = c.AddIfUsed("--schema-only", o.schema_only);
  CLI::Option* data_only = c.AddIfUsed("--data-only", o.data_only);
  if (schema_only && data_only) schema_only->excludes(data_only);
  c.AddIfUsed("--password-on-command-line", o.inline_password);
  c.AddIfUsed("--batch-rows", o.batch_rows);
  c.AddIfUsed("--batch-bytes", o.batch_bytes);
  c.AddIfUsed("--workers", o.workers);
  c.AddIfUsed("--readers", o.readers);
  c.AddIfUsed("--writers", o.writers);
  c.AddIfUsed("--memory-limit", o.memory_limit);
  c.AddIfUsed("--partitions", o.partitions);
  c.AddIfUsed("--consistency", o.consistency);
  c.AddIfUsed("--fail-fast", o.fail_fast);
  c.AddIfUsed("--allow-empty-source", o.allow_empty_source);
  c.AddIfUsed("--show-values", o.show_values);
  c.AddIfUsed("--keys-first", o.keys_first);
  c.AddIfUsed("--schema-from", o.schema_from);
  c.AddIfUsed("--no-routines", o.no_routines);
  c.AddIfUsed("--keep-definers", o.keep_definers);
  c.AddIfUsed("--pg-dump", o.pg_dump);
  c.AddIfUsed("--pg-toast-compression", o.pg_toast_compression);
  c.AddIfUsed("--mariadb-write-method", o.mariadb_write_method);
  c.AddIfUsed("--state-schema", o.state_schema);
  c.AddIfUsed("--max-disk", o.max_disk);
  c.AddIfUsed("--max-disk-wait", o.max_disk_wait);
  c.AddIfUsed("--remove-imported", o.remove_imported);
  c.AddIfUsed("--network-timeout", o.network_timeout);
  c.AddIfUsed("--lock-wait", o.lock_wait);
  c.AddIfUsed("--reconnect-wait", o.reconnect_wait);
}

std::unique_ptr<ServerWatch> WatchServers(const CommonOptions& o, Endpoint* source,
                                          Endpoint* dest) {
  if (!(o.network_timeout >= 0)) {
    throw Error(ErrorCode::kUsage,
                fmt::format("--network-timeout (FERRY_NETWORK_TIMEOUT) is {:g}; it takes seconds, "
                            "0 or more",
                            o.network_timeout));
  }
  return std::make_unique<ServerWatch>(std::vector<Endpoint*>{source, dest},
                                       NetworkTimeout(o.network_timeout));
}

EndpointOptions SourceOptions(const CommonOptions& o) {
  EndpointOptions options;
  options.allow_inline_password = o.inline_password;
  options.pg_dump = o.pg_dump;
  if (o.network_timeout > 0) options.network_timeout = o.network_timeout;
  options.lock_wait = int(o.lock_wait);
  options.staging_remove_imported = o.remove_imported;
  options.wait = StartWait;
  return options;
}

std::string DestinationOnly(const CommonOptions& c) {
  if (c.dest) return *c.dest;
  if (!c.job_file.empty()) {
    if (Job job = LoadJobFile(c.job_file); !job.destination.empty()) return job.destination;
  }
  throw Error(ErrorCode::kUsage,
              "no destination: give --dest (or FERRY_DEST, or destination: in the job file)");
}

EndpointOptions DestinationOptions(const CommonOptions& o) {
  EndpointOptions options;
  options.allow_inline_password = o.inline_password;
  options.state_schema = o.state_schema;
  options.pg_toast_compression = o.pg_toast_compression;
  options.mariadb_write_method = o.mariadb_write_method;
  if (o.network_timeout > 0) options.network_timeout = o.network_timeout;
  options.lock_wait = int(o.lock_wait);
  options.staging_max_bytes = o.max_disk.value_or(0);
  options.staging_drain_patience = o.max_disk_wait;
  options.wait = StartWait;
  return options;
}

EndpointOptions ExistingDestinationOptions(const CommonOptions& o) {
  EndpointOptions options = DestinationOptions(o);
  options.existing_only = true;
  return options;
}

Job BuildJobFor(const CommonOptions& options, const std::string& plan_file,
                std::optional<Plan>& plan) {
  if (plan_file.empty()) return BuildJob(options);
  // The plan file says which tables are copied and how each is written; these options would
  // be dropped without a word (an --append beside a plan that truncates empties the tables).
  std::vector<std::string> ignored;
  if (!options.include.empty()) ignored.push_back("--include");
  if (!options.exclude.empty()) ignored.push_back("--exclude");
  if (options.truncate) ignored.push_back("--truncate");
  if (options.append) ignored.push_back("--append");
  if (options.write_mode) ignored.push_back("--write-mode");
  if (options.schema_only) ignored.push_back("--schema-only");
  if (options.data_only) ignored.push_back("--data-only");
  if (!options.job_file.empty()) ignored.push_back("--job");
  if (!ignored.empty()) {
    std::string list;
    for (const std::string& o : ignored) list += (list.empty() ? "" : ", ") + o;
    throw Error(ErrorCode::kUsage,
                fmt::format("{} {} not go with --plan {}: the plan file lists the tables and "
                            "how each is written (its tables and write_mode fields); edit the "
                            "plan, or make it again with `ferry plan` and these options",
                            list, ignored.size() == 1 ? "does" : "do", plan_file));
  }
  plan = ReadPlanFile(plan_file);
  // Every table edited out: the run copied nothing and said done (exit 0), as no --include would.
  if (plan->tables.empty()) {
    throw Error(ErrorCode::kUsage,
                fmt::format("plan {}: $.tables lists no table, so nothing would be copied; put "
                            "the tables back, or make the plan again with `ferry plan`",
                            plan_file));
  }
  Job job;
  job.source = options.source.value_or(plan->source);
  job.destination = options.dest.value_or(plan->destination);
  return job;
}

Job BuildJob(const CommonOptions& o) {
  Job job = o.job_file.empty() ? Job{} : LoadJobFile(o.job_file);
  if (o.source) job.source = *o.source;
  if (o.dest) job.destination = *o.dest;
  if (!o.include.empty()) job.include = o.include;
  if (!o.exclude.empty()) job.exclude = o.exclude;
  if (o.truncate) job.write_mode = WriteMode::kTruncate;
  if (o.append) job.write_mode = WriteMode::kAppend;
  if (o.write_mode) job.write_mode = *ParseWriteMode(*o.write_mode);
  if (o.schema_only) {
    job.schema_only = true;
    job.data_only = false;
  }
  if (o.data_only) {
    job.data_only = true;
    job.schema_only = false;
  }
  if (job.source.empty()) {
    throw Error(ErrorCode::kUsage,
                "no source: give --source (or FERRY_SOURCE, or source: in "
                "the job file)");
  }
  if (job.destination.empty()) {
    throw Error(ErrorCode::kUsage,
                "no destination: give --dest (or FERRY_DEST, or destination: "
                "in the job file)");
  }
  return job;
}

namespace {

template <typename T>
void Refuse(std::string_view option, T value, std::string_view give) {
  throw Error(ErrorCode::kUsage, fmt::format("{} {} (from the command line or {}): {}", option,
                                             value, FindOption(option).env, give));
}

// A number given on the command line (or by its environment twin) outside what it may be is
// refused, as the job file refuses it: raised to the least without a word, `--workers -1` ran
// with one worker and `--memory-limit 1` with batches over the limit; cut to the most,
// `--partitions 1000` cut tables into 256 units.
template <typename T>
void Outside(const char* option, const std::optional<T>& value, int64_t least, int64_t most,
             std::string_view give) {
  if (value) RefuseOutside(option, int64_t(*value), least, most, give);
}

void CheckRanges(const CommonOptions& o) {
  constexpr int64_t kNoMost = INT64_MAX;
  Outside("--workers", o.workers, 1, kNoMost, "give 1 or more readers and writers each");
  Outside("--readers", o.readers, 1, kNoMost, "give 1 or more readers");
  Outside("--writers", o.writers, 1, kNoMost, "give 1 or more writers");
  const int most_units = PartitionOptions{}.max_units;
  Outside("--partitions", o.partitions, 1, most_units,
          fmt::format("give 1 to {} units per table, or leave it out to cut each table by its "
                      "size",
                      most_units));
  Outside("--batch-rows", o.batch_rows, 1, kNoMost, "give 1 or more rows per batch");
  if (o.batch_bytes && *o.batch_bytes < 1) {
    Refuse("--batch-bytes", *o.batch_bytes, "give 1 or more bytes per batch");
  }
  if (o.memory_limit && *o.memory_limit < (size_t(1) << 20)) {
    Refuse("--memory-limit", *o.memory_limit,
           "give at least 1MiB (batches are never cut below 64 KiB, and every worker holds a "
           "few)");
  }
  if (o.max_disk && *o.max_disk < 1) {
    Refuse("--max-disk", *o.max_disk,
           "give a size above 0, or leave it out to use as much as the disk holds");
  }
  RefuseOutside("--max-disk-wait", o.max_disk_wait, 0.0, HUGE_VAL,
                "give the seconds to wait, or 0 to wait for as long as it takes");
  RefuseOutside("--lock-wait", o.lock_wait, 1, 86400,
                "give the seconds to wait for another session's locks, 1 to 86400");
  RefuseOutside("--network-timeout", o.network_timeout, 0.0, HUGE_VAL,
                "give the seconds, or 0 to connect with the default and never ask");
  RefuseOutside("--reconnect-wait", o.reconnect_wait, 0.0, HUGE_VAL,
                "give the seconds to wait for a lost server, 0 or more");
}

}  // namespace

void RefuseOutside(std::string_view option, int64_t value, int64_t least, int64_t most,
                   std::string_view give) {
  if (value < least || value > most) Refuse(option, value, give);
}

void RefuseOutside(std::string_view option, double value, double least, double most,
                   std::string_view give) {
  // NaN is outside every range; an infinity only where `most` is one.
  if (!(value >= least && value <= most)) Refuse(option, fmt::format("{:g}", value), give);
}

CopyOptions BuildCopyOptions(const CommonOptions& o, const Job& job) {
  CheckRanges(o);
  CopyOptions options;
  const EngineSettings& e = job.engine;
  auto pick = [](const auto& flag, const auto& file, auto fallback) {
    return flag ? *flag : file ? *file : fallback;
  };
  // Every number was checked against its range (here, or as the job file was read).
  options.engine.limits.max_rows =
      o.batch_rows ? size_t(*o.batch_rows) : e.batch_rows.value_or(BatchLimits{}.max_rows);
  options.engine.limits.max_bytes = pick(o.batch_bytes, e.batch_bytes, BatchLimits{}.max_bytes);
  const int workers = pick(o.workers, e.workers, DefaultWorkers());
  options.engine.readers = pick(o.readers, e.readers, workers);
  options.engine.writers = pick(o.writers, e.writers, workers);
  options.engine.memory_limit = pick(o.memory_limit, e.memory_limit, EngineOptions{}.memory_limit);
  options.engine.fail_fast = o.fail_fast;
  options.engine.reconnect_wait = o.reconnect_wait;
  options.engine.test_hooks = StartupTestHooks();
  options.partitions.units = pick(o.partitions, e.partitions, PartitionOptions{}.units);
  if (const auto consistency = o.consistency ? o.consistency : e.consistency) {
    if (*consistency != "snapshot" && *consistency != "none") {
      throw Error(ErrorCode::kUsage,
                  fmt::format("consistency '{}' is neither snapshot nor none", *consistency));
    }
    options.consistency = *consistency == "none" ? Consistency::kNone : Consistency::kSnapshot;
  }
  options.keys_first = o.keys_first;
  // Process-wide: every converter and driver formats refused values through it.
  SetShowValues(o.show_values);
  if (o.schema_from) {
    options.clone.from = *o.schema_from == "ferry" ? SchemaFrom::kFerry : SchemaFrom::kTool;
  }
  options.clone.routines = !o.no_routines;
  options.clone.keep_definers = o.keep_definers;
  return options;
}

}  // namespace ferry
