// --metrics-file (scheduler/metrics_file.hpp): what node_exporter's textfile collector reads
// after a copy and after a sync, written through a temporary file and a rename.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("a copy leaves its rows, units and state per table in the metrics file",
          "[metrics][postgresql]") {
  TestDatabase source(Db::kPostgres, "met_src");
  TestDatabase dest(Db::kPostgres, "met_dst");
  CreateItems(source, 5000);
  ferry::test::TempDir dir;
  const std::string path = dir.path() + "/ferry.prom";
  FerryResult run = RunFerry("run -q --partitions 2" + Ends(source, dest) + " --metrics-file " +
                             ShellQuote(path));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const std::string text = Read(path);
  INFO(text);
  CHECK(text.find("ferry_run_status{command=\"run\",status=\"done\"} 1") != std::string::npos);
  CHECK(text.find("ferry_rows_copied_total{command=\"run\",table=\"public.items\"} 5000") !=
        std::string::npos);
  CHECK(text.find("ferry_units{command=\"run\",table=\"public.items\",state=\"done\"} 2") !=
        std::string::npos);
  CHECK(text.find("ferry_last_success_timestamp_seconds{command=\"run\"} ") != std::string::npos);
  // Nothing is left beside it.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++files;
  CHECK(files == 1);
}

TEST_CASE("a sync leaves each table's backlog and the last successful sync's time",
          "[metrics][postgresql]") {
  TestDatabase source(Db::kPostgres, "met_src");
  TestDatabase dest(Db::kPostgres, "met_dst");
  CreateItems(source, 100);
  REQUIRE(RunFerry("run -q" + Ends(source, dest)).exit_code == 0);
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
  source.Exec("INSERT INTO items VALUES (1001, 'new', 1);\nDELETE FROM items WHERE id = 5");
  ferry::test::TempDir dir;
  const std::string path = dir.path() + "/sync.prom";
  FerryResult sync = RunFerry("sync" + Ends(source, dest) + " --metrics-file " + ShellQuote(path));
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  const std::string text = Read(path);
  INFO(text);
  CHECK(text.find("ferry_run_status{command=\"sync\",status=\"done\"} 1") != std::string::npos);
  CHECK(text.find("ferry_sync_rows_total{table=\"public.items\",change=\"inserted\"} 1") !=
        std::string::npos);
  CHECK(text.find("ferry_sync_rows_total{table=\"public.items\",change=\"deleted\"} 1") !=
        std::string::npos);
  CHECK(text.find("ferry_sync_backlog{table=\"public.items\"} ") != std::string::npos);
  CHECK(text.find("ferry_last_success_timestamp_seconds{command=\"sync\"} ") != std::string::npos);
}

TEST_CASE("a metrics file in a folder that does not exist stops the copy before it starts",
          "[metrics][postgresql]") {
  TestDatabase source(Db::kPostgres, "met_src");
  TestDatabase dest(Db::kPostgres, "met_dst");
  CreateItems(source, 10);
  FerryResult run = RunFerry("run -q" + Ends(source, dest) +
                             " --metrics-file /nonexistent-ferry-folder/ferry.prom");
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(run.output.find("/nonexistent-ferry-folder/ferry.prom") != std::string::npos);
  CHECK(dest.QueryValue("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                        "'items'") == "0");
}
