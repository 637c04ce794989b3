#include "scheduler/metrics_observer.hpp"

#include <fmt/format.h>

#include "copier/run_status.hpp"
#include "scheduler/run_control.hpp"

namespace ferry {

namespace {
// Often enough for a scrape every 15 to 60 seconds, rarely enough to cost nothing.
constexpr double kWriteEvery = 5;
}  // namespace

MetricsObserver::MetricsObserver(std::string path, std::string command) : path_(std::move(path)) {
  context_.command = std::move(command);
}

void MetricsObserver::Start() {
  context_.started_at = EpochSeconds();
  if (!path_.empty()) WriteMetricsFile(path_, CopyMetrics(CopyReport{}, context_));
}

void MetricsObserver::Prepared(const CopyReport& report) {
  start_ = last_write_ = std::chrono::steady_clock::now();
  context_.started_at = EpochSeconds();
  Write(report);
}

void MetricsObserver::Progress(const CopyReport& report) {
  const auto now = std::chrono::steady_clock::now();
  int64_t rows = 0, bytes = 0;
  for (const TableOutcome& t : report.tables) {
    rows += t.rows;
    bytes += t.bytes;
  }
  rate_.Add(std::chrono::duration<double>(now - start_).count(), rows, bytes);
  if (std::chrono::duration<double>(now - last_write_).count() < kWriteEvery) return;
  last_write_ = now;
  RunProgress run;
  for (const TableOutcome& t : report.tables) run.tables.push_back(ProgressOf(t));
  const OverallProgress overall = Summarize(run, rate_);
  context_.rows_per_second = overall.rows_per_second;
  context_.eta_seconds = overall.eta_seconds;
  Write(report);
}

void MetricsObserver::Final(const CopyReport& report, const std::string& status,
                            Endpoint& destination, const std::string& state_prefix) {
  if (path_.empty()) return;
  context_.status = status;
  context_.finished_at = EpochSeconds();
  try {
    context_.last_success = LastSuccess(destination, state_prefix, context_.command);
  } catch (const Error&) {  // the metric is left out; the run's own outcome stands
  }
  Write(report);
}

void MetricsObserver::Write(const CopyReport& report) {
  if (path_.empty()) return;
  try {
    WriteMetricsFile(path_, CopyMetrics(report, context_));
  } catch (const Error& e) {
    if (!warned_) fmt::print(stderr, "ferry: warning: {}\n", e.what());
    warned_ = true;
  }
}

double LastSuccess(Endpoint& destination, const std::string& state_prefix,
                   const std::string& command) {
  for (const RunRecord& r : ReadRunHistory(destination, state_prefix).runs) {
    if (r.command != command || r.status != RunStatus::kDone) continue;
    if (auto at = ParseUtcTimestamp(r.finished_at)) return *at;
  }
  return -1;
}

}  // namespace ferry
