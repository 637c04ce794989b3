// What a progress display says while a copy runs: per table and for the whole run, rows and bytes
// so far, the share of the estimate, the rate, and an ETA from the rate measured over the last
// seconds (the units still running, not the run's average, which an early fast table skews).
// Pure arithmetic and formatting: the scheduler samples its counters about twice a second and
// tools/ prints what this makes of them.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace ferry {

struct TableProgress {
  std::string name;
  int64_t estimated_rows = -1;  // -1: no estimate
  int64_t rows = 0;
  int64_t bytes = 0;
  int units = 0;
  int units_done = 0;
  // The table's own seconds: from its first unit's start to now, or to when its last unit and
  // what waited for it (keys) were done; the same figure the summary prints.
  double seconds = 0;
  bool started = false;
  bool finished = false;  // every unit and what waits for the table are done
  bool failed = false;
  // Measured over the last seconds (RateMeter), while it copies; 0 when not measured.
  double rows_per_second = 0;
  double bytes_per_second = 0;
};

struct RunProgress {
  std::vector<TableProgress> tables;
  double seconds = 0;  // since the copy started
};

// Rows and bytes per second over the samples of the last `window` seconds.
class RateMeter {
 public:
  explicit RateMeter(double window_seconds = 20) : window_(window_seconds) {}
  void Add(double seconds, int64_t rows, int64_t bytes);
  double rows_per_second() const;
  double bytes_per_second() const;

 private:
  struct Sample {
    double seconds;
    int64_t rows;
    int64_t bytes;
  };
  double window_;
  std::deque<Sample> samples_;
};

struct OverallProgress {
  int64_t rows = 0;
  int64_t bytes = 0;
  // Rows expected in all: a finished table's real count, else the larger of its estimate and
  // its rows so far; -1 when a table still to copy has no estimate.
  int64_t expected_rows = 0;
  int tables = 0;
  int tables_done = 0;
  int units = 0;
  int units_done = 0;
  double percent = -1;  // of expected_rows; -1 without an estimate
  double rows_per_second = 0;
  double bytes_per_second = 0;
  double eta_seconds = -1;  // -1: unknown (no estimate, or nothing measured yet)
  double seconds = 0;
};

// The rate an ETA counts on is that of the tables copying now (the sum of their measured rates):
// the units still to run will share the same readers and writers, and the rows of tables already
// done, fast or slow, say nothing about them. `rate`, the whole run's, serves until a copying
// table has a measured rate.
OverallProgress Summarize(const RunProgress& run, const RateMeter& rate);

// "0:04:07" (hours:minutes:seconds), "-" for a negative (unknown) duration.
std::string FormatDuration(double seconds);
// "1.2 GB", "340.5 MB", "12.0 kB", "512 B": decimal units, as disk and network tools print.
std::string FormatBytes(int64_t bytes);
// "orders  1,234 of ~5,000 rows (24.7%)  1.2 MB  4,567 rows/s  3/8 units"
std::string TableProgressLine(const TableProgress& table, size_t name_width);
// "2/5 tables  1,234 of ~5,000 rows (24.7%)  1.2 MB  4,567 rows/s  0.9 MB/s  ETA 0:01:23"
std::string OverallProgressLine(const OverallProgress& overall);

// One JSON object on one line (no newline): {"time":..., "event":"progress", "rows":...,
// "tables":[...]} with the active tables (started and not finished).
std::string ProgressJson(const std::string& time, const RunProgress& run,
                         const OverallProgress& overall);
// {"time":..., "event":"table_done", "table":..., "rows":..., "seconds":..., "rows_per_second":...}
std::string TableDoneJson(const std::string& time, const TableProgress& table);
// {"time":..., "event": event, "message": text}
std::string EventJson(const std::string& time, const std::string& event, const std::string& text);

}  // namespace ferry
