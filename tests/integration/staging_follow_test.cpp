// An import that starts while its export still runs: it copies the units the export has
// written, says that it waits for the rest, and ends when the export ends, exact; when the
// exporter is killed it stops with exit code 9, and once the export is resumed the import
// resumes and ends exact. The exporter is held still (SIGSTOP) at a point where some of its
// units are written, so the import always meets a running, unfinished export.
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/ferry_command.hpp"
#include "tests/support/staged_manifest.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

// Units the manifest names as written (0 while there is none, or it is being replaced).
int UnitsWritten(const std::string& folder) {
  if (!fs::exists(folder + "/manifest.json")) return 0;
  try {
    nlohmann::json m = nlohmann::json::parse(StagedManifestText(folder));
    int n = 0;
    for (const auto& t : m.at("tables")) n += int(t.at("units").size());
    return n;
  } catch (const std::exception&) {
    return 0;
  }
}

// The rows of both tables as one digest computed by PostgreSQL itself, not by ferry.
std::string Digest(TestDatabase& db) {
  return db.QueryValue(
             "SELECT count(*) || ' ' || md5(string_agg(id || ':' || coalesce(v, '-') || ':' || n, "
             "',' "
             "ORDER BY id)) FROM keyed") +
         " / " +
         db.QueryValue(
             "SELECT count(*) || ' ' || md5(string_agg(id || ':' || name, ',' ORDER BY "
             "id)) FROM small");
}

void FillSource(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE keyed (id int PRIMARY KEY, v text, n numeric(12,2) NOT NULL);\n"
      "INSERT INTO keyed SELECT g, CASE WHEN g % 17 = 0 THEN NULL ELSE md5(g::text) END, "
      "(g % 100000) / 7.0 FROM generate_series(1, 240000) g;\n"
      "CREATE INDEX keyed_v ON keyed (v);\n"
      "CREATE TABLE small (id int PRIMARY KEY, name text NOT NULL);\n"
      "INSERT INTO small SELECT g, 'name ' || g FROM generate_series(1, 50) g;\n"
      "ANALYZE");
}

// An export into `folder`, slowed by small batches and one writer, held still (SIGSTOP) once
// it has written two units.
std::unique_ptr<WorkerProcess> StartAndHoldExport(TestDatabase& source, const std::string& folder,
                                                  const fs::path& log) {
  auto exporter = std::make_unique<WorkerProcess>(
      "exec " + ShellQuote(FerryBinary()) +
          " run -q --partitions 8 --readers 1 --writers 1 --batch-rows 500 --source " +
          ShellQuote(source.Url()) + " --dest " + ShellQuote("dir:" + folder),
      log);
  REQUIRE(WaitUntil([&] { return UnitsWritten(folder) >= 2; }, 120));
  kill(exporter->pid(), SIGSTOP);
  INFO(exporter->Output());
  REQUIRE(UnitsWritten(folder) < 9);  // 8 units of keyed, 1 of small: not all written
  return exporter;
}

std::unique_ptr<WorkerProcess> StartImport(TestDatabase& dest, const std::string& folder,
                                           const fs::path& log) {
  auto importer = std::make_unique<WorkerProcess>(
      "exec " + ShellQuote(FerryBinary()) + " run --source " + ShellQuote("dir:" + folder) +
          " --dest " + ShellQuote(dest.Url()),
      log);
  // It copies what is there, then says it waits for the rest.
  REQUIRE(WaitUntil(
      [&] { return importer->Output().find("waiting for the export into") != std::string::npos; },
      120));
  return importer;
}

}  // namespace

TEST_CASE(
    "an import started while its export runs copies the written units, waits for the rest "
    "saying so, and ends exact when the export ends",
    "[staging][follow][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "follow_src");
  TestDatabase dest(Db::kPostgres, "follow_dst");
  FillSource(source);
  const std::string folder = temp.path() + "/stage";
  auto exporter = StartAndHoldExport(source, folder, temp.path() + "/export.log");
  auto importer = StartImport(dest, folder, temp.path() + "/import.log");
  const int held_at = UnitsWritten(folder);
  kill(exporter->pid(), SIGCONT);
  const int exported = exporter->Wait();
  INFO(exporter->Output());
  REQUIRE(exported == 0);
  const int imported = importer->Wait();
  INFO(importer->Output());
  REQUIRE(imported == 0);
  CHECK(held_at < 9);
  CHECK(Digest(dest) == Digest(source));
  // Planned from the export's plan: its index is built, and its units are the export's.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_indexes WHERE indexname = 'keyed_v'") == "1");
  CHECK(importer->Output().find("8/8 units") != std::string::npos);
  FerryResult verify = RunFerry("verify --source " + ShellQuote("dir:" + folder) + " --dest " +
                                ShellQuote(dest.Url()));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}

TEST_CASE(
    "an import following an export whose process is killed stops with exit code 9, and both "
    "resume to an exact copy",
    "[staging][follow][faults][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "follow_kill_src");
  TestDatabase dest(Db::kPostgres, "follow_kill_dst");
  FillSource(source);
  const std::string folder = temp.path() + "/stage";
  auto exporter = StartAndHoldExport(source, folder, temp.path() + "/export.log");
  auto importer = StartImport(dest, folder, temp.path() + "/import.log");
  kill(exporter->pid(), SIGKILL);
  CHECK(exporter->Wait() == 128 + SIGKILL);
  const int stopped = importer->Wait(std::chrono::seconds(60));
  const std::string said = importer->Output();
  INFO(said);
  CHECK(stopped == kExitExportStopped);
  CHECK(said.find("stopped unfinished") != std::string::npos);
  CHECK(said.find("ferry run --resume") != std::string::npos);
  // Started again now, the import is refused: nobody is exporting.
  FerryResult refused = RunFerry("run --source " + ShellQuote("dir:" + folder) + " --dest " +
                                 ShellQuote(dest.Url()) + " --resume");
  INFO(refused.output);
  CHECK(refused.exit_code == kExitUsage);
  CHECK(refused.output.find("no ferry process is exporting into it") != std::string::npos);
  FerryResult export_resumed = RunFerry("run -q --resume --source " + ShellQuote(source.Url()) +
                                        " --dest " + ShellQuote("dir:" + folder));
  INFO(export_resumed.output);
  REQUIRE(export_resumed.exit_code == 0);
  FerryResult import_resumed = RunFerry("run --resume --source " + ShellQuote("dir:" + folder) +
                                        " --dest " + ShellQuote(dest.Url()));
  INFO(import_resumed.output);
  REQUIRE(import_resumed.exit_code == 0);
  CHECK(Digest(dest) == Digest(source));
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_indexes WHERE indexname = 'keyed_v'") == "1");
}
