// The options table's rows for watching runs: progress and log format, `ferry status --watch`,
// and the files monitoring reads (metrics, traces).
#include "tools/option_table.hpp"

namespace ferry {

namespace {
using C = Command;
}  // namespace

void AddWatchOptions(std::vector<OptionSpec>& t) {
  t.push_back({.names = "--progress-interval",
               .value = "SECONDS",
               .help = "Without a terminal on standard error: print the progress (rows, bytes, "
                       "share of the estimate, rate, ETA) every SECONDS, timestamped",
               .default_value = "30",
               .reason = "a night-long copy's log shows it moving without drowning in lines",
               .env = "FERRY_PROGRESS_INTERVAL",
               .commands = {C::kRun, C::kVerify, C::kSync}});
  t.push_back({.names = "--log-format",
               .value = "FORMAT",
               .help = "text: lines for people (timestamped without a terminal); json: one JSON "
                       "object per event on standard error (note, progress, table_done, error) "
                       "for log collectors; results stay on standard output",
               .default_value = "text",
               .reason = "people read the log first",
               .env = "FERRY_LOG_FORMAT",
               .choices = {"text", "json"},
               .commands = {C::kRun, C::kVerify, C::kSync}});
  t.push_back({.names = "--metrics-file",
               .value = "PATH",
               .help = "Write Prometheus metrics for node_exporter's textfile collector to PATH "
                       "(through a temporary file and a rename): rows, bytes, units by state, "
                       "stage seconds, errors and retries per table, the run's state; for sync "
                       "each table's backlog and the last successful sync's time. Rewritten "
                       "every 5 seconds while a copy runs",
               .env = "FERRY_METRICS_FILE",
               .commands = {C::kRun, C::kSync}});
  t.push_back({.names = "--watch",
               .value = "[SECONDS]",
               .help = "Show the run again every SECONDS (2 when none is given), with the rate "
                       "measured between two looks and the ETA, until it ends",
               .env = "FERRY_STATUS_WATCH",
               .commands = {C::kStatus}});
  t.push_back({.names = "--command",
               .value = "COMMAND",
               .help = "Only runs of this command: the history lists them, and the newest of "
                       "them is shown in detail",
               .default_value = "every command",
               .env = "FERRY_STATUS_COMMAND",
               .choices = {"run", "verify", "sync"},
               .commands = {C::kStatus}});
}

}  // namespace ferry
