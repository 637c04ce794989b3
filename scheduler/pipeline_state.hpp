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
#include "scheduler/index_queue.hpp"
#include "scheduler/pipeline.hpp"

namespace ferry::pipeline_state {

using Clock = std::chrono::steady_clock;

struct Slot {
  Batch in;
  Batch out;
  uint32_t reader = 0;
};

// A unit's stream from its reader to whichever writer takes it.
struct Channel {
  explicit Channel(size_t capacity) : items(capacity) {}
  IndexQueue items;
  size_t job = 0;
  std::atomic<RowWriter*> writer{nullptr};  // set while a writer owns the unit
  std::atomic<int> pending{0};              // conversions not yet queued
};

enum class Side { kNone, kReader, kWriter };

// The unit boundary: every error a unit ends with is an Error naming the table (the side's own,
// where the error came from the source or the destination) and the unit.
inline Error AtUnit(const UnitJob& unit, const std::exception& e, Side side) {
  const Error* error = dynamic_cast<const Error*>(&e);
  Error out = error ? *error : Error(ErrorCode::kInternal, e.what());
  const Table* table = side == Side::kWriter ? unit.write.table : unit.read.table;
  if (table) out.WithTable(DisplayName(table->name));
  const WorkUnit& w = unit.read.unit;
  if (w.parts > 1 || !w.range.IsWholeTable()) {
    out.WithUnit(w.parts > 1
                     ? fmt::format("{} of {}, {}", w.part + 1, w.parts, DescribeRange(w.range))
                     : DescribeRange(w.range));
  }
  return out;
}

inline std::chrono::milliseconds RetryDelay(const EngineOptions& options, int attempt) {
  double seconds = options.retry_delay * double(1 << std::min(attempt - 1, 6));
  return std::chrono::milliseconds(int64_t(std::min(seconds, 30.0) * 1000));
}

// Opens a session, trying again with backoff while the server cannot be reached (it may be
// restarting, or have just killed our connection); gives up after max_attempts.
template <typename Open>
auto Reopen(Open open, const EngineOptions& options, const std::atomic<bool>& stop)
    -> decltype(open()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return open();
    } catch (const Error& e) {
      if (!IsTransient(e) || attempt >= std::max(options.max_attempts, 1) || stop) throw;
    }
    std::this_thread::sleep_for(RetryDelay(options, attempt));
  }
}

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
