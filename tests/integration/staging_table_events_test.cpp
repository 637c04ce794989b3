// An export's table events (a table created, its identity counters, its indexes) are records of
// the manifest's journal (docs/staging-format.md, manifest version 3): an export killed between
// them, or in the middle of appending one, resumes with every table's shape; the files-only
// verify names a hand-edited table record by journal, line and table; an import that follows a
// running export builds the indexes the export recorded after the import started. The exporter
// is held still (stop-in-build: SIGSTOP before its nth key or index build) where a test wants it.
#include <signal.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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

// t (3,000 rows, three indexes) and u (a foreign key to t, one index).
void FillSource(TestDatabase& db) {
  db.Exec(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT);\n"
      "CREATE INDEX t_a ON t (a);\n"
      "CREATE INDEX t_b ON t (b);\n"
      "CREATE INDEX t_ab ON t (a, b);\n"
      "CREATE TABLE u (id INTEGER PRIMARY KEY, t_id INT REFERENCES t (id));\n"
      "CREATE INDEX u_t ON u (t_id);\n"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) "
      "INSERT INTO t SELECT x, 'a' || (x % 50), x % 7 FROM c;\n"
      "INSERT INTO u SELECT id, id FROM t");
}

std::string ExportArgs(TestDatabase& source, const std::string& folder) {
  return "run -q --partitions 4 --writers 1 --source " + ShellQuote(source.Url()) + " --dest " +
         ShellQuote("dir:" + folder);
}

// The export, held still just before its nth key or index build.
std::unique_ptr<WorkerProcess> HoldExport(TestDatabase& source, const std::string& folder, int n,
                                          const fs::path& log) {
  auto exporter = std::make_unique<WorkerProcess>(
      "FERRY_TEST_CRASH=stop-in-build:" + std::to_string(n) + " exec " + ShellQuote(FerryBinary()) +
          " " + ExportArgs(source, folder),
      log);
  REQUIRE(WaitUntil([&] { return Stopped(exporter->pid()); }, 120));
  return exporter;
}

// The journal manifest.json names, and its lines.
std::string JournalName(const std::string& folder) {
  return nlohmann::json::parse(ReadWhole(folder + "/manifest.json")).value("journal", "");
}
std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(ReadWhole(path));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}
bool IsTableRecord(const std::string& line) {
  return line.find("\"kind\":\"table_entry\"") != std::string::npos;
}

// An export of t and u killed before its third key or index build, and the journal it leaves.
struct KilledExport {
  explicit KilledExport(const std::string& name) : source(Db::kSQLite, name) {
    FillSource(source);
    folder = temp.path() + "/stage";
    auto exporter = HoldExport(source, folder, 3, temp.path() + "/export.log");
    kill(exporter->pid(), SIGKILL);
    CHECK(exporter->Wait() == 128 + SIGKILL);
    const std::string name_of_journal = JournalName(folder);
    REQUIRE_FALSE(name_of_journal.empty());
    journal = folder + "/" + name_of_journal;
    lines = Lines(journal);
  }
  TempDir temp;
  TestDatabase source;
  std::string folder, journal;
  std::vector<std::string> lines;
};

// The indexes the manifest's shape of t has, as a reader following the export sees it.
size_t IndexesOfT(const std::string& folder) {
  const nlohmann::json m = nlohmann::json::parse(StagedManifestText(folder));
  for (const auto& t : m.at("tables")) {
    if (t.at("table").at("name").at("name") == "t") return t.at("table").at("indexes").size();
  }
  return 0;
}

std::string IndexCount(TestDatabase& db) {
  return db.QueryValue(
      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('t_a', 't_b', "
      "'t_ab', 'u_t')");
}

}  // namespace

TEST_CASE(
    "an export killed between its table events, or while it appends one, resumes to a directory "
    "with every table's indexes, and its import builds them",
    "[staging][journal][faults]") {
  KilledExport killed("stage_events");
  TestDatabase& source = killed.source;
  const std::string& folder = killed.folder;
  const std::string& journal = killed.journal;
  std::vector<std::string> table_records;
  for (const std::string& line : killed.lines) {
    if (IsTableRecord(line)) table_records.push_back(line);
  }
  // The builds before the kill are records of the journal, not a rewritten manifest.
  REQUIRE_FALSE(table_records.empty());
  SECTION("killed between two table events") {}
  SECTION("killed while it appended a table event") {
    // What a kill in the middle of the append leaves: half a record, no newline.
    const std::string torn = table_records.back().substr(0, table_records.back().size() / 2);
    std::ofstream(journal, std::ios::app) << torn;
    FerryResult r = RunFerry("verify --files " + ShellQuote(folder));
    INFO(r.output);
    CHECK(r.exit_code == kExitTablesFailed);
    CHECK(Has(r, "the export is not finished"));
    CHECK(Has(r, "never finished: left out"));
    CHECK_FALSE(Has(r, "edited, or damaged"));
  }
  FerryResult resumed = RunFerry(ExportArgs(source, folder) + " --resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  FerryResult check = RunFerry("verify --files " + ShellQuote(folder));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  const nlohmann::json m = nlohmann::json::parse(ReadWhole(folder + "/manifest.json"));
  CHECK(m.at("version") == 6);
  CHECK(m.at("journal") == "");
  TestDatabase dest(Db::kSQLite, "stage_events_dst");
  FerryResult imported = RunFerry("run -q --source " + ShellQuote("dir:" + folder) + " --dest " +
                                  ShellQuote(dest.Url()));
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK(IndexCount(dest) == "4");
  CHECK(dest.QueryValue("SELECT count(*) || ' ' || sum(b) FROM t") ==
        source.QueryValue("SELECT count(*) || ' ' || sum(b) FROM t"));
  CHECK(dest.QueryValue("SELECT count(*) FROM u") == "3000");
}

TEST_CASE(
    "verify --files and a resumed export name a hand-edited table record of the journal by "
    "file, line and table",
    "[staging][journal][faults]") {
  KilledExport killed("stage_event_edit");
  const std::string& folder = killed.folder;
  const std::string& journal = killed.journal;
  std::vector<std::string> lines = killed.lines;
  // A table record with another record after it (a last one that does not read is torn).
  size_t at = 0;
  while (at + 1 < lines.size() && !IsTableRecord(lines[at])) ++at;
  REQUIRE(at + 1 < lines.size());
  const size_t rows = lines[at].find("\"default_rows\":0");
  REQUIRE(rows != std::string::npos);
  lines[at].replace(rows, 16, "\"default_rows\":7");
  {
    std::ofstream out(journal, std::ios::trunc);
    for (const std::string& line : lines) out << line << '\n';
  }
  // t's or u's: their builds run side by side.
  const std::string table =
      "main." +
      nlohmann::json::parse(lines[at]).at("entry").at("table").at("name").get<std::string>();
  const std::string where =
      fs::path(journal).filename().string() + ": " + table + ": line " + std::to_string(at + 1);
  FerryResult r = RunFerry("verify --files " + ShellQuote(folder));
  INFO(r.output);
  CHECK(r.exit_code == kExitTablesFailed);
  CHECK(Has(r, where));
  CHECK(Has(r, "(a table_entry record of " + table + ") does not match its checksum"));
  FerryResult resumed = RunFerry(ExportArgs(killed.source, folder) + " --resume");
  INFO(resumed.output);
  CHECK(resumed.exit_code != 0);
  CHECK(Has(resumed, fs::path(journal).filename().string() + ": line " + std::to_string(at + 1)));
}

TEST_CASE(
    "an import following a running export builds the indexes the export recorded after the "
    "import started",
    "[staging][journal][follow]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "stage_event_follow");
  FillSource(source);
  const std::string folder = temp.path() + "/stage";
  // Held before its first index build: every unit written, no index recorded.
  auto exporter = HoldExport(source, folder, 1, temp.path() + "/export.log");
  CHECK(IndexesOfT(folder) == 0);
  TestDatabase dest(Db::kSQLite, "stage_event_follow_dst");
  WorkerProcess importer("exec " + ShellQuote(FerryBinary()) + " run --source " +
                             ShellQuote("dir:" + folder) + " --dest " + ShellQuote(dest.Url()),
                         temp.path() + "/import.log");
  REQUIRE(WaitUntil(
      [&] { return importer.Output().find("waiting for the export into") != std::string::npos; },
      120));
  kill(exporter->pid(), SIGCONT);
  // Its index builds land as table records while the import waits, read as they land.
  REQUIRE(WaitUntil([&] { return IndexesOfT(folder) == 3; }, 120));
  INFO(exporter->Output());
  REQUIRE(exporter->Wait() == 0);
  INFO(importer.Output());
  REQUIRE(importer.Wait() == 0);
  CHECK(IndexCount(dest) == "4");
  CHECK(dest.QueryValue("SELECT count(*) FROM u") == "3000");
}
