// A shared run's units (ferry run --join): every worker process runs the same phases on the
// same stored plan, but takes each unit only after claiming its lease in the destination; a
// unit another worker holds is passed over, and looked at again once that lease expires.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "scheduler/copy_run_phases.hpp"
#include "scheduler/run_owner.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/transient_retry.hpp"

namespace ferry {

namespace {

// Rounds in which a unit may spend its attempts on transient errors before it fails for good.
constexpr int kTransientRounds = 5;

}  // namespace

// A worker with a shard takes its own share first (every shards-th unit, largest first, so the
// shares weigh the same), then the others' leftovers: an Indexed Job whose pod died for good
// still finishes.
void CopyRun::OrderForShard() {
  const SharedWork& shared = *recorder_.shared();
  if (shared.shards <= 1 || shared.shard < 0) return;
  std::vector<UnitJob> own, others;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    (int(i % size_t(shared.shards)) == shared.shard ? own : others).push_back(std::move(jobs_[i]));
  }
  jobs_ = std::move(own);
  for (UnitJob& j : others) jobs_.push_back(std::move(j));
}

void CopyRun::RunSharedUnits(const std::function<void(const PipelineProgress&)>& progress) {
  const SharedWork& shared = *recorder_.shared();
  built_here_.assign(tables_.size(), false);
  if (shared.opened) shared.opened();
  OrderForShard();
  const std::vector<UnitJob> all = std::move(jobs_);
  engine_.claim = recorder_.UnitClaim();
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> lost_since;
  while (!StopRequested()) {
    try {
      if (SharedRound(all, progress)) break;
      lost_since.reset();
    } catch (const Error& e) {
      // The destination restarting, say: the run state is read again after a pause; units in
      // flight rolled back and are still this worker's until their leases run out.
      if (!lost_since) lost_since = Clock::now();
      if (!IsTransient(e) || Clock::now() - *lost_since > kDestinationPatience) throw;
      observer_.Note(
          fmt::format("the run state in {} could not be read or written ({}); trying "
                      "again",
                      destination_.info().display, e.message()));
      PauseUnlessStopped(1);
    }
  }
  jobs_ = all;
  engine_.claim = nullptr;
  if (!StopRequested()) AwaitSharedFinish();
}

// One look at the run: the units no live lease holds (free, or their holder's lease ran out)
// through the pipeline, then the tables whose units are all done built. True when nothing is
// left but the run's own finish.
bool CopyRun::SharedRound(const std::vector<UnitJob>& all,
                          const std::function<void(const PipelineProgress&)>& progress) {
  const SharedWork& shared = *recorder_.shared();
  RunStore& store = recorder_.store();
  const std::string& run = recorder_.run_id();
  std::set<std::pair<int, int>> claimable;  // (table, part)
  const std::vector<UnitRecord> units = store.Units(run);
  EndLostWorkersSessions(units);
  for (const UnitRecord& u : units) {
    // This worker's own: a unit it claimed but left (its table failed here first, say).
    if (u.state == UnitRecordState::kPending &&
        (u.worker.empty() || u.lease_left_ms < 0 || u.worker == shared.worker)) {
      claimable.insert({u.table, u.part});
    }
  }
  jobs_.clear();
  for (const UnitJob& j : all) {
    if (claimable.count({int(j.table), j.read.unit.part})) jobs_.push_back(j);
  }
  bool failed = false;
  if (!jobs_.empty()) {
    auto table_done = [this](size_t table) {
      try {
        BuildSharedTable(table);
      } catch (const Error& e) {
        // The destination gone: built after this round's units (BuildSharedTable below), not
        // failed with the unit that finished the table.
        if (!IsTransient(e)) throw;
      }
    };
    // The units this worker still holds in the run state (nobody claimed them since, not done),
    // read once, when a unit failed.
    std::optional<std::set<std::pair<int, int>>> held;  // (table, part)
    auto held_here = [&](const UnitResult& r) {
      if (!held) {
        held.emplace();
        for (const UnitRecord& u : store.Units(run)) {
          if (u.state != UnitRecordState::kDone && u.worker == shared.worker) {
            held->insert({u.table, u.part});
          }
        }
      }
      return held->count({int(r.table), r.part}) > 0;
    };
    for (UnitResult& r :
         RunPipeline(source_, destination_, engine_, jobs_, tables_.size(), progress, table_done)) {
      if (r.elsewhere) {
        // Its commit was refused: the fencing check found another worker's newer claim.
        if (r.error) observer_.Note(r.error->what());
        continue;
      }
      // Its retries ask the lease first (EngineOptions::claim), but an attempt already under
      // way when the lease ran out (the process frozen mid-unit) can fail on the rows of the
      // worker that took the unit over (its key built meanwhile, say): that worker's, not a
      // failure of the run.
      if (r.state == UnitState::kFailed && !r.Interrupted() && !held_here(r)) {
        observer_.Note(fmt::format(
            "ferry: this worker's lease on unit {} of table {} ran out and another worker took "
            "it over: its attempt here is dropped ({})",
            r.part + 1, r.table + 1, r.error ? r.error->what() : "no error"));
        continue;
      }
      // Its attempts spent on a transient error (the destination restarting, say): the unit
      // stays this worker's, pending, for the next round, a few rounds at most.
      if (r.state == UnitState::kFailed && !r.Interrupted() && r.transient &&
          ++transient_rounds_[{int(r.table), r.part}] < kTransientRounds) {
        observer_.Note(fmt::format("unit {} of table {} is tried again in the next round ({})",
                                   r.part + 1, r.table + 1, r.error->what()));
        continue;
      }
      // Recorded at once: the other workers stop waiting for a unit that cannot be copied.
      if (r.state == UnitState::kFailed && !r.Interrupted()) {
        store.FailUnit(run, int(r.table), r.part, r.attempts, r.error->what());
        failed = true;
      }
      results_.push_back(std::move(r));
    }
  }
  for (size_t i = 0; i < tables_.size() && !StopRequested(); ++i) BuildSharedTable(i);
  SayLostBuilds();
  if ((failed && engine_.fail_fast) || SharedTablesSettled()) return true;
  if (jobs_.empty())
    PauseUnlessStopped(double(std::min<int64_t>(shared.lease_ms / 3, 1000)) / 1000);
  return false;
}

// A worker whose lease ran out may have died with a server session still busy (a statement
// running on, its unit's transaction open): its uncommitted rows would hold up whoever takes
// the unit over (a key's duplicate check waits for them). On this host, a dead worker's
// sessions are found by their tag and ended, as a resume ends a dead run's; a worker on
// another host cannot be known dead from here, and its sessions are left to the server.
void CopyRun::EndLostWorkersSessions(const std::vector<UnitRecord>& units) {
  const SharedWork& shared = *recorder_.shared();
  std::set<std::string> lost;
  for (const UnitRecord& u : units) {
    if (u.state == UnitRecordState::kPending && !u.worker.empty() && u.worker != shared.worker &&
        u.lease_left_ms < 0 && !lost_workers_.count(u.worker)) {
      lost.insert(u.worker);
    }
  }
  if (lost.empty()) return;
  RunStore& store = recorder_.store();
  for (const WorkerRecord& w : store.Workers(recorder_.run_id())) {
    if (!lost.count(w.worker)) continue;
    RunRecord owner;
    owner.host = w.host;
    owner.pid = w.pid;
    if (w.host == HostName() && ProcessAlive(owner)) continue;  // frozen: its commits are refused
    lost_workers_.insert(w.worker);
    if (w.host != HostName()) {
      observer_.Note(fmt::format(
          "worker {} on host {} lost its lease; ferry cannot tell from here whether it is "
          "alive, so server sessions it may have left are not ended: the server ends them when "
          "it finds the connection gone (keepalive, MariaDB's wait_timeout), or a DBA ends the "
          "sessions tagged '{}'",
          w.worker, w.host, SessionTag(w.host, w.pid)));
      continue;
    }
    if (w.pid == getpid()) continue;  // its pid is this process's now: the tag is ours
    const int ended = store.EndSessionsOf(w.host, w.pid);
    if (ended > 0) {
      observer_.Note(fmt::format(
          "ended {} server session{} left by worker {} (gone) and waited for their rollback", ended,
          ended == 1 ? "" : "s", w.worker));
    }
  }
}

void CopyRun::BuildSharedTable(size_t i) {
  if (tables_[i].skip) return;
  const SharedWork& shared = *recorder_.shared();
  RunStore& store = recorder_.store();
  const std::string& run = recorder_.run_id();
  {
    std::lock_guard lock(shared_mutex_);
    if (built_here_[i]) return;
  }
  int units = 0, done = 0, failed = 0;
  int64_t rows = 0, bytes = 0;
  std::string error;
  for (const UnitRecord& u : store.Units(run)) {
    if (size_t(u.table) != i) continue;
    ++units;
    done += u.state == UnitRecordState::kDone;
    failed += u.state == UnitRecordState::kFailed;
    rows += u.rows;
    bytes += u.bytes;
    if (u.state == UnitRecordState::kFailed && error.empty()) error = u.error;
  }
  if (done + failed < units) return;  // units still to copy, here or elsewhere
  const std::string lease = fmt::format("table {}", i);
  if (!store.ClaimLease(run, lease, shared.worker, shared.lease_ms)) return;
  // A worker joining meanwhile may have made failed units pending again (RetryFailed, which
  // frees this lease too): looked at again under the lease.
  for (const UnitRecord& u : store.Units(run)) {
    if (size_t(u.table) == i && u.state == UnitRecordState::kPending) {
      store.ReleaseLease(run, lease, shared.worker);
      return;
    }
  }
  {
    std::lock_guard lock(shared_mutex_);
    if (built_here_[i]) return;
    built_here_[i] = true;
    build_lost_.erase(i);
  }
  try {
    BuildAndRecordSharedTable(i, units, done, failed, rows, bytes, error);
  } catch (...) {
    // The destination went away between two steps (a restart, say): the build is looked at
    // again in a later round, by this worker (which still holds the lease) or by another once
    // the lease runs out; what was built is found there and not built twice. Left marked as
    // built here, the table would never be recorded while this worker renewed its lease.
    std::lock_guard lock(shared_mutex_);
    built_here_[i] = false;
    throw;
  }
}

void CopyRun::BuildAndRecordSharedTable(size_t i, int units, int done, int failed, int64_t rows,
                                        int64_t bytes, std::string error) {
  const SharedWork& shared = *recorder_.shared();
  RunStore& store = recorder_.store();
  const std::string& run = recorder_.run_id();
  const std::string lease = fmt::format("table {}", i);
  TableOutcome& t = report_.tables[i];
  {
    std::lock_guard lock(errors_mutex_);
    t.schema_errors.clear();  // of an earlier try that met the destination gone
  }
  PreparedTable& prepared = tables_[i];
  TableRecord record;
  record.index = int(i);
  record.state = TableStateName(failed > 0 ? TableState::kFailed : TableState::kDone);
  record.error = error;
  if (failed == 0 && !plan_.schema_only) {
    // What the builder before this one (whose lease ran out) finished stays: a key or index
    // already there is not built again.
    if (std::optional<Table> now = destination_.DescribeTable(prepared.copy.destination.name)) {
      if (!now->primary_key.empty()) deferred_keys_[i].reset();
      prepared.copy.destination = std::move(*now);
      if (!clone_) KeepCaseInsensitivity(prepared.copy);
    }
    try {
      BuildIndexes(i);
    } catch (const Error& e) {
      if (IsTransient(e)) throw;  // tried again in a later round, not the table's failure
      std::lock_guard lock(errors_mutex_);
      t.schema_errors.push_back(e.what());
    } catch (const std::exception& e) {
      std::lock_guard lock(errors_mutex_);
      t.schema_errors.push_back(e.what());
    }
    SharedBuildStep(i, /*statement=*/false);  // still this worker's to record?
    {
      // Taken over while this worker was frozen: the table is the new builder's to record.
      // (Or the lease could not be asked: the table is looked at again in the next round.)
      std::lock_guard lock(shared_mutex_);
      if (build_lost_.count(i)) {
        built_here_[i] = false;
        return;
      }
    }
    std::lock_guard lock(errors_mutex_);
    for (const std::string& e : t.schema_errors) {
      record.error += (record.error.empty() ? "" : "\n") + e;
    }
  }
  record.created = t.created;
  record.rows = rows;
  record.bytes = bytes;
  record.units = units;
  record.units_done = done;
  record.estimated_rows = t.estimated_rows;
  store.UpdateTable(run, record);
  store.LeaseDone(run, lease, shared.worker);
}

// Said on the run's thread (the observer's), whichever thread found the build lost.
void CopyRun::SayLostBuilds() {
  std::lock_guard lock(shared_mutex_);
  for (size_t i : build_lost_) {
    if (said_lost_.insert(i).second) {
      observer_.Note(fmt::format(
          "ferry: this worker no longer holds the build lease of table {} (it ran out and "
          "another worker took the build over, or the destination could not be asked): it "
          "builds no more of it for now",
          DisplayName(tables_[i].copy.destination.name)));
    }
  }
}

bool CopyRun::SharedTablesSettled() {
  RunStore& store = recorder_.store();
  for (const UnitRecord& u : store.Units(recorder_.run_id())) {
    if (u.state == UnitRecordState::kPending) return false;
  }
  for (const TableRecord& t : store.Tables(recorder_.run_id())) {
    const std::optional<TableState> state = ParseTableState(t.state);
    if (state == TableState::kRunning || state == TableState::kPending) return false;
  }
  return true;
}

// One worker finishes the run (the first to take its lease; another, should it die doing so);
// the others wait until it has, so every worker exits knowing how the run ended.
void CopyRun::AwaitSharedFinish() {
  const SharedWork& shared = *recorder_.shared();
  RunStore& store = recorder_.store();
  const std::string& run = recorder_.run_id();
  while (!StopRequested()) {
    if (RetryTransient(
            [&] { return store.ClaimLease(run, "run", shared.worker, shared.lease_ms); })) {
      report_.finished_shared_run = true;
      // The whole run's tables, as their builders recorded them.
      for (const TableRecord& r : RetryTransient([&] { return store.Tables(run); })) {
        if (r.index < 0 || size_t(r.index) >= report_.tables.size()) continue;
        TableOutcome& t = report_.tables[size_t(r.index)];
        if (tables_[size_t(r.index)].skip) continue;
        t.state = ParseTableState(r.state).value_or(TableState::kFailed);
        // Other workers' rows, beside this worker's own (folded from its unit results).
        int64_t mine = 0;
        for (const UnitResult& u : results_) {
          if (u.table == size_t(r.index) && u.state == UnitState::kDone) mine += u.rows;
        }
        t.resumed_rows = r.rows - mine;
        t.units_done = r.units_done;
        if (t.state == TableState::kFailed && !t.error) t.error = Error(ErrorCode::kData, r.error);
      }
      return;
    }
    for (const RunRecord& r : RetryTransient([&] { return store.Runs(); })) {
      if (r.id == run && r.status != RunStatus::kRunning) return;
    }
    PauseUnlessStopped(double(std::min<int64_t>(shared.lease_ms / 3, 1000)) / 1000);
  }
}

}  // namespace ferry
