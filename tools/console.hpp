// What `ferry` prints while a copy runs. Progress goes to standard error, so standard output
// stays for results (the plan with --explain, the summary): on a terminal one live line per
// active table and one for the whole run (rows, bytes, share of the estimate, rate, ETA);
// without one, a timestamped block every --progress-interval seconds and a line as each table
// ends; with --log-format json, one JSON object per event instead. -q prints only what failed,
// -v adds each table's split and start, -vv each unit as it commits.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "copier/progress.hpp"
#include "copier/text.hpp"
#include "scheduler/copy_run.hpp"
#include "tools/command_options.hpp"

namespace ferry {

enum class LogFormat { kText, kJson };
// "text" or "json".
std::optional<LogFormat> ParseLogFormat(const std::string& text);

struct ConsoleSettings {
  int verbosity = 0;  // -1: --quiet; 1: -v; 2: -vv
  LogFormat format = LogFormat::kText;
  double interval = 30;  // seconds between progress blocks without a terminal
  std::FILE* log = stderr;
  std::FILE* out = stdout;
  int terminal = -1;  // -1: whether `log` is a terminal; 0 or 1 to say so
  // What the first note says the command is doing ("copying 3 tables in 12 units").
  std::string verb = "copying";
  std::string units_done = "units committed";  // -vv's line per table
  bool plan_lines = true;                      // -v prints each table's split first (a copy's plan)
  // Prepared says what is to do ("copying 3 tables in 12 units, ~1,000 rows"): not for a sync,
  // which learns its tables' work as it goes.
  bool opening_note = true;
  // The verbosity from which a line is printed as each table ends: a copy says so by default;
  // verify and sync, whose results follow on standard output, with -v.
  int done_lines_from = 0;
};

// The options of every long-running command for what it says while it runs: -q, -v/-vv,
// --progress-interval and --log-format.
struct LogFlags {
  bool quiet = false;
  int verbose = 0;
  double progress_interval = 30;
  std::string log_format = "text";
};
void AddLogOptions(CommandOptions& options, LogFlags& flags);
ConsoleSettings ConsoleSettingsOf(const LogFlags& flags);

class ConsoleObserver final : public CopyObserver {
 public:
  explicit ConsoleObserver(ConsoleSettings settings);

  void Prepared(const CopyReport& report) override;
  void Progress(const CopyReport& report) override;
  void Finished(const CopyReport& report) override;
  void Note(const std::string& text) override;

  // Erases the live lines on a terminal: what the command prints next starts on a clean line.
  void Close() { Erase(); }

  void PrintPlan(const CopyReport& report) const;
  void PrintSummary(const CopyReport& report) const;

 private:
  // The tables' figures now, each measured rate updated with them.
  RunProgress Sample(const CopyReport& report);
  void TableEvents(const RunProgress& run);
  void Draw(const RunProgress& run, const OverallProgress& overall);
  void Block(const RunProgress& run, const OverallProgress& overall);
  void Erase();
  // A line for the log: timestamped without a terminal.
  void Line(const std::string& text);

  ConsoleSettings settings_;
  bool tty_;
  bool json_;
  size_t name_width_ = 10;
  std::vector<bool> announced_;  // its "done" line was printed
  std::vector<bool> started_;    // its "started" line was printed (-v)
  std::vector<int> units_seen_;  // units done when last looked (-vv)
  RateMeter rate_;
  std::vector<RateMeter> table_rates_;
  int drawn_ = 0;  // live lines on the terminal, to redraw
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_block_;
};

}  // namespace ferry
