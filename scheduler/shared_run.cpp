// A shared run (ferry run --join RUN): any number of worker processes, on any hosts, work
// through one plan kept in the destination's run state, with no coordinator. The first worker
// to arrive takes the run lock, plans, records the run under the name RUN, makes the tables and
// opens the run; the others wait for it to open, then claim units under leases (CopyRun's
// RunSharedUnits). A worker that dies while making the run leaves it unopened: the next one
// to take the lock finishes making it, as a resume would.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "copier/error.hpp"
#include "scheduler/lease_keeper.hpp"
#include "scheduler/run_control.hpp"
#include "scheduler/run_recorder.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/transient_retry.hpp"

namespace ferry {

namespace {

// A published run's summary until its first worker makes it.
constexpr const char* kPublished = "published by ferry plan";

std::optional<RunRecord> FindRun(RunStore& store, const std::string& id) {
  for (RunRecord& r : store.Runs()) {
    if (r.id == id) return std::move(r);
  }
  return std::nullopt;
}

// A worker joins only the copy it was started for.
void RefuseOtherCopy(const RunRecord& r, const std::string& scope) {
  if (r.command != "run") {
    throw Error(ErrorCode::kUsage,
                fmt::format("{} names a `ferry {}` in the destination's run state, not a copy run; "
                            "choose another name for --join",
                            r.id, r.command));
  }
  if (r.scope != scope) {
    throw Error(ErrorCode::kUsage,
                fmt::format("shared run {} copies other tables or between other ends ({} -> {}) "
                            "than this worker was given; start every worker with the same "
                            "source, destination and tables (or plan file)",
                            r.id, r.source, r.destination));
  }
}

std::string SharedSummary(const CopyReport& report) {
  int done = 0;
  int64_t rows = 0;
  for (const TableOutcome& t : report.tables) {
    done += t.state == TableState::kDone && t.schema_errors.empty();
    rows += t.rows;
  }
  return fmt::format("{} of {} tables done, {} failed; {} rows, shared by its workers", done,
                     report.tables.size(), report.failed(), rows);
}

// A worker joining a run whose units failed for good (or whose tables' builds failed) tries
// them again, as `ferry run --resume` would for a run of one process: their attempts are kept
// and added to. A run that ended failed runs again.
void RetryFailed(RunStore& store, RunRecord& run, CopyObserver& observer) {
  if (run.status != RunStatus::kRunning && run.status != RunStatus::kFailed) return;
  bool failed = run.status == RunStatus::kFailed;
  for (const UnitRecord& u : store.Units(run.id)) failed |= u.state == UnitRecordState::kFailed;
  for (const TableRecord& t : store.Tables(run.id)) failed |= t.state == "failed";
  if (!failed) return;
  const int units = store.RetryFailed(run.id);
  if (run.status == RunStatus::kFailed) run.status = RunStatus::kRunning;
  observer.Note(fmt::format(
      "retrying what failed in shared run {}: {} unit{} (attempts so far kept) and the builds "
      "of the tables they belong to",
      run.id, units, units == 1 ? "" : "s"));
}

// How this worker comes to the run: joining an open one, or making (or finishing making) it
// while holding the run lock, which `lock` keeps until the run opens.
struct Arrival {
  PlannedRun plan;
  std::unique_ptr<ScopeLock> lock;
  bool done = false;  // the run had finished before this worker came
};

Arrival Arrive(RunStore& store, const std::string& scope,
               const std::function<PlannedRun()>& make_plan, const RunControl& control,
               RunRecording& recording, CopyObserver& observer) {
  Arrival out;
  bool waiting_said = false;
  for (int lost = 0;; std::this_thread::sleep_for(std::chrono::milliseconds(500))) {
    std::optional<RunRecord> found;
    try {
      found = FindRun(store, control.join);
      lost = 0;
    } catch (const Error& e) {
      // The destination restarting while this worker waits for the run to open: it waits on.
      if (!IsTransient(e) || ++lost > 60 || StopRequested()) throw;
      continue;
    }
    if (found) RefuseOtherCopy(*found, scope);
    if (found && found->lease_ms > 0) {
      RetryFailed(store, *found, observer);
      recording.run = *found;
      out.done = found->status != RunStatus::kRunning;
      recording.resuming = true;
      recording.tables = store.Tables(found->id);
      recording.units = store.Units(found->id);
      out.plan = Unprepared(PlanFromJson(found->plan, "the stored plan of run " + found->id));
      observer.Note(fmt::format("joining shared run {} (lease {} ms)", found->id, found->lease_ms));
      return out;
    }
    try {
      out.lock = store.TryLock();
    } catch (const Error& e) {
      if (!IsTransient(e) || ++lost > 60 || StopRequested()) throw;
      continue;
    }
    if (!out.lock) {
      if (StopRequested()) throw Error(ErrorCode::kInterrupted, "stopped while waiting to join");
      if (!waiting_said) {
        observer.Note(
            fmt::format("waiting for run {} to open (another process holds the run "
                        "lock of the destination)",
                        control.join));
        waiting_said = true;
      }
      continue;
    }
    found = FindRun(store, control.join);
    if (found && found->lease_ms > 0) {
      out.lock.reset();
      continue;
    }
    if (found) {
      // Published by `ferry plan`, or its maker died before opening it: this worker finishes
      // making it, as a resume would.
      RefuseOtherCopy(*found, scope);
      recording.resuming = true;
      recording.run = *found;
      recording.tables = store.Tables(found->id);
      recording.run.host = HostName();
      recording.run.pid = getpid();
      recording.run.owner_token = NewOwnerToken();
      store.ClaimRun(recording.run);
      recording.units = store.Units(found->id);
      out.plan = Unprepared(PlanFromJson(found->plan, "the stored plan of run " + found->id));
      observer.Note(
          found->summary.rfind(kPublished, 0) == 0
              ? fmt::format("making shared run {} from the plan `ferry plan` published", found->id)
              : fmt::format("finishing the making of shared run {} (its maker stopped)",
                            found->id));
      return out;
    }
    out.plan = make_plan();
    recording.run = NewRunRecord(out.plan.plan, "run");
    recording.run.id = control.join;
    recording.run.scope = scope;
    observer.Note(fmt::format("making shared run {}", control.join));
    return out;
  }
}

RecordedRun RunSharedOnce(Endpoint& source, Endpoint& destination, const std::string& scope,
                          const std::function<PlannedRun()>& make_plan, const CopyOptions& options,
                          const RunControl& control, CopyObserver& observer) {
  RecordedRun out;
  std::unique_ptr<RunStore> store = destination.OpenRunStore(control.state_prefix);
  RunRecording recording;
  recording.store = store.get();
  Arrival arrival = Arrive(*store, scope, make_plan, control, recording, observer);
  const std::string& run = recording.run.id;
  if (arrival.done) {
    observer.Note(fmt::format("shared run {} has finished ({}): nothing left for this worker", run,
                              RunStatusName(recording.run.status)));
    out.run = recording.run;
    return out;
  }
  SharedWork work;
  work.worker = fmt::format("{}/{}/{}", HostName(), getpid(), NewOwnerToken().substr(0, 4));
  work.lease_ms = control.lease_ms;
  work.shard = control.shard;
  work.shards = control.shards;
  WorkerRecord worker;
  worker.worker = work.worker;
  worker.host = HostName();
  worker.pid = getpid();
  worker.shard = control.shard >= 0 ? fmt::format("{}/{}", control.shard, control.shards) : "";
  worker.started_at = UtcTimestamp();
  worker.lease_left_ms = work.lease_ms;  // its first lease
  bool opened = !arrival.lock;
  if (opened) store->JoinRun(run, worker);
  const int tables = int(arrival.plan.plan.tables.size());
  // Only the worker that makes the run opens it.
  if (!opened)
    work.opened = [&] {
      if (opened) return;
      store->OpenRun(run, work.lease_ms, tables);
      store->JoinRun(run, worker);
      arrival.lock.reset();
      opened = true;
      observer.Note(fmt::format("shared run {} is open: workers may join it (ferry run --join {})",
                                run, run));
    };
  recording.shared = work;
  // Renews this worker's leases from here until the run's end is recorded: the worker that
  // finishes the run holds the run's lease through the builds after RunPlan's units.
  LeaseKeeper keeper(*store, run, work.worker, work.lease_ms);
  try {
    out.report =
        RunPlan(source, destination, std::move(arrival.plan), options, observer, &recording);
  } catch (const Error& e) {
    if (opened) {
      try {
        store->LeaveRun(run, work.worker);
      } catch (const Error&) {
      }
      throw;
    }
    // Stopped while making the run (or the destination went away meanwhile): the next worker
    // to come, this one again included, finishes making it.
    RetryTransient([&] {
      if (recording.started) {
        store->FinishRun(run, RunStatus::kInterrupted, "its maker stopped: " + e.message());
      } else {
        store->DeleteRun(run);
      }
    });
    throw;
  }
  // The destination may go away between these steps too: each is tried again until it is back.
  RetryTransient([&] { store->LeaveRun(run, work.worker); });
  out.run = recording.run;
  if (out.report.finished_shared_run) {
    out.run.status = out.report.failed() > 0 ? RunStatus::kFailed : RunStatus::kDone;
    RetryTransient([&] { store->FinishRun(run, out.run.status, SharedSummary(out.report)); });
    RetryTransient([&] { store->LeaseDone(run, "run", work.worker); });
  } else if (StopRequested()) {
    out.run.status = RunStatus::kInterrupted;  // this worker left; the others go on
  } else if (std::optional<RunRecord> now = RetryTransient([&] { return FindRun(*store, run); })) {
    out.run.status = now->status;
  }
  return out;
}

}  // namespace

// A worker that lost its destination on the way (a restart while it prepared its part, or for
// longer than RunSharedUnits waits) leaves and joins the run again, as its scheduler would
// restart it: the units it held go back to the run after their leases, and what it committed
// stays. A few times at most; then it exits with the error, for the scheduler to restart it.
RecordedRun RunShared(Endpoint& source, Endpoint& destination, const std::string& scope,
                      const std::function<PlannedRun()>& make_plan, const CopyOptions& options,
                      const RunControl& control, CopyObserver& observer) {
  constexpr int kRejoins = 5;
  for (int rejoin = 1;; ++rejoin) {
    try {
      return RunSharedOnce(source, destination, scope, make_plan, options, control, observer);
    } catch (const Error& e) {
      if (!IsTransient(e) || StopRequested() || rejoin > kRejoins) throw;
      observer.Note(fmt::format("this worker lost the destination {} ({}); it joins run {} again",
                                destination.info().display, e.message(), control.join));
      PauseUnlessStopped(double(BackoffDelay(std::chrono::milliseconds(500), rejoin).count()) /
                         1000);
    }
  }
}

}  // namespace ferry

namespace ferry {

void PublishSharedRun(Endpoint& source, Endpoint& destination, const Plan& plan,
                      const std::string& run, const PartitionOptions& partitions,
                      const std::string& state_prefix) {
  std::unique_ptr<RunStore> store = destination.OpenRunStore(state_prefix);
  // Under the run lock: a worker arriving now waits for the run to be recorded whole.
  std::unique_ptr<ScopeLock> lock;
  for (int waited = 0; !(lock = store->TryLock()); ++waited) {
    if (StopRequested() || waited >= 120) {
      throw Error(ErrorCode::kBusy,
                  fmt::format("cannot publish run {}: another process holds the run lock of {}",
                              run, destination.info().display));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (std::optional<RunRecord> found = FindRun(*store, run)) {
    throw Error(ErrorCode::kUsage,
                fmt::format("run {} is already recorded in {} ({}); choose another name", run,
                            destination.info().display, RunStatusName(found->status)));
  }
  RunRecording recording;
  recording.store = store.get();
  recording.run = NewRunRecord(plan, "run");
  recording.run.id = run;
  recording.run.summary =
      fmt::format("{}; waiting for its first worker (ferry run --join {})", kPublished, run);
  const std::vector<PreparedTable> tables = PreparePlan(plan, source, destination, partitions);
  RunRecorder(&recording, tables.size()).Start(plan, tables);
}

}  // namespace ferry
