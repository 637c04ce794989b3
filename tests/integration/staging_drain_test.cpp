// An export into a staging directory smaller than the table (--max-disk): it pauses while the
// directory is full and goes on as an import with --remove-imported takes the imported units'
// files away; with no import it stops with exit code 8 after --max-disk-wait, resumable. The
// files an import removed are recorded, so verify --files accounts for them and a second import
// says, before it writes anything, why it cannot read them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

// The bytes of the directory's chunk files (those being written too).
uint64_t ChunkBytes(const std::string& folder) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder + "/chunks", ec)) {
    bytes += e.file_size(ec);
  }
  return bytes;
}

std::string Digest(TestDatabase& db) {
  return db.QueryValue(
      "SELECT count(*) || ' ' || md5(string_agg(id || ':' || coalesce(v, '-') || ':' || n, ',' "
      "ORDER BY id)) FROM keyed");
}

std::string ExportArgs(TestDatabase& source, const std::string& folder, uint64_t max_disk,
                       int wait_seconds, bool resume) {
  return "run --partitions 8 --readers 1 --writers 1 --batch-rows 2000 --max-disk " +
         std::to_string(max_disk) + " --max-disk-wait " + std::to_string(wait_seconds) +
         (resume ? " --resume" : "") + " --source " + ShellQuote(source.Url()) + " --dest " +
         ShellQuote("dir:" + folder);
}

}  // namespace

TEST_CASE(
    "an export at --max-disk with no import stops with exit code 8 after --max-disk-wait, and "
    "resumed beside an import with --remove-imported it pauses until the import takes files "
    "away, both ending exact",
    "[staging][drain][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "drain_src");
  TestDatabase dest(Db::kPostgres, "drain_dst");
  source.Exec(
      "CREATE TABLE keyed (id int PRIMARY KEY, v text, n numeric(12,2) NOT NULL);\n"
      "INSERT INTO keyed SELECT g, CASE WHEN g % 17 = 0 THEN NULL ELSE md5(g::text) END, "
      "(g % 100000) / 7.0 FROM generate_series(1, 240000) g;\n"
      "ANALYZE");
  // How large the export is without a limit.
  const std::string whole = temp.path() + "/whole";
  FerryResult first = RunFerry("run -q --partitions 8 --source " + ShellQuote(source.Url()) +
                               " --dest " + ShellQuote("dir:" + whole));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const uint64_t total = ChunkBytes(whole) + fs::file_size(whole + "/manifest.json");
  const uint64_t limit = total / 2;  // room for the units of a few of the 8 units at a time

  const std::string folder = temp.path() + "/stage";
  FerryResult alone = RunFerry(ExportArgs(source, folder, limit, 2, false));
  INFO(alone.output);
  CHECK(alone.exit_code == kExitDiskFull);
  CHECK(alone.output.find("no import took files away for 2 s") != std::string::npos);
  CHECK(ChunkBytes(folder) <= limit);

  uint64_t most = 0;
  WorkerProcess exporter(
      "exec " + ShellQuote(FerryBinary()) + " " + ExportArgs(source, folder, limit, 120, true),
      temp.path() + "/export.log");
  REQUIRE(WaitUntil(
      [&] {
        most = std::max(most, ChunkBytes(folder));
        return exporter.Output().find("the export waits for an import") != std::string::npos;
      },
      120));
  WorkerProcess importer("exec " + ShellQuote(FerryBinary()) + " run --remove-imported --source " +
                             ShellQuote("dir:" + folder) + " --dest " + ShellQuote(dest.Url()),
                         temp.path() + "/import.log");
  REQUIRE(WaitUntil(
      [&] {
        most = std::max(most, ChunkBytes(folder));
        return exporter.Finished() && importer.Finished();
      },
      300));
  INFO(exporter.Output());
  INFO(importer.Output());
  REQUIRE(exporter.Wait() == 0);
  REQUIRE(importer.Wait() == 0);
  CHECK(exporter.Output().find("has room again: the export goes on") != std::string::npos);
  CHECK(most <= limit);
  CHECK(Digest(dest) == Digest(source));

  // Every chunk is accounted for: imported and removed, as its record says.
  FerryResult files = RunFerry("verify --json --files " + ShellQuote(folder));
  INFO(files.output);
  CHECK(files.exit_code == 0);
  const nlohmann::json report = nlohmann::json::parse(files.output);
  CHECK(report.at("removed_rows").get<int64_t>() == 240000);
  CHECK(report.at("matches").get<bool>());
  CHECK(ChunkBytes(folder) == 0);
  FerryResult verify = RunFerry("verify --source " + ShellQuote("dir:" + folder) + " --dest " +
                                ShellQuote(dest.Url()));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);

  // Another import cannot read what was taken away, and says so.
  TestDatabase again(Db::kPostgres, "drain_again");
  FerryResult second = RunFerry("run --source " + ShellQuote("dir:" + folder) + " --dest " +
                                ShellQuote(again.Url()));
  INFO(second.output);
  CHECK(second.exit_code == kExitBlocked);
  CHECK(second.output.find("8 units it would read of public.keyed (240000 rows") !=
        std::string::npos);
  CHECK(second.output.find("imported into ") != std::string::npos);
}
