#include "scheduler/pipeline.hpp"

#include "scheduler/index_queue.hpp"
#include "scheduler/pipeline_state.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/task_arena.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "copier/run_state.hpp"
#include "scheduler/pipeline_state.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

using namespace pipeline_state;
constexpr uint32_t kEndOfUnit = UINT32_MAX;
// Batches per reader: one being read, one converting, one queued, one being written.
constexpr int kSlotsPerReader = 4;
// A slot holds the read batch, the converted batch and its encoding.
constexpr size_t kCopiesPerSlot = 3;

double Since(Clock::time_point start) {
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
        channel_count_(size_t(readers_ + writers_)),
        ready_(channel_count_),
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
    size_t per_batch = options.memory_limit / (slot_count_ * kCopiesPerSlot);
    limits_.max_bytes = std::max<size_t>(std::min(limits_.max_bytes, per_batch), 64 * 1024);
  }

  std::vector<UnitResult> Run(const std::function<void(const PipelineProgress&)>& progress) {
    std::vector<std::thread> threads;
    std::mutex error_mutex;
    std::exception_ptr session_error;
    auto guarded = [&](auto body) {
      return [&, body]() {
        try {
          body();
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!session_error) session_error = std::current_exception();
          Stop();
        }
      };
    };
    for (int r = 0; r < readers_; ++r) {
      threads.emplace_back(guarded([this, r] { ReaderLoop(uint32_t(r)); }));
    }
    for (int w = 0; w < writers_; ++w) threads.emplace_back(guarded([this, w] { WriterLoop(w); }));
    {
      std::unique_lock lock(done_mutex_);
      while (!done_cv_.wait_for(lock, std::chrono::milliseconds(500),
                                [&] { return finished_threads_ == threads.size(); })) {
        lock.unlock();
        if (StopRequested() && !stop_) Stop();
        if (progress) progress(Progress());
        lock.lock();
      }
    }
    for (std::thread& t : threads) t.join();
    arena_.execute([] {});  // every conversion task has finished by now (pending counts)
    if (progress) progress(Progress());
    if (session_error) std::rethrow_exception(session_error);
    if (taken_over_) {
      std::lock_guard lock(taken_over_mutex_);
      throw Error(ErrorCode::kBusy, taken_over_message_);
    }
    const bool interrupted = StopRequested();
    std::vector<UnitResult> results;
    for (size_t j = 0; j < jobs_.size(); ++j) {
      UnitResult r = states_[j].result;
      r.attempts = states_[j].attempts;
      if (states_[j].failed) {
        r.state = UnitState::kFailed;
        r.error = states_[j].error;
        r.transient = states_[j].transient;
      } else if (interrupted && r.state != UnitState::kDone) {
        r.state = UnitState::kFailed;
        r.error =
            AtUnit(j, Error(ErrorCode::kInterrupted, "stopped before this unit ran"), Side::kNone);
      }
      results.push_back(std::move(r));
    }
    return results;
  }

 private:
  PipelineProgress Progress() const {
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
    return p;
  }

  void Stop() {
    stop_.store(true);
    for (auto& q : free_slots_) q->Ring();
    ready_.Ring();
    free_channels_.Ring();
    turns_.Ring();
    for (auto& c : channels_) c->items.Ring();
  }

  void ThreadFinished() {
    std::lock_guard lock(done_mutex_);
    ++finished_threads_;
    done_cv_.notify_all();
  }

  void ReaderLoop(uint32_t reader) {
    struct Done {
      CopyEngine* engine;
      ~Done() {
        if (engine->readers_left_.fetch_sub(1) == 1) {
          engine->readers_finished_.store(true);
          engine->ready_.Ring();
        }
        engine->ThreadFinished();
      }
    } done{this};
    std::unique_ptr<ReadSession> session = Reopen([this] { return source_.OpenReadSession(); });
    for (;;) {
      if (stop_) return;
      std::optional<size_t> next = NextJob();
      if (!next) return;
      const size_t job = *next;
      JobState& state = states_[job];
      const UnitJob& unit = jobs_[job];
      if (state.commit_uncertain && !AskCommitted(job)) continue;
      if (state.attempts > 0 && !StillClaimed(job)) continue;
      if (state.attempts == 0) in_flight_.fetch_add(1);
      ++state.attempts;
      if (!table_failed_[unit.table] && !jobs_resolved_ && unit.resolve && !Resolve(job)) {
        jobs_resolved_ = true;  // nothing more to do: this unit and the later ones are skipped
      }
      if (table_failed_[unit.table] || (jobs_resolved_ && unit.resolve)) {
        state.result.state = UnitState::kSkipped;
        in_flight_.fetch_sub(1);
        UnitFinished(unit.table);
        turns_.Ended(job);
        continue;
      }
      uint32_t channel_index;
      if (!free_channels_.Pop(channel_index, stop_)) return;
      Channel& channel = *channels_[channel_index];
      channel.job = job;
      state.started = Clock::now();
      state.result.reader = int(reader);
      double none = -1;
      table_started_[unit.table].compare_exchange_strong(none, Since(started_));
      ready_.Push(channel_index);
      const bool session_lost = ReadUnit(reader, *session, job, channel);
      // The end marker goes after the last conversion has queued its batch.
      for (int p = channel.pending.load(); p != 0; p = channel.pending.load()) {
        channel.pending.wait(p);
      }
      state.result.read_finished_at = Since(started_);
      channel.items.Push(kEndOfUnit);
      if (session_lost) {
        session.reset();
        session = Reopen([this] { return source_.OpenReadSession(); });
      }
    }
  }

  // Before another attempt at a unit whose last one failed during or after its commit: asks the
  // destination whether that commit happened after all. False when the question settled the
  // unit (it committed: done), or the answer could not be had (the unit waits for another
  // look, or fails when its attempts are spent); true when the unit must be copied again.
  bool AskCommitted(size_t job) {
    JobState& state = states_[job];
    const UnitJob& unit = jobs_[job];
    bool committed = false;
    try {
      committed = unit.committed();
    } catch (const std::exception& e) {
      ++state.attempts;
      if (state.Fail(AtUnit(job, e, Side::kNone), max_attempts_, Side::kNone) && !stop_) {
        Requeue(job);
      } else {
        FailJob(job, e);
        table_units_[unit.table] += 1;
        in_flight_.fetch_sub(1);
        UnitFinished(unit.table);
      }
      return false;
    }
    state.commit_uncertain = false;
    if (!committed) return true;
    UnitResult& result = state.result;
    result.state = UnitState::kDone;
    result.rows = state.uncertain_rows;
    result.bytes = state.uncertain_bytes;
    result.committed_before_error = true;
    table_rows_[unit.table] += result.rows;
    table_bytes_[unit.table] += result.bytes;
    table_units_[unit.table] += 1;
    in_flight_.fetch_sub(1);
    UnitFinished(unit.table);
    return false;
  }

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
  std::optional<size_t> NextJob() {
    for (;;) {
      if (stop_) return std::nullopt;
      {
        std::lock_guard lock(retry_mutex_);
        if (!retries_.empty() && retries_.front().first <= Clock::now()) {
          size_t job = retries_.front().second;
          retries_.pop_front();
          return job;
        }
      }
      size_t job = next_job_.load();
      while (job < jobs_.size() && !next_job_.compare_exchange_weak(job, job + 1)) {
      }
      if (job < jobs_.size() && options_.claim && !options_.claim(jobs_[job])) {
        Elsewhere(job);
        continue;
      }
      if (job < jobs_.size()) return job;
      // Units in flight may come back for another attempt; an ordered run retries none.
      if (in_flight_.load() == 0 || options_.ordered) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  template <typename Open>
  auto Reopen(Open open) -> decltype(open()) {
    return pipeline_state::Reopen(open, options_, stop_);
  }

  std::chrono::milliseconds RetryDelay(int attempt) const {
    return pipeline_state::RetryDelay(options_, attempt);
  }

  // True when the source session failed in a way that needs a new one.
  bool ReadUnit(uint32_t reader, ReadSession& session, size_t job, Channel& channel) {
    JobState& state = states_[job];
    const UnitJob& unit = jobs_[job];
    UnitResult& result = state.result;
    std::unique_ptr<RowReader> rows;
    try {
      ReadRequest request = unit.read;
      request.limits = limits_;
      rows = session.Read(request);
      result.read_method = rows->Method();
    } catch (const std::exception& e) {
      FailJob(job, e, Side::kReader);
      return state.lost_session == Side::kReader;
    }
    for (;;) {
      uint32_t s;
      if (!free_slots_[reader]->Pop(s, stop_, &result.times.wait_slot)) return false;
      if (state.failed || stop_) {
        free_slots_[reader]->Push(s);
        return false;
      }
      Slot& slot = slots_[s];
      bool more;
      const Clock::time_point read_start = Clock::now();
      try {
        more = rows->Next(slot.in);
      } catch (const std::exception& e) {
        free_slots_[reader]->Push(s);
        FailJob(job, e, Side::kReader);
        return state.lost_session == Side::kReader;
      }
      result.times.read += Since(read_start);
      if (!more) {
        free_slots_[reader]->Push(s);
        break;
      }
      const int64_t n = int64_t(slot.in.num_rows());
      const int64_t bytes = int64_t(slot.in.ByteSize());
      result.rows += n;
      result.bytes += bytes;
      table_rows_[unit.table] += n;
      table_bytes_[unit.table] += bytes;
      if (!unit.converter) {
        channel.items.Push(s);
        continue;
      }
      channel.pending.fetch_add(1);
      arena_.enqueue([this, s, job, &channel] { Convert(s, job, channel); });
    }
    return false;
  }

  void Convert(uint32_t s, size_t job, Channel& channel) {
    Slot& slot = slots_[s];
    const Clock::time_point start = Clock::now();
    if (!states_[job].failed) {
      try {
        jobs_[job].converter->Convert(slot.in, slot.out);
        if (RowWriter* writer = channel.writer.load(std::memory_order_acquire)) {
          writer->Prepare(slot.out);
        }
      } catch (const std::exception& e) {
        FailJob(job, e);
      }
    }
    AddConvertTime(job, Since(start));
    channel.items.Push(s);
    if (channel.pending.fetch_sub(1) == 1) channel.pending.notify_all();
  }

  void AddConvertTime(size_t job, double seconds) {
    std::lock_guard lock(states_[job].mutex);
    states_[job].result.times.convert += seconds;
  }

  void WriterLoop(int writer_index) {
    struct Done {
      CopyEngine* engine;
      ~Done() { engine->ThreadFinished(); }
    } done{this};
    std::unique_ptr<WriteSession> session =
        Reopen([this] { return destination_.OpenWriteSession(); });
    for (;;) {
      uint32_t channel_index;
      if (!PopReady(channel_index)) return;
      Channel& channel = *channels_[channel_index];
      const bool session_lost = WriteUnit(writer_index, *session, channel);
      free_channels_.Push(channel_index);
      if (session_lost) {
        session.reset();
        session = Reopen([this] { return destination_.OpenWriteSession(); });
      }
    }
  }

  // The next unit a reader has started; false once every reader has finished and no unit is
  // left (the last reader rings the bell when it finishes).
  bool PopReady(uint32_t& out) {
    if (ready_.Pop(out, readers_finished_)) return true;
    return ready_.TryPop(out);
  }

  // True when the destination session failed in a way that needs a new one.
  bool WriteUnit(int writer_index, WriteSession& session, Channel& channel) {
    const size_t job = channel.job;
    JobState& state = states_[job];
    const UnitJob& unit = jobs_[job];
    UnitResult& result = state.result;
    result.writer = writer_index;
    while (options_.ordered && unit.after_previous && !state.failed &&
           turns_.Until(job, stop_, 3600) == Turns::Wait::kTimedOut) {
    }
    result.write_started_at = Since(started_);
    std::unique_ptr<RowWriter> writer;
    if (!state.failed && !stop_) {
      try {
        writer = session.Write(unit.write);
        result.write_method = writer->Method();
        channel.writer.store(writer.get(), std::memory_order_release);
      } catch (const std::exception& e) {
        FailJob(job, e, Side::kWriter);
      }
    }
    double wait_data = 0;
    for (;;) {
      uint32_t s;
      // Stop is not honoured here: the reader always ends the unit, and its batches must go
      // back to its pool.
      if (!channel.items.Pop(s, never_, &wait_data)) break;
      if (s == kEndOfUnit) break;
      Slot& slot = slots_[s];
      if (!state.failed && writer) {
        const Clock::time_point write_start = Clock::now();
        try {
          writer->Write(unit.converter ? slot.out : slot.in);
        } catch (const std::exception& e) {
          FailJob(job, e, Side::kWriter);
        }
        result.times.write += Since(write_start);
      }
      free_slots_[slot.reader]->Push(s);
    }
    channel.writer.store(nullptr, std::memory_order_release);
    result.times.wait_data += wait_data;
    bool session_lost = false;
    if (writer && options_.ordered && !state.failed) WaitTurn(job);
    if (writer) {
      // In order, a unit read ahead of one that failed is not committed after it.
      const bool after_failure = options_.ordered && first_failed_job_.load() < job;
      if (!state.failed && !stop_ && !after_failure) {
        const Clock::time_point commit_start = Clock::now();
        result.commit_started_at = Since(started_);
        try {
          result.attempts = state.attempts;
          // So far, for the done mark (UnitTiming); set again once the commit is done.
          result.started_at = std::chrono::duration<double>(state.started - started_).count();
          result.finished_at = Since(started_);
          std::vector<std::string> finish =
              unit.finish ? unit.finish(result) : std::vector<std::string>{};
          const int commit_number = ++commits_;
          if (crash_.stall_at_commit == commit_number) {
            finish.insert(crash_.stall_first ? finish.begin() : finish.end(), crash_.stall_sql);
          }
          if (crash_.crash_at_commit == commit_number && crash_.crash_before_commit) _exit(86);
          writer->Commit(finish);
          if (crash_.crash_at_commit == commit_number && !crash_.crash_before_commit) _exit(86);
          result.state = UnitState::kDone;
        } catch (const std::exception& e) {
          if (HasSqlstate(e, kRunTakenOver)) TakenOver(e);
          if (HasSqlstate(e, kLeaseLost)) {
            // Rolled back: another worker took the unit over; nothing of it is this worker's.
            table_rows_[unit.table] -= result.rows;
            table_bytes_[unit.table] -= result.bytes;
            result.error = AtUnit(job, e, Side::kWriter);
            Elsewhere(job);
            in_flight_.fetch_sub(1);
            turns_.Ended(job);
            return state.lost_session == Side::kWriter;
          }
          if (unit.committed) {
            state.commit_uncertain = true;
            state.uncertain_rows = result.rows;
            state.uncertain_bytes = result.bytes;
          }
          FailJob(job, e, Side::kWriter);
        }
        result.times.commit += Since(commit_start);
      } else {
        writer->Rollback();
      }
    }
    if (!state.failed && stop_ && result.state != UnitState::kDone) {
      FailJob(job, Error(ErrorCode::kInterrupted, "stopped before this unit was committed"));
    }
    session_lost = state.lost_session == Side::kWriter;
    writer.reset();
    result.seconds = Since(state.started);
    result.started_at = std::chrono::duration<double>(state.started - started_).count();
    result.finished_at = Since(started_);
    if (state.failed && state.retry && !stop_) {
      // Another attempt, later, from a fresh read: its rows were rolled back with the unit (or
      // committed, which the next attempt asks first).
      table_rows_[unit.table] -= result.rows;
      table_bytes_[unit.table] -= result.bytes;
      Requeue(job);
      return session_lost;
    }
    table_units_[unit.table] += 1;
    in_flight_.fetch_sub(1);
    UnitFinished(unit.table);
    turns_.Ended(job);
    return session_lost;
  }

  // An ordered unit waits for the units before it to end before it commits; one that waited
  // `turn_patience` seconds fails (transient) and is rolled back, which frees the locks the unit
  // before may be waiting for.
  void WaitTurn(size_t job) {
    if (turns_.Until(job, stop_, options_.turn_patience) != Turns::Wait::kTimedOut) return;
    const std::string why = fmt::format(
        "waited {:.0f} s for the unit before it to commit; rolled back, since that unit may be "
        "waiting for one of this unit's locks",
        options_.turn_patience);
    FailJob(job, Error(ErrorCode::kDriver, why, {}, {Diagnostic{kTurnTimedOut, 0, why}}));
  }

  // Counts a unit of `table` as finished; after the last one, builds what waits for the whole
  // table (its keys) on this writer thread, unless a unit failed.
  void UnitFinished(size_t table) {
    if (table_left_[table].fetch_sub(1) != 1) return;
    TableDone(table);
    table_finished_[table].store(Since(started_));
  }

  void TableDone(size_t table) {
    if (table_failed_[table] || stop_ || !table_done_) return;
    try {
      table_done_(table);
    } catch (const std::exception& e) {
      for (size_t j = 0; j < jobs_.size(); ++j) {
        if (jobs_[j].table == table) {
          // The unit itself is done: building what waits for the table is not retried here.
          states_[j].Fail(AtUnit(j, e, Side::kNone), /*max_attempts=*/0, Side::kNone);
          table_failed_[table].store(true);
          if (options_.fail_fast) Stop();
          break;
        }
      }
    }
  }

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

  Error AtUnit(size_t job, const std::exception& e, Side side) const {
    return pipeline_state::AtUnit(jobs_[job], e, side);
  }

  void FailJob(size_t job, const std::exception& e, Side side = Side::kNone) {
    if (states_[job].Fail(AtUnit(job, e, side), max_attempts_, side) && !stop_) return;
    for (size_t first = first_failed_job_.load();
         job < first && !first_failed_job_.compare_exchange_weak(first, job);) {
    }
    table_failed_[jobs_[job].table].store(true);
    if (options_.fail_fast) Stop();
  }

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
  size_t channel_count_;
  BatchLimits limits_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::unique_ptr<IndexQueue>> free_slots_;  // per reader: its share of the pool
  std::vector<std::unique_ptr<Channel>> channels_;
  IndexQueue ready_;          // channels whose unit a writer should take
  IndexQueue free_channels_;  // channels no unit uses
  std::atomic<size_t> next_job_{0};
  std::atomic<size_t> first_failed_job_{SIZE_MAX};  // for ordered runs
  bool jobs_resolved_ = false;     // a resolve() said nothing is left (the one reader's)
  std::atomic<int> in_flight_{0};  // taken by a reader, not finished for good
  std::mutex retry_mutex_;
  std::deque<std::pair<Clock::time_point, size_t>> retries_;  // (not before, job)
  std::atomic<int> commits_{0};
  const TestHooks crash_ = options_.test_hooks;
  std::atomic<int> readers_left_{readers_};
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

}  // namespace

int DefaultWorkers() {
  unsigned cores = std::thread::hardware_concurrency();
  return int(std::clamp<unsigned>(cores / 2, kFewestDefaultWorkers, kMostDefaultWorkers));
}

std::vector<UnitResult> RunPipeline(Endpoint& source, Endpoint& destination,
                                    const EngineOptions& options, const std::vector<UnitJob>& jobs,
                                    size_t tables,
                                    const std::function<void(const PipelineProgress&)>& progress,
                                    const std::function<void(size_t table)>& table_done) {
  CopyEngine engine(source, destination, options, jobs, tables, table_done);
  return engine.Run(progress);
}

}  // namespace ferry
