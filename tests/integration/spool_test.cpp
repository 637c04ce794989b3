// ferry run --spool: readers read ahead into files while the writers are busy (here: the first
// commit made to sleep), so the source's snapshot is let go while the writers still work; the
// copy stays exact, a run killed with units in its spool resumes exact, and a spool at its size
// limit makes readers wait for the writers instead of failing.
#include <signal.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

// Makes the Nth unit commit of the next ferry run sleep `seconds` inside its commit.
struct StallCommit {
  StallCommit(int commit, Db dest, int seconds) {
    setenv("FERRY_TEST_CRASH", ("stall-at-commit:" + std::to_string(commit)).c_str(), 1);
    // A statement that returns no rows: the commit's statements are run as commands.
    const std::string n = std::to_string(seconds);
    const std::string sql = dest == Db::kPostgres ? "DO $$BEGIN PERFORM pg_sleep(" + n + "); END$$"
                                                  : "DO SLEEP(" + n + ")";
    setenv("FERRY_TEST_STALL_SQL", sql.c_str(), 1);
  }
  ~StallCommit() {
    unsetenv("FERRY_TEST_CRASH");
    unsetenv("FERRY_TEST_STALL_SQL");
  }
};

// t (id, name, amount, payload): `rows` rows.
void Fill(TestDatabase& db, int rows, int payload_bytes = 40) {
  const std::string n = std::to_string(rows), b = std::to_string(payload_bytes);
  switch (db.db()) {
    case Db::kPostgres:
      db.Exec(
          "CREATE TABLE t (id int PRIMARY KEY, name text, amount numeric(12,2), payload bytea)");
      db.Exec("INSERT INTO t SELECT g, 'name ' || g, g * 1.25, decode(repeat(md5(g::text), " +
              std::to_string(payload_bytes / 32 + 1) + "), 'hex') FROM generate_series(1, " + n +
              ") g");
      db.Exec("ANALYZE t");
      break;
    case Db::kMariaDB:
      db.Exec(
          "CREATE TABLE t (id int PRIMARY KEY, name varchar(40), amount decimal(12,2), "
          "payload blob)");
      db.Exec("INSERT INTO t SELECT seq, CONCAT('name ', seq), seq * 1.25, RANDOM_BYTES(" +
              std::to_string(std::min(payload_bytes, 1024)) + ") FROM seq_1_to_" + n);
      db.Exec("ANALYZE TABLE t");
      break;
    case Db::kSQLite:
      db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount NUMERIC, payload BLOB)");
      db.Exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " + n +
              ") INSERT INTO t SELECT x, 'name ' || x, x * 1.25, randomblob(" + b + ") FROM c");
      break;
  }
}

std::string CopyArgs(const TestDatabase& source, const TestDatabase& dest, const std::string& spool,
                     const std::string& more = "", int partitions = 8) {
  return "run --partitions " + std::to_string(partitions) + " --readers 2 --writers 1 --spool " +
         ShellQuote(spool) + " --source " + ShellQuote(source.Url()) + " --dest " +
         ShellQuote(dest.Url()) + more;
}

FerryResult Verify(const TestDatabase& source, const TestDatabase& dest) {
  return RunFerry("verify --source " + ShellQuote(source.Url()) + " --dest " +
                  ShellQuote(dest.Url()));
}

// The spools' folders in `spool` (ferry-spool-<pid>-...), and their unit files.
std::vector<fs::path> SpoolFolders(const std::string& spool) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(spool, ec)) {
    if (e.path().filename().string().rfind("ferry-spool-", 0) == 0) out.push_back(e.path());
  }
  return out;
}
int SpooledFiles(const std::string& spool) {
  int n = 0;
  std::error_code ec;
  for (const fs::path& folder : SpoolFolders(spool)) {
    for (const auto& e : fs::directory_iterator(folder, ec)) {
      n += e.path().extension() == ".chunk";
    }
  }
  return n;
}

// Sessions of ferry process `pid` at a PostgreSQL source that hold a snapshot.
int SnapshotHolders(TestDatabase& source, pid_t pid) {
  return std::stoi(source.QueryValue(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'ferry " +
      std::to_string(pid) + "@%' AND backend_xmin IS NOT NULL"));
}

// "N of M through the spool" from the run's note.
int SpooledUnits(const FerryResult& r) {
  std::smatch m;
  if (!std::regex_search(r.output, m, std::regex("(\\d+) of \\d+ through the spool"))) return -1;
  return std::stoi(m[1]);
}

}  // namespace

TEST_CASE(
    "a spooled run from postgresql into mariadb copies exactly and lets the source's snapshot "
    "go while the writer still works",
    "[spool]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "spool_pg_src");
  Fill(source, 80000);
  TestDatabase dest(Db::kMariaDB, "spool_my_dst");
  const std::string spool = temp.path() + "/spool";
  bool held = false, let_go = false;
  FerryResult r;
  {
    StallCommit stall(1, Db::kMariaDB, 5);
    r = RunWhile(CopyArgs(source, dest, spool), dest, [&](pid_t pid) {
      const int holders = SnapshotHolders(source, pid);
      held = held || holders > 0;
      // The first commit sleeps for 5 s: the rows still to write are in the spool.
      if (held && holders == 0 && SpooledFiles(spool) > 0) let_go = true;
      return let_go;
    });
  }
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(held);
  CHECK(let_go);
  CHECK(SpooledUnits(r) >= 1);
  CHECK(Has(r, "the source's snapshot is let go"));
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "80000");
  FerryResult v = Verify(source, dest);
  INFO(v.output);
  CHECK(v.exit_code == 0);
  // Each file went as its unit was committed, and the run's folder with the last.
  CHECK(SpoolFolders(spool).empty());
}

TEST_CASE("a spooled run from mariadb into postgresql copies exactly", "[spool]") {
  TempDir temp;
  TestDatabase source(Db::kMariaDB, "spool_my_src");
  Fill(source, 40000);
  TestDatabase dest(Db::kPostgres, "spool_pg_dst");
  const std::string spool = temp.path() + "/spool";
  FerryResult r;
  {
    StallCommit stall(1, Db::kPostgres, 3);
    r = RunFerry(CopyArgs(source, dest, spool));
  }
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(SpooledUnits(r) >= 1);
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "40000");
  FerryResult v = Verify(source, dest);
  INFO(v.output);
  CHECK(v.exit_code == 0);
  CHECK(SpoolFolders(spool).empty());
}

TEST_CASE(
    "a spooled run killed with SIGKILL while units wait in its spool resumes exact, reading "
    "those units again",
    "[spool]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "spool_kill_src");
  Fill(source, 60000, 100);
  TestDatabase dest(Db::kPostgres, "spool_kill_dst");
  const std::string spool = temp.path() + "/spool";
  FerryResult killed;
  {
    // Two units commit, the third sleeps in its commit while the readers spool the rest.
    StallCommit stall(3, Db::kPostgres, 8);
    killed = RunWhile(CopyArgs(source, dest, spool), dest, [&](pid_t pid) {
      if (SpooledFiles(spool) < 3) return false;
      kill(pid, SIGKILL);
      return true;
    });
  }
  INFO(killed.output);
  REQUIRE(killed.exit_code != 0);
  // The killed run's folder stays behind, with units that were never committed.
  REQUIRE(SpoolFolders(spool).size() == 1);
  CHECK(SpooledFiles(spool) >= 3);
  const std::string committed = dest.QueryValue("SELECT count(*) FROM t");
  CHECK(std::stoi(committed) < 60000);
  // Status says what is true of the dead run: interrupted, its spooled units never committed.
  FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  const nlohmann::json run = nlohmann::json::parse(status.output).at("run");
  CHECK(run.at("status") == "interrupted");
  CHECK(run.at("units_spooled") == 0);
  CHECK(run.at("units_spool_lost").get<int>() >= 1);
  int lost = 0;
  for (const auto& t : run.at("tables")) {
    for (const auto& u : t.at("partitions")) {
      CHECK(u.at("state") != "spooled");
      lost += u.at("spool_lost").get<bool>();
    }
  }
  CHECK(lost == run.at("units_spool_lost").get<int>());
  FerryResult text = RunFerry("status --dest " + ShellQuote(dest.Url()));
  INFO(text.output);
  CHECK(Has(text, "in the spool when the run ended, never committed"));
  CHECK(Has(text, "copies them again"));
  FerryResult resumed = RunFerry(CopyArgs(source, dest, spool, " --resume"));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(Has(resumed, "resum"));
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "60000");
  FerryResult v = Verify(source, dest);
  INFO(v.output);
  CHECK(v.exit_code == 0);
  // The dead run's folder was cleared by the resume, the resume's own when it ended.
  CHECK(SpoolFolders(spool).empty());
}

TEST_CASE(
    "a spool at its --max-disk limit makes readers wait for the writer instead of failing, "
    "and the copy stays exact",
    "[spool]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "spool_full_src");
  Fill(source, 16000, 2000);  // 32 MB that do not compress, 2 MB a unit
  TestDatabase dest(Db::kPostgres, "spool_full_dst");
  const std::string spool = temp.path() + "/spool";
  FerryResult r;
  {
    StallCommit stall(1, Db::kPostgres, 2);
    r = RunFerry(CopyArgs(source, dest, spool, " --max-disk 5MiB", 16));
  }
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(
      r.output, m, std::regex("(\\d+) in part \\(it was full\\), spool peak ([0-9.]+) MiB")));
  const double peak = std::stod(m[2]);
  // Some units went into the spool, it filled, and the units that did not fit went on in memory
  // at the writer's pace (some begun in the spool); it never held more than its limit.
  CHECK(SpooledUnits(r) >= 1);
  CHECK(SpooledUnits(r) < 15);
  CHECK(peak <= 5.0);
  CHECK(peak > 0.5);
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "16000");
  FerryResult v = Verify(source, dest);
  INFO(v.output);
  CHECK(v.exit_code == 0);
  CHECK(SpoolFolders(spool).empty());
}

TEST_CASE(
    "ferry status shows the units waiting in a running copy's spool, and its trace shows each "
    "spooled unit's spool write and drain",
    "[spool][status]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "spool_status_src");
  Fill(source, 60000, 100);
  TestDatabase dest(Db::kPostgres, "spool_status_dst");
  const std::string spool = temp.path() + "/spool";
  const std::string trace = temp.path() + "/trace.json";
  nlohmann::json seen;
  std::string text;
  FerryResult r;
  {
    // The first commit sleeps while the readers spool the other units.
    StallCommit stall(1, Db::kPostgres, 8);
    r = RunWhile(CopyArgs(source, dest, spool, " --trace " + ShellQuote(trace)), dest, [&](pid_t) {
      if (SpooledFiles(spool) < 2) return false;
      FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
      if (status.exit_code != 0) return false;
      const nlohmann::json run = nlohmann::json::parse(status.output).at("run");
      if (run.value("units_spooled", 0) < 2) return false;
      seen = run;
      text = RunFerry("status --dest " + ShellQuote(dest.Url())).output;
      return true;
    });
  }
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  INFO(seen.dump(2));
  INFO(text);
  REQUIRE(!seen.is_null());
  CHECK(seen.at("spooled_rows").get<int64_t>() > 0);
  CHECK(seen.at("spooled_bytes").get<int64_t>() > 0);
  CHECK(seen.at("spooled").size() == size_t(seen.at("units_spooled").get<int>()));
  int spooled_parts = 0;
  for (const auto& t : seen.at("tables")) {
    for (const auto& u : t.at("partitions")) spooled_parts += u.at("state") == "spooled";
  }
  CHECK(spooled_parts == seen.at("units_spooled").get<int>());
  CHECK(text.find("in the spool, not committed yet: ") != std::string::npos);
  // Once the run is done nothing waits in a spool.
  FerryResult after = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
  REQUIRE(after.exit_code == 0);
  CHECK(nlohmann::json::parse(after.output).at("run").at("units_spooled") == 0);

  std::ifstream in(trace);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::set<int64_t> spooler_tracks;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.at("ph") == "M" && e.at("name") == "thread_name" &&
        e.at("args").at("name").get<std::string>().rfind("spooler ", 0) == 0) {
      spooler_tracks.insert(e.at("tid").get<int64_t>());
    }
  }
  int writes = 0, drains = 0;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.at("ph") != "X") continue;
    if (e.at("cat") == "spool write") {
      ++writes;
      CHECK(spooler_tracks.count(e.at("tid").get<int64_t>()) == 1);
      CHECK(e.at("args").at("spool_bytes").get<int64_t>() > 0);
    }
    drains += e.at("cat") == "spool drain";
  }
  CHECK(writes >= 2);
  CHECK(drains >= writes);
  CHECK(SpoolFolders(spool).empty());
}
