#include "tools/console.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "copier/run_state.hpp"
#include "scheduler/large_objects.hpp"
#include "scheduler/profile.hpp"

namespace ferry {

namespace {

std::string Rate(int64_t rows, double seconds) {
  if (seconds <= 0) return "-";
  return Grouped(int64_t(double(rows) / seconds)) + " rows/s";
}

std::string Megabytes(int64_t bytes, double seconds) {
  if (seconds <= 0) return "-";
  return fmt::format("{:.1f} MB/s", double(bytes) / 1e6 / seconds);
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(const std::string& text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

void AddLogOptions(CommandOptions& options, LogFlags& flags) {
  options.Add("--quiet", flags.quiet);
  options.Add("--verbose", flags.verbose);
  options.Add("--progress-interval", flags.progress_interval)->check(CLI::Range(0.0, 86400.0));
  options.Add("--log-format", flags.log_format);
}

ConsoleSettings ConsoleSettingsOf(const LogFlags& flags) {
  ConsoleSettings settings;
  settings.verbosity = flags.quiet ? -1 : flags.verbose;
  settings.interval = flags.progress_interval;
  settings.format = ParseLogFormat(flags.log_format).value_or(LogFormat::kText);
  return settings;
}

ConsoleObserver::ConsoleObserver(ConsoleSettings settings)
    : settings_(settings),
      tty_(settings.terminal < 0 ? isatty(fileno(settings.log)) != 0 : settings.terminal == 1),
      json_(settings.format == LogFormat::kJson),
      start_(std::chrono::steady_clock::now()),
      last_block_(start_) {
  if (json_) tty_ = false;
}

void ConsoleObserver::Line(const std::string& text) {
  Erase();
  if (tty_) {
    fmt::print(settings_.log, "{}\n", text);
  } else {
    fmt::print(settings_.log, "{} {}\n", UtcTimestamp(), text);
  }
  std::fflush(settings_.log);
}

void ConsoleObserver::Note(const std::string& text) {
  if (settings_.verbosity < 0) return;
  if (json_) {
    fmt::print(settings_.log, "{}\n", EventJson(UtcTimestamp(), "note", text));
    std::fflush(settings_.log);
    return;
  }
  Line(text);
}

void ConsoleObserver::Prepared(const CopyReport& report) {
  announced_.assign(report.tables.size(), false);
  started_.assign(report.tables.size(), false);
  units_seen_.assign(report.tables.size(), 0);
  for (const TableOutcome& t : report.tables) {
    name_width_ = std::min<size_t>(std::max(name_width_, DisplayName(t.source).size()), 40);
  }
  start_ = last_block_ = std::chrono::steady_clock::now();
  if (settings_.verbosity < 0 || !settings_.opening_note) return;
  int units = 0;
  int64_t estimated = 0;
  for (const TableOutcome& t : report.tables) {
    units += t.units;
    estimated += std::max<int64_t>(t.estimated_rows, 0);
  }
  std::string text = fmt::format("{} {} table{} in {} unit{}, ~{} rows", settings_.verb,
                                 report.tables.size(), report.tables.size() == 1 ? "" : "s", units,
                                 units == 1 ? "" : "s", Grouped(estimated));
  if (!report.consistency.empty()) text += "; source consistency: " + report.consistency;
  Note(text);
  if (!report.schema_tool.empty()) {
    Note("schema: cloned from the source with " + report.schema_tool);
  } else if (!report.schema_not_cloned.empty()) {
    Note("schema: ferry's own DDL, not a clone: " + report.schema_not_cloned);
  }
  if (settings_.verbosity >= 1 && !json_ && settings_.plan_lines) PrintPlan(report);
}

void ConsoleObserver::PrintPlan(const CopyReport& report) const {
  for (const TableOutcome& t : report.tables) {
    fmt::print(settings_.out, "{} -> {}: {} unit{} ({}{}): {}\n", DisplayName(t.source),
               DisplayName(t.destination), t.units, t.units == 1 ? "" : "s",
               StrategyName(t.strategy), t.pass_through ? ", binary COPY pass-through" : "",
               t.reason);
  }
  std::fflush(settings_.out);
}

RunProgress ConsoleObserver::Sample(const CopyReport& report) {
  table_rates_.resize(report.tables.size());
  RunProgress run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const TableOutcome& t = report.tables[i];
    TableProgress p = ProgressOf(t);
    if (p.started && !p.finished && !p.failed) {
      table_rates_[i].Add(run.seconds, t.rows, t.bytes);
      p.rows_per_second = table_rates_[i].rows_per_second();
      p.bytes_per_second = table_rates_[i].bytes_per_second();
    }
    run.tables.push_back(std::move(p));
  }
  return run;
}

void ConsoleObserver::Progress(const CopyReport& report) {
  const RunProgress run = Sample(report);
  const OverallProgress before = Summarize(run, rate_);
  rate_.Add(run.seconds, before.rows, before.bytes);
  const OverallProgress overall = Summarize(run, rate_);
  TableEvents(run);
  if (settings_.verbosity < 0) return;
  if (tty_) {
    Draw(run, overall);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_block_).count() < settings_.interval) return;
  last_block_ = now;
  Block(run, overall);
}

// A table's start (-v), units (-vv) and end, said once each as they happen.
void ConsoleObserver::TableEvents(const RunProgress& run) {
  for (size_t i = 0; i < run.tables.size() && i < announced_.size(); ++i) {
    const TableProgress& t = run.tables[i];
    if (settings_.verbosity >= 1 && t.started && !started_[i]) {
      started_[i] = true;
      if (!json_) Line(fmt::format("started {}", t.name));
    }
    if (settings_.verbosity >= 2 && t.units_done > units_seen_[i] && !json_) {
      Line(fmt::format("{}: {}/{} {}, {} rows", t.name, t.units_done, t.units, settings_.units_done,
                       Grouped(t.rows)));
    }
    units_seen_[i] = t.units_done;
    if (announced_[i] || !(t.finished || t.failed) || !t.started) continue;
    announced_[i] = true;
    if (json_) {
      fmt::print(settings_.log, "{}\n", TableDoneJson(UtcTimestamp(), t));
      std::fflush(settings_.log);
    } else if (settings_.verbosity >= settings_.done_lines_from && !t.failed) {
      Line("done " + TableProgressLine(t, name_width_));  // a failure is said by Finished
    }
  }
}

// The terminal's live lines: one per active table (the longest running first, at most ten),
// then the run's.
void ConsoleObserver::Draw(const RunProgress& run, const OverallProgress& overall) {
  std::vector<const TableProgress*> active;
  for (const TableProgress& t : run.tables) {
    if (t.started && !t.finished && !t.failed) active.push_back(&t);
  }
  std::stable_sort(
      active.begin(), active.end(),
      [](const TableProgress* a, const TableProgress* b) { return a->seconds > b->seconds; });
  Erase();
  constexpr size_t kMostLines = 10;
  for (size_t i = 0; i < active.size() && i < kMostLines; ++i) {
    fmt::print(settings_.log, "  {}\n", TableProgressLine(*active[i], name_width_));
    ++drawn_;
  }
  if (active.size() > kMostLines) {
    fmt::print(settings_.log, "  ... and {} more\n", active.size() - kMostLines);
    ++drawn_;
  }
  fmt::print(settings_.log, "{}\n", OverallProgressLine(overall));
  ++drawn_;
  std::fflush(settings_.log);
}

void ConsoleObserver::Erase() {
  if (drawn_ == 0) return;
  fmt::print(settings_.log, "\033[{}F\033[J", drawn_);
  drawn_ = 0;
}

// Without a terminal: the run's line and each active table's, timestamped.
void ConsoleObserver::Block(const RunProgress& run, const OverallProgress& overall) {
  if (json_) {
    fmt::print(settings_.log, "{}\n", ProgressJson(UtcTimestamp(), run, overall));
    std::fflush(settings_.log);
    return;
  }
  Line("progress " + OverallProgressLine(overall));
  for (const TableProgress& t : run.tables) {
    if (t.started && !t.finished && !t.failed) Line("  " + TableProgressLine(t, name_width_));
  }
}

void ConsoleObserver::Finished(const CopyReport& report) {
  Progress(report);
  Erase();
  const OverallProgress overall = Summarize(Sample(report), rate_);
  if (json_) {
    fmt::print(settings_.log, "{}\n",
               EventJson(UtcTimestamp(), "copied",
                         fmt::format("{} rows, {} in {:.2f} s", Grouped(overall.rows),
                                     FormatBytes(overall.bytes), report.seconds)));
  }
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const TableOutcome& t = report.tables[i];
    if (t.state != TableState::kFailed) continue;
    const std::string text = fmt::format("[{}] {}  FAILED  {}", i + 1, DisplayName(t.source),
                                         t.error ? t.error->what() : "");
    if (json_) {
      fmt::print(settings_.log, "{}\n", EventJson(UtcTimestamp(), "error", text));
    } else {
      Line(text);
    }
  }
  std::fflush(settings_.log);
}

void ConsoleObserver::PrintSummary(const CopyReport& report) const {
  int64_t rows = 0, bytes = 0;
  size_t width = 5;
  for (const TableOutcome& t : report.tables) {
    width = std::max(width, DisplayName(t.source).size());
    rows += t.rows;
    bytes += t.bytes;
  }
  fmt::print(settings_.out, "\n{:<{}}  {:<7}  {:>13}  {:>8}  {:>16}  {:>10}  {:>5}  {:<7}  {}\n",
             "table", width, "state", "rows", "seconds", "rows/s", "MB/s", "units", "bound",
             "destination");
  for (const TableOutcome& t : report.tables) {
    fmt::print(settings_.out,
               "{:<{}}  {:<7}  {:>13}  {:>8.2f}  {:>16}  {:>10}  {:>5}  {:<7}  {}{}\n",
               DisplayName(t.source), width, TableStateName(t.state), Grouped(t.rows), t.seconds,
               Rate(t.rows, t.seconds), Megabytes(t.bytes, t.seconds), t.units,
               t.state == TableState::kDone ? BoundingStage(t) : "-", DisplayName(t.destination),
               t.created ? " (created)" : "");
  }
  const int failed = report.failed();
  fmt::print(settings_.out, "\n{} table{}, {} rows in {:.2f} s ({}, {}); {} failed\n",
             report.tables.size(), report.tables.size() == 1 ? "" : "s", Grouped(rows),
             report.seconds, Rate(rows, report.seconds), Megabytes(bytes, report.seconds), failed);
  if (report.large_objects) {
    fmt::print(settings_.out, "{}\n", DescribeLargeObjectCopy(*report.large_objects));
  }
  bool warned = false;
  for (const TableOutcome& t : report.tables) {
    for (const std::string& w : t.warnings) {
      if (!warned) fmt::print(settings_.out, "\nwarnings:\n");
      warned = true;
      fmt::print(settings_.out, "  {}: {}\n", DisplayName(t.source), w);
    }
  }
  for (const std::string& w : report.warnings) {
    if (!warned) fmt::print(settings_.out, "\nwarnings:\n");
    warned = true;
    fmt::print(settings_.out, "  schema: {}\n", w);
  }
  if (failed > 0) {
    fmt::print(settings_.out, "\nfailed tables:\n");
    for (const TableOutcome& t : report.tables) {
      if (t.state == TableState::kFailed) {
        fmt::print(settings_.out, "  {}: {}\n", DisplayName(t.source),
                   t.error ? t.error->what() : "");
      }
      // Rows in, but an index, foreign key or identity counter not: a failure too.
      for (const std::string& e : t.schema_errors) {
        fmt::print(settings_.out, "  {}: {}\n", DisplayName(t.source), e);
      }
    }
    for (const std::string& e : report.schema_errors)
      fmt::print(settings_.out, "  schema: {}\n", e);
  }
  std::fflush(settings_.out);
}

}  // namespace ferry
