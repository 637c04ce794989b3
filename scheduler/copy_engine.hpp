// The copy engine's threads and queues (scheduler/pipeline.hpp describes the design), shared by
// pipeline.cpp (readers, writers, conversions) and pipeline_spool.cpp (ferry run --spool: units
// read ahead into files while the writers are behind). Internal to the pipeline.
#pragma once

#include <fmt/format.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "copier/run_state.hpp"
#include "scheduler/index_queue.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/pipeline_state.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/transient_retry.hpp"

namespace ferry::copy_engine {

using namespace pipeline_state;
inline constexpr uint32_t kEndOfUnit = UINT32_MAX;
// In the writers' queue: the next unit the spool holds whole (CopyEngine::spooled_).
inline constexpr uint32_t kSpooledUnit = UINT32_MAX - 1;
// A writer replaying a spooled unit holds its compressed block, the block's columns and the
// decoded batch, and its own encoding of it.
inline constexpr size_t kCopiesPerReplay = 4;
// Batches per reader: one being read, one converting, one queued, one being written.
inline constexpr int kSlotsPerReader = 4;
// A slot holds the read batch, the converted batch and its encoding.
inline constexpr size_t kCopiesPerSlot = 3;

inline double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class CopyEngine {
 public:
  CopyEngine(Endpoint& source, Endpoint& destination, const EngineOptions& options,
             const std::vector<UnitJob>& jobs, size_t tables,
             const std::function<void(size_t)>& table_done)
      : source_(source),
        destination_(destination),
        options_(options),
        jobs_(jobs),
        states_(jobs.size()),
        table_failed_(tables),
        table_rows_(tables),
        table_bytes_(tables),
        table_units_(tables),
        table_left_(tables),
        table_started_(tables),
        table_finished_(tables),
        table_done_(table_done),
        readers_(options.ordered ? 1 : std::max(options.readers, 1)),
        writers_(std::max(options.ordered ? options.ordered_writers : options.writers, 1)),
        max_attempts_(options.ordered ? 1 : std::max(options.max_attempts, 1)),
        slot_count_(size_t(readers_) * kSlotsPerReader),
        spool_(options.ordered ? nullptr : options.spool),
        // With a spool, a spooler holds the channel of the unit it spools while its reader
        // takes the next one.
        channel_count_(size_t(readers_ * (spool_ ? 2 : 1) + writers_)),
        ready_(channel_count_ + (spool_ ? std::min<size_t>(jobs.size(), 30000) : 0)),
        spool_ready_(channel_count_),
        free_channels_(channel_count_) {
    slots_ = std::make_unique<Slot[]>(slot_count_);
    for (int r = 0; r < readers_; ++r)
      free_slots_.push_back(std::make_unique<IndexQueue>(slot_count_));
    for (uint32_t s = 0; s < slot_count_; ++s) {
      slots_[s].reader = s % uint32_t(readers_);
      free_slots_[slots_[s].reader]->Push(s);
    }
    for (uint32_t c = 0; c < channel_count_; ++c) {
      channels_.push_back(std::make_unique<Channel>(slot_count_ + 1));
      free_channels_.Push(c);
    }
    for (size_t j = 0; j < jobs_.size(); ++j) {
      if (jobs_[j].resolve && !options.ordered) {
        throw Error(ErrorCode::kInternal, "a unit to resolve while reading needs an ordered run");
      }
      UnitResult& r = states_[j].result;
      r.table = jobs_[j].table;
      r.part = jobs_[j].read.unit.part;
      table_left_[jobs_[j].table] += 1;
    }
    for (size_t t = 0; t < tables; ++t) table_started_[t] = table_finished_[t] = -1;
    // Keep the pool inside the memory limit: lower the batch byte limit if it must.
    limits_ = options.limits;
    const size_t copies =
        slot_count_ * kCopiesPerSlot + (spool_ ? size_t(writers_) * kCopiesPerReplay : 0);
    size_t per_batch = options.memory_limit / copies;
    limits_.max_bytes = std::max<size_t>(std::min(limits_.max_bytes, per_batch), 64 * 1024);
  }

  std::vector<UnitResult> Run(const std::function<void(const PipelineProgress&)>& progress);

 private:
  PipelineProgress Progress() {
    PipelineProgress p;
    for (size_t t = 0; t < table_rows_.size(); ++t) {
      p.rows.push_back(table_rows_[t].load());
      p.bytes.push_back(table_bytes_[t].load());
      p.units_done.push_back(table_units_[t].load());
      p.started.push_back(table_started_[t].load());
      p.finished.push_back(table_finished_[t].load());
      p.failed.push_back(table_failed_[t].load());
    }
    p.elapsed = Since(started_);
    p.readers_done = readers_done_at_.load();
    p.units_spooled = units_spooled_.load();
    p.units_handed_on = units_handed_on_.load();
    p.spool_peak_bytes = spool_ ? spool_->peak_bytes() : 0;
    std::lock_guard lock(notes_mutex_);
    p.notes.swap(notes_);
    return p;
  }

  void Stop() {
    stop_.store(true);
    for (auto& q : free_slots_) q->Ring();
    ready_.Ring();
    spool_ready_.Ring();
    free_channels_.Ring();
    turns_.Ring();
    for (auto& c : channels_) c->items.Ring();
  }

  void ThreadFinished() {
    std::lock_guard lock(done_mutex_);
    ++finished_threads_;
    done_cv_.notify_all();
  }

  void ReaderLoop(uint32_t reader);

  // Before another attempt at a unit whose last one failed during or after its commit: asks the
  // destination whether that commit happened after all. False when the question settled the
  // unit (it committed: done), or the answer could not be had (the unit waits for another
  // look, or fails when its attempts are spent); true when the unit must be copied again.
  bool AskCommitted(size_t job);

  // Before another attempt at a shared run's unit: whether this worker still holds its lease
  // (renewed by the claim). A lease that ran out while the unit waited for its retry may be
  // another worker's by now: the unit is left to that worker, not retried into its rows.
  bool StillClaimed(size_t job) {
    if (!options_.claim || options_.claim(jobs_[job])) return true;
    const UnitJob& unit = jobs_[job];
    states_[job].result.error = AtUnit(
        job,
        Error(ErrorCode::kBusy,
              fmt::format("ferry: this worker's lease on unit {} of table {} ran out before its "
                          "attempt {} and another worker took the unit over: it is not tried "
                          "again here",
                          unit.read.unit.part + 1, unit.table + 1, states_[job].attempts + 1)),
        Side::kNone);
    Elsewhere(job);
    in_flight_.fetch_sub(1);
    return false;
  }

  // Another attempt, later, from a fresh read.
  void Requeue(size_t job) {
    JobState& state = states_[job];
    const auto when = Clock::now() + RetryDelay(state.attempts);
    state.Reset();
    std::lock_guard lock(retry_mutex_);
    retries_.emplace_back(when, job);
  }

  // Completes an ordered job before it is read (UnitJob::resolve); false when there is nothing
  // left to do. An error fails the unit, and with it the rest of the ordered table.
  bool Resolve(size_t job) {
    try {
      return jobs_[job].resolve(jobs_[job]);
    } catch (const std::exception& e) {
      FailJob(job, e, Side::kNone);
      return true;
    }
  }

  // A unit due for another attempt, else the next unit never tried; while units in flight may
  // still be retried, waits for them. nullopt when there is nothing left (or a stop).
  std::optional<size_t> NextJob();

  // A reader's or a writer's session (pipeline_sessions.cpp). While another worker of the same
  // side has its session, one the server refuses (a role's or the server's connection limit,
  // reached by ferry's own sessions or by others) does not stop the run: the worker stands
  // aside, tries again every few seconds, and returns null once its side's work is done. With no
  // session of its side open, it waits for the server (restarting, say) up to reconnect_wait,
  // then throws.
  std::unique_ptr<ReadSession> OpenReader(int reader);
  std::unique_ptr<WriteSession> OpenWriter(int writer);
  template <typename Session>
  std::unique_ptr<Session> OpenSession(Side side, int index,
                                       const std::function<std::unique_ptr<Session>()>& open,
                                       const std::function<bool()>& work_done);
  // A session of `side` closed (lost, or its worker ended).
  void SessionClosed(Side side) { sessions_open_[side == Side::kReader ? 0 : 1].fetch_sub(1); }
  void Note(std::string note) {
    std::lock_guard lock(notes_mutex_);
    notes_.push_back(std::move(note));
  }

  std::chrono::milliseconds RetryDelay(int attempt) const {
    double seconds = options_.retry_delay * double(1 << std::min(attempt - 1, 6));
    return std::chrono::milliseconds(int64_t(std::min(seconds, 30.0) * 1000));
  }

  // True when the source session failed in a way that needs a new one.
  bool ReadUnit(uint32_t reader, ReadSession& session, size_t job, Channel& channel);

  void Convert(uint32_t s, size_t job, Channel& channel);

  void AddConvertTime(size_t job, double seconds) {
    std::lock_guard lock(states_[job].mutex);
    states_[job].result.times.convert += seconds;
  }

  void WriterLoop(int writer_index);

  // The next unit a reader has started; false once every reader has finished and no unit is
  // left (the last reader rings the bell when it finishes).
  bool PopReady(uint32_t& out) {
    idle_writers_.fetch_add(1);
    const bool got = ready_.Pop(out, writers_end_) || ready_.TryPop(out);
    idle_writers_.fetch_sub(1);
    if (got) ready_waiting_.fetch_sub(1);
    return got;
  }
  void PushReady(uint32_t entry) {
    ready_waiting_.fetch_add(1);
    ready_.Push(entry);
  }

  // True when the destination session failed in a way that needs a new one. `channel` carries
  // the unit's batches from its reader; `spooled` holds (the first of) them on disk. A unit the
  // spool holds whole has no channel, and `retry_from_spool` says when it is to be tried again
  // (from the spool: WriteSpooled).
  bool WriteUnit(int writer_index, WriteSession& session, size_t job, Channel* channel,
                 SpoolFile* spooled, bool* retry_from_spool = nullptr);
  void WriteSlot(RowWriter* writer, size_t job, uint32_t s);
  void CommitUnit(RowWriter& writer, size_t job);

  // ferry run --spool (pipeline_spool.cpp).
  struct SpooledUnit {
    size_t job = 0;
    std::unique_ptr<SpoolFile> file;
    bool whole = false;  // every batch is in the file: retried from it
    Clock::time_point not_before{};
  };
  // Hands a unit just started to an idle writer, else to the spool where it has room, else to
  // the writers' queue.
  void RouteUnit(uint32_t channel_index, const UnitJob& unit);
  // Takes one idle writer for a unit: true while more writers wait than units are queued for
  // them. One compare-and-swap, so two readers starting units at once cannot both count on the
  // same idle writer (one of them would wait behind it instead of spooling).
  bool ClaimIdleWriter();
  void SpoolerLoop(int spooler);
  void SpoolUnit(uint32_t channel_index, int spooler);
  void HandOff(uint32_t channel_index, std::unique_ptr<SpoolFile> file, uint32_t slot);
  void QueueSpooled(SpooledUnit unit);
  bool WriteSpooled(int writer_index, WriteSession& session);
  // Whether a spooled unit's last commit, which failed, happened after all; false when that
  // settled the unit (or put it back in the spool's queue).
  bool SpooledCommitUnknown(SpooledUnit& unit);
  void Replay(RowWriter& writer, SpoolFile& file, size_t job, int writer_index);
  void SpooledFinished(size_t job);
  void ReadersFinished();
  // Writers end once nothing more can come: the readers and spoolers have ended and no unit the
  // spool holds whole is still to be written (or a stop).
  void MaybeEndWriters() {
    if (!readers_finished_ || spoolers_left_.load() > 0) return;
    if (spooled_in_flight_.load() > 0 && !stop_) return;
    writers_end_.store(true);
    ready_.Ring();
  }

  // Counts a unit of `table` as finished; after the last one, builds what waits for the whole
  // table (its keys) on this writer thread, unless a unit failed.
  void UnitFinished(size_t table) {
    if (table_left_[table].fetch_sub(1) != 1) return;
    TableDone(table);
    table_finished_[table].store(Since(started_));
  }

  void TableDone(size_t table);

  // A shared run's unit that is another worker's: skipped here, and counted as finished for
  // the table (whose build asks the run state whether every unit is done).
  void Elsewhere(size_t job) {
    UnitResult& result = states_[job].result;
    result.state = UnitState::kSkipped;
    result.elsewhere = true;
    result.rows = 0;
    result.bytes = 0;
    UnitFinished(jobs_[job].table);
  }

  // Another process claimed the run: this one commits nothing more, and touches nothing else.
  void TakenOver(const std::exception& e) {
    {
      std::lock_guard lock(taken_over_mutex_);
      if (taken_over_) return;
      taken_over_message_ = e.what();
    }
    taken_over_.store(true);
    Stop();
  }

  // The unit boundary: every error a unit ends with is an Error naming the table (the side's
  // own, where the error came from the source or the destination) and the unit.
  Error AtUnit(size_t job, const std::exception& e, Side side) const;
  // An ordered unit waits for the units before it to end before it commits; one that waited
  // `turn_patience` seconds fails (transient) and is rolled back, which frees the locks the unit
  // before may be waiting for.
  void WaitTurn(size_t job);

  void FailJob(size_t job, const std::exception& e, Side side = Side::kNone);

  Endpoint& source_;
  Endpoint& destination_;
  const EngineOptions& options_;
  std::vector<UnitJob> jobs_;  // a copy: resolve() completes them
  std::vector<JobState> states_;
  Turns turns_{jobs_.size()};
  std::vector<std::atomic<bool>> table_failed_;
  std::vector<std::atomic<int64_t>> table_rows_;
  std::vector<std::atomic<int64_t>> table_bytes_;
  std::vector<std::atomic<int>> table_units_;
  std::vector<std::atomic<int>> table_left_;  // units not yet finished
  // Seconds since started_ at the first unit's start, and once the last unit and what waits for
  // the table are done; -1 before. Set once per unit, never per row.
  std::vector<std::atomic<double>> table_started_;
  std::vector<std::atomic<double>> table_finished_;
  std::function<void(size_t)> table_done_;
  int readers_;
  int writers_;
  int max_attempts_;
  size_t slot_count_;
  BatchLimits limits_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::unique_ptr<IndexQueue>> free_slots_;  // per reader: its share of the pool
  std::vector<std::unique_ptr<Channel>> channels_;
  std::shared_ptr<Spool> spool_;
  size_t channel_count_;
  IndexQueue ready_;                   // channels whose unit a writer should take, and kSpooledUnit
  IndexQueue spool_ready_;             // channels whose unit a spooler should take
  IndexQueue free_channels_;           // channels no unit uses
  std::atomic<int> idle_writers_{0};   // writers waiting for a unit
  std::atomic<int> ready_waiting_{0};  // units in ready_ no writer took yet
  std::mutex spooled_mutex_;
  std::deque<SpooledUnit> spooled_;        // units on disk, in the order they were spooled
  std::atomic<int> spooled_in_flight_{0};  // units the spool holds whole, not finished for good
  std::atomic<int> units_spooled_{0};
  std::atomic<int> units_handed_on_{0};
  std::atomic<int> spoolers_left_{0};
  std::atomic<bool> writers_end_{false};
  std::atomic<double> readers_done_at_{-1};
  std::vector<Batch> replay_;  // per writer: a spooled unit's batch
  std::atomic<size_t> next_job_{0};
  std::atomic<size_t> first_failed_job_{SIZE_MAX};  // for ordered runs
  bool jobs_resolved_ = false;     // a resolve() said nothing is left (the one reader's)
  std::atomic<int> in_flight_{0};  // taken by a reader, not finished for good
  std::mutex retry_mutex_;
  std::deque<std::pair<Clock::time_point, size_t>> retries_;  // (not before, job)
  std::atomic<int> commits_{0};
  // Commits finished: after-commit:N exits once N units are committed, so with several writers
  // no unit numbered below N is still committing when the process dies.
  std::atomic<int> commits_done_{0};
  const TestHooks crash_ = options_.test_hooks;
  std::atomic<int> readers_left_{readers_};
  std::atomic<int> sessions_open_[2] = {0, 0};  // readers', writers'
  std::mutex notes_mutex_;
  std::vector<std::string> notes_;  // for the log, taken by Progress()
  std::atomic<bool> readers_finished_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> taken_over_{false};
  std::mutex taken_over_mutex_;
  std::string taken_over_message_;
  const std::atomic<bool> never_{false};
  const Clock::time_point started_ =
      options_.epoch == Clock::time_point{} ? Clock::now() : options_.epoch;
  tbb::task_arena arena_;
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  size_t finished_threads_ = 0;
};

}  // namespace ferry::copy_engine
