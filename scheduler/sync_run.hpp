// `ferry sync`: brings a destination that a full copy filled up to date with the source, table
// by table, and `ferry track`: the change logs it reads. Two modes:
//   tracked   – the source's change log (ferry track enable) names the keys changed since the
//               last applied sequence; those keys' current rows are read again and upserted,
//               and keys whose last logged change is a delete are deleted first, in batches of
//               log entries, each batch committed with the new applied sequence (so a killed
//               sync redoes nothing).
//   watermark – rows whose watermark column is at or above the last high-water mark minus a
//               safety overlap are upserted; deletes cannot be seen this way.
// A tracked table's position is kept with the generation of the tracking it applied from, and
// every destination registers with the source's log as a consumer, so the log is purged only
// below what all of them applied. A table whose log has a gap for this destination (tracking
// disabled and enabled again, entries it needed purged) is refused (resync): it must be copied
// again, after which it syncs on. Keyless tables are synced by diff (compared whole, by row
// hashes, and replaced when they differ). A table whose columns changed at either end since
// the copy (schema drift) is refused unless the DBA opts in to applying the change. One table's
// problem never stops the others.
// The destination's run lock keeps two syncs (or a sync and a run) from working at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "copier/change_tracking.hpp"
#include "copier/endpoint.hpp"
#include "copier/job.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/sync_large_objects.hpp"
#include "scheduler/verify_run.hpp"

namespace ferry {

struct TableSync;

struct SyncOptions {
  EngineOptions engine;
  // Change-log entries applied per destination transaction, and a bound on the text of their
  // keys (which the statements reading and deleting the rows name). Much larger lists cost
  // more than they save: PostgreSQL reads 60,000 keys of lineitem (6M rows) by a sequential
  // scan (2.2 s) where 20,000 are index probes (0.4 s).
  size_t keys_per_batch = 20000;
  size_t key_bytes_per_batch = 8u << 20;
  // Watermark mode for every table in scope, by this column; when empty, tables the job file
  // gives a `watermark:` use theirs, the others tracked mode.
  std::string watermark;
  // Subtracted from the last high-water mark: seconds for date and time columns, units for
  // numbers. Rows written by transactions that committed after the mark was read carry values
  // below it; the overlap catches them.
  int64_t watermark_overlap = 300;
  // Schema drift (--apply-schema-changes): add at the destination the columns the source
  // gained (then re-copy the table's rows by upsert, which fills them) and drop the ones it no
  // longer has; without it such a table is refused.
  bool apply_schema_changes = false;
  // How keyless tables are compared and repaired (ferry verify's options).
  VerifyOptions verify;
  // Called on the calling thread as each table's sync ends (for progress displays): the table,
  // its index and how many tables the sync has.
  std::function<void(const TableSync&, size_t index, size_t tables)> table_done;
};

struct TableSync {
  TableName source;
  TableName destination;
  std::string mode;       // "tracked", "watermark" or "diff" (keyless tables)
  std::string watermark;  // the watermark column
  bool failed = false;
  // The change log has a gap for this destination: the table must be copied again (error says
  // how). Counted as failed too.
  bool resync = false;
  bool interrupted = false;  // stopped by a signal (counted as failed)
  std::string error;
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t upserted = 0;     // watermark mode, which cannot tell inserts from updates
  int64_t log_entries = 0;  // tracked: change-log entries applied
  int batches = 0;          // transactions committed
  double seconds = 0;
  double started_at = -1;      // seconds since the sync started; -1: not measured (diff mode)
  std::string position;        // the applied sequence or high-water mark after the sync
  std::string warning;         // something that did not stop the table (a change log left unpurged)
  std::string schema_changes;  // what --apply-schema-changes changed at the destination
  // The one-line record kept in the run state: "inserted I, updated U, deleted D".
  std::string Summary() const;
};

struct SyncReport {
  bool busy = false;  // another ferry process holds the destination's lock: nothing was done
  std::string run_id;
  std::vector<TableSync> tables;
  double seconds = 0;
  bool interrupted = false;  // a signal stopped it: the batch in flight was rolled back
  std::optional<LargeObjectSync> large_objects;  // where the tables point at large objects
  bool AnyFailed() const;
  bool AnyResync() const;
};

// Syncs every table of `job`'s scope; a table's problem (a missing destination table, drift, a
// gap in its change log, a failed batch) is recorded in its entry and the others go on. Throws
// Error for what stops every table (no table in scope, a connection lost before any table).
SyncReport RunSync(Endpoint& source, Endpoint& destination, const Job& job,
                   const SyncOptions& options);

// `ferry sync --diff`: no change to the source and every change seen, at the price of reading
// both ends whole: ferry verify --repair over the scope (key-range checksums, differing ranges
// copied again, rows the source no longer has deleted), recorded as a sync run.
SyncReport RunDiffSync(Endpoint& source, Endpoint& destination, const Job& job,
                       const VerifyOptions& verify);

// `ferry sync --final`, in the cutover window: checks that the source refuses writes, runs the
// last sync, then verify; go only when every step is.
struct FinalStep {
  std::string name;
  double seconds = 0;
  bool ok = true;
  std::string detail;
};

struct FinalReport {
  std::vector<FinalStep> steps;  // stops at the first that is not ok
  SyncReport sync;
  VerifyReport verify;
  bool go = false;
};

FinalReport RunFinalSync(Endpoint& source, Endpoint& destination, const Job& job,
                         const SyncOptions& options, const VerifyOptions& verify);

// `ferry sync --estimate`: each tracked table's backlog, and the time the syncs recorded so far
// say applying it takes (seconds < 0: no sync has been measured yet).
struct SyncEstimate {
  TableName table;
  TrackStatus status;
  double rows_per_second = 0;
  double seconds = -1;
};

std::vector<SyncEstimate> EstimateSync(Endpoint& source, Endpoint& destination, const Job& job);

// `ferry run` from a tracked source: before the copy's snapshot, registers the destination with
// the change log of every tracked table in `tables` at the log's current end (an earlier
// registration of the same generation stays, so a resumed copy keeps what its first attempt
// needs), so no other destination's sync purges entries this copy does not contain, and this
// destination's first sync starts there. Untracked tables cost one catalog look-up each. Returns
// a warning when the registration failed (the copy goes on; a later sync refuses what it cannot
// prove complete), else "".
std::string RegisterCopyWithChangeLogs(Endpoint& source, Endpoint& destination,
                                       const std::vector<TableName>& tables);

// After `ferry run` from a staging directory (an import): the destination's sync state gets,
// for each table the run copied whole (done in `report`), where the export stood in the
// source's change log, so its first `ferry sync` from the live source applies exactly the
// changes made since the export. Returns a warning when they could not be written, else "".
struct CopyReport;
std::string CarryLogPositions(Endpoint& source, Endpoint& destination, const CopyReport& report);

enum class TrackAction { kEnable, kDisable, kStatus, kUnregister };

struct TrackOutcome {
  TableName table;
  TrackStatus status;         // after the action
  std::string error;          // the table failed
  bool unregistered = false;  // kUnregister: the consumer was registered for this table
};

// `consumer`: the id kUnregister forgets.
std::vector<TrackOutcome> RunTrack(Endpoint& source, const Job& job, TrackAction action,
                                   const std::string& consumer = "");

}  // namespace ferry
