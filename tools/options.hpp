// The options the copying commands share, in one struct: where from and to, what is in scope,
// how it is written, and the engine's knobs. Their names, help, defaults (with reasons) and
// environment twins are rows of tools/option_table.cpp; each command adds the rows the table
// gives it. Flags override the environment, which overrides a job file.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "copier/job.hpp"
#include "drivers/open.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/server_watch.hpp"
#include "tools/command_options.hpp"

namespace ferry {

struct CommonOptions {
  std::string job_file;
  std::optional<std::string> source;
  std::optional<std::string> dest;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool truncate = false;
  bool append = false;
  std::optional<std::string> write_mode;
  bool schema_only = false;
  bool data_only = false;
  bool inline_password = false;
  std::optional<int64_t> batch_rows;  // signed: a negative number is refused, not wrapped
  std::optional<size_t> batch_bytes;
  std::optional<int> workers;
  std::optional<int> readers;
  std::optional<int> writers;
  std::optional<size_t> memory_limit;
  std::optional<size_t> max_disk;  // a staging directory's files (export)
  double max_disk_wait = EndpointOptions{}.staging_drain_patience;
  bool remove_imported = false;  // an import takes each unit's chunk files away
  std::optional<int> partitions;
  std::optional<std::string> consistency;
  bool fail_fast = false;
  bool allow_empty_source = false;  // --truncate from a source whose tables are all empty
  bool keys_first = false;
  bool show_values = false;  // print refused or differing values (copier/secrets.hpp)
  std::optional<std::string> schema_from;
  bool no_routines = false;
  bool keep_definers = false;
  // The endpoints' own options (EndpointOptions).
  std::string state_schema;
  std::string pg_toast_compression = EndpointOptions{}.pg_toast_compression;
  std::string mariadb_write_method;
  std::string pg_dump;
  double network_timeout = EndpointOptions{}.network_timeout;  // seconds (server_watch.hpp)
  int64_t lock_wait = EndpointOptions{}.lock_wait;             // seconds
  double reconnect_wait = EngineOptions{}.reconnect_wait;      // seconds
};

// Adds those of these options the options table gives `command`; --truncate, --append and
// --write-mode exclude each other, as --schema-only and --data-only do.
void AddCommonOptions(CommandOptions& command, CommonOptions& options);

// How to open each end: the destination's options go to the destination only.
EndpointOptions SourceOptions(const CommonOptions& options);
EndpointOptions DestinationOptions(const CommonOptions& options);
// Those of a destination a command reads or keeps in step but never creates (status, report,
// reset, verify, sync): a SQLite file that is not there is an error, not made empty.
EndpointOptions ExistingDestinationOptions(const CommonOptions& options);
// The destination of a command that reads only it (status, report): from --dest (FERRY_DEST) or
// the job file, which need not name a source. Throws Error(kUsage) when none is given.
std::string DestinationOnly(const CommonOptions& options);

// Watches both ends for a server gone silent (--network-timeout); null ends are left out.
// Throws Error(kUsage) for a negative timeout.
std::unique_ptr<ServerWatch> WatchServers(const CommonOptions& options, Endpoint* source,
                                          Endpoint* dest);

// The job these options describe: a job file (when given) under the flags. Throws Error(kUsage)
// for a missing source or destination, contradicting flags, or a bad job file.
Job BuildJob(const CommonOptions& options);
// The job of a command given a plan file: where the plan says, unless --source/--dest point it
// elsewhere (a rehearsal copy), with the plan read into `plan`; without a plan file, BuildJob.
Job BuildJobFor(const CommonOptions& options, const std::string& plan_file,
                std::optional<Plan>& plan);
// Engine, partition and consistency settings: flags, then the job file, then defaults. Throws
// Error(kUsage) for a number out of its range (RefuseOutside), before anything is opened.
CopyOptions BuildCopyOptions(const CommonOptions& options, const Job& job);

// Throws Error(kUsage) for a number given on the command line or by its environment twin outside
// [least, most], naming the option, its twin and what to give instead: "--leaf-rows 0 (from the
// command line or FERRY_VERIFY_LEAF_ROWS): give 1 or more rows". A number raised or cut to fit
// without a word runs another command than the one asked for.
void RefuseOutside(std::string_view option, int64_t value, int64_t least, int64_t most,
                   std::string_view give);
void RefuseOutside(std::string_view option, double value, double least, double most,
                   std::string_view give);

}  // namespace ferry
