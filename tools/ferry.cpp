// The `ferry` command: parses the command line and calls the library. No logic lives here.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "drivers/open.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/profile.hpp"
#include "tools/console.hpp"
#include "tools/exit_codes.hpp"

namespace {

using namespace ferry;

struct RunFlags {
  std::string source;
  std::string dest;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  size_t batch_rows = BatchLimits{}.max_rows;
  size_t batch_bytes = BatchLimits{}.max_bytes;
  bool truncate = false;
  bool append = false;
  bool fail_fast = false;
  bool inline_password = false;
  bool quiet = false;
  int workers = 0;
  int readers = 0;
  int writers = 0;
  size_t memory_limit = EngineOptions{}.memory_limit;
  int units = 0;
  std::string consistency = "snapshot";
  bool explain = false;
  bool verbose = false;
  bool keys_first = false;
  std::string profile;
};

int Run(const RunFlags& flags) {
  CopyOptions options;
  std::vector<TablePattern> include, exclude;
  for (const std::string& p : flags.include) include.push_back(TablePattern::Parse(p));
  for (const std::string& p : flags.exclude) exclude.push_back(TablePattern::Parse(p));
  options.scope = Scope(std::move(include), std::move(exclude));
  options.engine.limits.max_rows = std::max<size_t>(flags.batch_rows, 1);
  options.engine.limits.max_bytes = std::max<size_t>(flags.batch_bytes, 1);
  const int workers = flags.workers > 0 ? flags.workers : DefaultWorkers();
  options.engine.readers = flags.readers > 0 ? flags.readers : workers;
  options.engine.writers = flags.writers > 0 ? flags.writers : workers;
  options.engine.memory_limit = flags.memory_limit;
  options.engine.fail_fast = flags.fail_fast;
  options.partitions.units = flags.units;
  options.consistency = flags.consistency == "none" ? Consistency::kNone : Consistency::kSnapshot;
  options.explain_only = flags.explain;
  options.keys_first = flags.keys_first;
  options.existing_rows = flags.truncate ? ExistingRows::kTruncate
                          : flags.append ? ExistingRows::kAppend
                                         : ExistingRows::kRefuse;

  auto source = OpenEndpoint(flags.source, EndpointRole::kSource, flags.inline_password);
  auto dest = OpenEndpoint(flags.dest, EndpointRole::kDestination, flags.inline_password);
  if (!flags.quiet) {
    fmt::print("source:      {} ({} {})\n", source->info().display, source->info().product,
               source->info().version);
    fmt::print("destination: {} ({} {})\n", dest->info().display, dest->info().product,
               dest->info().version);
  }
  ConsoleObserver console(stdout, flags.quiet, flags.verbose);
  CopyReport report = RunCopy(*source, *dest, options, console);
  if (flags.explain) {
    console.PrintPlan(report);
    return kExitOk;
  }
  if (!flags.profile.empty()) WriteProfile(report, flags.profile);
  if (!flags.quiet) console.PrintSummary(report);
  return report.failed() > 0 ? kExitTablesFailed : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferry: copies whole databases between servers, fast, and proves the copy"};
  app.set_version_flag("--version", "ferry 0.1.0");
  app.require_subcommand(1);

  RunFlags run;
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Copy every table in scope from SOURCE to DEST, creating missing tables");
  run_cmd
      ->add_option("--source,-s", run.source,
                   "Source: ODBC connection string, DSN name, or URL (postgresql://user@host:"
                   "port/db, mysql://user@host:port/db, sqlite:path)")
      ->envname("FERRY_SOURCE")
      ->required();
  run_cmd->add_option("--dest,-d", run.dest, "Destination, in the same forms as --source")
      ->envname("FERRY_DEST")
      ->required();
  run_cmd->add_option("--include,-i", run.include,
                      "Copy tables matching PATTERN (table or schema.table, * wildcards, "
                      "\\* and \"quoted\" parts literal); repeatable. Default: every table in "
                      "the source's default schema");
  run_cmd->add_option("--exclude,-x", run.exclude, "Skip tables matching PATTERN; repeatable");
  run_cmd
      ->add_option("--batch-rows", run.batch_rows,
                   "Rows per batch (default 8192: large enough to amortise driver calls, "
                   "small enough to keep memory flat)")
      ->envname("FERRY_BATCH_ROWS");
  run_cmd
      ->add_option("--batch-bytes", run.batch_bytes,
                   "Bytes per batch (default 16 MiB), whichever limit comes first")
      ->envname("FERRY_BATCH_BYTES");
  auto* truncate = run_cmd->add_flag("--truncate", run.truncate,
                                     "Empty destination tables that already hold rows first");
  auto* append =
      run_cmd->add_flag("--append", run.append, "Add to destination tables that already hold rows");
  truncate->excludes(append);
  run_cmd->add_flag("--fail-fast", run.fail_fast, "Stop at the first table that fails");
  run_cmd->add_flag("--password-on-command-line", run.inline_password,
                    "Accept a password written in --source/--dest (it shows in the process "
                    "list; prefer FERRY_SOURCE_PASSWORD / FERRY_DEST_PASSWORD or odbc.ini)");
  run_cmd->add_flag("--quiet,-q", run.quiet, "Print only failures");
  run_cmd
      ->add_option("--workers,-w", run.workers,
                   "Readers and writers each (default: half the cores, 2 to 8: every stream "
                   "also costs the servers CPU)")
      ->envname("FERRY_WORKERS");
  run_cmd->add_option("--readers", run.readers, "Source connections reading in parallel")
      ->envname("FERRY_READERS");
  run_cmd->add_option("--writers", run.writers, "Destination connections writing in parallel")
      ->envname("FERRY_WRITERS");
  run_cmd
      ->add_option("--memory-limit", run.memory_limit,
                   "Bytes the batch pool may hold (default 256 MiB); batches shrink to fit")
      ->envname("FERRY_MEMORY_LIMIT");
  run_cmd
      ->add_option("--partitions", run.units,
                   "Cut every table into this many units (default: from its size, about "
                   "500,000 rows or 128 MB each; small tables stay whole)")
      ->envname("FERRY_PARTITIONS");
  run_cmd
      ->add_option("--consistency", run.consistency,
                   "snapshot (readers share one PostgreSQL snapshot; a consistent snapshot "
                   "per reader elsewhere) or none (a stopped source)")
      ->check(CLI::IsMember({"snapshot", "none"}))
      ->envname("FERRY_CONSISTENCY");
  run_cmd->add_flag("--explain", run.explain,
                    "Print how each table would be split and copied, and why; copy nothing");
  run_cmd->add_flag("--keys-first", run.keys_first,
                    "Create primary keys before loading; by default PostgreSQL tables ferry "
                    "creates get theirs once their rows are in, which loads about 1.5x faster");
  run_cmd->add_flag("--verbose,-v", run.verbose,
                    "Also print each table's split and why before copying");
  run_cmd->add_option("--profile", run.profile,
                      "Write per-table and per-unit timings (read, convert, queue waits, write, "
                      "commit) as JSON to FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  try {
    if (*run_cmd) return Run(run);
  } catch (const Error& e) {
    std::fprintf(stderr, "ferry: error: %s\n", e.what());
    return ExitCodeFor(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry: internal error: %s\n", Redact(e.what()).c_str());
    return kExitInternal;
  }
  return kExitUsage;
}
