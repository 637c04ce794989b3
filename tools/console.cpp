#include "tools/console.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

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

ConsoleObserver::ConsoleObserver(std::FILE* out, bool quiet, bool verbose)
    : out_(out), quiet_(quiet), verbose_(verbose), tty_(isatty(fileno(out)) != 0) {}

void ConsoleObserver::Note(const std::string& text) {
  if (!quiet_) fmt::print(out_, "{}\n", text);
}

void ConsoleObserver::Prepared(const CopyReport& report) {
  announced_.assign(report.tables.size(), false);
  for (const TableOutcome& t : report.tables) {
    name_width_ = std::max(name_width_, DisplayName(t.source).size());
  }
  last_line_ = std::chrono::steady_clock::now();
  if (quiet_) return;
  int units = 0;
  for (const TableOutcome& t : report.tables) units += t.units;
  fmt::print(out_, "copying {} table{} in {} unit{}", report.tables.size(),
             report.tables.size() == 1 ? "" : "s", units, units == 1 ? "" : "s");
  if (!report.consistency.empty()) fmt::print(out_, "; source consistency: {}", report.consistency);
  fmt::print(out_, "\n");
  if (!report.schema_tool.empty()) {
    fmt::print(out_, "schema: cloned from the source with {}\n", report.schema_tool);
  } else if (!report.schema_not_cloned.empty()) {
    fmt::print(out_, "schema: ferry's own DDL, not a clone: {}\n", report.schema_not_cloned);
  }
  if (verbose_) PrintPlan(report);
  std::fflush(out_);
}

void ConsoleObserver::PrintPlan(const CopyReport& report) const {
  for (const TableOutcome& t : report.tables) {
    fmt::print(out_, "{} -> {}: {} unit{} ({}{}): {}\n", DisplayName(t.source),
               DisplayName(t.destination), t.units, t.units == 1 ? "" : "s",
               StrategyName(t.strategy), t.pass_through ? ", binary COPY pass-through" : "",
               t.reason);
  }
  std::fflush(out_);
}

void ConsoleObserver::Progress(const CopyReport& report) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const TableOutcome& t = report.tables[i];
    if (!announced_[i] && t.units > 0 && t.units_done == t.units) {
      announced_[i] = true;
      fmt::print(out_, "{}[{}] {:<{}}  {} rows  {}  {}/{} units\n", tty_ ? "\r\033[K" : "", i + 1,
                 DisplayName(t.source), name_width_, Grouped(t.rows), Rate(t.rows, t.seconds),
                 t.units_done, t.units);
    }
  }
  int64_t rows = 0, bytes = 0;
  int done = 0;
  double seconds = 0;
  for (const TableOutcome& t : report.tables) {
    rows += t.rows;
    bytes += t.bytes;
    seconds = std::max(seconds, t.seconds);
    done += t.units > 0 && t.units_done == t.units;
  }
  if (tty_) {
    fmt::print(out_, "\r\033[K{}/{} tables done, {} rows, {}, {}", done, report.tables.size(),
               Grouped(rows), Rate(rows, seconds), Megabytes(bytes, seconds));
  } else if (now - last_line_ > std::chrono::seconds(5)) {
    last_line_ = now;
    for (size_t i = 0; i < report.tables.size(); ++i) {
      const TableOutcome& t = report.tables[i];
      if (announced_[i] || t.rows == 0) continue;
      std::string of = t.estimated_rows > 0 ? " of ~" + Grouped(t.estimated_rows) : "";
      fmt::print(out_, "[{}] {:<{}}  {} rows{}  {}  {}/{} units\n", i + 1, DisplayName(t.source),
                 name_width_, Grouped(t.rows), of, Rate(t.rows, t.seconds), t.units_done, t.units);
    }
  }
  std::fflush(out_);
}

void ConsoleObserver::Finished(const CopyReport& report) {
  if (tty_ && !quiet_) fmt::print(out_, "\r\033[K");
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const TableOutcome& t = report.tables[i];
    if (t.state == TableState::kFailed) {
      fmt::print(out_, "[{}] {:<{}}  FAILED  {}\n", i + 1, DisplayName(t.source), name_width_,
                 t.error ? t.error->what() : "");
    }
  }
  std::fflush(out_);
}

void ConsoleObserver::PrintSummary(const CopyReport& report) const {
  int64_t rows = 0, bytes = 0;
  size_t width = 5;
  for (const TableOutcome& t : report.tables) {
    width = std::max(width, DisplayName(t.source).size());
    rows += t.rows;
    bytes += t.bytes;
  }
  fmt::print(out_, "\n{:<{}}  {:<7}  {:>13}  {:>8}  {:>16}  {:>10}  {:>5}  {:<7}  {}\n", "table",
             width, "state", "rows", "seconds", "rows/s", "MB/s", "units", "bound", "destination");
  for (const TableOutcome& t : report.tables) {
    fmt::print(out_, "{:<{}}  {:<7}  {:>13}  {:>8.2f}  {:>16}  {:>10}  {:>5}  {:<7}  {}{}\n",
               DisplayName(t.source), width, TableStateName(t.state), Grouped(t.rows), t.seconds,
               Rate(t.rows, t.seconds), Megabytes(t.bytes, t.seconds), t.units,
               t.state == TableState::kDone ? BoundingStage(t) : "-", DisplayName(t.destination),
               t.created ? " (created)" : "");
  }
  const int failed = report.failed();
  fmt::print(out_, "\n{} table{}, {} rows in {:.2f} s ({}, {}); {} failed\n", report.tables.size(),
             report.tables.size() == 1 ? "" : "s", Grouped(rows), report.seconds,
             Rate(rows, report.seconds), Megabytes(bytes, report.seconds), failed);
  bool warned = false;
  for (const TableOutcome& t : report.tables) {
    for (const std::string& w : t.warnings) {
      if (!warned) fmt::print(out_, "\nwarnings:\n");
      warned = true;
      fmt::print(out_, "  {}: {}\n", DisplayName(t.source), w);
    }
  }
  if (failed > 0) {
    fmt::print(out_, "\nfailed tables:\n");
    for (const TableOutcome& t : report.tables) {
      if (t.state == TableState::kFailed) {
        fmt::print(out_, "  {}: {}\n", DisplayName(t.source), t.error ? t.error->what() : "");
      }
      // Rows in, but an index, foreign key or identity counter not: a failure too.
      for (const std::string& e : t.schema_errors) {
        fmt::print(out_, "  {}: {}\n", DisplayName(t.source), e);
      }
    }
    for (const std::string& e : report.schema_errors) fmt::print(out_, "  schema: {}\n", e);
  }
  std::fflush(out_);
}

}  // namespace ferry
