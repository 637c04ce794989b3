// What a copy prints while it runs (tools/console.hpp): the rates said as each table ends are
// the summary's, progress without a terminal is timestamped, --log-format json is one JSON object
// per line, and -q says nothing while all goes well.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// A big table and a small one: with one reader the small one starts when the big one is done.
void CreateTables(TestDatabase& db) {
  db.Exec(
      "CREATE TABLE big (id int PRIMARY KEY, note text);\n"
      "INSERT INTO big SELECT n, repeat('x', 100) FROM generate_series(1, 300000) AS g(n);\n"
      "CREATE TABLE small (id int PRIMARY KEY, note text);\n"
      "INSERT INTO small SELECT n, 'y' FROM generate_series(1, 20000) AS g(n);\n"
      "ANALYZE big;\nANALYZE small");
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// "12,345 rows/s" after `prefix` on the first line holding it and `also`, as a number; -1 when
// none.
double RateAfter(const std::string& output, const std::string& prefix,
                 const std::string& also = "") {
  for (const std::string& line : Lines(output)) {
    const size_t at = line.find(prefix);
    if (at == std::string::npos || line.find(also) == std::string::npos) continue;
    std::smatch m;
    const std::string rest = line.substr(at);
    if (!std::regex_search(rest, m, std::regex(R"(([0-9,]+) rows/s)"))) continue;
    std::string digits;
    for (char c : m[1].str()) {
      if (c != ',') digits += c;
    }
    return std::stod(digits);
  }
  return -1;
}

FerryResult Copy(TestDatabase& source, TestDatabase& dest, const std::string& flags) {
  return RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
                  " --readers 1 --writers 1 " + flags);
}

}  // namespace

TEST_CASE("the rate said as each table ends is the rate the summary gives it", "[progress]") {
  TestDatabase source(Db::kPostgres, "prog_src");
  TestDatabase dest(Db::kPostgres, "prog_dst");
  CreateTables(source);
  FerryResult run = Copy(source, dest, "--progress-interval 0");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const char* table : {"public.big", "public.small"}) {
    INFO(table);
    const double live = RateAfter(run.output, std::string("Z done ") + table + " ");
    const double summary = RateAfter(run.output, std::string(table) + " ", "(created)");
    REQUIRE(live > 0);
    REQUIRE(summary > 0);
    CHECK(std::abs(live - summary) <= 0.02 * summary);
  }
}

TEST_CASE("without a terminal, progress lines are timestamped and give the share of the estimate",
          "[progress]") {
  TestDatabase source(Db::kPostgres, "prog_src");
  TestDatabase dest(Db::kPostgres, "prog_dst");
  CreateTables(source);
  FerryResult run = Copy(source, dest, "--progress-interval 0");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const std::regex progress(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ progress \d/2 tables  [0-9,]+ of ~[0-9,]+ rows \([0-9.]+%\).* ETA \d+:\d\d:\d\d$)");
  int seen = 0;
  for (const std::string& line : Lines(run.output)) seen += std::regex_match(line, progress);
  CHECK(seen >= 1);
}

TEST_CASE("with --log-format json every line of the log is one JSON object", "[progress]") {
  TestDatabase source(Db::kPostgres, "prog_src");
  TestDatabase dest(Db::kPostgres, "prog_dst");
  CreateTables(source);
  FerryResult run = Copy(source, dest, "--progress-interval 0 --log-format json");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::map<std::string, int> events;
  int64_t small_rows = -1;
  for (const std::string& line : Lines(run.output)) {
    if (line.empty() || line[0] != '{') continue;
    const auto j = nlohmann::json::parse(line);  // throws, failing the test, when it is not JSON
    CHECK(j.contains("time"));
    events[j["event"].get<std::string>()] += 1;
    if (j["event"] == "table_done" && j["table"] == "public.small") small_rows = j["rows"];
  }
  CHECK(events["note"] >= 1);
  CHECK(events["progress"] >= 1);
  CHECK(events["table_done"] == 2);
  CHECK(small_rows == 20000);
  // Nothing of the text log is left: no timestamped line that is not JSON.
  CHECK(run.output.find("Z done ") == std::string::npos);
}

TEST_CASE("with -q a copy that goes well prints nothing while it runs", "[progress]") {
  TestDatabase source(Db::kPostgres, "prog_src");
  TestDatabase dest(Db::kPostgres, "prog_dst");
  CreateTables(source);
  FerryResult run = Copy(source, dest, "--progress-interval 0 -q");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("progress") == std::string::npos);
  CHECK(run.output.find("done") == std::string::npos);
}

TEST_CASE("with -vv ferry says each table's start and each unit as it commits", "[progress]") {
  TestDatabase source(Db::kPostgres, "prog_src");
  TestDatabase dest(Db::kPostgres, "prog_dst");
  CreateTables(source);
  FerryResult run = Copy(source, dest, "--partitions 3 -vv");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("started public.big") != std::string::npos);
  CHECK(run.output.find("public.big: 3/3 units committed") != std::string::npos);
}
