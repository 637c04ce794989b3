#include "scheduler/pipeline.hpp"

#include <unistd.h>

#include "scheduler/copy_engine.hpp"

namespace ferry {

namespace copy_engine {

std::vector<UnitResult> CopyEngine::Run(
    const std::function<void(const PipelineProgress&)>& progress) {
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
  if (spool_) {
    replay_.resize(size_t(writers_));
    spoolers_left_.store(readers_);  // before any reader can end
  }
  for (int r = 0; r < readers_; ++r) {
    threads.emplace_back(guarded([this, r] { ReaderLoop(uint32_t(r)); }));
  }
  for (int w = 0; w < writers_; ++w) threads.emplace_back(guarded([this, w] { WriterLoop(w); }));
  if (spool_) {
    for (int r = 0; r < readers_; ++r) {
      threads.emplace_back(guarded([this, r] { SpoolerLoop(r); }));
    }
  }
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

void CopyEngine::ReaderLoop(uint32_t reader) {
  struct Done {
    CopyEngine* engine;
    ~Done() {
      if (engine->readers_left_.fetch_sub(1) == 1) engine->ReadersFinished();
      engine->ThreadFinished();
    }
  } done{this};
  std::unique_ptr<ReadSession> session = OpenReader(int(reader));
  struct Close {
    CopyEngine* engine;
    std::unique_ptr<ReadSession>& session;
    ~Close() {
      if (session) engine->SessionClosed(Side::kReader);
    }
  } close{this, session};
  while (session) {
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
    RouteUnit(channel_index, unit);
    const bool session_lost = ReadUnit(reader, *session, job, channel);
    // The end marker goes after the last conversion has queued its batch.
    for (int p = channel.pending.load(); p != 0; p = channel.pending.load()) {
      channel.pending.wait(p);
    }
    state.result.read_finished_at = Since(started_);
    channel.items.Push(kEndOfUnit);
    if (session_lost) {
      session.reset();
      SessionClosed(Side::kReader);
      session = OpenReader(int(reader));
    }
  }
}

bool CopyEngine::AskCommitted(size_t job) {
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

std::optional<size_t> CopyEngine::NextJob() {
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
    // Units in flight may come back for another attempt; an ordered run retries none, and a
    // unit the spool holds whole is retried from there.
    if (in_flight_.load() - spooled_in_flight_.load() == 0 || options_.ordered) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool CopyEngine::ReadUnit(uint32_t reader, ReadSession& session, size_t job, Channel& channel) {
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

void CopyEngine::Convert(uint32_t s, size_t job, Channel& channel) {
  Slot& slot = slots_[s];
  const Clock::time_point start = Clock::now();
  if (!states_[job].failed) {
    try {
      jobs_[job].converter->Convert(slot.in, slot.out);
      slot.spool_encoded = false;
      if (channel.spooling.load(std::memory_order_acquire)) {
        spool_->Encode(slot.out);
        slot.spool_encoded = true;
      } else if (RowWriter* writer = channel.writer.load(std::memory_order_acquire)) {
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

void CopyEngine::WriterLoop(int writer_index) {
  struct Done {
    CopyEngine* engine;
    ~Done() { engine->ThreadFinished(); }
  } done{this};
  std::unique_ptr<WriteSession> session = OpenWriter(writer_index);
  struct Close {
    CopyEngine* engine;
    std::unique_ptr<WriteSession>& session;
    ~Close() {
      if (session) engine->SessionClosed(Side::kWriter);
    }
  } close{this, session};
  while (session) {
    uint32_t entry;
    if (!PopReady(entry)) return;
    bool session_lost;
    if (entry == kSpooledUnit) {
      session_lost = WriteSpooled(writer_index, *session);
    } else {
      Channel& channel = *channels_[entry];
      session_lost =
          WriteUnit(writer_index, *session, channel.job, &channel, channel.spooled.get());
      channel.spooled.reset();  // drained: its file goes
      channel.first.reset();
      free_channels_.Push(entry);
    }
    if (session_lost) {
      session.reset();
      SessionClosed(Side::kWriter);
      session = OpenWriter(writer_index);
    }
  }
}

void CopyEngine::WriteSlot(RowWriter* writer, size_t job, uint32_t s) {
  Slot& slot = slots_[s];
  JobState& state = states_[job];
  if (slot.spool_encoded) {
    // Encoded for the spool before the unit was handed on: the writer encodes it its own way.
    slot.out.wire().clear();
    slot.out.set_wire_rows(0);
    slot.spool_encoded = false;
  }
  if (!state.failed && writer) {
    const Clock::time_point write_start = Clock::now();
    try {
      writer->Write(jobs_[job].converter ? slot.out : slot.in);
    } catch (const std::exception& e) {
      FailJob(job, e, Side::kWriter);
    }
    state.result.times.write += Since(write_start);
  }
  free_slots_[slot.reader]->Push(s);
}

bool CopyEngine::WriteUnit(int writer_index, WriteSession& session, size_t job, Channel* channel,
                           SpoolFile* spooled, bool* retry_from_spool) {
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
      if (channel) channel->writer.store(writer.get(), std::memory_order_release);
    } catch (const std::exception& e) {
      FailJob(job, e, Side::kWriter);
    }
  }
  if (spooled && writer && !state.failed) Replay(*writer, *spooled, job, writer_index);
  if (channel) {
    if (channel->first) WriteSlot(writer.get(), job, *channel->first);
    double wait_data = 0;
    for (;;) {
      uint32_t s;
      // Stop is not honoured here: the reader always ends the unit, and its batches must go
      // back to its pool.
      if (!channel->items.Pop(s, never_, &wait_data)) break;
      if (s == kEndOfUnit) break;
      WriteSlot(writer.get(), job, s);
    }
    channel->writer.store(nullptr, std::memory_order_release);
    result.times.wait_data += wait_data;
  }
  if (writer && options_.ordered && !state.failed) WaitTurn(job);
  if (writer) CommitUnit(*writer, job);
  if (result.elsewhere) return state.lost_session == Side::kWriter;  // a shared run's lease
  if (!state.failed && stop_ && result.state != UnitState::kDone) {
    FailJob(job, Error(ErrorCode::kInterrupted, "stopped before this unit was committed"));
  }
  const bool session_lost = state.lost_session == Side::kWriter;
  writer.reset();
  result.seconds = Since(state.started);
  result.started_at = std::chrono::duration<double>(state.started - started_).count();
  result.finished_at = Since(started_);
  if (state.failed && state.retry && !stop_) {
    if (retry_from_spool) {
      // Another attempt from the spool: the rows it holds are still to come.
      const int64_t rows = result.rows, bytes = result.bytes;
      state.Reset();
      result.rows = rows;
      result.bytes = bytes;
      *retry_from_spool = true;
      return session_lost;
    }
    // Another attempt, later, from a fresh read: its rows were rolled back with the unit (or
    // committed, which the next attempt asks first).
    table_rows_[unit.table] -= result.rows;
    table_bytes_[unit.table] -= result.bytes;
    Requeue(job);
    return session_lost;
  }
  table_units_[unit.table] += 1;
  if (retry_from_spool) SpooledFinished(job);
  in_flight_.fetch_sub(1);
  UnitFinished(unit.table);
  turns_.Ended(job);
  return session_lost;
}

void CopyEngine::WaitTurn(size_t job) {
  if (turns_.Until(job, stop_, options_.turn_patience) != Turns::Wait::kTimedOut) return;
  const std::string why = fmt::format(
      "waited {:.0f} s for the unit before it to commit; rolled back, since that unit may be "
      "waiting for one of this unit's locks",
      options_.turn_patience);
  FailJob(job, Error(ErrorCode::kDriver, why, {}, {Diagnostic{kTurnTimedOut, 0, why}}));
}

// Commits the unit the writer wrote, with its done mark, or rolls it back when it failed, the
// run stops, or (in order) a unit before it failed.
void CopyEngine::CommitUnit(RowWriter& writer, size_t job) {
  JobState& state = states_[job];
  const UnitJob& unit = jobs_[job];
  UnitResult& result = state.result;
  const bool after_failure = options_.ordered && first_failed_job_.load() < job;
  if (state.failed || stop_ || after_failure) {
    writer.Rollback();
    return;
  }
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
    writer.Commit(finish);
    const int commits_done = ++commits_done_;
    if (crash_.crash_at_commit == commits_done && !crash_.crash_before_commit) _exit(86);
    result.state = UnitState::kDone;
    if (unit.after_commit) unit.after_commit();
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
      return;
    }
    if (unit.committed) {
      state.commit_uncertain = true;
      state.uncertain_rows = result.rows;
      state.uncertain_bytes = result.bytes;
    }
    FailJob(job, e, Side::kWriter);
  }
  result.times.commit += Since(commit_start);
}

void CopyEngine::TableDone(size_t table) {
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

Error CopyEngine::AtUnit(size_t job, const std::exception& e, Side side) const {
  const Error* error = dynamic_cast<const Error*>(&e);
  Error out = error ? *error : Error(ErrorCode::kInternal, e.what());
  const UnitJob& unit = jobs_[job];
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

void CopyEngine::FailJob(size_t job, const std::exception& e, Side side) {
  if (states_[job].Fail(AtUnit(job, e, side), max_attempts_, side) && !stop_) return;
  for (size_t first = first_failed_job_.load();
       job < first && !first_failed_job_.compare_exchange_weak(first, job);) {
  }
  table_failed_[jobs_[job].table].store(true);
  if (options_.fail_fast) Stop();
}

}  // namespace copy_engine

int DefaultWorkers() {
  unsigned cores = std::thread::hardware_concurrency();
  return int(std::clamp<unsigned>(cores / 2, kFewestDefaultWorkers, kMostDefaultWorkers));
}

std::vector<UnitResult> RunPipeline(Endpoint& source, Endpoint& destination,
                                    const EngineOptions& options, const std::vector<UnitJob>& jobs,
                                    size_t tables,
                                    const std::function<void(const PipelineProgress&)>& progress,
                                    const std::function<void(size_t table)>& table_done) {
  copy_engine::CopyEngine engine(source, destination, options, jobs, tables, table_done);
  return engine.Run(progress);
}

}  // namespace ferry
