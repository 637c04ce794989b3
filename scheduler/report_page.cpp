#include "scheduler/report_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "copier/error.hpp"
#include "copier/run_status.hpp"
#include "scheduler/run_control.hpp"

namespace ferry {

namespace {

ReportRun Detail(RunStore& store, const RunRecord& run) {
  ReportRun out;
  out.run = run;
  out.tables = store.Tables(run.id);
  out.units = store.Units(run.id);
  if (run.lease_ms > 0) out.workers = store.Workers(run.id);
  // A running table's record is written when it ends: its rows so far are its units'.
  if (run.status == RunStatus::kRunning) {
    const RunStatusView view = MakeRunStatus(run, out.tables, out.units, 0);
    for (size_t i = 0; i < out.tables.size() && i < view.tables.size(); ++i) {
      out.tables[i] = view.tables[i].record;
    }
  }
  return out;
}

}  // namespace

ReportInput ReadReport(Endpoint& destination, const std::string& state_prefix,
                       const std::string& run) {
  // Runs as `ferry status` sees them: a running run whose process is gone is interrupted.
  std::vector<RunRecord> runs = ReadRunHistory(destination, state_prefix).runs;
  if (runs.empty()) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("{} has no ferry runs recorded: nothing to report",
                            destination.info().display));
  }
  auto chosen = std::find_if(runs.begin(), runs.end(), [&](const RunRecord& r) {
    return run.empty() ? r.command == "run" : r.id == run;
  });
  if (chosen == runs.end()) {
    if (!run.empty()) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("no run {} in {}'s run state", run, destination.info().display));
    }
    chosen = runs.begin();
  }
  std::unique_ptr<RunStore> store = destination.OpenRunStore(state_prefix);
  ReportInput in;
  in.destination = destination.info().display;
  in.chosen = Detail(*store, *chosen);
  bool verify_shown = false, sync_shown = false;
  for (const RunRecord& r : runs) {
    if (r.id == chosen->id) continue;
    bool& shown = r.command == "verify" ? verify_shown : sync_shown;
    if ((r.command != "verify" && r.command != "sync") || shown) continue;
    shown = true;
    in.checks.push_back(Detail(*store, r));
  }
  for (size_t i = 0; i < runs.size() && i < kReportHistoryRuns; ++i) {
    ReportHistoryEntry h;
    h.run = runs[i];
    for (const TableRecord& t : store->Tables(runs[i].id)) {
      ++h.tables;
      h.failed_tables += t.state == "failed";
      h.rows += t.rows;
    }
    in.history.push_back(std::move(h));
  }
  return in;
}

}  // namespace ferry
