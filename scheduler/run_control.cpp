#include "scheduler/run_control.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "copier/error.hpp"
#include "scheduler/held_keys.hpp"
#include "scheduler/run_overlap.hpp"
#include "scheduler/run_owner.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

// The tables are created by the first run that writes (RunPlan, once the plan has been checked
// against both ends), so a refused run leaves the destination as it was.
std::unique_ptr<RunStore> OpenStore(Endpoint& destination, const std::string& prefix) {
  return destination.OpenRunStore(prefix);
}

std::string Describe(const RunRecord& run) {
  return fmt::format("run {} (started {} on {}, pid {})", run.id, run.started_at, run.host,
                     run.pid);
}

// A write about `run` that waited for its live owner's locks in vain (Error(kBusy) from the run
// state), said with what to do about the owner.
[[noreturn]] void BehindOwner(const RunRecord& run, const Error& e) {
  throw Error(ErrorCode::kBusy,
              fmt::format("`ferry {}` {} holds locks on its run state: {}; {}", run.command,
                          Describe(run), e.message(), OwnerState(run)));
}

}  // namespace

std::unique_ptr<ScopeLock> LockDestination(RunStore& store, const Endpoint& destination) {
  std::unique_ptr<ScopeLock> lock = store.TryLock();
  if (lock) return lock;
  std::string holder;
  std::string state;
  for (const RunRecord& r : store.Runs()) {
    if (r.status == RunStatus::kRunning) {
      holder = fmt::format("`ferry {}` {}", r.command, Describe(r));
      if (r.host == HostName() && ProcessStopped(r.pid)) state = "; " + OwnerState(r);
      break;
    }
  }
  if (holder.empty()) {
    // No run of this run state is running: the lock is one per destination, whatever the
    // --state-prefix, so the holder keeps its runs under another prefix (or is starting).
    const std::string who = store.LockHolder();
    holder = fmt::format(
        "another ferry process{} (no run recorded under this --state-prefix: "
        "it keeps its run state under another one, or is starting)",
        who.empty() ? "" : ", " + who + ",");
  }
  throw Error(ErrorCode::kBusy,
              fmt::format("{} is writing into {}; one ferry run at a time writes into a "
                          "destination (wait for it, or stop it: it can be resumed){}",
                          holder, destination.info().display, state));
}

namespace {

// Runs still marked running while we hold the lock belong to processes that died (or, on
// another host, lost their lock: their next commit fails its lock check).
void MarkDeadRuns(RunStore& store) {
  for (const RunRecord& r : store.Runs()) {
    if (r.status == RunStatus::kRunning && r.lease_ms == 0 && !ProcessAlive(r)) {
      std::string summary = "its process ended without finishing (killed or crashed)";
      if (!r.summary.empty() && r.summary != "resumed") summary += "; " + r.summary;
      try {
        store.FinishRun(r.id, RunStatus::kInterrupted, summary);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::kBusy) BehindOwner(r, e);
        throw;
      }
    }
  }
}

// A run recorded as running whose process lives lost its run lock (a DBA killed the lock's
// session, say): it takes the lock again or stops by itself. Nothing else may write meanwhile.
void RefuseWhileAlive(const RunRecord& r, const Endpoint& destination) {
  if (ProcessStopped(r.pid)) {
    throw Error(ErrorCode::kBusy,
                fmt::format("`ferry {}` {} still owns its run, and its run lock's session on {} "
                            "is gone; {}",
                            r.command, Describe(r), destination.info().display, OwnerState(r)));
  }
  throw Error(ErrorCode::kBusy,
              fmt::format("`ferry {}` {} is still alive on this host but its run lock's session "
                          "on {} is gone; it takes the lock again or stops by itself within "
                          "seconds. Wait for it, or stop it (kill {}): it can be resumed",
                          r.command, Describe(r), destination.info().display, r.pid));
}

// A dead ferry process's server sessions may still hold row and table locks while they roll
// its last units back: they are ended, and waited for, before this run writes.
void EndSessionsOfDead(RunStore& store, const RunRecord& r, CopyObserver& observer) {
  // A pid of this host reused by this very process: its tag is ours.
  if (r.host == HostName() && r.pid == getpid()) return;
  const int ended = store.EndSessionsOf(r.host, r.pid);
  if (ended > 0) {
    observer.Note(
        fmt::format("ended {} server session{} left by {} and waited for their "
                    "rollback",
                    ended, ended == 1 ? "" : "s", Describe(r)));
  }
}

// Watches the run lock's session while a run writes. When the session is gone (killed by a
// DBA, cut by the network) it takes the lock again; when another process took it meanwhile,
// it stops the run (units in flight roll back, and their commits would fail their lock check
// anyway). `lost()` then says so.
class LockWatch {
  // Seconds of trying to take the lock again: a destination restarting is back within them.
  // Meanwhile the run writes on, each commit checking the owner token.
  static constexpr int kLockAttempts = 30;

 public:
  LockWatch(RunStore& store, std::unique_ptr<ScopeLock>& lock)
      : store_(store), lock_(lock), thread_([this] { Watch(); }) {}
  ~LockWatch() {
    {
      std::lock_guard guard(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  bool lost() const { return lost_; }
  int retaken() const { return retaken_; }

 private:
  void Watch() {
    std::unique_lock guard(mutex_);
    for (;;) {
      wake_.wait_for(guard, std::chrono::seconds(1));
      if (done_) return;
      if (lock_->Alive()) continue;
      bool taken = false;
      for (int attempt = 0; attempt < kLockAttempts && !done_ && !taken; ++attempt) {
        std::unique_ptr<ScopeLock> again;
        try {
          again = store_.TryLock();
        } catch (const std::exception&) {
          // The destination away (restarting): no connection to take the lock on yet. Escaping
          // this thread, the error ended the process (std::terminate) with nothing recorded.
        }
        if (again) {
          lock_ = std::move(again);
          ++retaken_;
          taken = true;
        } else {
          wake_.wait_for(guard, std::chrono::seconds(1));
        }
      }
      if (!taken && !done_) {
        lost_ = true;
        RequestStop();
        return;
      }
    }
  }

  RunStore& store_;
  std::unique_ptr<ScopeLock>& lock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::atomic<bool> lost_{false};
  std::atomic<int> retaken_{0};
  std::thread thread_;
};

// Whether a copy run recorded the table in `state` (the run state keeps states by name).
bool Is(const TableRecord& t, TableState state) {
  return ParseTableState(t.state) == state;
}

// What later runs did to the tables of runs[index] (runs newest first). A later run that
// finished done and copied every table of the old run (skipped ones aside) supersedes it: those
// tables hold that run's complete copy, and resuming the old run would add its missing units on
// top (duplicate keys, or doubled rows without a key). Any other later run that wrote into a
// table the old run had started makes resuming it unsafe. "Later" is by start time to the
// second (RunStore::Runs' order), then by run id.
struct LaterRuns {
  std::string superseded_by;  // run id
  std::string touched_by;     // run id
  TableName touched_table;
};

LaterRuns AfterRun(RunStore& store, const std::vector<RunRecord>& runs, size_t index) {
  LaterRuns out;
  std::vector<TableRecord> own = store.Tables(runs[index].id);
  for (size_t later = index; later-- > 0;) {
    const RunRecord& l = runs[later];
    if (l.command != "run" || l.status == RunStatus::kRunning) continue;
    std::vector<TableRecord> theirs = store.Tables(l.id);
    bool covers = l.status == RunStatus::kDone;
    for (const TableRecord& t : own) {
      if (Is(t, TableState::kSkipped)) continue;
      auto same = std::find_if(theirs.begin(), theirs.end(), [&](const TableRecord& x) {
        return x.destination == t.destination && !Is(x, TableState::kPending) &&
               !Is(x, TableState::kSkipped);
      });
      covers = covers && same != theirs.end() && Is(*same, TableState::kDone);
      if (same != theirs.end() && !Is(t, TableState::kPending) && out.touched_by.empty()) {
        out.touched_by = l.id;
        out.touched_table = t.destination;
      }
    }
    if (covers && !own.empty()) {
      out.superseded_by = l.id;
      return out;
    }
  }
  return out;
}

// Refuses --resume with a plan file that is not the plan the run stored: a resume runs the
// stored plan, and silently dropping the file's edits would copy something else than asked.
void RefuseOtherPlan(const RunRecord& run, const RunControl& control) {
  if (!control.plan_file) return;
  Plan stored = PlanFromJson(run.plan, fmt::format("the stored plan of run {}", run.id));
  std::vector<std::string> differences = PlanDifferences(stored, *control.plan_file);
  if (differences.empty()) return;
  std::string list;
  for (const std::string& d : differences) list += "\n    " + d;
  throw Error(ErrorCode::kUsage,
              fmt::format("--resume continues run {} with the plan it stored, and plan file {} "
                          "differs from it:{}\nresume without --plan to finish the stored plan, "
                          "or start over with the new plan after `ferry reset --yes`",
                          run.id, control.plan_file_name, list));
}

std::string Summary(const CopyReport& report) {
  int done = 0, failed = 0, interrupted = 0;
  int64_t rows = 0;
  for (const TableOutcome& t : report.tables) {
    done += t.state == TableState::kDone && t.schema_errors.empty();
    failed += t.state == TableState::kFailed || !t.schema_errors.empty();
    interrupted += t.state == TableState::kInterrupted;
    rows += t.rows;
  }
  std::string out = fmt::format("{} of {} tables done", done, report.tables.size());
  if (failed > 0) out += fmt::format(", {} failed", failed);
  if (interrupted > 0) out += fmt::format(", {} interrupted", interrupted);
  return out + fmt::format("; {} rows in {:.1f} s", rows, report.seconds);
}

// The destination's runs, newest first, as seen while holding its lock: what a new run or a
// resume must respect.
class RunHistoryView {
 public:
  RunHistoryView(RunStore& store, const Endpoint& destination, CopyObserver& observer,
                 std::string source_display = "")
      : store_(store),
        destination_(destination),
        observer_(observer),
        source_display_(std::move(source_display)),
        runs_(store.Runs()) {}

  // The run to resume under `control` (null: start a new run). Throws when the run named
  // cannot be resumed, or when an interrupted run of the same copy blocks a new one.
  const RunRecord* Resumable(const std::string& scope, const RunControl& control) {
    const RunRecord* latest = nullptr;  // the newest `run` of the same copy
    for (const RunRecord& r : runs_) {
      if (r.command == "run" && r.scope == scope) {
        latest = &r;
        break;
      }
    }
    if (control.resume && !control.resume_run.empty()) return Named(scope, control);
    if (control.resume) return Latest(latest);
    if (latest && latest->status == RunStatus::kInterrupted) {
      if (!Later(*latest).superseded_by.empty()) {
        observer_.Note(SupersededNote(*latest, Later(*latest)));
        return nullptr;
      }
      throw Error(ErrorCode::kSchema,
                  fmt::format("the destination holds an interrupted {} of this copy ({}); "
                              "continue it with `ferry run --resume`, or start over with "
                              "`ferry reset --yes` (empties the tables it wrote)",
                              Describe(*latest), latest->summary));
    }
    return nullptr;
  }

  // Refuses a new run appending over an interrupted run of another copy (run_overlap.hpp).
  void RefuseAppendOverInterrupted(const Plan& plan) {
    ferry::RefuseAppendOverInterrupted(
        store_, runs_, plan, destination_.info().display,
        [&](const RunRecord& r) { return !Later(r).superseded_by.empty(); });
  }

 private:
  // `ferry run --resume RUN`.
  const RunRecord* Named(const std::string& scope, const RunControl& control) {
    const RunRecord* resumable = nullptr;
    for (const RunRecord& r : runs_) {
      if (r.id == control.resume_run) resumable = &r;
    }
    if (!resumable || resumable->command != "run") {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("no run {} in {}'s run state (ferry status lists the runs)",
                              control.resume_run, destination_.info().display));
    }
    if (resumable->status == RunStatus::kDone) {
      throw Error(ErrorCode::kUsage, fmt::format("run {} finished ({}); nothing to resume",
                                                 resumable->id, resumable->summary));
    }
    if (resumable->status != RunStatus::kRunning) {
      const LaterRuns later = Later(*resumable);
      if (!later.superseded_by.empty()) {
        throw Error(ErrorCode::kUsage, SupersededNote(*resumable, later) + "; nothing to resume");
      }
      if (!later.touched_by.empty()) throw RefuseTouched(*resumable, later);
    }
    if (resumable->scope != scope) {
      throw Error(ErrorCode::kUsage,
                  fmt::format("run {} copied other tables or between other ends than these "
                              "options (or this plan file) name ({} -> {}); resume it with the "
                              "options it was started with, or without --plan",
                              resumable->id, resumable->source, resumable->destination));
    }
    return resumable;
  }

  // `ferry run --resume`: the latest run of the same copy, unless it finished.
  const RunRecord* Latest(const RunRecord* latest) {
    const RunRecord* resumable = latest && latest->status != RunStatus::kDone ? latest : nullptr;
    if (resumable) {
      const LaterRuns later = Later(*resumable);
      if (!later.superseded_by.empty()) {
        observer_.Note(SupersededNote(*resumable, later));
        resumable = nullptr;
      } else if (!later.touched_by.empty()) {
        throw RefuseTouched(*resumable, later);
      }
    }
    if (resumable) return resumable;
    for (const RunRecord& r : runs_) {
      if (r.command == "run" && r.status == RunStatus::kInterrupted &&
          Later(r).superseded_by.empty()) {
        throw ResumeOfAnotherCopy(r, source_display_, destination_.info().display);
      }
    }
    std::string note = "nothing to resume for this copy: starting a new run";
    for (const RunRecord& r : runs_) {
      if (r.command == "run" && r.status == RunStatus::kInterrupted) {
        note += fmt::format(
            " (the destination also holds interrupted run {} of another copy of {}; "
            "`--resume {}` names it)",
            r.id, r.source, r.id);
        break;
      }
    }
    observer_.Note(note);
    return nullptr;
  }

  // What later runs did to the tables of an unfinished run: copied them again, or partly wrote.
  LaterRuns Later(const RunRecord& r) { return AfterRun(store_, runs_, size_t(&r - runs_.data())); }

  std::string SupersededNote(const RunRecord& r, const LaterRuns& later) {
    std::string note = fmt::format(
        "run {} was {}, but run {} copied all its tables since: it is superseded and neither "
        "blocks nor can be resumed",
        r.id, RunStatusName(r.status), later.superseded_by);
    if (r.summary.find("superseded") == std::string::npos) {
      store_.FinishRun(r.id, r.status,
                       r.summary + fmt::format("; superseded by run {}", later.superseded_by));
    }
    return note;
  }

  static Error RefuseTouched(const RunRecord& r, const LaterRuns& later) {
    return Error(ErrorCode::kSchema,
                 fmt::format("run {} cannot be resumed: run {} wrote into {} since, which run {} "
                             "had started, so its missing units would land on other rows; "
                             "start over with `ferry reset --yes` (empties the tables it wrote), "
                             "or copy again with --truncate",
                             r.id, later.touched_by, DisplayName(later.touched_table), r.id));
  }

  RunStore& store_;
  const Endpoint& destination_;
  CopyObserver& observer_;
  const std::string source_display_;  // this run's source, as shown
  const std::vector<RunRecord> runs_;
};

// Takes the destination's run lock; runs whose process died are marked interrupted, and the
// server sessions they left are ended first.
std::unique_ptr<ScopeLock> TakeDestination(RunStore& store, const Endpoint& destination,
                                           CopyObserver& observer) {
  std::unique_ptr<ScopeLock> lock = LockDestination(store, destination);
  for (const RunRecord& r : store.Runs()) {
    if (r.status == RunStatus::kRunning && r.lease_ms > 0) {
      throw Error(ErrorCode::kBusy,
                  fmt::format("shared run {} is writing into {} (its workers hold leases on its "
                              "units); finish it with `ferry run --join {}`, or start over with "
                              "`ferry reset --yes`",
                              r.id, destination.info().display, r.id));
    }
    if (r.status == RunStatus::kRunning) {
      if (ProcessAlive(r)) RefuseWhileAlive(r, destination);
      EndSessionsOfDead(store, r, observer);
    }
  }
  MarkDeadRuns(store);
  return lock;
}

// This process takes over `resumable`: its stored plan, its recorded tables and units.
PlannedRun ClaimRun(RunStore& store, const RunRecord& resumable, const Endpoint& destination,
                    CopyObserver& observer, RunRecording& recording) {
  recording.resuming = true;
  recording.run = resumable;
  recording.tables = store.Tables(resumable.id);
  PlannedRun run = Unprepared(
      PlanFromJson(resumable.plan, fmt::format("the stored plan of run {}", resumable.id)));
  // Marked interrupted by someone else's `ferry status` while its process lived, say.
  if (ProcessAlive(resumable)) RefuseWhileAlive(resumable, destination);
  observer.Note(fmt::format("resuming {}", Describe(resumable)));
  EndSessionsOfDead(store, resumable, observer);
  // This process owns the run from here; the units are read after the claim, so every unit the
  // previous owner committed is seen.
  recording.run.host = HostName();
  recording.run.pid = getpid();
  recording.run.owner_token = NewOwnerToken();
  try {
    store.ClaimRun(recording.run);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kBusy) BehindOwner(resumable, e);
    throw;
  }
  recording.units = store.Units(resumable.id);
  return run;
}

// A run that threw: stopped while writing (kept as interrupted, with the units it committed),
// or refused before it wrote (forgotten, or a refused resume kept as it was). Rethrows.
[[noreturn]] void RecordThrownRun(RunStore& store, const RunRecording& recording, const Error& e) {
  // Another process claimed the run: it is that process's now, recorded as it keeps it.
  if (e.code() == ErrorCode::kBusy) throw e;
  if (recording.started) {
    // Stopped while writing (the source snapshot lost, the destination gone): the units it
    // committed are kept and recorded, for a resume from a new snapshot.
    int committed = 0;
    try {
      for (const UnitRecord& u : store.Units(recording.run.id)) {
        committed += u.state == UnitRecordState::kDone;
      }
      store.FinishRun(
          recording.run.id, RunStatus::kInterrupted,
          fmt::format("stopped by an error after {} units committed: {}", committed, e.message()));
    } catch (const Error& state_error) {
      // A full staging disk holds the run state too: still a full disk (exit 8), said once.
      const bool full = e.code() == ErrorCode::kDiskFull;
      throw Error(full ? ErrorCode::kDiskFull : ErrorCode::kInterrupted,
                  fmt::format("run {} stopped: {}; its run state could not be updated ({}): "
                              "`ferry run --resume` continues it",
                              recording.run.id, e.what(),
                              full && state_error.code() == ErrorCode::kDiskFull
                                  ? "the disk is full for it too"
                                  : state_error.message()));
    }
    throw Error(ErrorCode::kInterrupted,
                fmt::format("run {} stopped: {}\nferry: it is recorded as interrupted with the {} "
                            "units it committed; `ferry run --resume` continues it from a new "
                            "snapshot of the source",
                            recording.run.id, e.what(), committed));
  }
  // Refused before anything was written (drift, a bad destination): nothing to resume, unless
  // this was a resume, which stays as it was.
  if (!recording.resuming) {
    try {
      store.DeleteRun(recording.run.id);
    } catch (const Error&) {
    }
  } else {
    store.FinishRun(recording.run.id, RunStatus::kInterrupted,
                    fmt::format("resume refused: {}", e.message()));
  }
  throw e;
}

// How a run that returned ended, recorded; throws Error(kBusy) when its run lock was lost to
// another process meanwhile.
struct LockHistory {
  bool lost = false;  // to another process
  int retaken = 0;    // times the lock's session was lost and the lock taken again
};

RunStatus RecordFinishedRun(RunStore& store, const RunRecording& recording, LockHistory lock,
                            const CopyReport& report, const Endpoint& destination,
                            CopyObserver& observer) {
  if (lock.retaken > 0) {
    observer.Note(
        fmt::format("the session holding the run lock was lost {} time{}; ferry took "
                    "the lock again each time (no other process wrote meanwhile)",
                    lock.retaken, lock.retaken == 1 ? "" : "s"));
  }
  if (lock.lost) {
    store.FinishRun(recording.run.id, RunStatus::kInterrupted,
                    "stopped: its run lock's session was lost and another process holds the "
                    "lock; " +
                        Summary(report));
    throw Error(ErrorCode::kBusy,
                fmt::format("run {} stopped: the session holding its run lock on {} was lost "
                            "and another process took the lock; the units it committed are "
                            "kept; `ferry run --resume` continues it once the destination is free",
                            recording.run.id, destination.info().display));
  }
  // Units stopped by --fail-fast count as interrupted too, but that run failed.
  RunStatus status = RunStatus::kDone;
  if (StopRequested()) {
    status = RunStatus::kInterrupted;
  } else if (report.failed() > 0) {
    status = RunStatus::kFailed;
  } else if (report.interrupted() > 0) {
    status = RunStatus::kInterrupted;
  }
  try {
    store.FinishRun(recording.run.id, status, Summary(report));
  } catch (const Error& e) {
    // A full staging disk holds the run state too: the run's end is said with it (exit 8).
    if (e.code() != ErrorCode::kDiskFull) throw;
    std::string why;
    for (const TableOutcome& t : report.tables) {
      if (t.error && why.empty()) why = ": " + t.error->message();
    }
    throw Error(ErrorCode::kDiskFull,
                fmt::format("run {} stopped ({}{}); its run state could not be updated (the disk "
                            "is full for it too: {}): free space, then `ferry run --resume` "
                            "continues it",
                            recording.run.id, Summary(report), why, e.message()));
  }
  return status;
}

}  // namespace

RecordedRun RunRecorded(Endpoint& source, Endpoint& destination, const std::string& scope,
                        const std::function<PlannedRun()>& make_plan, const CopyOptions& options,
                        const RunControl& control, CopyObserver& observer) {
  RecordedRun out;
  if (options.explain_only) {
    out.report = RunPlan(source, destination, make_plan(), options, observer);
    return out;
  }
  if (!control.join.empty()) {
    return RunShared(source, destination, scope, make_plan, options, control, observer);
  }
  std::unique_ptr<RunStore> store = OpenStore(destination, control.state_prefix);
  // Writes about another process's run wait for its locks (a live owner frozen inside a unit's
  // commit) and say so while they wait; the copy sets its own notice.
  destination.SetWaitNotice([&observer](const std::string& text) { observer.Note(text); });
  std::unique_ptr<ScopeLock> lock;
  RunRecording recording;
  recording.store = store.get();
  PlannedRun run_plan;
  const RunRecord* resumable = nullptr;
  std::optional<RunHistoryView> history;
  try {
    lock = TakeDestination(*store, destination, observer);
    history.emplace(*store, destination, observer, source.info().display);
    auto put_back = [&](const std::string& keep) {
      PutBackHeldKeys(*store, destination, keep, [&](const std::string& t) { observer.Note(t); });
    };
    try {
      resumable = history->Resumable(scope, control);
    } catch (const Error&) {
      put_back("");
      throw;
    }
    put_back(resumable ? resumable->id : "");
    if (resumable) {
      RefuseOtherPlan(*resumable, control);
      run_plan = ClaimRun(*store, *resumable, destination, observer, recording);
      out.resumed = true;
    }
  } catch (...) {
    destination.SetWaitNotice(nullptr);
    throw;
  }
  destination.SetWaitNotice(nullptr);
  if (!resumable) {
    run_plan = make_plan();
    history->RefuseAppendOverInterrupted(run_plan.plan);
    recording.run = NewRunRecord(run_plan.plan, "run");
    recording.run.scope = scope;
  }
  std::optional<LockWatch> watch;
  watch.emplace(*store, lock);
  try {
    out.report = RunPlan(source, destination, std::move(run_plan), options, observer, &recording);
  } catch (const Error& e) {
    watch.reset();
    RecordThrownRun(*store, recording, e);
  }
  const LockHistory held{watch->lost(), watch->retaken()};
  watch.reset();
  const RunStatus status =
      RecordFinishedRun(*store, recording, held, out.report, destination, observer);
  out.run = recording.run;
  out.run.status = status;
  return out;
}

namespace {

// The runs as recorded, except that a run whose process is gone is shown interrupted, never
// running: when the run lock is free no process writes (and the record is corrected), and on
// this host a dead pid says so.
std::vector<RunRecord> TruthfulRuns(RunStore& store) {
  std::vector<RunRecord> runs = store.Runs();
  if (std::none_of(runs.begin(), runs.end(),
                   [](const RunRecord& r) { return r.status == RunStatus::kRunning; })) {
    return runs;
  }
  std::unique_ptr<ScopeLock> lock = store.TryLock();
  if (lock) {
    try {
      MarkDeadRuns(store);
      return store.Runs();
    } catch (const Error& e) {
      // Its sessions still hold the run's row: shown as below, without correcting the record.
      if (e.code() != ErrorCode::kBusy) throw;
    }
  }
  for (RunRecord& r : runs) {
    if (r.status == RunStatus::kRunning && r.lease_ms == 0 && r.host == HostName() &&
        !ProcessAlive(r)) {
      r.status = RunStatus::kInterrupted;
      r.summary = "its process ended without finishing (killed or crashed)";
    }
  }
  return runs;
}

}  // namespace

RunHistory ReadRunHistory(Endpoint& destination, const std::string& state_prefix) {
  RunHistory history;
  history.runs = TruthfulRuns(*OpenStore(destination, state_prefix));
  return history;
}

RunDetail ReadRunDetail(Endpoint& destination, const std::string& state_prefix,
                        const std::string& run) {
  std::unique_ptr<RunStore> store = OpenStore(destination, state_prefix);
  std::vector<RunRecord> runs = TruthfulRuns(*store);
  auto it = run.empty() ? runs.begin()
                        : std::find_if(runs.begin(), runs.end(),
                                       [&](const RunRecord& r) { return r.id == run; });
  if (it == runs.end()) {
    throw Error(ErrorCode::kNotFound,
                run.empty()
                    ? fmt::format("{} has no ferry runs recorded", destination.info().display)
                    : fmt::format("no run {} in {}'s run state", run, destination.info().display));
  }
  RunDetail detail;
  detail.run = *it;
  detail.tables = store->Tables(it->id);
  detail.units = store->Units(it->id);
  if (it->lease_ms > 0) detail.workers = store->Workers(it->id);
  detail.held_keys = store->HeldForeignKeys();
  return detail;
}

}  // namespace ferry
