#include "tools/option_table.hpp"

#include <fmt/format.h>

#include "copier/error.hpp"
#include "copier/job.hpp"
#include "copier/planner.hpp"
#include "copier/run_state.hpp"
#include "copier/work_unit.hpp"
#include "drivers/open.hpp"
#include "scheduler/checking.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/sync_run.hpp"
#include "scheduler/verify_run.hpp"

namespace ferry {

namespace {

using C = Command;

// "16 MiB" for a whole number of MiB, else the number of bytes.
std::string Bytes(uint64_t bytes) {
  if (bytes >= (1u << 30) && bytes % (1u << 30) == 0) return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  return std::to_string(bytes);
}

std::string Join(const std::vector<std::string>& words, std::string_view between) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : std::string(between)) + w;
  return out;
}

std::vector<std::string> WriteModes() {
  std::vector<std::string> out;
  for (WriteMode m :
       {WriteMode::kCreate, WriteMode::kTruncate, WriteMode::kAppend, WriteMode::kUpsert}) {
    out.push_back(WriteModeName(m));
  }
  return out;
}

// Where the copy goes and what it takes.
void AddScopeOptions(std::vector<OptionSpec>& t) {
  const CommandSet copies{C::kRun, C::kPlan, C::kCheck};
  const CommandSet scoped{C::kRun, C::kPlan, C::kCheck, C::kVerify, C::kSync, C::kTrack, C::kReset};
  t.push_back({.names = "--job,-j",
               .value = "FILE",
               .help = "YAML job file: source, destination, scope, renames, per-table overrides "
                       "and engine settings; flags and environment variables override it",
               .env = "FERRY_JOB",
               .commands = CommandSet::All()});
  t.push_back({.names = "--source,-s",
               .value = "CONNECTION",
               .help = "Source: ODBC connection string, DSN name, or URL (postgresql://user@host:"
                       "port/db, mysql://user@host:port/db, sqlite:path); its password comes from "
                       "FERRY_SOURCE_PASSWORD or odbc.ini",
               .env = "FERRY_SOURCE",
               .job_key = "source",
               .commands = scoped});
  t.push_back({.names = "--dest,-d",
               .value = "CONNECTION",
               .help = "Destination, in the same forms as --source; its password comes from "
                       "FERRY_DEST_PASSWORD or odbc.ini",
               .env = "FERRY_DEST",
               .job_key = "destination",
               .commands = {C::kRun, C::kPlan, C::kCheck, C::kVerify, C::kSync, C::kStatus,
                            C::kReset, C::kReport}});
  t.push_back({.names = "--include,-i",
               .value = "PATTERN",
               .help = "Take the tables matching PATTERN (table or schema.table, * wildcards, \\* "
                       "and \"quoted\" parts literal)",
               .default_value = "every table in the source's default schema",
               .reason = "the schema a bare table name means is what the connection names",
               .env = "FERRY_INCLUDE",
               .job_key = "include",
               .commands = scoped,
               .repeatable = true});
  t.push_back({.names = "--exclude,-x",
               .value = "PATTERN",
               .help = "Leave out the tables matching PATTERN",
               .env = "FERRY_EXCLUDE",
               .job_key = "exclude",
               .commands = scoped,
               .repeatable = true});
  t.push_back({.names = "--truncate",
               .help = "Empty destination tables that already hold rows first (--write-mode "
                       "truncate)",
               .env = "FERRY_TRUNCATE",
               .job_key = "write_mode",
               .commands = copies});
  t.push_back({.names = "--append",
               .help = "Add to destination tables that already hold rows (--write-mode append)",
               .env = "FERRY_APPEND",
               .job_key = "write_mode",
               .commands = copies});
  t.push_back({.names = "--write-mode",
               .value = "MODE",
               .help = "create: make missing tables, refuse tables that hold rows; truncate, "
                       "append, or upsert (insert or update by key)",
               .default_value = WriteModeName(Job{}.write_mode),
               .reason = "rows already at the destination are never mixed with the copy's or "
                         "deleted unless asked",
               .env = "FERRY_WRITE_MODE",
               .job_key = "write_mode",
               .choices = WriteModes(),
               .commands = copies});
  t.push_back({.names = "--schema-only",
               .help = "Create tables, keys, indexes and foreign keys; copy no rows",
               .env = "FERRY_SCHEMA_ONLY",
               .job_key = "schema_only",
               .commands = copies});
  t.push_back({.names = "--data-only",
               .help = "Copy rows into tables that exist; create nothing",
               .env = "FERRY_DATA_ONLY",
               .job_key = "data_only",
               .commands = copies});
  t.push_back({.names = "--password-on-command-line",
               .help = "Accept a password written in --source or --dest",
               .reason = "it shows in the process list and the shell's history; "
                         "FERRY_SOURCE_PASSWORD, FERRY_DEST_PASSWORD or odbc.ini keep it out",
               .env = "FERRY_PASSWORD_ON_COMMAND_LINE",
               .commands = CommandSet::All()});
}

// How fast and in how many pieces.
void AddEngineOptions(std::vector<OptionSpec>& t) {
  const CommandSet moves{C::kRun, C::kVerify, C::kSync};
  const PartitionOptions units;
  t.push_back({.names = "--batch-rows",
               .value = "N",
               .help = "Rows per batch",
               .default_value = std::to_string(BatchLimits{}.max_rows),
               .reason = "large enough to amortise driver calls, small enough to keep memory flat",
               .env = "FERRY_BATCH_ROWS",
               .job_key = "engine.batch_rows",
               .commands = moves});
  t.push_back({.names = "--batch-bytes",
               .value = "SIZE",
               .help = "Bytes per batch (64MiB, 1GiB or a number of bytes), whichever of the two "
                       "limits comes first",
               .default_value = Bytes(BatchLimits{}.max_bytes),
               .reason = "a batch of wide rows stays small; a single larger value still moves",
               .env = "FERRY_BATCH_BYTES",
               .job_key = "engine.batch_bytes",
               .commands = moves});
  t.push_back({.names = "--workers,-w",
               .value = "N",
               .help = "Readers and writers each",
               .default_value = fmt::format("half the cores, {} to {}", kFewestDefaultWorkers,
                                            kMostDefaultWorkers),
               .reason = "enough to keep both servers busy; every stream also costs them CPU",
               .env = "FERRY_WORKERS",
               .job_key = "engine.workers",
               .commands = {C::kRun, C::kCheck, C::kVerify, C::kSync}});
  t.push_back({.names = "--readers",
               .value = "N",
               .help = "Source connections reading in parallel (verify: comparison workers)",
               .default_value = "--workers",
               .reason = "reading and writing a batch take about as long",
               .env = "FERRY_READERS",
               .job_key = "engine.readers",
               .commands = {C::kRun, C::kCheck, C::kVerify, C::kSync}});
  t.push_back({.names = "--writers",
               .value = "N",
               .help = "Destination connections writing in parallel",
               .default_value = "--workers",
               .reason = "reading and writing a batch take about as long",
               .env = "FERRY_WRITERS",
               .job_key = "engine.writers",
               .commands = {C::kRun, C::kCheck, C::kVerify, C::kSync}});
  t.push_back({.names = "--memory-limit",
               .value = "SIZE",
               .help = "Bytes the batch pool may hold (256MiB, 1GiB or a number of bytes); batches "
                       "shrink to fit",
               .default_value = Bytes(EngineOptions{}.memory_limit),
               .reason = "every worker's batches in flight fit on a small host",
               .env = "FERRY_MEMORY_LIMIT",
               .job_key = "engine.memory_limit",
               .commands = moves});
  t.push_back({.names = "--partitions",
               .value = "N",
               .help = fmt::format("Cut every table into this many units, 1 to {} (a table "
                                   "that cannot be split stays one)",
                                   units.max_units),
               .default_value = "from each table's size",
               .reason = fmt::format(
                   "units of about {} rows or {} balance the workers and make a retry cheap; "
                   "tables under {} rows and {} stay whole",
                   units.target_unit_rows, Bytes(uint64_t(units.target_unit_bytes)),
                   units.small_table_rows, Bytes(uint64_t(units.small_table_bytes))),
               .env = "FERRY_PARTITIONS",
               .job_key = "engine.partitions",
               .commands = {C::kRun, C::kPlan, C::kCheck, C::kVerify, C::kSync}});
  t.push_back({.names = "--consistency",
               .value = "MODE",
               .help = "snapshot: readers share one PostgreSQL snapshot (a consistent snapshot "
                       "per reader elsewhere); none: for a source nobody writes to",
               .default_value = kDefaultConsistency == Consistency::kSnapshot ? "snapshot" : "none",
               .reason = "a source in use is copied as of one moment",
               .env = "FERRY_CONSISTENCY",
               .job_key = "engine.consistency",
               .choices = {"snapshot", "none"},
               .commands = moves});
  t.push_back({.names = "--fail-fast",
               .help = "Stop at the first table that fails",
               .reason = "one table's failure should not cost the others their copy",
               .env = "FERRY_FAIL_FAST",
               .commands = {C::kRun}});
  t.push_back({.names = "--allow-empty-source",
               .help = "Go ahead although every table read is empty at the source while tables "
                       "the copy empties (write mode truncate; verify: a repair) hold rows",
               .reason = "that is the mark of --source and --dest given the wrong way round, "
                         "which would empty the database that holds the data",
               .env = "FERRY_ALLOW_EMPTY_SOURCE",
               .commands = {C::kRun, C::kCheck, C::kVerify}});
  t.push_back({.names = "--show-values",
               .help = "Print the data values errors are about (a value the destination "
                       "refuses; verify: the differing rows)",
               .reason = "logs travel where the data may not: a refused value is described by "
                         "its kind and size, and its row by its key",
               .env = "FERRY_SHOW_VALUES",
               .commands = moves});
}

// What a copy creates, and the engines' own knobs.
void AddSchemaAndEngineKnobs(std::vector<OptionSpec>& t) {
  const CommandSet writes{C::kRun, C::kVerify, C::kSync};
  t.push_back({.names = "--keys-first",
               .help = "Create primary keys before loading",
               .reason = "PostgreSQL tables ferry creates get their primary key once their rows "
                         "are in, which loads about 1.5x faster",
               .env = "FERRY_KEYS_FIRST",
               .commands = {C::kRun}});
  t.push_back({.names = "--schema-from",
               .value = "FROM",
               .help = "tool: a same-engine copy into new tables clones the source's schema with "
                       "pg_dump, SHOW CREATE or sqlite_schema; ferry: create tables from ferry's "
                       "own model, as across engines",
               .default_value = CloneOptions{}.from == SchemaFrom::kTool ? "tool" : "ferry",
               .reason = "the engine's own tools keep what ferry's model has no word for: "
                         "types, sequences, views, routines, triggers",
               .env = "FERRY_SCHEMA_FROM",
               .choices = {"tool", "ferry"},
               .commands = {C::kRun, C::kCheck}});
  t.push_back({.names = "--no-routines",
               .help = "A schema clone leaves out functions, procedures, triggers and events",
               .reason = "a clone is the whole schema unless asked",
               .env = "FERRY_NO_ROUTINES",
               .commands = {C::kRun, C::kCheck}});
  t.push_back({.names = "--keep-definers",
               .help = "A MariaDB schema clone keeps each view's, routine's, trigger's and "
                       "event's DEFINER account instead of making the destination's connecting "
                       "user their definer",
               .reason = "a source's accounts often do not exist at the destination (ferry check "
                         "names those that do not)",
               .env = "FERRY_KEEP_DEFINERS",
               .commands = {C::kRun, C::kCheck}});
  t.push_back({.names = "--pg-dump",
               .value = "PATH",
               .help = "The pg_dump a PostgreSQL source's schema clone runs",
               .default_value = "the installed one of the server's major version, else the "
                                "newest",
               .reason = "pg_dump refuses servers newer than itself",
               .env = "FERRY_PG_DUMP",
               .commands = {C::kRun, C::kCheck}});
  t.push_back({.names = "--pg-toast-compression",
               .value = "METHOD",
               .help = "How a PostgreSQL destination compresses long values it stores: lz4, pglz, "
                       "or server (the server's default_toast_compression); only ferry's "
                       "sessions' default changes",
               .default_value = EndpointOptions{}.pg_toast_compression,
               .reason = "pglz_compress took a third of the destination's CPU on wide rows; lz4 "
                         "is several times faster; servers before 14 keep theirs",
               .env = "FERRY_PG_TOAST_COMPRESSION",
               .choices = {"lz4", "pglz", "server"},
               .commands = writes});
  AddStagingOptions(t);
  t.push_back({.names = "--mariadb-write-method",
               .value = "METHOD",
               .help = "How a MariaDB or MySQL destination is written: bulk (prepared bulk "
                       "inserts), load-data (LOAD DATA LOCAL) or odbc (parameter arrays)",
               .default_value = "the fastest the server allows, in that order",
               .reason = "choosing one is for measurements; it must be one the server allows",
               .env = "FERRY_MARIADB_WRITE_METHOD",
               .choices = {"bulk", "load-data", "odbc"},
               .commands = writes});
}

// Where ferry keeps its run state, and how run goes about its work.
void AddRunOptions(std::vector<OptionSpec>& t) {
  t.push_back({.names = "--state-prefix",
               .value = "PREFIX",
               .help = "Name prefix of ferry's run state tables in the destination",
               .default_value = kDefaultStatePrefix,
               .reason = "a prefix no application's tables use",
               .env = "FERRY_STATE_PREFIX",
               .commands = {C::kRun, C::kStatus, C::kReset, C::kReport, C::kPlan}});
  t.push_back(
      {.names = "--state-schema",
       .value = "NAME",
       .help = "Where ferry keeps its run state in the destination: a schema "
               "(PostgreSQL; created when missing) or a database (MariaDB)",
       .default_value = fmt::format("{} on PostgreSQL, the destination's own database on "
                                    "MariaDB",
                                    kStateSchema),
       .reason = "apart from the tables copied, where the login can create it",
       .env = "FERRY_STATE_SCHEMA",
       .commands = {C::kRun, C::kVerify, C::kSync, C::kStatus, C::kReset, C::kReport, C::kPlan}});
  t.push_back({.names = "--lock-wait",
               .value = "SECONDS",
               .help = "How long to wait for locks another session holds on a table (a "
                       "migration's or a reader's transaction left open) before naming the "
                       "sessions and failing the table: reading a PostgreSQL table's catalog "
                       "entry, pg_dump and a PostgreSQL schema clone's statements (check's trial "
                       "too) wait this long (exit 6); emptying, dropping, building an "
                       "index or a key and recording a run wait half of it, in tries of 2 s",
               .default_value = fmt::format("{}", EndpointOptions{}.lock_wait),
               .reason = "a report or a backup's transaction ends within seconds; a session "
                         "that holds a table longer is named instead of queueing every other",
               .env = "FERRY_LOCK_WAIT",
               .commands = {C::kRun, C::kPlan, C::kCheck, C::kVerify, C::kSync, C::kReset}});
  AddNetworkOptions(t);
  t.push_back({.names = "--plan,-p",
               .value = "FILE",
               .help = "A plan file from `ferry plan`: run executes it exactly (refused when a "
                       "source table changed since); verify compares by its tables, columns and "
                       "ranges",
               .env = "FERRY_PLAN",
               .commands = {C::kRun, C::kVerify}});
  t.push_back({.names = "--quiet,-q",
               .help = "Print only what failed or differs (and sync's total), and no progress",
               .env = "FERRY_QUIET",
               .commands = {C::kRun, C::kVerify, C::kSync}});
  t.push_back({.names = "--explain",
               .help = "Print how each table would be split and copied, and why; copy nothing",
               .env = "FERRY_EXPLAIN",
               .commands = {C::kRun}});
  t.push_back({.names = "--verbose,-v",
               .help = "run: also print each table's split and why before copying, and each "
                       "table's start; twice (-vv) also each unit as it commits. verify and "
                       "sync: also a line on standard error as each table ends (-vv: verify's "
                       "ranges as they are compared)",
               .env = "FERRY_VERBOSE",
               .commands = {C::kRun, C::kVerify, C::kSync}});
  t.push_back({.names = "--resume",
               .value = "[RUN]",
               .help = "Continue the latest interrupted run of this copy (or the run named; "
                       "`latest` names the latest) from its stored plan: committed units are "
                       "kept; with nothing to resume, start a new run",
               .env = "FERRY_RESUME",
               .commands = {C::kRun}});
  t.push_back({.names = "--join",
               .value = "RUN",
               .help = "Work as one of many workers on the shared run RUN (a name you choose): "
                       "the first worker plans it, makes the tables and opens it; every worker "
                       "claims units under leases in the destination until all are done",
               .env = "FERRY_JOIN",
               .commands = {C::kRun}});
  t.push_back({.names = "--lease",
               .value = "DURATION",
               .help = "How long a shared run's worker holds a unit without renewing it (it "
                       "renews three times a lease while it lives); a dead or frozen worker's "
                       "units go to others after it. Set by the worker that makes the run",
               .default_value = "30s",
               .reason = "a stalled worker costs at most this; renewals ride out short stalls",
               .env = "FERRY_LEASE",
               .commands = {C::kRun}});
  t.push_back({.names = "--shard",
               .value = "I/N",
               .help = "With --join: take share I of N of the units first (every N-th, largest "
                       "first), then others' leftovers; `/N` reads I from JOB_COMPLETION_INDEX",
               .env = "FERRY_SHARD",
               .commands = {C::kRun}});
}

// The files run, verify, sync, plan and report write, and what check prints.
void AddOutputOptions(std::vector<OptionSpec>& t) {
  t.push_back({.names = "--profile",
               .value = "FILE",
               .help = "Write the run's timings as JSON to FILE (`ferry profile compare A B` "
                       "compares two): run: per table and per unit the stages (read, convert, "
                       "queue waits, write, commit), each unit's reader and writer thread and "
                       "wall-clock start and end; verify: each range comparison's worker and "
                       "times; sync: each table's changes and times. Stage seconds are summed "
                       "over threads and labelled so, next to wall seconds",
               .env = "FERRY_PROFILE",
               .commands = {C::kRun, C::kVerify, C::kSync}});
  t.push_back({.names = "--spool",
               .value = "DIR",
               .help = "While every writer is busy, readers write the units they read into files "
                       "in DIR (a folder of this run's inside it) and read on; writers drain them "
                       "in order, each file removed once its unit is committed. The readers "
                       "finish, and the source's snapshot is let go, as fast as the source reads",
               .default_value = "no spool: readers wait for writers",
               .reason = "a slow destination holds the source's snapshot open for the whole copy",
               .env = "FERRY_SPOOL",
               .commands = {C::kRun}});
  t.push_back({.names = "--trace",
               .value = "FILE",
               .help = "Write the timeline to FILE in the Chrome trace-event format (open it in "
                       "ui.perfetto.dev or chrome://tracing): a track per thread (run: readers "
                       "and writers, a span per unit on each, commits nested; verify: its "
                       "workers' range comparisons; sync: each table's sync); written at the "
                       "end, also of an interrupted run",
               .env = "FERRY_TRACE",
               .commands = {C::kRun, C::kVerify, C::kSync}});
  t.push_back({.names = "--output,-o",
               .value = "FILE",
               .help = "Write the plan (plan) or the HTML page (report) to FILE; a report page "
                       "is written whole to a temporary file and renamed",
               .default_value = "standard output",
               .reason = "to read it, or pipe it",
               .env = "FERRY_PLAN_OUTPUT",
               .commands = {C::kPlan, C::kReport}});
  t.push_back({.names = "--run",
               .value = "RUN",
               .help = "The run the report shows in detail (its id, as `ferry status` lists it)",
               .default_value = "the newest copy run, else the newest run",
               .reason = "the copy is what a report is most often about",
               .env = "FERRY_REPORT_RUN",
               .commands = {C::kReport}});
  t.push_back({.names = "--publish",
               .value = "RUN",
               .help = "Also record the plan in the destination's run state as shared run RUN: "
                       "workers started with `ferry run --join RUN` (same source, destination "
                       "and tables) work through exactly this plan",
               .env = "FERRY_PUBLISH",
               .commands = {C::kPlan}});
  t.push_back({.names = "--json",
               .help = "Print the report as JSON",
               .env = "FERRY_JSON",
               .commands = {C::kCheck, C::kVerify, C::kStatus}});
  t.push_back({.names = "--scan",
               .help = "Also read every table once (aggregate queries the source runs) and count "
                       "per column the values the destination will refuse: NaN and infinities "
                       "into MariaDB, NUL into PostgreSQL, text longer than its column, dates out "
                       "of range, MariaDB zero dates; each is a blocker with example keys",
               .reason = "it reads every table",
               .env = "FERRY_CHECK_SCAN",
               .commands = {C::kCheck}});
  const CheckOptions check;
  t.push_back({.names = "--sample-seconds",
               .value = "SECONDS",
               .help = fmt::format("Read each of the {} largest tables for at most this long (or "
                                   "{} rows) to estimate the copy's time; 0 reads nothing",
                                   check.sample_tables, check.sample_rows),
               .default_value = fmt::format("{}", check.sample_seconds),
               .reason = "short, so check stays quick on any source",
               .env = "FERRY_CHECK_SAMPLE_SECONDS",
               .commands = {C::kCheck}});
}

// What verify takes besides.
void AddVerifyOptions(std::vector<OptionSpec>& t) {
  const VerifyOptions verify;
  t.push_back({.names = "--repair",
               .help = "Copy the ranges that differ again (each replaces its range at the "
                       "destination in one transaction), then compare them again",
               .env = "FERRY_VERIFY_REPAIR",
               .commands = {C::kVerify}});
  t.push_back({.names = "--max-keys",
               .value = "N",
               .help = "Keys listed per kind (missing, extra, different) and table; the counts "
                       "are always complete",
               .default_value = std::to_string(verify.max_keys),
               .reason = "enough to see what went wrong, short enough to read",
               .env = "FERRY_VERIFY_MAX_KEYS",
               .commands = {C::kVerify}});
  t.push_back({.names = "--sample",
               .value = "PERCENT",
               .help = "Compare a random PERCENT of each table's ranges (a quick check during "
                       "rehearsals)",
               .default_value = fmt::format("{}", verify.sample_percent),
               .reason = "a proof compares everything",
               .env = "FERRY_VERIFY_SAMPLE",
               .commands = {C::kVerify}});
  t.push_back({.names = "--seed",
               .value = "N",
               .help = "Seed of --sample's choice, to repeat a sample",
               .default_value = "random, and printed",
               .reason = "each rehearsal looks at other ranges",
               .env = "FERRY_VERIFY_SEED",
               .commands = {C::kVerify}});
  t.push_back({.names = "--leaf-rows",
               .value = "N",
               .help = "A differing range of at most this many rows is compared key by key; "
                       "larger ones are cut into smaller ranges first where the key is one "
                       "integer column",
               .default_value = std::to_string(verify.leaf_rows),
               .reason = "reading that many keys costs less than cutting the range again",
               .env = "FERRY_VERIFY_LEAF_ROWS",
               .commands = {C::kVerify}});
  t.push_back({.names = "--hash",
               .value = "WHERE",
               .help = "Where rows are hashed: server (both servers hash and sum each range in "
                       "SQL, for tables whose ends are one engine with identical column types), "
                       "client (ferry reads and hashes every row), auto (server where it can and "
                       "that is faster)",
               .default_value = HashPathName(verify.hash),
               .reason = "the servers' hashes are faster on PostgreSQL, ferry's on MariaDB",
               .env = "FERRY_VERIFY_HASH",
               .choices = {HashPathName(HashPath::kAuto), HashPathName(HashPath::kServer),
                           HashPathName(HashPath::kClient)},
               .commands = {C::kVerify}});
  t.push_back({.names = "--files",
               .value = "DIR",
               .help = "Check a staging directory against its manifest with no database: every "
                       "chunk file present, of its size and SHA-256, decoding to its rows and "
                       "row-hash sums; the manifest unedited (--source and --dest are not used)",
               .env = "FERRY_VERIFY_FILES",
               .commands = {C::kVerify}});
}

// What sync, track and reset take besides.
void AddSyncTrackResetOptions(std::vector<OptionSpec>& t) {
  const SyncOptions sync;
  t.push_back({.names = "--watermark",
               .value = "COLUMN",
               .help = "Watermark mode: re-copy (upsert) the rows whose COLUMN is at or above the "
                       "last high-water mark less the overlap; deletes are not seen",
               .default_value = "the change log (ferry track enable), or a job file table's "
                                "watermark:",
               .reason = "a change log sees deletes and needs no column",
               .env = "FERRY_WATERMARK",
               .commands = {C::kSync}});
  t.push_back({.names = "--watermark-overlap",
               .value = "N",
               .help = "Subtracted from the last high-water mark (seconds for time columns, "
                       "units for numbers)",
               .default_value = std::to_string(sync.watermark_overlap),
               .reason = "catches the rows of transactions that committed late",
               .env = "FERRY_WATERMARK_OVERLAP",
               .commands = {C::kSync}});
  t.push_back({.names = "--keys-per-batch",
               .value = "N",
               .help = "Change-log entries applied per destination transaction",
               .default_value = std::to_string(sync.keys_per_batch),
               .reason = "PostgreSQL reads 60,000 keys by a sequential scan where 20,000 are "
                         "index probes",
               .env = "FERRY_SYNC_KEYS_PER_BATCH",
               .commands = {C::kSync}});
  t.push_back({.names = "--final",
               .help = "Cutover: check that the source refuses writes, run the last sync, "
                       "verify, and print go or no-go with each step's duration",
               .env = "FERRY_SYNC_FINAL",
               .commands = {C::kSync}});
  t.push_back({.names = "--fence",
               .help = "With --final: make the source refuse writes first (PostgreSQL: the "
                       "database read-only and its sessions ended; MariaDB: SET GLOBAL "
                       "read_only) and print how to undo it",
               .env = "FERRY_SYNC_FENCE",
               .commands = {C::kSync}});
  t.push_back({.names = "--diff",
               .help = "Diff mode: compare both ends by key-range checksums (as ferry verify) "
                       "and copy again only what differs, deleting rows the source no longer "
                       "has; reads both ends whole, changes nothing at the source",
               .env = "FERRY_SYNC_DIFF",
               .commands = {C::kSync}});
  t.push_back({.names = "--apply-schema-changes",
               .help = "Apply schema drift instead of refusing the table: add the columns the "
                       "source gained (then re-copy the table by upsert to fill them) and drop "
                       "those it no longer has; a changed column type is still refused",
               .reason = "a schema change at the source is a DBA's decision to see",
               .env = "FERRY_SYNC_APPLY_SCHEMA_CHANGES",
               .commands = {C::kSync}});
  t.push_back({.names = "--estimate",
               .help = "Print each table's backlog and how long a sync would take now, from the "
                       "syncs measured so far; change nothing",
               .env = "FERRY_SYNC_ESTIMATE",
               .commands = {C::kSync}});
  t.push_back({.names = "--consumer",
               .value = "ID",
               .help = "With track unregister: the consumer id (from track status) whose place "
                       "in the change logs is given up, so they are purged without it",
               .env = "FERRY_TRACK_CONSUMER",
               .commands = {C::kTrack}});
  t.push_back({.names = "--yes",
               .help = "Really empty the tables",
               .reason = "reset lists what it would empty first",
               .env = "FERRY_RESET_YES",
               .commands = {C::kReset}});
}

}  // namespace

std::string_view CommandName(Command command) {
  switch (command) {
    case Command::kRun:
      return "run";
    case Command::kPlan:
      return "plan";
    case Command::kCheck:
      return "check";
    case Command::kVerify:
      return "verify";
    case Command::kSync:
      return "sync";
    case Command::kTrack:
      return "track";
    case Command::kStatus:
      return "status";
    case Command::kReset:
      return "reset";
    case Command::kReport:
      return "report";
  }
  return "?";
}

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> all = {C::kRun,   C::kPlan,   C::kCheck,  C::kVerify, C::kSync,
                                           C::kTrack, C::kStatus, C::kReport, C::kReset};
  return all;
}

std::string OptionSpec::LongName() const {
  return names.substr(0, names.find(','));
}

std::string OptionSpec::Describe() const {
  std::string out = help;
  if (!default_value.empty()) {
    out += fmt::format(". Default: {}", default_value);
    if (!reason.empty()) out += fmt::format(" ({})", reason);
  } else if (!reason.empty()) {
    out += fmt::format(". {} by default: {}", value.empty() ? "Off" : "Unset", reason);
  }
  out += fmt::format(". Environment: {}", env);
  if (repeatable) out += " (values separated by commas)";
  if (!job_key.empty()) out += fmt::format("; job file: {}", job_key);
  return out;
}

const std::vector<OptionSpec>& OptionTable() {
  static const std::vector<OptionSpec> table = [] {
    std::vector<OptionSpec> t;
    AddScopeOptions(t);
    AddEngineOptions(t);
    AddSchemaAndEngineKnobs(t);
    AddRunOptions(t);
    AddOutputOptions(t);
    AddVerifyOptions(t);
    AddSyncTrackResetOptions(t);
    AddWatchOptions(t);
    return t;
  }();
  return table;
}

const OptionSpec& FindOption(std::string_view long_name) {
  for (const OptionSpec& o : OptionTable()) {
    if (o.LongName() == long_name) return o;
  }
  throw Error(ErrorCode::kInternal,
              fmt::format("option {} is not in the options table", long_name));
}

std::string OptionsMarkdown() {
  auto cell = [](std::string text) {
    std::string out;
    for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string out =
      "| option | what it does | default, and why | environment | job file | commands |\n"
      "|---|---|---|---|---|---|\n";
  for (const OptionSpec& o : OptionTable()) {
    std::string names;
    for (size_t at = 0; at < o.names.size();) {
      size_t comma = o.names.find(',', at);
      if (comma == std::string::npos) comma = o.names.size();
      names += (names.empty() ? "" : ", ") + fmt::format("`{}`", o.names.substr(at, comma - at));
      at = comma + 1;
    }
    const std::string value = o.choices.empty() ? o.value : Join(o.choices, "|");
    if (!value.empty()) names += fmt::format(" {}", value);
    std::string why =
        o.default_value.empty() ? (o.value.empty() ? "off" : "unset") : o.default_value;
    if (!o.reason.empty()) why += ": " + o.reason;
    std::vector<std::string> commands;
    for (Command c : AllCommands()) {
      if (o.commands.Has(c)) commands.emplace_back(CommandName(c));
    }
    out +=
        fmt::format("| {} | {}{} | {} | `{}` | {} | {} |\n", cell(names), cell(o.help),
                    o.repeatable ? " (repeatable)" : "", cell(why), o.env,
                    o.job_key.empty() ? "" : fmt::format("`{}`", o.job_key), Join(commands, ", "));
  }
  return out;
}

}  // namespace ferry
