// The report page's builder (copier/run_report.hpp) on an in-memory run record: what it shows,
// how it lays out the timeline, and that nothing from the run state can break out of the page or
// leak a secret.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "copier/run_report.hpp"

using namespace ferry;

namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

UnitRecord Unit(int table, int part, double start, double end, int64_t rows) {
  UnitRecord u;
  u.table = table;
  u.part = part;
  u.state = UnitRecordState::kDone;
  u.rows = rows;
  u.attempts = 1;
  u.timing.started_at = start;
  u.timing.finished_at = end;
  u.timing.read = (end - start) / 2;
  u.timing.write = (end - start) / 3;
  return u;
}

ReportInput Sample() {
  ReportInput in;
  in.destination = "postgresql://ferry@db:5432/target";
  in.generated_at = "2026-12-06T10:00:00Z";
  in.version = "0.1.0";
  RunRecord run;
  run.id = "20261206T090000Z-ab12";
  run.command = "run";
  run.status = RunStatus::kFailed;
  run.started_at = "2026-12-06T09:00:00Z";
  run.finished_at = "2026-12-06T09:00:10Z";
  run.source = "mysql://app@src:3306/shop";
  run.destination = in.destination;
  run.owner_token = "0123456789abcdef0123456789abcdef";
  in.chosen.run = run;
  TableRecord good;
  good.index = 0;
  good.source = {"shop", "orders"};
  good.destination = {"public", "orders"};
  good.state = "done";
  good.rows = 3000;
  good.units = 3;
  good.units_done = 3;
  good.attempts = 4;
  good.seconds = 6;
  good.warnings = {"foreign key orders_customer_fk to customers, outside the copy, was left out"};
  TableRecord bad;
  bad.index = 1;
  bad.source = {"shop", "<script>alert(1)</script>"};
  bad.destination = bad.source;
  bad.state = "failed";
  bad.units = 1;
  bad.error = "value too long for type character varying(5)\n  advice: widen the column";
  in.chosen.tables = {good, bad};
  in.chosen.units = {Unit(0, 0, 1000, 1004, 1000), Unit(0, 1, 1001, 1003, 1000),
                     Unit(0, 2, 1003.5, 1006, 1000)};
  in.chosen.units[1].attempts = 2;
  UnitRecord failed;
  failed.table = 1;
  failed.state = UnitRecordState::kFailed;
  failed.attempts = 3;
  failed.error = "value too long";
  in.chosen.units.push_back(failed);
  in.history.push_back(ReportHistoryEntry{run, 2, 1, 3000});
  RunRecord verify = run;
  verify.id = "20261206T091500Z-cd34";
  verify.command = "verify";
  verify.status = RunStatus::kDone;
  ReportRun check;
  check.run = verify;
  TableRecord same = good;
  same.state = "identical";
  check.tables = {same};
  in.checks.push_back(check);
  in.history.insert(in.history.begin(), ReportHistoryEntry{verify, 1, 0, 3000});
  return in;
}

}  // namespace

TEST_CASE("a hostile table name renders as text on the report page, never as markup", "[report]") {
  const std::string page = RenderReportHtml(Sample());
  CHECK(page.find("<script>alert(1)</script>") == std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  // The page's own script is its only one.
  CHECK(Count(page, "<script>") == 1);
  CHECK(HtmlEscape(R"(<a href="x" onclick='y'>&</a>)") ==
        "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
}

TEST_CASE("the report page shows a tile per table with its state, error, advice and warnings",
          "[report]") {
  const std::string page = RenderReportHtml(Sample());
  CHECK(Count(page, "class=\"tile\"") == 2);
  CHECK(page.find(R"(data-table="0" data-state="done" data-rows="3000" data-units="3" )"
                  R"(data-units-done="3" data-warnings="2")") != std::string::npos);
  CHECK(page.find(R"(data-table="1" data-state="failed")") != std::string::npos);
  CHECK(page.find("value too long for type character varying(5)") != std::string::npos);
  CHECK(page.find("advice: widen the column") != std::string::npos);
  CHECK(page.find("unit 2 took 2 attempts") != std::string::npos);
  // A failed unit's error is said once: the table's error already has it.
  CHECK(page.find("unit 1 failed after 3 attempt(s)</li>") != std::string::npos);
  CHECK(page.find("orders_customer_fk") != std::string::npos);
  // History, the verify result, and the charts.
  CHECK(Count(page, "<tr class=\"run") == 2);
  CHECK(page.find(R"(data-command="verify")") != std::string::npos);
  CHECK(page.find(R"(class="check-table" data-state="identical")") != std::string::npos);
  CHECK(page.find("<svg class=\"stages\"") != std::string::npos);
  CHECK(page.find("<svg class=\"throughput\"") != std::string::npos);
  // Nothing is fetched from anywhere.
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("href=") == std::string::npos);
  CHECK(page.find("default-src 'none'") != std::string::npos);
}

TEST_CASE("the report page leaks no password and no owner token", "[report]") {
  ReportInput in = Sample();
  in.chosen.run.source = "mysql://app:hunter22@src:3306/shop";
  in.history[1].run.destination = "Driver=PostgreSQL;Server=db;UID=ferry;PWD=hunter22;";
  in.chosen.tables[1].error = "login failed for postgresql://ferry:hunter22@db/target";
  const std::string page = RenderReportHtml(in);
  CHECK(page.find("hunter22") == std::string::npos);
  CHECK(page.find("mysql://app:***@src:3306/shop") != std::string::npos);
  CHECK(page.find(in.chosen.run.owner_token) == std::string::npos);
  CHECK(WithoutPasswords("Server=x;pwd={a;b};UID=u") == "Server=x;pwd=***;UID=u");
}

TEST_CASE("units are laid out in as many lanes as ran at once when threads are not recorded",
          "[report]") {
  const ReportInput in = Sample();
  CHECK_FALSE(ThreadLanes(in.chosen.units, LaneRole::kReader));
  // 1000-1004 and 1001-1003 overlap; 1003.5-1006 starts after the second ended.
  CHECK(OverlapLanes(in.chosen.units) == std::vector<int>{0, 1, 1, -1});
  const std::string page = RenderReportHtml(in);
  CHECK(Count(page, "<rect class=\"unit\"") == 3);
  CHECK(page.find(R"(data-role="lane" data-lanes="2")") != std::string::npos);
}

TEST_CASE("units are drawn per reader and per writer thread when the run state names them",
          "[report]") {
  ReportInput in = Sample();
  const int readers[] = {0, 1, 0};
  const int writers[] = {1, 0, 2};
  for (size_t i = 0; i < 3; ++i) {
    in.chosen.units[i].timing.reader = readers[i];
    in.chosen.units[i].timing.writer = writers[i];
  }
  CHECK(ThreadLanes(in.chosen.units, LaneRole::kWriter) == std::vector<int>{1, 0, 2, -1});
  const std::string page = RenderReportHtml(in);
  CHECK(page.find(R"(data-role="reader" data-lanes="2")") != std::string::npos);
  CHECK(page.find(R"(data-role="writer" data-lanes="3")") != std::string::npos);
  CHECK(Count(page, "<rect class=\"unit\"") == 6);
  // Another lane source (a profile's threads, say) is used as given.
  const std::string by_part = RenderReportHtml(
      in, [](const std::vector<UnitRecord>& units, LaneRole) -> std::optional<std::vector<int>> {
        std::vector<int> out;
        for (const UnitRecord& u : units) out.push_back(u.table == 0 ? u.part : -1);
        return out;
      });
  CHECK(by_part.find(R"(data-role="reader" data-lanes="3")") != std::string::npos);
}

TEST_CASE("a shared run's report lists its workers", "[report]") {
  ReportInput in = Sample();
  CHECK(RenderReportHtml(in).find("id=\"workers\"") == std::string::npos);
  WorkerRecord w;
  w.worker = "host-a/41/ab12";
  w.host = "host-a";
  w.shard = "1/2";
  w.units_done = 3;
  in.chosen.workers = {w};
  const std::string page = RenderReportHtml(in);
  CHECK(page.find(R"(<tr class="worker" data-units-done="3"><td>host-a/41/ab12</td>)") !=
        std::string::npos);
}

TEST_CASE("a run without unit times says so instead of drawing empty charts", "[report]") {
  ReportInput in = Sample();
  for (UnitRecord& u : in.chosen.units) u.timing = {};
  const std::string page = RenderReportHtml(in);
  CHECK(page.find("<svg class=\"timeline\"") == std::string::npos);
  CHECK(page.find("No unit of this run recorded its start and end") != std::string::npos);
}
