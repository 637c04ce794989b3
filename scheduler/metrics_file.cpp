#include "scheduler/metrics_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "copier/metrics.hpp"
#include "scheduler/profile.hpp"

namespace ferry {

namespace {

// The run's state, one-hot: an alert can match status="failed" without knowing the others.
void RunState(MetricsText& m, const MetricsContext& c) {
  m.Family("ferry_run_status", "gauge",
           "1 for the state the latest run of this command is in (running, done, failed, "
           "interrupted), 0 for the others");
  for (const char* s : {"running", "done", "failed", "interrupted"}) {
    m.Sample("ferry_run_status", {{"command", c.command}, {"status", s}}, c.status == s ? 1 : 0);
  }
  m.Family("ferry_run_start_timestamp_seconds", "gauge",
           "When the latest run of this command started (seconds since the epoch)");
  m.Sample("ferry_run_start_timestamp_seconds", {{"command", c.command}}, c.started_at);
  m.Family("ferry_run_end_timestamp_seconds", "gauge",
           "When the latest run of this command ended (seconds since the epoch; 0 while it runs)");
  m.Sample("ferry_run_end_timestamp_seconds", {{"command", c.command}}, c.finished_at);
  m.Family("ferry_last_success_timestamp_seconds", "gauge",
           "When the last run of this command that ended done ended (seconds since the epoch)");
  if (c.last_success >= 0) {
    m.Sample("ferry_last_success_timestamp_seconds", {{"command", c.command}}, c.last_success);
  }
}

struct UnitCounts {
  int done = 0, failed = 0, interrupted = 0, skipped = 0, pending = 0;
  int64_t errors = 0, retries = 0;
};

UnitCounts CountUnits(const TableOutcome& t) {
  UnitCounts u;
  if (t.unit_results.empty()) {  // still running: only what the progress counters know
    u.done = t.units_done;
    u.pending = std::max(t.units - t.units_done, 0);
    return u;
  }
  u.done = t.units - int(t.unit_results.size());  // done by an earlier attempt of the run
  for (const UnitResult& r : t.unit_results) {
    u.retries += std::max(r.attempts - 1, 0);
    u.errors += int64_t(r.retried_errors.size());
    if (r.state == UnitState::kDone) {
      ++u.done;
    } else if (r.state == UnitState::kSkipped) {
      ++u.skipped;
    } else if (r.Interrupted()) {
      ++u.interrupted;
    } else {
      ++u.failed;
      ++u.errors;
    }
  }
  return u;
}

}  // namespace

double EpochSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string CopyMetrics(const CopyReport& report, const MetricsContext& c) {
  MetricsText m;
  RunState(m, c);
  m.Family("ferry_rows_per_second", "gauge", "Rows per second the run copies now");
  m.Family("ferry_eta_seconds", "gauge", "Seconds the run still needs at its rate now");
  if (c.status == "running") {
    m.Sample("ferry_rows_per_second", {{"command", c.command}}, c.rows_per_second);
    if (c.eta_seconds >= 0) m.Sample("ferry_eta_seconds", {{"command", c.command}}, c.eta_seconds);
  }
  m.Family("ferry_rows_copied_total", "counter", "Rows copied into the table by the latest run");
  m.Family("ferry_bytes_copied_total", "counter", "Bytes read for the table by the latest run");
  m.Family("ferry_estimated_rows", "gauge", "The planner's estimate of the table's rows");
  m.Family("ferry_table_seconds", "gauge",
           "Wall seconds from the table's first unit's start to its last commit and keys");
  m.Family("ferry_units", "gauge", "The table's work units by state");
  m.Family("ferry_stage_seconds_total", "counter",
           "Seconds the table's units spent in each stage, summed over the threads that ran them "
           "(more than the wall time when units ran in parallel)");
  m.Family("ferry_unit_errors_total", "counter",
           "Errors the table's units met: each retried attempt's and each unit that failed");
  m.Family("ferry_unit_retries_total", "counter", "Attempts of the table's units after the first");
  m.Family("ferry_table_failed", "gauge", "1 when the table failed (rows, keys or indexes)");
  for (const TableOutcome& t : report.tables) {
    const MetricLabels l = {{"command", c.command}, {"table", DisplayName(t.source)}};
    auto with = [&](const char* key, const std::string& value) {
      MetricLabels out = l;
      out.emplace_back(key, value);
      return out;
    };
    m.Sample("ferry_rows_copied_total", l, double(t.rows));
    m.Sample("ferry_bytes_copied_total", l, double(t.bytes));
    if (t.estimated_rows >= 0) m.Sample("ferry_estimated_rows", l, double(t.estimated_rows));
    m.Sample("ferry_table_seconds", l, t.seconds);
    const UnitCounts u = CountUnits(t);
    m.Sample("ferry_units", with("state", "done"), u.done);
    m.Sample("ferry_units", with("state", "pending"), u.pending);
    m.Sample("ferry_units", with("state", "failed"), u.failed);
    m.Sample("ferry_units", with("state", "interrupted"), u.interrupted);
    m.Sample("ferry_units", with("state", "skipped"), u.skipped);
    const StageTimes& s = t.times;
    const std::pair<const char*, double> stages[] = {
        {"read", s.read},           {"convert", s.convert}, {"wait_slot", s.wait_slot},
        {"wait_data", s.wait_data}, {"write", s.write},     {"commit", s.commit}};
    for (const auto& [stage, seconds] : stages) {
      m.Sample("ferry_stage_seconds_total", with("stage", stage), seconds);
    }
    m.Sample("ferry_unit_errors_total", l, double(u.errors));
    m.Sample("ferry_unit_retries_total", l, double(u.retries));
    m.Sample("ferry_table_failed", l,
             t.state == TableState::kFailed || !t.schema_errors.empty() || t.copy_failed ? 1 : 0);
  }
  return m.Render();
}

std::string SyncMetrics(const SyncReport& report, const std::vector<SyncEstimate>& backlog,
                        const MetricsContext& c) {
  MetricsText m;
  RunState(m, c);
  m.Family("ferry_sync_rows_total", "counter",
           "Rows the latest sync changed at the destination, by change");
  m.Family("ferry_sync_seconds", "gauge", "Seconds the latest sync spent on the table");
  m.Family("ferry_sync_table_failed", "gauge",
           "1 when the latest sync failed for the table (copy_again=1: its change log has a gap)");
  m.Family("ferry_sync_backlog", "gauge",
           "Change-log entries of the table not yet purged (what the next sync reads), after "
           "the sync");
  for (const TableSync& t : report.tables) {
    const MetricLabels l = {{"table", DisplayName(t.source)}};
    const std::pair<const char*, int64_t> changes[] = {{"inserted", t.inserted},
                                                       {"updated", t.updated},
                                                       {"deleted", t.deleted},
                                                       {"upserted", t.upserted}};
    for (const auto& [change, rows] : changes) {
      MetricLabels with = l;
      with.emplace_back("change", change);
      m.Sample("ferry_sync_rows_total", with, double(rows));
    }
    m.Sample("ferry_sync_seconds", l, t.seconds);
    m.Sample("ferry_sync_table_failed", {l[0], {"copy_again", t.resync ? "1" : "0"}},
             t.failed ? 1 : 0);
  }
  for (const SyncEstimate& e : backlog) {
    if (e.status.enabled) {
      m.Sample("ferry_sync_backlog", {{"table", DisplayName(e.table)}}, double(e.status.backlog));
    }
  }
  return m.Render();
}

void WriteMetricsFile(const std::string& path, const std::string& text) {
  WriteWholeFile(path, text, "metrics file");
}

}  // namespace ferry
