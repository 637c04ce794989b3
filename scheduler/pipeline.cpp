#include "scheduler/pipeline.hpp"

#include "scheduler/index_queue.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace ferry {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kEndOfUnit = UINT32_MAX;
// Batches per reader: one being read, one converting, one queued, one being written.
constexpr int kSlotsPerReader = 4;
// A slot holds the read batch, the converted batch and its encoding.
constexpr size_t kCopiesPerSlot = 3;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

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

struct JobState {
  std::atomic<bool> failed{false};
  Clock::time_point started;  // set by the reader before the unit is handed to a writer
  std::mutex mutex;
  std::string error;
  ErrorCode code = ErrorCode::kInternal;
  UnitResult result;

  void Fail(const std::exception& e) {
    std::lock_guard lock(mutex);
    if (failed.exchange(true)) return;  // the first error is the cause; later ones follow it
    const Error* error_value = dynamic_cast<const Error*>(&e);
    error = error_value ? e.what() : Error(ErrorCode::kInternal, e.what()).what();
    code = error_value ? error_value->code() : ErrorCode::kInternal;
  }
};

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
        table_done_(table_done),
        readers_(std::max(options.readers, 1)),
        writers_(std::max(options.writers, 1)),
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
      UnitResult& r = states_[j].result;
      r.table = jobs_[j].table;
      r.part = jobs_[j].read.unit.part;
      table_left_[jobs_[j].table] += 1;
    }
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
    for (int w = 0; w < writers_; ++w) threads.emplace_back(guarded([this] { WriterLoop(); }));
    {
      std::unique_lock lock(done_mutex_);
      while (!done_cv_.wait_for(lock, std::chrono::milliseconds(500),
                                [&] { return finished_threads_ == threads.size(); })) {
        lock.unlock();
        if (progress) progress(Progress());
        lock.lock();
      }
    }
    for (std::thread& t : threads) t.join();
    arena_.execute([] {});  // every conversion task has finished by now (pending counts)
    if (progress) progress(Progress());
    if (session_error) std::rethrow_exception(session_error);
    std::vector<UnitResult> results;
    for (size_t j = 0; j < jobs_.size(); ++j) {
      UnitResult r = states_[j].result;
      if (states_[j].failed) {
        r.state = UnitState::kFailed;
        r.error = states_[j].error;
        r.error_code = states_[j].code;
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
    }
    return p;
  }

  void Stop() {
    stop_.store(true);
    for (auto& q : free_slots_) q->Ring();
    ready_.Ring();
    free_channels_.Ring();
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
    std::unique_ptr<ReadSession> session = source_.OpenReadSession();
    for (;;) {
      if (stop_) return;
      size_t job = next_job_.fetch_add(1);
      if (job >= jobs_.size()) return;
      JobState& state = states_[job];
      const UnitJob& unit = jobs_[job];
      if (table_failed_[unit.table]) {
        state.result.state = UnitState::kSkipped;
        UnitFinished(unit.table);
        continue;
      }
      uint32_t channel_index;
      if (!free_channels_.Pop(channel_index, stop_)) return;
      Channel& channel = *channels_[channel_index];
      channel.job = job;
      state.started = Clock::now();
      ready_.Push(channel_index);
      ReadUnit(reader, *session, job, channel);
      // The end marker goes after the last conversion has queued its batch.
      for (int p = channel.pending.load(); p != 0; p = channel.pending.load()) {
        channel.pending.wait(p);
      }
      channel.items.Push(kEndOfUnit);
    }
  }

  void ReadUnit(uint32_t reader, ReadSession& session, size_t job, Channel& channel) {
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
      FailJob(job, e);
      return;
    }
    for (;;) {
      uint32_t s;
      if (!free_slots_[reader]->Pop(s, stop_, &result.times.wait_slot)) return;
      if (state.failed || stop_) {
        free_slots_[reader]->Push(s);
        return;
      }
      Slot& slot = slots_[s];
      bool more;
      const Clock::time_point read_start = Clock::now();
      try {
        more = rows->Next(slot.in);
      } catch (const std::exception& e) {
        free_slots_[reader]->Push(s);
        FailJob(job, e);
        return;
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

  void WriterLoop() {
    struct Done {
      CopyEngine* engine;
      ~Done() { engine->ThreadFinished(); }
    } done{this};
    std::unique_ptr<WriteSession> session = destination_.OpenWriteSession();
    for (;;) {
      uint32_t channel_index;
      if (!PopReady(channel_index)) return;
      Channel& channel = *channels_[channel_index];
      WriteUnit(*session, channel);
      free_channels_.Push(channel_index);
    }
  }

  // The next unit a reader has started; false once every reader has finished and no unit is
  // left (the last reader rings the bell when it finishes).
  bool PopReady(uint32_t& out) {
    if (ready_.Pop(out, readers_finished_)) return true;
    return ready_.TryPop(out);
  }

  void WriteUnit(WriteSession& session, Channel& channel) {
    const size_t job = channel.job;
    JobState& state = states_[job];
    const UnitJob& unit = jobs_[job];
    UnitResult& result = state.result;
    std::unique_ptr<RowWriter> writer;
    if (!state.failed) {
      try {
        writer = session.Write(unit.write);
        result.write_method = writer->Method();
        channel.writer.store(writer.get(), std::memory_order_release);
      } catch (const std::exception& e) {
        FailJob(job, e);
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
          FailJob(job, e);
        }
        result.times.write += Since(write_start);
      }
      free_slots_[slot.reader]->Push(s);
    }
    channel.writer.store(nullptr, std::memory_order_release);
    result.times.wait_data += wait_data;
    if (writer) {
      if (!state.failed && !stop_) {
        const Clock::time_point commit_start = Clock::now();
        try {
          writer->Commit();
          result.state = UnitState::kDone;
        } catch (const std::exception& e) {
          FailJob(job, e);
        }
        result.times.commit += Since(commit_start);
      } else {
        writer->Rollback();
      }
    }
    if (!state.failed && stop_ && result.state != UnitState::kDone) {
      FailJob(job, Error(ErrorCode::kInterrupted, "stopped before this unit was committed"));
    }
    table_units_[unit.table] += 1;
    UnitFinished(unit.table);
    result.seconds = Since(state.started);
    result.started_at = std::chrono::duration<double>(state.started - started_).count();
    result.finished_at = Since(started_);
  }

  // Counts a unit of `table` as finished; after the last one, builds what waits for the whole
  // table (its keys) on this writer thread, unless a unit failed.
  void UnitFinished(size_t table) {
    if (table_left_[table].fetch_sub(1) != 1) return;
    if (table_failed_[table] || stop_ || !table_done_) return;
    try {
      table_done_(table);
    } catch (const std::exception& e) {
      for (size_t j = 0; j < jobs_.size(); ++j) {
        if (jobs_[j].table == table) {
          FailJob(j, e);
          break;
        }
      }
    }
  }

  void FailJob(size_t job, const std::exception& e) {
    states_[job].Fail(e);
    table_failed_[jobs_[job].table].store(true);
    if (options_.fail_fast) Stop();
  }

  Endpoint& source_;
  Endpoint& destination_;
  const EngineOptions& options_;
  const std::vector<UnitJob>& jobs_;
  std::vector<JobState> states_;
  std::vector<std::atomic<bool>> table_failed_;
  std::vector<std::atomic<int64_t>> table_rows_;
  std::vector<std::atomic<int64_t>> table_bytes_;
  std::vector<std::atomic<int>> table_units_;
  std::vector<std::atomic<int>> table_left_;  // units not yet finished
  std::function<void(size_t)> table_done_;
  int readers_;
  int writers_;
  size_t slot_count_;
  size_t channel_count_;
  BatchLimits limits_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::unique_ptr<IndexQueue>> free_slots_;  // per reader: its share of the pool
  std::vector<std::unique_ptr<Channel>> channels_;
  IndexQueue ready_;          // channels whose unit a writer should take
  IndexQueue free_channels_;  // channels no unit uses
  std::atomic<size_t> next_job_{0};
  std::atomic<int> readers_left_{readers_};
  std::atomic<bool> readers_finished_{false};
  std::atomic<bool> stop_{false};
  const std::atomic<bool> never_{false};
  const Clock::time_point started_ = Clock::now();
  tbb::task_arena arena_;
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  size_t finished_threads_ = 0;
};

}  // namespace

int DefaultWorkers() {
  unsigned cores = std::thread::hardware_concurrency();
  return int(std::clamp<unsigned>(cores / 2, 2, 8));
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
