// The parallel copy engine. Reader threads (one source connection each) read work units
// into batches drawn from a fixed pool; conversion and encoding run as oneTBB tasks; writer
// threads (one destination connection each) take a unit's stream of batches and commit the
// unit as one transaction. Boost.Lockfree queues carry pool indices, never batches, and the
// pool's size bounds memory whatever the tables' sizes. Blocking database calls stay on the
// dedicated threads; only CPU work runs on oneTBB.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "copier/convert.hpp"
#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/spool.hpp"
#include "scheduler/transient_retry.hpp"

namespace ferry {

// DefaultWorkers() stays within these.
inline constexpr int kFewestDefaultWorkers = 2;
inline constexpr int kMostDefaultWorkers = 8;

// Hooks for the crash tests, off unless set (tools/ reads FERRY_TEST_CRASH once at startup):
// the process ends (exit 86, no cleanup, as kill -9 would) at the Nth unit commit of a run,
// between the unit's last write and its commit, or right after the commit. Or the Nth unit's
// commit runs `stall_sql` (a server-side sleep) after the statements that mark it done, so the
// process sits inside the commit holding every lock the commit takes (the frozen-owner tests
// stop it there), or before them (`stall_first`), so it sits inside the unit's transaction
// before the commit's owner and lease checks (the shared-run tests let its lease run out there).
struct TestHooks {
  int crash_at_commit = 0;  // 0: never
  bool crash_before_commit = false;
  int stall_at_commit = 0;  // 0: never
  std::string stall_sql;
  bool stall_first = false;
  // The process stops itself (SIGSTOP, as a frozen host would) just before the Nth key or
  // index build statement of a run (in a shared run after the statement's lease check), where a
  // test may kill it; 0: never.
  int stop_in_build = 0;
  // The process ends (exit 86) while it writes the Nth large object of the run, its batch's
  // transaction open; 0: never.
  int crash_in_large_object = 0;
};

struct EngineOptions {
  int readers = kFewestDefaultWorkers;
  int writers = kFewestDefaultWorkers;
  BatchLimits limits;
  // Bytes the batch pool may take; batch_bytes is lowered to fit when needed.
  size_t memory_limit = 256u << 20;
  bool fail_fast = false;
  // Attempts a unit gets when it fails with a transient error (IsTransient: a dropped
  // connection, a deadlock); the first retry waits retry_delay seconds, each next one twice
  // as long.
  int max_attempts = 4;
  double retry_delay = 0.5;
  // Seconds a reader or writer waits for a server it lost (restarting, or silent and cut by
  // scheduler/server_watch.hpp) to let it connect again before its unit fails (--reconnect-wait).
  double reconnect_wait = double(kDestinationPatience.count());
  // Units commit in the order of the jobs and none commits after one that failed: one reader,
  // `ordered_writers` writers, no retries (the caller retries from the first unit not done). A
  // sync needs it: each unit records how far the change log has been applied. The reader still
  // reads the next unit while the writers apply the ones before; with two writers a unit is
  // written while the one before it is (unless it says after_previous) and commits right after
  // it. A unit that waits for its turn to commit longer than `turn_patience` seconds is rolled
  // back (a transient failure, SQLSTATE kTurnTimedOut): the unit before may be waiting for one of
  // its locks (a trigger, a unique index the caller did not know of), which only that frees.
  bool ordered = false;
  int ordered_writers = 1;
  double turn_patience = 20;
  TestHooks test_hooks;
  // A shared run's lease on a unit, taken just before the unit is read (ferry run --join), and
  // asked again before each retry of it: false when another worker holds or finished it (its
  // lease ran out while this worker waited to retry, say); the unit then ends skipped,
  // `elsewhere`, and nothing more of it is read or written here.
  std::function<bool(const struct UnitJob&)> claim;
  // ferry run --spool: while no writer is free, a reader's unit goes into the spool and the
  // reader reads on; writers drain the spool (copier/spool.hpp). Null: no spool. A unit read
  // into the spool whole is retried from it, never from the source again, so once every unit
  // is read (or spooled) the readers end and `readers_done` is called (on a reader thread):
  // the source's snapshot is no longer needed. Not for ordered runs.
  std::shared_ptr<Spool> spool;
  std::function<void()> readers_done;
  // What units' and tables' times are measured from; unset (the clock's zero): the pipeline's
  // own start. A run of several pipelines gives them its start, so their timelines line up.
  std::chrono::steady_clock::time_point epoch{};
};

// One unit of work, ready to run: what to read, how to convert, where to write.
struct UnitJob {
  size_t table = 0;  // the caller's table index, for grouping results
  ReadRequest read;
  WriteRequest write;
  const RowConverter* converter = nullptr;  // null when rows pass through undecoded
  // Statements to run inside the unit's transaction just before it commits, given what the
  // unit moved (the run state's "unit done" mark).
  std::function<std::vector<std::string>(const struct UnitResult&)> finish;
  // Whether the unit's "done" mark is in the destination, asked on a new session. After an
  // error during or after its commit (a lost COMMIT reply) the unit may have committed: it is
  // asked before any retry, and a unit that committed is not copied again.
  std::function<bool()> committed;
  // Called on the writer thread once the unit committed (ferry run: the source's UnitCopied).
  // It must not throw (the unit is done whatever it meets): it says what went wrong itself.
  std::function<void()> after_commit;
  // ferry run --spool: called on the spooler thread once the unit is in the spool whole, with
  // its rows and the spool file's bytes (the run state shows it waiting there). What it throws
  // is not the unit's: the unit goes on.
  std::function<void(int64_t rows, uint64_t bytes)> spooled;
  // Ordered pipelines only: called on the reader thread just before the unit is read, to fill
  // in what could not be known when the jobs were made (a sync reads its next change-log batch
  // here, while the writer applies the batch before). False: neither this unit nor any later
  // one has anything to do; they end skipped.
  std::function<bool(UnitJob&)> resolve;
  // Ordered pipelines with more than one writer: the unit starts writing only once every unit
  // before it has ended (it changes rows those change, so it must come after them). Set by
  // resolve() where it is known only then.
  bool after_previous = false;
};

struct StageTimes {
  double read = 0;       // inside RowReader::Next
  double convert = 0;    // converting and encoding on worker threads
  double wait_slot = 0;  // a reader waiting for a free batch: the writers are behind
  double wait_data = 0;  // a writer waiting for batches: the reader or converter is behind
  double write = 0;      // inside RowWriter::Write
  double commit = 0;

  StageTimes& operator+=(const StageTimes& add) {
    read += add.read;
    convert += add.convert;
    wait_slot += add.wait_slot;
    wait_data += add.wait_data;
    write += add.write;
    commit += add.commit;
    return *this;
  }
};

enum class UnitState { kDone, kFailed, kSkipped };

struct UnitResult {
  size_t table = 0;
  int part = 0;
  UnitState state = UnitState::kSkipped;
  int64_t rows = 0;
  int64_t bytes = 0;
  double seconds = 0;     // from the first read to the commit
  double started_at = 0;  // seconds since EngineOptions::epoch
  double finished_at = 0;
  // Which of the pipeline's threads ran its last attempt (0-based indices, stable for the
  // pipeline's life) and when, in seconds since the epoch: its reader from started_at to
  // read_finished_at, a writer from write_started_at to finished_at, committing from
  // commit_started_at. -1 where it did not get that far. For timelines (--trace, the report).
  int reader = -1;
  int writer = -1;
  double read_finished_at = -1;
  double write_started_at = -1;
  double commit_started_at = -1;
  // ferry run --spool: the spooler thread that wrote the unit into the spool (-1: none), from
  // spool_started_at to spool_finished_at, and the file's bytes; a unit `handed_on` (the spool
  // was full) has only its first batches there. Its write is then the spool's drain.
  int spooler = -1;
  double spool_started_at = -1;
  double spool_finished_at = -1;
  uint64_t spool_bytes = 0;
  bool handed_on = false;
  StageTimes times;
  std::string read_method;
  std::string write_method;
  // Why the unit failed (set when state is kFailed): the whole error, with the table and the
  // unit in its context; kInterrupted when a stop request ended it.
  std::optional<Error> error;
  bool transient = false;  // the error may pass on another attempt (IsTransient)
  int attempts = 0;        // 1 when it worked the first time
  // Errors of earlier attempts that were retried, oldest first.
  std::vector<Error> retried_errors;
  // An attempt failed while its commit was in flight, and the commit had reached the
  // destination after all: the unit was not copied again.
  bool committed_before_error = false;
  // A shared run's unit that another worker claimed, or took over when this worker's lease
  // expired (its commit refused, kLeaseLost): not this worker's to report.
  bool elsewhere = false;

  bool Interrupted() const { return error && error->code() == ErrorCode::kInterrupted; }
};

// Rows and bytes moved so far per table index, for progress displays.
struct PipelineProgress {
  std::vector<int64_t> rows;
  std::vector<int64_t> bytes;
  std::vector<int> units_done;
  // Seconds since the pipeline started: when a table's first unit started, and when its last
  // unit (and what waits for the table, table_done) finished; -1 before.
  std::vector<double> started;
  std::vector<double> finished;
  std::vector<bool> failed;  // a unit failed for good: the table will not be copied
  double elapsed = 0;
  // Seconds since the start when the last reader ended (every unit read for good); -1 before.
  double readers_done = -1;
  int units_spooled = 0;    // units read whole into the spool (EngineOptions::spool)
  int units_handed_on = 0;  // units begun into the spool and finished in memory (it was full)
  uint64_t spool_peak_bytes = 0;
  // What the log should say since the last call: a worker that stood aside because the server
  // refused its session, and one that connected later.
  std::vector<std::string> notes;
};

// Runs every job; a unit that fails with a transient error is tried again on a fresh session
// (up to max_attempts); any other failure marks its table failed and the table's remaining
// units are skipped; with fail_fast the whole run stops. A stop request (StopRequested) rolls
// back the units in flight and returns; they fail with ErrorCode::kInterrupted. `progress` is
// called on the calling thread about twice a second. `table_done` is called on a writer thread
// right after the last unit of a table has committed with none failed (to build keys while other
// tables copy); an exception from it fails the table. Throws only when a session cannot be opened
// at all, or when a commit finds that another process took the run over (Error(kBusy), see
// kRunTakenOver: nothing more is committed).
std::vector<UnitResult> RunPipeline(Endpoint& source, Endpoint& destination,
                                    const EngineOptions& options, const std::vector<UnitJob>& jobs,
                                    size_t tables,
                                    const std::function<void(const PipelineProgress&)>& progress,
                                    const std::function<void(size_t table)>& table_done = {});

// Workers a multi-core host gets by default: enough to keep both servers busy, not so many
// that they fight over cores.
int DefaultWorkers();

}  // namespace ferry
