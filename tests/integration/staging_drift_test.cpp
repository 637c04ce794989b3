// The drift sync of an offline migration, end to end: tracking enabled at the source, an export
// into a staging directory, changes at the source while the files travel, an import at the new
// site, then `ferry sync` from the live source into the imported destination: exactly the
// changes made since the export are applied (not the ones the files already hold), the export's
// registration with the change log is handed over to the destination, and both ends compare equal.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/staged_manifest.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest) {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest));
}

// Inserts, updates, deletes, a key moved, a row deleted and inserted again, a row that came and
// went: 3 rows new, 12 changed, 6 gone.
void ChangeWhileShipping(TestDatabase& source) {
  source.Exec(
      "INSERT INTO items VALUES (1001, 'new one', 1);\n"
      "INSERT INTO items VALUES (1002, 'new two', NULL);\n"
      "UPDATE items SET qty = qty + 1 WHERE id BETWEEN 10 AND 19;\n"
      "UPDATE items SET name = 'twice' WHERE id = 20;\n"
      "UPDATE items SET name = 'twice again', qty = NULL WHERE id = 20;\n"
      "DELETE FROM items WHERE id BETWEEN 30 AND 34;\n"
      "UPDATE items SET id = 2000 WHERE id = 40;\n"
      "DELETE FROM items WHERE id = 50;\n"
      "INSERT INTO items VALUES (50, 'born again', 5);\n"
      "INSERT INTO items VALUES (3000, 'short lived', 3);\n"
      "DELETE FROM items WHERE id = 3000");
}

std::string ExportConsumers(TestDatabase& source) {
  return source.QueryValue(
      "SELECT count(*) FROM ferry_track_consumers WHERE consumer LIKE 'export-%'");
}

}  // namespace

TEST_CASE(
    "a sync from the live source into a destination imported from an export applies exactly "
    "the changes made since the export",
    "[staging][sync]") {
  const std::vector<std::pair<Db, Db>> pairs = {{Db::kPostgres, Db::kMariaDB},
                                                {Db::kMariaDB, Db::kPostgres}};
  for (auto [from, to] : pairs) {
    DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
      TempDir temp;
      TestDatabase source(from, "drift_src");
      TestDatabase dest(to, "drift_dst");
      CreateItems(source, 200);
      FerryResult track = RunFerry("track enable --source " + ShellQuote(source.Url()));
      INFO(track.output);
      REQUIRE(track.exit_code == 0);
      // Logged before the export, so in the files: a sync that started from the log's start
      // would count these rows again.
      source.Exec("UPDATE items SET qty = 7 WHERE id BETWEEN 100 AND 109");
      const std::string dir = "dir:" + temp.path() + "/stage";
      FerryResult exported = Ferry("run -q --partitions 3", source.Url(), dir);
      INFO(exported.output);
      REQUIRE(exported.exit_code == 0);
      CHECK(exported.output.find("warning") == std::string::npos);
      const std::string manifest = StagedManifestText(temp.path() + "/stage");
      CHECK(manifest.find("\"change_logs\"") != std::string::npos);
      CHECK(manifest.find("\"log_consumer\": \"export-") != std::string::npos);
      // Where the snapshot stood in the server's own log.
      if (from == Db::kPostgres) {
        CHECK(manifest.find("\"postgresql_wal_lsn\"") != std::string::npos);
        CHECK(manifest.find("\"postgresql_snapshot\"") != std::string::npos);
      }
      // The export holds the log's entries for the destination to come.
      CHECK(ExportConsumers(source) == "1");

      ChangeWhileShipping(source);

      FerryResult imported = Ferry("run -q", dir, dest.Url());
      INFO(imported.output);
      REQUIRE(imported.exit_code == 0);
      CHECK(Items(dest) != Items(source));

      FerryResult sync = Ferry("sync", source.Url(), dest.Url());
      INFO(sync.output);
      REQUIRE(sync.exit_code == 0);
      CHECK(sync.output.find("inserted 3, updated 12, deleted 6") != std::string::npos);
      CHECK(Items(dest) == Items(source));
      // The destination took the export's place with the change log.
      CHECK(ExportConsumers(source) == "0");
      FerryResult verify = Ferry("verify", source.Url(), dest.Url());
      INFO(verify.output);
      CHECK(verify.exit_code == 0);

      source.Exec("DELETE FROM items WHERE id = 60");
      FerryResult again = Ferry("sync", source.Url(), dest.Url());
      INFO(again.output);
      REQUIRE(again.exit_code == 0);
      CHECK(again.output.find("inserted 0, updated 0, deleted 1") != std::string::npos);
      CHECK(Items(dest) == Items(source));
    }
  }
}

namespace {

// The chunk files of a directory with their modification times: a unit written again shows.
std::map<std::string, fs::file_time_type> ChunkFiles(const std::string& folder) {
  std::map<std::string, fs::file_time_type> out;
  for (const auto& e : fs::directory_iterator(folder + "/chunks")) {
    out[e.path().filename().string()] = e.last_write_time();
  }
  return out;
}

int UnitsIn(const std::string& manifest) {
  const nlohmann::json m = nlohmann::json::parse(manifest);  // alive for the whole loop
  int n = 0;
  for (const auto& t : m.at("tables")) n += int(t.at("units").size());
  return n;
}

}  // namespace

TEST_CASE(
    "an export killed after its last unit but before its manifest is final is refused by an "
    "import, and its resume finishes the manifest, change-log position included, without "
    "reading a unit again",
    "[staging][sync][faults]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "final_src");
  TestDatabase dest(Db::kMariaDB, "final_dst");
  CreateItems(source, 1000);
  source.Exec("CREATE INDEX items_name ON items (name)");
  FerryResult track = RunFerry("track enable --source " + ShellQuote(source.Url()));
  INFO(track.output);
  REQUIRE(track.exit_code == 0);
  // How many units the export has: it is killed (exit 86, as kill -9) right after the last
  // one's commit, before the indexes, the identity counters and the final manifest.
  const std::string probe = temp.path() + "/probe";
  FerryResult whole = Ferry("run -q --partitions 4", source.Url(), "dir:" + probe);
  INFO(whole.output);
  REQUIRE(whole.exit_code == 0);
  const int units = UnitsIn(StagedManifestText(probe));
  REQUIRE(units >= 1);

  const std::string folder = temp.path() + "/stage";
  const std::string dir = "dir:" + folder;
  setenv("FERRY_TEST_CRASH", ("after-commit:" + std::to_string(units)).c_str(), 1);
  FerryResult killed = Ferry("run -q --partitions 4", source.Url(), dir);
  unsetenv("FERRY_TEST_CRASH");
  INFO(killed.output);
  REQUIRE(killed.exit_code == 86);
  const std::string before = StagedManifestText(folder);
  CHECK(nlohmann::json::parse(before).at("status") == "exporting");
  CHECK(UnitsIn(before) == units);
  const auto chunks = ChunkFiles(folder);
  const std::string consumer = nlohmann::json::parse(before).at("log_consumer").get<std::string>();
  const nlohmann::json position = nlohmann::json::parse(before).at("change_logs");
  CHECK(!position.empty());

  // An import says the export is not final, and how to finish it.
  FerryResult early = Ferry("run -q", dir, dest.Url());
  INFO(early.output);
  CHECK(early.exit_code == kExitUsage);
  CHECK(early.output.find("is not finished") != std::string::npos);
  CHECK(early.output.find("ferry run --resume") != std::string::npos);
  FerryResult files = RunFerry("verify --files " + ShellQuote(folder));
  CHECK(files.exit_code == kExitTablesFailed);
  CHECK(files.output.find("the export is not finished") != std::string::npos);

  ChangeWhileShipping(source);  // after the export's snapshot: for the drift sync

  FerryResult resumed = Ferry("run --resume --partitions 4", source.Url(), dir);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  const std::string after = StagedManifestText(folder);
  const nlohmann::json final_manifest = nlohmann::json::parse(after);
  CHECK(final_manifest.at("status") == "complete");
  // No unit was read or written again, and the registration is the first attempt's.
  CHECK(ChunkFiles(folder) == chunks);
  CHECK(final_manifest.at("log_consumer") == consumer);
  CHECK(final_manifest.at("change_logs") == position);
  CHECK(after.find("items_name") != std::string::npos);
  CHECK(RunFerry("verify --files " + ShellQuote(folder)).exit_code == 0);

  FerryResult imported = Ferry("run -q", dir, dest.Url());
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  FerryResult sync = Ferry("sync", source.Url(), dest.Url());
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  CHECK(sync.output.find("inserted 3, updated 12, deleted 6") != std::string::npos);
  CHECK(Items(dest) == Items(source));
  // The destination took this export's place (the probe's own registration stays).
  CHECK(source.QueryValue("SELECT count(*) FROM ferry_track_consumers WHERE consumer = '" +
                          consumer + "'") == "0");
}
