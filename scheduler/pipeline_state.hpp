// The copy engine's per-unit and per-batch state (pipeline.cpp only): pool slots, the channel
// carrying a unit's batches from its reader to a writer, and each job's attempts and errors.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "copier/batch.hpp"
#include "copier/error.hpp"
#include "copier/spool.hpp"
#include "scheduler/index_queue.hpp"
#include "scheduler/pipeline.hpp"

namespace ferry::pipeline_state {

using Clock = std::chrono::steady_clock;

struct Slot {
  Batch in;
  Batch out;
  uint32_t reader = 0;
  bool spool_encoded = false;  // out.wire() holds the spool's block, not a writer's encoding
};

// A unit's stream from its reader to whichever writer takes it.
struct Channel {
  explicit Channel(size_t capacity) : items(capacity) {}
  IndexQueue items;
  size_t job = 0;
  std::atomic<RowWriter*> writer{nullptr};  // set while a writer owns the unit
  std::atomic<int> pending{0};              // conversions not yet queued
  // The unit goes into the spool (its batches are encoded for it) rather than to a writer.
  std::atomic<bool> spooling{false};
  // A unit the spool could not take whole: its first batches, spooled before the spool was
  // full, and the batch that did not fit; the writer that takes the unit on writes them first.
  std::unique_ptr<SpoolFile> spooled;
  std::optional<uint32_t> first;
};

enum class Side { kNone, kReader, kWriter };

// The SQLSTATE of an ordered unit rolled back after waiting too long for its turn to commit
// (EngineOptions::turn_patience): class 40, a transaction rollback, so it counts as transient.
inline constexpr const char* kTurnTimedOut = "40F01";

// An ordered run's turns: which units have ended (committed, failed or skipped), so that a unit
// commits only once every unit before it has.
class Turns {
 public:
  explicit Turns(size_t jobs) : ended_(jobs, false) {}

  void Ended(size_t job) {
    std::lock_guard lock(mutex_);
    ended_[job] = true;
    while (first_open_ < ended_.size() && ended_[first_open_]) ++first_open_;
    cv_.notify_all();
  }

  enum class Wait { kTurn, kStopped, kTimedOut };
  // Until every unit before `job` has ended, a stop, or `patience` seconds.
  Wait Until(size_t job, const std::atomic<bool>& stop, double patience) {
    std::unique_lock lock(mutex_);
    const bool turn = cv_.wait_for(lock, std::chrono::duration<double>(patience),
                                   [&] { return first_open_ >= job || stop.load(); });
    if (first_open_ >= job) return Wait::kTurn;
    return turn ? Wait::kStopped : Wait::kTimedOut;
  }

  // Wakes every waiter (a stop).
  void Ring() {
    std::lock_guard lock(mutex_);
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<bool> ended_;
  size_t first_open_ = 0;  // every unit before it has ended
};

inline bool HasSqlstate(const std::exception& e, const char* sqlstate) {
  const Error* error = dynamic_cast<const Error*>(&e);
  if (!error) return false;
  for (const Diagnostic& d : error->diagnostics()) {
    if (d.sqlstate == sqlstate) return true;
  }
  return false;
}

struct JobState {
  std::atomic<bool> failed{false};
  bool retry = false;               // the failure is transient and attempts are left
  Side lost_session = Side::kNone;  // whose session broke and must be replaced
  int attempts = 0;
  Clock::time_point started;  // set by the reader before the unit is handed to a writer
  // An attempt failed during or after its commit: whether it committed is asked before the next
  // one (UnitJob::committed). What that attempt moved, should it have committed.
  bool commit_uncertain = false;
  int64_t uncertain_rows = 0;
  int64_t uncertain_bytes = 0;
  std::mutex mutex;
  std::optional<Error> error;  // the first error of the current attempt
  bool transient = false;
  UnitResult result;

  // Records the first error (later ones follow from it); true when the unit should be tried
  // again.
  bool Fail(Error e, int max_attempts, Side side) {
    std::lock_guard lock(mutex);
    if (failed.exchange(true)) return retry;
    transient = IsTransient(e);
    lost_session = transient && e.code() == ErrorCode::kConnection ? side : Side::kNone;
    retry = transient && attempts < max_attempts;
    error = std::move(e);
    return retry;
  }

  // Back to a clean slate for the next attempt.
  void Reset() {
    std::lock_guard lock(mutex);
    if (error) result.retried_errors.push_back(std::move(*error));
    failed.store(false);
    retry = false;
    transient = false;
    lost_session = Side::kNone;
    error.reset();
    result.rows = 0;
    result.bytes = 0;
    result.state = UnitState::kSkipped;
    result.read_finished_at = result.write_started_at = result.commit_started_at = -1;
  }
};

}  // namespace ferry::pipeline_state
