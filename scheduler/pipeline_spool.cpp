// ferry run --spool: spooler threads write units into the spool while every writer is busy, and
// writers take the units back from it in the order they were spooled (copy_engine.hpp).
#include <algorithm>
#include <thread>

#include "scheduler/copy_engine.hpp"

namespace ferry::copy_engine {

// A unit goes into the spool while no writer is free to take it at once (one that is will find
// a unit already waiting), and the spool has room. Rows that travel undecoded (a same-engine
// pass-through) go to a writer: the spool keeps converted batches.
void CopyEngine::RouteUnit(uint32_t channel_index, const UnitJob& unit) {
  Channel& channel = *channels_[channel_index];
  bool claimed = false;
  bool spooling = false;
  if (spool_ && unit.converter && !unit.read.pass_through) {
    claimed = ClaimIdleWriter();
    spooling = !claimed && spool_->HasRoom();
  }
  channel.spooling.store(spooling);
  if (spooling) {
    spool_ready_.Push(channel_index);
  } else if (claimed) {
    ready_.Push(channel_index);  // counted in ready_waiting_ by the claim
  } else {
    PushReady(channel_index);
  }
}

bool CopyEngine::ClaimIdleWriter() {
  int waiting = ready_waiting_.load();
  while (waiting < idle_writers_.load()) {
    if (ready_waiting_.compare_exchange_weak(waiting, waiting + 1)) return true;
  }
  return false;
}

void CopyEngine::ReadersFinished() {
  readers_done_at_.store(Since(started_));
  readers_finished_.store(true);
  spool_ready_.Ring();
  // Every session of the source is closed by now; what held the snapshot may let it go.
  if (options_.readers_done && !stop_) {
    try {
      options_.readers_done();
    } catch (const std::exception&) {
      // Only the snapshot's early end is lost: it ends with the run.
    }
  }
  MaybeEndWriters();
}

void CopyEngine::SpoolerLoop(int spooler) {
  struct Done {
    CopyEngine* engine;
    ~Done() {
      engine->spoolers_left_.fetch_sub(1);
      engine->MaybeEndWriters();
      engine->ThreadFinished();
    }
  } done{this};
  for (;;) {
    uint32_t channel_index;
    if (!spool_ready_.Pop(channel_index, readers_finished_) &&
        !spool_ready_.TryPop(channel_index)) {
      return;
    }
    SpoolUnit(channel_index, spooler);
  }
}

// Takes the unit's batches off its channel into a spool file. A unit read whole goes to the
// writers' queue and its channel back to the readers; a batch the spool has no room for hands
// the unit to a writer, the spooled part first.
void CopyEngine::SpoolUnit(uint32_t channel_index, int spooler) {
  Channel& channel = *channels_[channel_index];
  const size_t job = channel.job;
  JobState& state = states_[job];
  state.result.spooler = spooler;
  state.result.spool_started_at = Since(started_);
  std::unique_ptr<SpoolFile> file;
  try {
    file = spool_->Create();
  } catch (const std::exception& e) {
    FailJob(job, e, Side::kNone);
  }
  for (;;) {
    uint32_t s;
    // As a writer does: the reader always ends the unit, and its batches go back to its pool.
    if (!channel.items.Pop(s, never_)) break;
    if (s == kEndOfUnit) break;
    Slot& slot = slots_[s];
    if (!state.failed && !stop_ && file) {
      bool appended = false;
      try {
        appended = slot.spool_encoded && file->Append(slot.out);
      } catch (const std::exception& e) {
        FailJob(job, e, Side::kNone);
        appended = true;  // dropped with the unit
      }
      if (!appended) return HandOff(channel_index, std::move(file), s);
    }
    free_slots_[slot.reader]->Push(s);
  }
  bool whole = !state.failed && !stop_ && file;
  if (whole) {
    try {
      file->Finish();
    } catch (const std::exception& e) {
      FailJob(job, e, Side::kNone);
      whole = false;
    }
  }
  free_channels_.Push(channel_index);
  if (whole) {
    state.result.spool_finished_at = Since(started_);
    state.result.spool_bytes = file->bytes();
    if (jobs_[job].spooled) {
      try {
        jobs_[job].spooled(state.result.rows, file->bytes());
      } catch (const std::exception&) {
        // Only ferry status's view of the spool is behind; the unit is in it.
      }
    }
    units_spooled_.fetch_add(1);
    // Read for good: its retries come from the spool, and the readers need not wait for it.
    spooled_in_flight_.fetch_add(1);
  }
  // A unit that failed while it was read goes to a writer too, which settles it (another read,
  // or its failure) as for any unit.
  QueueSpooled({job, whole ? std::move(file) : nullptr, whole, Clock::time_point{}});
}

void CopyEngine::HandOff(uint32_t channel_index, std::unique_ptr<SpoolFile> file, uint32_t slot) {
  Channel& channel = *channels_[channel_index];
  units_handed_on_.fetch_add(1);
  try {
    file->Finish();
  } catch (const std::exception& e) {
    FailJob(channel.job, e, Side::kNone);
  }
  UnitResult& result = states_[channel.job].result;
  result.handed_on = true;
  result.spool_finished_at = Since(started_);
  result.spool_bytes = file ? file->bytes() : 0;
  channel.spooled = std::move(file);
  channel.first = slot;
  // Batches converted from now on are encoded for the writer, not the spool.
  channel.spooling.store(false, std::memory_order_release);
  PushReady(channel_index);
}

void CopyEngine::QueueSpooled(SpooledUnit unit) {
  {
    std::lock_guard lock(spooled_mutex_);
    spooled_.push_back(std::move(unit));
  }
  PushReady(kSpooledUnit);
}

// Writes the spool's next unit (one due now, else the first, waited for).
bool CopyEngine::WriteSpooled(int writer_index, WriteSession& session) {
  SpooledUnit unit;
  {
    std::lock_guard lock(spooled_mutex_);
    auto due = std::find_if(spooled_.begin(), spooled_.end(),
                            [](const SpooledUnit& u) { return u.not_before <= Clock::now(); });
    if (due == spooled_.end()) due = spooled_.begin();
    unit = std::move(*due);
    spooled_.erase(due);
  }
  while (Clock::now() < unit.not_before && !stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  JobState& state = states_[unit.job];
  if (unit.whole && state.commit_uncertain && !SpooledCommitUnknown(unit)) return false;
  // A unit put back after a failed attempt (not_before set) starts another one, from the spool.
  if (unit.whole && unit.not_before != Clock::time_point{}) ++state.attempts;
  bool retry = false;
  const bool session_lost = WriteUnit(writer_index, session, unit.job, nullptr, unit.file.get(),
                                      unit.whole ? &retry : nullptr);
  if (retry) {
    unit.not_before = Clock::now() + RetryDelay(state.attempts);
    QueueSpooled(std::move(unit));
  }
  return session_lost;
}

bool CopyEngine::SpooledCommitUnknown(SpooledUnit& unit) {
  const size_t job = unit.job;
  JobState& state = states_[job];
  UnitResult& result = state.result;
  bool committed = false;
  try {
    committed = jobs_[job].committed();
  } catch (const std::exception& e) {
    ++state.attempts;
    if (state.Fail(AtUnit(job, e, Side::kNone), max_attempts_, Side::kNone) && !stop_) {
      const int64_t rows = result.rows, bytes = result.bytes;
      state.Reset();
      result.rows = rows;
      result.bytes = bytes;
      unit.not_before = Clock::now() + RetryDelay(state.attempts);
      QueueSpooled(std::move(unit));
      return false;
    }
    FailJob(job, e);
  }
  state.commit_uncertain = false;
  if (!committed && !state.failed) return true;
  if (committed) {
    result.state = UnitState::kDone;
    result.committed_before_error = true;
  }
  table_units_[jobs_[job].table] += 1;
  SpooledFinished(job);
  in_flight_.fetch_sub(1);
  UnitFinished(jobs_[job].table);
  return false;
}

void CopyEngine::Replay(RowWriter& writer, SpoolFile& file, size_t job, int writer_index) {
  JobState& state = states_[job];
  Batch& batch = replay_[size_t(writer_index)];
  try {
    std::unique_ptr<RowReader> rows = file.Replay();
    for (;;) {
      if (state.failed || stop_) return;
      const Clock::time_point start = Clock::now();
      if (!rows->Next(batch)) return;
      writer.Prepare(batch);
      state.result.times.convert += Since(start);
      const Clock::time_point write_start = Clock::now();
      writer.Write(batch);
      state.result.times.write += Since(write_start);
    }
  } catch (const std::exception& e) {
    FailJob(job, e, Side::kWriter);
  }
}

void CopyEngine::SpooledFinished(size_t /*job*/) {
  spooled_in_flight_.fetch_sub(1);
  MaybeEndWriters();
}

}  // namespace ferry::copy_engine
