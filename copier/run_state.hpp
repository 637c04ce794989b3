// Run state, kept in the destination database next to the data it describes: every run (its
// plan, when it started and ended, how it ended), every table's outcome, and every unit's
// state. A unit's "done" mark commits in the same transaction as its rows, so a resumed run
// redoes exactly the units whose rows are not there. drivers/ implements the store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/held_foreign_key.hpp"
#include "copier/plan.hpp"

namespace ferry {

enum class RunStatus { kRunning, kDone, kFailed, kInterrupted };
const char* RunStatusName(RunStatus status);
std::optional<RunStatus> ParseRunStatus(const std::string& text);

// A unit's state in the run state.
// kSpooled: read whole into the run's spool (ferry run --spool), waiting there for a writer; its
// rows and bytes are the spool file's, not committed. A run claimed again (--resume) finds its
// spooled units pending: the spool went with the process.
enum class UnitRecordState { kPending, kDone, kFailed, kSpooled };
const char* UnitRecordStateName(UnitRecordState state);
std::optional<UnitRecordState> ParseUnitRecordState(const std::string& text);

struct RunRecord {
  std::string id;       // e.g. "20261122T031500Z-4f2a"
  std::string scope;    // what the run copies, as a key: same source, destination and tables
  std::string command;  // "run", "sync", ...
  RunStatus status = RunStatus::kRunning;
  std::string started_at;
  std::string finished_at;
  std::string source;  // connections without secrets
  std::string destination;
  std::string plan_fingerprint;
  std::string plan;  // the plan as JSON: a resume runs exactly it
  std::string host;
  int64_t pid = 0;
  std::string summary;  // one line: tables done/failed, rows
  // Who may write for the run: a random token of the process that started or last claimed it.
  // Every unit's commit checks it inside its own transaction (a fencing token), so a process
  // whose run another one took over cannot commit another unit.
  std::string owner_token;
  // A shared run (ferry run --join): how long a worker's lease on a unit lasts, in
  // milliseconds; 0 for a run of one process, and while the first worker still prepares.
  int64_t lease_ms = 0;
};

struct TableRecord {
  int index = 0;  // position in the plan
  TableName source;
  TableName destination;
  // A copy run's or sync's table state (scheduler's TableStateName); a verification's verdict.
  std::string state = "pending";
  bool created = false;  // this run created the destination table
  int64_t rows = 0;
  int64_t bytes = 0;
  double seconds = 0;
  int units = 0;
  int units_done = 0;
  int attempts = 0;
  int64_t estimated_rows = -1;
  std::string error;
  // What was left out on purpose and said so (a foreign key to a table outside the scope).
  std::vector<std::string> warnings;
  // When its first unit started (UTC, ISO 8601), so a running table's time so far can be
  // shown; "" before that, or in an older ferry's run state.
  std::string started_at;
};

// When and how a unit ran, as its done mark records it: what the report page draws its
// timeline, stage times and throughput from. Zero or negative: not recorded (a unit not done
// yet, or done by a ferry that did not record it).
struct UnitTiming {
  double started_at = 0;   // seconds since the epoch, when its first read began
  double finished_at = 0;  // ... when its commit began (the mark commits with the rows)
  // Seconds in each stage, summed over the threads that worked on the unit; its commit is not
  // among them (the mark is written before it).
  double read = 0;
  double convert = 0;
  double wait_slot = 0;  // its reader waiting for a free batch
  double wait_data = 0;  // its writer waiting for batches
  double write = 0;
  // The reader and writer threads that ran it (by index), -1 when not recorded.
  int reader = -1;
  int writer = -1;

  bool Recorded() const { return started_at > 0 && finished_at >= started_at; }
};

struct UnitRecord {
  int table = 0;
  int part = 0;
  UnitRecordState state = UnitRecordState::kPending;
  int64_t rows = 0;
  int64_t bytes = 0;
  int attempts = 0;
  std::string range;  // for people: "[(10), (20))"
  std::string error;
  // A shared run's lease on the unit: the worker holding it ("" when none ever did) and how
  // long the lease still runs by the destination's clock (negative: expired).
  std::string worker;
  int64_t lease_left_ms = 0;
  UnitTiming timing;
};

// The record of unit `part` of table `table` among `units`, or nullptr. A run's unit records are
// kept in (table, part) order (RunRecorder::Start makes them so, the stores read them back so),
// so the record is found by bisection, O(log n): a unit's commit must not cost every unit of
// the run. Records in another order are looked through one by one.
const UnitRecord* FindUnitRecord(const std::vector<UnitRecord>& units, int table, int part);
UnitRecord* FindUnitRecord(std::vector<UnitRecord>& units, int table, int part);

// A worker process of a shared run.
struct WorkerRecord {
  std::string worker;  // "host/pid/4f2a": names it in leases
  std::string host;
  int64_t pid = 0;
  std::string shard;  // "2/4", or "" for none
  std::string started_at;
  std::string state = "working";  // "working", "left"
  // How long its lease still runs, by the destination's clock (JoinRun: its first lease).
  int64_t lease_left_ms = 0;
  int units_done = 0;
};

// Where ferry keeps its state in the destination, unless told otherwise (--state-prefix).
inline constexpr const char* kDefaultStatePrefix = "ferry_";

// SQLSTATEs of the owner checks in a unit's commit: another process claimed the run (this one
// must stop writing at once), or this process's run lock session is gone (it may take the lock
// again and retry).
inline constexpr const char* kRunTakenOver = "FR001";
inline constexpr const char* kRunLockLost = "FR002";
// ... and of a shared run's unit commit: this worker's lease on the unit expired and another
// worker claimed it (the claim's generation, the fencing token, moved on): its rows roll back.
inline constexpr const char* kLeaseLost = "FR003";

// A short fingerprint of a plan's JSON text, recorded with the run.
std::string PlanFingerprint(const std::string& plan_json);

// Where ferry keeps its run state on PostgreSQL unless told otherwise (--state-schema, whose
// environment twin is FERRY_STATE_SCHEMA); elsewhere the destination's own database.
inline constexpr const char* kStateSchema = "ferry_state";

// Whether `table` is one of ferry's run state tables (default prefix, or in kStateSchema).
bool IsRunStateTable(const std::string& table);
bool IsRunStateTable(const TableName& table);

// Whether `name` is one of the objects ferry itself makes in a database (run state tables, the
// change logs of `ferry track` with their triggers, functions and bookkeeping, staging tables),
// or one of their indexes and constraints ("ferry_runs_pkey"). A user's own object that merely
// starts with "ferry_" (a ferry operator's ferry_routes) is not.
bool IsFerryObjectName(const std::string& name);
// Whether a description such as "trigger ferry_log_film_ins on db.film" or "db.ferry_log_film"
// names one of them: any of its words or dotted parts.
bool NamesFerryObject(const std::string& description);

// What makes two runs "the same copy": source, destination and the source tables, as a short
// key. `ferry run --resume` looks for an interrupted run with the same key.
std::string RunScopeKey(const Plan& plan);
std::string RunScopeKey(const std::string& source, const std::string& destination,
                        std::vector<TableName> source_tables);
// A new run record for `plan`: a fresh id ("20261122T031500Z-4f2a"), start time, host, pid.
RunRecord NewRunRecord(const Plan& plan, const std::string& command);
// The current time in UTC, ISO 8601 ("2026-11-22T03:15:00Z").
std::string UtcTimestamp();
// The same of a time in seconds since the epoch.
std::string UtcTimestamp(double epoch_seconds);
// A fresh owner token (128 random bits as hex).
std::string NewOwnerToken();
// This host's name, as run records store it.
std::string HostName();
// The tag every server session of the ferry process `pid` on `host` carries (PostgreSQL's
// application_name; MariaDB derives named locks from it), at most 63 bytes: "ferry 1234@host".
std::string SessionTag(const std::string& host, int64_t pid);
// This process's tag.
const std::string& ThisSessionTag();

// Held while a run writes into a destination; released when destroyed or when the process
// holding it dies (a server-side lock tied to the session, or a file lock).
class ScopeLock {
 public:
  virtual ~ScopeLock() = default;
  // False once the session holding a server-side lock is gone (killed by a DBA, a cut
  // network): the lock went with it.
  virtual bool Alive() { return true; }
  // The server's id of the session holding the lock ("" for a file lock).
  virtual std::string holder() const { return ""; }
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  // Creates the state tables when they are missing. Reading needs no Prepare: before the first
  // run there is nothing recorded.
  virtual void Prepare() = 0;
  // Takes the destination's run lock, or returns nullptr when another process holds it. The
  // store remembers the newest lock it took: unit commits check that its session still holds it.
  virtual std::unique_ptr<ScopeLock> TryLock() = 0;
  // Who holds the run lock TryLock could not take, as the destination tells it (a server
  // session and its ferry process, a lock file's last taker); "" when it cannot tell.
  virtual std::string LockHolder() { return ""; }

  // Records a new run owned by this process (run.owner_token). Safe to repeat after a lost
  // reply: what is already there is not inserted again.
  virtual void StartRun(const RunRecord& run, const std::vector<TableRecord>& tables,
                        const std::vector<UnitRecord>& units) = 0;
  // Makes this process the owner of a recorded run it resumes: new owner token, host and pid,
  // status running. Units the previous owner commits after this fail their owner check.
  virtual void ClaimRun(const RunRecord& run) = 0;
  virtual void FinishRun(const std::string& run, RunStatus status, const std::string& summary) = 0;
  // An empty started_at keeps the one recorded.
  virtual void UpdateTable(const std::string& run, const TableRecord& table) = 0;
  virtual void FailUnit(const std::string& run, int table, int part, int attempts,
                        const std::string& error) = 0;
  // Marks every unit of a table pending again (its rows were dropped with the table).
  virtual void ResetUnits(const std::string& run, int table) = 0;
  // The unit is in the run's spool, `rows` rows in `bytes` bytes, waiting for a writer (never
  // over a done mark); for ferry status. Nothing where the store does not show it.
  virtual void SpoolUnit(const std::string& /*run*/, int /*table*/, int /*part*/, int64_t /*rows*/,
                         int64_t /*bytes*/) {}
  // Statements that mark a unit done; run inside the unit's own transaction. They fail it
  // unless this process still owns the run (SQLSTATE kRunTakenOver) and still holds the run
  // lock (kRunLockLost), and when the unit is already marked done. `timing` is recorded with
  // the mark where the store keeps it.
  virtual std::vector<std::string> UnitDoneSql(const std::string& run, int table, int part,
                                               int64_t rows, int64_t bytes, int attempts,
                                               const UnitTiming& timing = {}) = 0;
  // Whether the unit's done mark is in the destination, asked on a new session: after an
  // error during or after a commit, the commit may have happened. Safe from any thread.
  virtual bool UnitCommitted(const std::string& run, int table, int part) = 0;
  // Ends the server sessions still open for the ferry process `pid` on `host` (found by their
  // SessionTag) and waits until they are gone, their transactions rolled back. Returns how
  // many it ended.
  virtual int EndSessionsOf(const std::string& host, int64_t pid) = 0;

  // Shared runs (ferry run --join). Leases expire by the destination's clock. OpenRun makes a
  // recorded run's units claimable (and creates its build leases: one per table in `tables`,
  // and "run"); JoinRun records a worker (again: it is working again). ClaimUnit leases a
  // pending unit no other worker's live lease holds, atomically (a row lock that other claims
  // skip), with a new generation that the unit's commit checks (UnitDoneSql: kLeaseLost when it
  // moved on). Asked again before another attempt at a unit the worker holds, it renews the
  // claim, or says false when the lease ran out and another worker took the unit (or did it).
  // RenewLeases extends every lease the worker still holds. ClaimLease takes a named build
  // lease ("table 3", "run") that is not done and not held; LeaseDone marks it done.
  virtual void OpenRun(const std::string& run, int64_t lease_ms, int tables);
  virtual void JoinRun(const std::string& run, const WorkerRecord& worker);
  virtual void LeaveRun(const std::string& run, const std::string& worker);
  virtual bool ClaimUnit(const std::string& run, const std::string& worker, int table, int part,
                         int64_t lease_ms);
  virtual void RenewLeases(const std::string& run, const std::string& worker, int64_t lease_ms);
  virtual bool ClaimLease(const std::string& run, const std::string& name,
                          const std::string& worker, int64_t lease_ms);
  virtual void LeaseDone(const std::string& run, const std::string& name,
                         const std::string& worker);
  // Gives a build lease back undone (what it waited for is not ready after all).
  virtual void ReleaseLease(const std::string& run, const std::string& name,
                            const std::string& worker);
  virtual std::vector<WorkerRecord> Workers(const std::string& run);
  // A worker joining again retries what failed (as a resume does): the failed units pending
  // again with their attempts kept, failed tables' builds and the run's finish to do again, a
  // failed run running again. Returns how many units it made pending.
  virtual int RetryFailed(const std::string& run);

  // Destination foreign keys runs set aside for their loads (copier/held_foreign_key.hpp), of
  // every run. HoldForeignKeys records them for `run` (committed) before they are dropped, so a
  // process killed in between leaves a record; again for a key recorded before, it becomes
  // `run`'s, dropped. ForeignKeyBack forgets a key once it is back as it was, or keeps it as
  // "not valid" when rows violated it (`not_valid`), so a later run knows it was valid. Stores
  // that keep no such record (the default) are used where no key is ever set aside.
  virtual void HoldForeignKeys(const std::string& run, const std::vector<HeldForeignKey>& keys);
  virtual void ForeignKeyBack(const HeldForeignKey& key, bool not_valid);
  virtual std::vector<HeldForeignKey> HeldForeignKeys();

  // Newest first.
  virtual std::vector<RunRecord> Runs() = 0;
  virtual std::vector<TableRecord> Tables(const std::string& run) = 0;
  virtual std::vector<UnitRecord> Units(const std::string& run) = 0;
  // Forgets a run and everything recorded about it.
  virtual void DeleteRun(const std::string& run) = 0;
};

}  // namespace ferry
