#include "tools/console.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace ferry {

std::string Grouped(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

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

ConsoleObserver::ConsoleObserver(std::FILE* out, bool quiet)
    : out_(out), quiet_(quiet), tty_(isatty(fileno(out)) != 0) {}

void ConsoleObserver::Prepared(const std::vector<TableOutcome>& tables) {
  total_ = tables.size();
  for (const TableOutcome& t : tables) {
    name_width_ = std::max(name_width_, DisplayName(t.source).size());
  }
  if (!quiet_) fmt::print(out_, "copying {} table{}\n", total_, total_ == 1 ? "" : "s");
}

void ConsoleObserver::TableStarted(size_t index, const TableOutcome& table) {
  if (quiet_ || !tty_) return;
  fmt::print(out_, "\r[{}/{}] {:<{}}  starting…", index + 1, total_, DisplayName(table.source),
             name_width_);
  std::fflush(out_);
}

void ConsoleObserver::TableProgress(size_t index, const TableOutcome& table) {
  if (quiet_) return;
  std::string of = table.estimated_rows > 0 ? " of ~" + Grouped(table.estimated_rows) : "";
  std::string line =
      fmt::format("[{}/{}] {:<{}}  {} rows{}  {}", index + 1, total_, DisplayName(table.source),
                  name_width_, Grouped(table.rows), of, Rate(table.rows, table.seconds));
  if (tty_) {
    fmt::print(out_, "\r{}\033[K", line);
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

void ConsoleObserver::TableFinished(size_t index, const TableOutcome& table) {
  if (quiet_ && table.state != TableState::kFailed) return;
  std::string head =
      fmt::format("[{}/{}] {:<{}}", index + 1, total_, DisplayName(table.source), name_width_);
  std::string line;
  switch (table.state) {
    case TableState::kDone:
      line = fmt::format("{}  done    {} rows in {:.2f} s  {}", head, Grouped(table.rows),
                         table.seconds, Rate(table.rows, table.seconds));
      break;
    case TableState::kFailed:
      line = fmt::format("{}  FAILED  {}", head, table.error);
      break;
    default:
      line = fmt::format("{}  {}", head, TableStateName(table.state));
      break;
  }
  fmt::print(out_, "{}{}\n", tty_ ? "\r\033[K" : "", line);
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
  fmt::print(out_, "\n{:<{}}  {:<7}  {:>13}  {:>9}  {:>16}  {:>10}  {}\n", "table", width, "state",
             "rows", "seconds", "rows/s", "MB/s", "destination");
  for (const TableOutcome& t : report.tables) {
    fmt::print(out_, "{:<{}}  {:<7}  {:>13}  {:>9.2f}  {:>16}  {:>10}  {}{}\n",
               DisplayName(t.source), width, TableStateName(t.state), Grouped(t.rows), t.seconds,
               Rate(t.rows, t.seconds), Megabytes(t.bytes, t.seconds), DisplayName(t.destination),
               t.created ? " (created)" : "");
  }
  const int failed = report.failed();
  fmt::print(out_, "\n{} table{}, {} rows in {:.2f} s ({}); {} failed\n", report.tables.size(),
             report.tables.size() == 1 ? "" : "s", Grouped(rows), report.seconds,
             Rate(rows, report.seconds), failed);
  if (failed > 0) {
    fmt::print(out_, "\nfailed tables:\n");
    for (const TableOutcome& t : report.tables) {
      if (t.state == TableState::kFailed) {
        fmt::print(out_, "  {}: {}\n", DisplayName(t.source), t.error);
      }
    }
  }
}

}  // namespace ferry
