// `ferry sync --final` (the cutover's last sync, its checks and verify) and `ferry sync
// --estimate` (scheduler/sync_run.hpp).
#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/schema_clone.hpp"
#include "scheduler/sync_run.hpp"
#include "scheduler/sync_support.hpp"
#include "scheduler/verify_run.hpp"

namespace ferry {

using sync::Clock;
using sync::Since;

FinalReport RunFinalSync(Endpoint& source, Endpoint& destination, const Job& job,
                         const SyncOptions& options, const VerifyOptions& verify) {
  FinalReport report;
  auto step = [&](std::string name) -> FinalStep& {
    report.steps.push_back(FinalStep{std::move(name), 0, true, ""});
    return report.steps.back();
  };
  {
    auto start = Clock::now();
    FinalStep& s = step("source refuses writes");
    std::optional<bool> refuses = source.OpenChangeTracker()->RefusesWrites();
    s.seconds = Since(start);
    if (!refuses) {
      s.detail = fmt::format("{} cannot tell: make sure nothing writes to it",
                             EngineName(source.info().engine));
    } else if (!*refuses) {
      s.ok = false;
      s.detail = "the source still accepts writes: stop the applications, or add --fence";
      return report;
    } else {
      s.detail = "yes";
    }
  }
  {
    auto start = Clock::now();
    report.sync = RunSync(source, destination, job, options);
    FinalStep& s = step("final sync");
    s.seconds = Since(start);
    if (report.sync.busy) {
      s.ok = false;
      s.detail = "another ferry process holds the destination's lock";
      return report;
    }
    int64_t rows = 0;
    for (const TableSync& t : report.sync.tables) {
      rows += t.inserted + t.updated + t.deleted + t.upserted;
      if (t.failed) {
        s.ok = false;
        s.detail += DisplayName(t.source) + ": " + t.Summary() + "; ";
      }
    }
    if (s.ok) s.detail = fmt::format("{} rows changed", rows);
    if (!s.ok) return report;
  }
  {
    // Identity, serial and AUTO_INCREMENT counters and sequences where the source's stand, so
    // the applications' next rows at the destination follow the source's (schema_clone.hpp).
    auto start = Clock::now();
    int set = 0;
    std::vector<std::string> errors = ContinueCounters(source, destination, job, &set);
    FinalStep& s = step("counters");
    s.seconds = Since(start);
    s.ok = errors.empty();
    s.detail = s.ok ? fmt::format("{} set where the source's stand", set)
                    : fmt::format("{}", fmt::join(errors, "; "));
  }
  {
    auto start = Clock::now();
    const Plan plan = sync::PlanAsIs(source, destination, job, verify.partitions);
    report.verify = RunVerify(source, destination, plan, verify);
    FinalStep& s = step("verify");
    s.seconds = Since(start);
    const int identical = report.verify.Count(Verdict::kIdentical);
    s.ok = identical == int(report.verify.tables.size());
    s.detail = fmt::format("{} of {} tables identical", identical, report.verify.tables.size());
    for (const TableVerification& t : report.verify.tables) {
      if (t.verdict != Verdict::kIdentical) {
        s.detail += fmt::format("; {} {}", DisplayName(t.source), VerdictName(t.verdict));
      }
    }
    try {
      RecordVerify(destination, plan, report.verify);
    } catch (const Error&) {
      // The verdict stands without its record.
    }
  }
  report.go = std::all_of(report.steps.begin(), report.steps.end(),
                          [](const FinalStep& s) { return s.ok; });
  return report;
}

std::vector<SyncEstimate> EstimateSync(Endpoint& source, Endpoint& destination, const Job& job) {
  // Throughput from the syncs recorded so far: rows applied per second of table time.
  std::unique_ptr<RunStore> store = destination.OpenRunStore(kDefaultStatePrefix);
  store->Prepare();
  int64_t rows = 0;
  double seconds = 0;
  int runs = 0;
  for (const RunRecord& r : store->Runs()) {
    if (r.command != "sync" || r.status != RunStatus::kDone) continue;
    if (++runs > 20) break;
    for (const TableRecord& t : store->Tables(r.id)) {
      if (t.rows <= 0) continue;
      rows += t.rows;
      seconds += t.seconds;
    }
  }
  const double rate = rows > 0 && seconds > 0 ? double(rows) / seconds : 0;
  std::unique_ptr<ChangeTracker> tracker = source.OpenChangeTracker();
  std::vector<SyncEstimate> out;
  for (const TableName& name : TablesInScope(source, job)) {
    SyncEstimate e;
    e.table = name;
    e.rows_per_second = rate;
    if (std::optional<Table> table = source.DescribeTable(name)) {
      e.status = tracker->Status(*table);
      if (rate > 0) e.seconds = double(e.status.backlog) / rate;
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace ferry
