#include "tools/options.hpp"
#include "tools/test_hooks.hpp"

#include <fmt/format.h>

#include "copier/error.hpp"
#include "copier/job_file.hpp"
#include "copier/secrets.hpp"
#include "scheduler/pipeline.hpp"

namespace ferry {

void AddScopeOptions(CLI::App* c, CommonOptions& o) {
  c->add_option("--job,-j", o.job_file,
                "YAML job file: source, destination, scope, renames, per-table overrides and "
                "engine settings (flags and environment variables override it)")
      ->envname("FERRY_JOB");
  c->add_option("--source,-s", o.source,
                "Source: ODBC connection string, DSN name, or URL (postgresql://user@host:"
                "port/db, mysql://user@host:port/db, sqlite:path)")
      ->envname("FERRY_SOURCE");
  c->add_option("--dest,-d", o.dest, "Destination, in the same forms as --source")
      ->envname("FERRY_DEST");
  c->add_option("--include,-i", o.include,
                "Copy tables matching PATTERN (table or schema.table, * wildcards, \\* and "
                "\"quoted\" parts literal); repeatable. Default: every table in the source's "
                "default schema");
  c->add_option("--exclude,-x", o.exclude, "Skip tables matching PATTERN; repeatable");
  auto* truncate = c->add_flag("--truncate", o.truncate,
                               "Empty destination tables that already hold rows first");
  auto* append =
      c->add_flag("--append", o.append, "Add to destination tables that already hold rows");
  auto* mode = c->add_option("--write-mode", o.write_mode,
                             "create (default: refuse tables that hold rows), truncate, append or "
                             "upsert (insert or update by key)")
                   ->check(CLI::IsMember({"create", "truncate", "append", "upsert"}))
                   ->envname("FERRY_WRITE_MODE");
  truncate->excludes(append)->excludes(mode);
  append->excludes(mode);
  auto* schema_only = c->add_flag("--schema-only", o.schema_only,
                                  "Create tables, keys, indexes and foreign keys; copy no rows");
  auto* data_only =
      c->add_flag("--data-only", o.data_only, "Copy rows into tables that exist; create nothing");
  schema_only->excludes(data_only);
  c->add_flag("--password-on-command-line", o.inline_password,
              "Accept a password written in --source/--dest (it shows in the process list; "
              "prefer FERRY_SOURCE_PASSWORD / FERRY_DEST_PASSWORD or odbc.ini)");
}

void AddEngineOptions(CLI::App* c, CommonOptions& o) {
  c->add_option("--batch-rows", o.batch_rows,
                "Rows per batch (default 8192: large enough to amortise driver calls, small "
                "enough to keep memory flat)")
      ->envname("FERRY_BATCH_ROWS");
  c->add_option("--batch-bytes", o.batch_bytes,
                "Bytes per batch (default 16 MiB), whichever limit comes first")
      ->envname("FERRY_BATCH_BYTES");
  c->add_option("--workers,-w", o.workers,
                "Readers and writers each (default: half the cores, 2 to 8: every stream also "
                "costs the servers CPU)")
      ->envname("FERRY_WORKERS");
  c->add_option("--readers", o.readers, "Source connections reading in parallel")
      ->envname("FERRY_READERS");
  c->add_option("--writers", o.writers, "Destination connections writing in parallel")
      ->envname("FERRY_WRITERS");
  c->add_option("--memory-limit", o.memory_limit,
                "Bytes the batch pool may hold (default 256 MiB); batches shrink to fit")
      ->envname("FERRY_MEMORY_LIMIT");
  c->add_option("--partitions", o.partitions,
                "Cut every table into this many units (default: from its size, about 500,000 "
                "rows or 128 MB each; small tables stay whole)")
      ->envname("FERRY_PARTITIONS");
  c->add_option("--consistency", o.consistency,
                "snapshot (readers share one PostgreSQL snapshot; a consistent snapshot per "
                "reader elsewhere) or none (a stopped source)")
      ->check(CLI::IsMember({"snapshot", "none"}))
      ->envname("FERRY_CONSISTENCY");
  c->add_flag("--fail-fast", o.fail_fast, "Stop at the first table that fails");
  c->add_flag("--keys-first", o.keys_first,
              "Create primary keys before loading; by default PostgreSQL tables ferry creates "
              "get theirs once their rows are in, which loads about 1.5x faster");
  c->add_flag("--show-values", o.show_values,
              "Print the data values errors are about (a value the destination refuses; verify: "
              "the differing rows). Off by default, as logs travel where the data may not: a "
              "refused value is described by its kind and size, and its row by its key")
      ->envname("FERRY_SHOW_VALUES");
  c->add_option("--schema-from", o.schema_from,
                "tool (default: a same-engine copy into new tables clones the source's schema "
                "with pg_dump, SHOW CREATE or sqlite_schema: types, sequences, views, routines, "
                "triggers...) or ferry (create tables from ferry's own model, as across engines)")
      ->check(CLI::IsMember({"tool", "ferry"}))
      ->envname("FERRY_SCHEMA_FROM");
  c->add_flag("--no-routines", o.no_routines,
              "A schema clone leaves out functions, procedures, triggers and events")
      ->envname("FERRY_NO_ROUTINES");
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

CopyOptions BuildCopyOptions(const CommonOptions& o, const Job& job) {
  CopyOptions options;
  const EngineSettings& e = job.engine;
  auto pick = [](const auto& flag, const auto& file, auto fallback) {
    return flag ? *flag : file ? *file : fallback;
  };
  options.engine.limits.max_rows =
      std::max<size_t>(pick(o.batch_rows, e.batch_rows, BatchLimits{}.max_rows), 1);
  options.engine.limits.max_bytes =
      std::max<size_t>(pick(o.batch_bytes, e.batch_bytes, BatchLimits{}.max_bytes), 1);
  const int workers = std::max(pick(o.workers, e.workers, DefaultWorkers()), 1);
  options.engine.readers = std::max(pick(o.readers, e.readers, workers), 1);
  options.engine.writers = std::max(pick(o.writers, e.writers, workers), 1);
  options.engine.memory_limit = pick(o.memory_limit, e.memory_limit, EngineOptions{}.memory_limit);
  options.engine.fail_fast = o.fail_fast;
  options.engine.test_hooks = StartupTestHooks();
  options.partitions.units = pick(o.partitions, e.partitions, 0);
  const std::string consistency = pick(o.consistency, e.consistency, std::string("snapshot"));
  if (consistency != "snapshot" && consistency != "none") {
    throw Error(ErrorCode::kUsage,
                fmt::format("consistency '{}' is neither snapshot nor none", consistency));
  }
  options.consistency = consistency == "none" ? Consistency::kNone : Consistency::kSnapshot;
  options.keys_first = o.keys_first;
  // Process-wide: every converter and driver formats refused values through it.
  SetShowValues(o.show_values);
  options.clone.from =
      o.schema_from.value_or("tool") == "ferry" ? SchemaFrom::kFerry : SchemaFrom::kTool;
  options.clone.routines = !o.no_routines;
  return options;
}

}  // namespace ferry
