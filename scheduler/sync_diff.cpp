// `ferry sync --diff` and the keyless tables of every sync: ferry verify --repair, recorded as a
// sync (scheduler/sync_run.hpp).
#include <fmt/format.h>

#include "copier/error.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/sync_run.hpp"
#include "scheduler/sync_support.hpp"
#include "scheduler/sync_swap.hpp"
#include "scheduler/verify_run.hpp"

namespace ferry {

namespace sync {

namespace {

// What the comparison found is what the repair changed: rows missing at the destination were
// inserted, differing ones updated, extra ones deleted.
void CountRepair(const TableVerification& v, TableSync& out) {
  if (!v.repaired) return;
  out.inserted = v.counts_before_repair.missing;
  out.updated = v.counts_before_repair.different;
  out.deleted = v.counts_before_repair.extra;
  out.batches = v.ranges_repaired;
}

}  // namespace

void DiffKeyless(Endpoint& source, Endpoint& destination, const Plan& planned,
                 const TablePlan& table, const SyncOptions& options, TableSync& out) {
  out.mode = "diff";
  Plan plan = planned;
  plan.tables = {table};
  VerifyOptions verify = options.verify;
  verify.repair = true;
  const VerifyReport report = RunVerify(source, destination, plan, verify);
  if (report.tables.empty()) throw Error(ErrorCode::kInternal, "the diff compared no table");
  const TableVerification& v = report.tables[0];
  CountRepair(v, out);
  if (v.verdict != Verdict::kIdentical) {
    if (StopRequested()) throw Error(ErrorCode::kInterrupted, "stopped by a signal");
    throw Error(v.verdict == Verdict::kFailed ? v.error_code : ErrorCode::kData,
                v.verdict == Verdict::kFailed ? v.error
                : !v.repair_error.empty()     ? "repair failed: " + v.repair_error
                                              : "still differs after the repair");
  }
}

}  // namespace sync

using sync::Clock;
using sync::LockRunState;
using sync::Since;

SyncReport RunDiffSync(Endpoint& source, Endpoint& destination, const Job& job,
                       const VerifyOptions& verify) {
  RefuseSwappedEnds(source, destination, job, "(diff)");  // needs no change log here
  auto [store, lock] = LockRunState(destination);
  if (!lock) return sync::BusyReport();
  const auto start = Clock::now();
  SyncReport report;
  const Plan plan = sync::PlanAsIs(source, destination, job, verify.partitions);
  VerifyOptions options = verify;
  options.repair = true;
  const VerifyReport checked = RunVerify(source, destination, plan, options);

  RunRecord run = NewRunRecord(plan, "sync");
  report.run_id = run.id;
  std::vector<TableRecord> records;
  int64_t rows = 0;
  size_t failed = 0;
  for (size_t i = 0; i < checked.tables.size(); ++i) {
    const TableVerification& v = checked.tables[i];
    TableSync t;
    t.source = v.source;
    t.destination = v.destination;
    t.mode = "diff";
    sync::CountRepair(v, t);
    t.seconds = v.seconds;
    if (v.verdict != Verdict::kIdentical) {
      t.failed = true;
      t.error = v.verdict == Verdict::kFailed ? v.error
                : !v.repair_error.empty()     ? "repair failed: " + v.repair_error
                                              : "still differs after the repair";
      ++failed;
    }
    TableRecord r;
    r.index = int(i);
    r.source = t.source;
    r.destination = t.destination;
    r.state = t.failed ? "failed" : "done";
    r.rows = t.inserted + t.updated + t.deleted;
    r.seconds = t.seconds;
    r.units = r.units_done = t.batches;
    r.attempts = 1;
    r.error = t.Summary();
    rows += r.rows;
    records.push_back(std::move(r));
    report.tables.push_back(std::move(t));
  }
  report.seconds = Since(start);
  run.status = failed ? RunStatus::kFailed : RunStatus::kDone;
  run.summary = fmt::format("{} tables synced by diff, {} failed, {} rows changed in {:.1f} s",
                            report.tables.size() - failed, failed, rows, report.seconds);
  store->StartRun(run, records, {});
  store->FinishRun(run.id, run.status, run.summary);
  return report;
}

}  // namespace ferry
