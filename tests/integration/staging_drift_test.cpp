// The drift sync of an offline migration, end to end: tracking enabled at the source, an export
// into a staging directory, changes at the source while the files travel, an import at the new
// site, then `ferry sync` from the live source into the imported destination: exactly the
// changes made since the export are applied (not the ones the files already hold), the export's
// registration with the change log is handed over to the destination, and both ends compare equal.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest) {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest));
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
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
      const std::string manifest = ReadText(temp.path() + "/stage/manifest.json");
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
