// What a progress display makes of the counters (copier/progress.hpp): share of the estimate,
// the rate over the last seconds, the ETA, and the lines and JSON it prints.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "copier/progress.hpp"

using namespace ferry;

namespace {

TableProgress Table(const std::string& name, int64_t estimated, int64_t rows, bool finished) {
  TableProgress t;
  t.name = name;
  t.estimated_rows = estimated;
  t.rows = rows;
  t.bytes = rows * 100;
  t.units = 4;
  t.units_done = finished ? 4 : 1;
  t.seconds = 10;
  t.started = rows > 0;
  t.finished = finished;
  return t;
}

}  // namespace

TEST_CASE("the rate is measured over the last seconds, not since the start", "[progress]") {
  RateMeter rate(10);
  rate.Add(0, 0, 0);
  rate.Add(10, 1'000'000, 0);                                                  // fast at first
  for (int s = 11; s <= 30; ++s) rate.Add(s, 1'000'000 + (s - 10) * 1000, 0);  // then slow
  CHECK(rate.rows_per_second() == Approx(1000));
}

TEST_CASE("the ETA is what is left of the estimate at the measured rate", "[progress]") {
  RunProgress run;
  run.tables = {Table("a", 1000, 1000, true), Table("b", 10'000, 2000, false)};
  RateMeter rate;
  rate.Add(0, 0, 0);
  rate.Add(10, 1000, 0);  // 100 rows/s
  const OverallProgress o = Summarize(run, rate);
  CHECK(o.rows == 3000);
  CHECK(o.expected_rows == 11'000);
  CHECK(o.percent == Approx(100.0 * 3000 / 11000));
  CHECK(o.eta_seconds == Approx(80.0));  // 8,000 rows left at 100 rows/s
  CHECK(o.tables_done == 1);
}

TEST_CASE("the ETA counts on the rate of the tables copying now, not of those done", "[progress]") {
  RunProgress run;
  run.tables = {Table("fast", 1000, 1000, true), Table("slow", 10'000, 2000, false)};
  run.tables[0].rows_per_second = 1e6;  // a finished table's rate says nothing of what is left
  run.tables[1].rows_per_second = 50;
  RateMeter whole;
  whole.Add(0, 0, 0);
  whole.Add(10, 3000, 0);  // 300 rows/s over the run
  const OverallProgress o = Summarize(run, whole);
  CHECK(o.rows_per_second == Approx(50));
  CHECK(o.eta_seconds == Approx(160.0));  // 8,000 rows left at 50 rows/s
}

TEST_CASE("a table past its estimate expects its rows so far, and a finished one its count",
          "[progress]") {
  RunProgress run;
  run.tables = {Table("a", 100, 500, true), Table("b", 100, 300, false)};
  const OverallProgress o = Summarize(run, RateMeter());
  CHECK(o.expected_rows == 800);
  CHECK(o.eta_seconds == 0);
}

TEST_CASE("without an estimate for a table still to copy there is no share and no ETA",
          "[progress]") {
  RunProgress run;
  run.tables = {Table("a", -1, 300, false)};
  const OverallProgress o = Summarize(run, RateMeter());
  CHECK(o.expected_rows == -1);
  CHECK(o.percent < 0);
  CHECK(o.eta_seconds < 0);
  CHECK(OverallProgressLine(o).find("ETA") == std::string::npos);
}

TEST_CASE("no ETA is promised before a rate was measured", "[progress]") {
  RunProgress run;
  run.tables = {Table("a", 1000, 0, false)};
  CHECK(Summarize(run, RateMeter()).eta_seconds < 0);
  CHECK(OverallProgressLine(Summarize(run, RateMeter())).find("ETA -") != std::string::npos);
}

TEST_CASE("durations and sizes print as people read them", "[progress]") {
  CHECK(FormatDuration(0) == "0:00:00");
  CHECK(FormatDuration(3723.4) == "1:02:03");
  CHECK(FormatDuration(-1) == "-");
  CHECK(FormatBytes(512) == "512 B");
  CHECK(FormatBytes(12'345'678) == "12.3 MB");
  CHECK(FormatBytes(2'500'000'000) == "2.5 GB");
}

TEST_CASE("a table's line gives rows of the estimate, bytes, its own rate and units",
          "[progress]") {
  const std::string line = TableProgressLine(Table("public.orders", 10'000, 2500, false), 14);
  CHECK(line == "public.orders   2,500 of ~10,000 rows (25.0%)  250.0 kB  250 rows/s  1/4 units");
}

TEST_CASE("progress events are one JSON object each, with the active tables only", "[progress]") {
  RunProgress run;
  run.tables = {Table("a", 1000, 1000, true), Table("b\xff", 10'000, 2000, false)};
  RateMeter rate;
  rate.Add(0, 0, 0);
  rate.Add(10, 1000, 0);
  const std::string text = ProgressJson("2026-01-01T00:00:00Z", run, Summarize(run, rate));
  CHECK(text.find('\n') == std::string::npos);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["event"] == "progress");
  CHECK(j["rows"] == 3000);
  CHECK(j["eta_seconds"] == Approx(80.0));
  REQUIRE(j["active"].size() == 1);
  CHECK(j["active"][0]["rows"] == 2000);
  const auto done = nlohmann::json::parse(TableDoneJson("t", run.tables[0]));
  CHECK(done["event"] == "table_done");
  CHECK(done["rows_per_second"] == 100);
}
