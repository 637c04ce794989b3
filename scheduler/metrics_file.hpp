// `--metrics-file PATH`: a run's and a sync's figures as Prometheus metrics for node_exporter's
// textfile collector (docs/monitoring.md has alert rules and a dashboard). The file is written
// whole to a temporary file beside PATH and renamed over it, so the collector never reads half a
// file; it has no timestamps (the collector's scrape time and node_textfile_mtime_seconds say
// how fresh it is).
#pragma once

#include <string>
#include <vector>

#include "scheduler/copy_run.hpp"
#include "scheduler/sync_run.hpp"

namespace ferry {

struct MetricsContext {
  std::string command = "run";
  std::string status = "running";  // RunStatusName of the run, or "running" while it goes
  double started_at = 0;           // seconds since the epoch
  double finished_at = 0;          // 0 while it runs
  double last_success = -1;        // the last run of this command that ended done; -1: none
  double rows_per_second = 0;      // measured now, while it runs
  double eta_seconds = -1;
};

// Per table: rows and bytes copied, estimated rows, units by state, stage seconds (summed over
// the unit threads), wall seconds, unit errors and retries; for the run its state.
std::string CopyMetrics(const CopyReport& report, const MetricsContext& context);

// Per table: rows changed by kind, seconds, failed, and the change-log backlog left after the
// sync (`backlog`, from EstimateSync; empty when it could not be read); for the sync its state
// and the time of the last successful one.
std::string SyncMetrics(const SyncReport& report, const std::vector<SyncEstimate>& backlog,
                        const MetricsContext& context);

// Writes `text` to `path` through a temporary file in the same folder and a rename. Throws
// Error(kIo) naming the file.
void WriteMetricsFile(const std::string& path, const std::string& text);

// Seconds since the epoch, now.
double EpochSeconds();

}  // namespace ferry
