// ferry track and ferry sync end to end on the real servers: after a full copy and `track
// enable`, inserts, updates, deletes, key-changing updates and delete-then-reinsert on the source
// reach the destination exactly (compared row by row here, not by ferry); a second sync applies
// nothing; a sync killed before or after a commit and run again gives the exact result; a sync
// finding the destination's lock held exits at once with code 6; `track disable` leaves the
// source's objects as they were; watermark mode re-copies rows at or above the mark less the
// overlap.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "copier/run_state.hpp"
#include "drivers/odbc/connection.hpp"
#include "drivers/open.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/scoped_env.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// Full copy, then tracking: the order a DBA follows on a source that is not written meanwhile.
void CopyAndTrack(TestDatabase& source, TestDatabase& dest) {
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --quiet");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  FerryResult track = RunFerry("track enable --source " + ShellQuote(source.Url()));
  INFO(track.output);
  REQUIRE(track.exit_code == 0);
}

// Inserts, updates, deletes, an update that moves a key, a row deleted and inserted again with
// the same key, a row inserted and deleted again, and a row updated twice.
void Change(TestDatabase& source) {
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

std::string SyncArgs(TestDatabase& source, TestDatabase& dest) {
  return "sync" + Ends(source, dest);
}

// Everything of the source's own that a change log could leave behind: tables, functions,
// triggers, sequences.
std::vector<std::string> SourceObjects(TestDatabase& db) {
  switch (db.db()) {
    case Db::kPostgres:
      return RowLines(
          db,
          "SELECT 'rel ' || relname || ' ' || relkind::text FROM pg_class c JOIN pg_namespace n "
          "ON n.oid = c.relnamespace WHERE nspname = 'public' UNION ALL SELECT 'fn ' || "
          "proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
          "nspname = 'public' UNION ALL SELECT 'trg ' || tgname FROM pg_trigger WHERE NOT "
          "tgisinternal ORDER BY 1");
    case Db::kMariaDB:
      return RowLines(
          db,
          "SELECT CONCAT('table ', table_name) FROM information_schema.tables WHERE "
          "table_schema = DATABASE() UNION ALL SELECT CONCAT('trigger ', trigger_name) "
          "FROM information_schema.triggers WHERE trigger_schema = DATABASE() UNION ALL "
          "SELECT CONCAT('routine ', routine_name) FROM information_schema.routines WHERE "
          "routine_schema = DATABASE() ORDER BY 1");
    case Db::kSQLite:
      return RowLines(db, "SELECT type || ' ' || name FROM sqlite_schema ORDER BY 1");
  }
  return {};
}

}  // namespace

TEST_CASE(
    "a tracked sync brings every kind of change to the destination exactly, and a second "
    "sync applies nothing",
    "[sync]") {
  const std::vector<std::pair<Db, Db>> pairs = {
      {Db::kPostgres, Db::kPostgres}, {Db::kMariaDB, Db::kPostgres}, {Db::kSQLite, Db::kMariaDB}};
  for (auto [from, to] : pairs) {
    DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
      TestDatabase source(from, "sync_src");
      TestDatabase dest(to, "sync_dst");
      CreateItems(source, 200);
      CopyAndTrack(source, dest);
      Change(source);

      FerryResult sync = RunFerry(SyncArgs(source, dest) + " --keys-per-batch 7");
      INFO(sync.output);
      REQUIRE(sync.exit_code == 0);
      CHECK(Items(dest) == Items(source));
      // 1001, 1002, 2000 and 50 (deleted, then inserted) are new; 10-19 and 20 changed; 30-34
      // and 40 are gone; 3000 came and went.
      CHECK(sync.output.find("inserted 3, updated 12, deleted 6") != std::string::npos);
      CHECK(source.QueryValue("SELECT count(*) FROM ferry_log_items") == "1");  // purged

      FerryResult again = RunFerry(SyncArgs(source, dest));
      INFO(again.output);
      REQUIRE(again.exit_code == 0);
      CHECK(again.output.find("inserted 0, updated 0, deleted 0 (0 log entries)") !=
            std::string::npos);
      CHECK(Items(dest) == Items(source));

      // The run state records each sync.
      CHECK(dest.QueryValue("SELECT count(*) FROM ferry_runs WHERE command = 'sync'") == "2");
      CHECK(dest.QueryValue("SELECT count(*) FROM ferry_tables WHERE error = 'inserted 3, "
                            "updated 12, deleted 6' AND row_count = 21") == "1");
    }
  }
}

TEST_CASE("a sync killed before or after a commit and run again gives the exact result", "[sync]") {
  for (const char* crash : {"before-commit:1", "after-commit:1"}) {
    DYNAMIC_SECTION(crash) {
      TestDatabase source(Db::kPostgres, "sync_crash_src");
      TestDatabase dest(Db::kMariaDB, "sync_crash_dst");
      CreateItems(source, 100);
      CopyAndTrack(source, dest);
      Change(source);
      {
        ScopedEnv env("FERRY_TEST_CRASH", crash);
        FerryResult killed = RunFerry(SyncArgs(source, dest) + " --keys-per-batch 5");
        INFO(killed.output);
        REQUIRE(killed.exit_code == 86);
      }
      FerryResult rerun = RunFerry(SyncArgs(source, dest) + " --keys-per-batch 5");
      INFO(rerun.output);
      REQUIRE(rerun.exit_code == 0);
      CHECK(Items(dest) == Items(source));
    }
  }
}

TEST_CASE(
    "a sync finding another ferry process at work on the destination exits at once with "
    "code 6",
    "[sync]") {
  TestDatabase source(Db::kSQLite, "sync_lock_src");
  TestDatabase dest(Db::kPostgres, "sync_lock_dst");
  CreateItems(source, 10);
  CopyAndTrack(source, dest);
  source.Exec("DELETE FROM items WHERE id = 1");
  ScopedEnv password("FERRY_DEST_PASSWORD", TestPassword().c_str());
  auto endpoint = ferry::OpenEndpoint(dest.Url(), ferry::EndpointRole::kDestination);
  auto store = endpoint->OpenRunStore("ferry_");
  store->Prepare();
  auto lock = store->TryLock();
  REQUIRE(lock != nullptr);
  FerryResult busy = RunFerry(SyncArgs(source, dest));
  INFO(busy.output);
  CHECK(busy.exit_code == 6);
  CHECK(dest.QueryValue("SELECT count(*) FROM items") == "10");  // nothing applied
  lock.reset();
  FerryResult sync = RunFerry(SyncArgs(source, dest));
  INFO(sync.output);
  CHECK(sync.exit_code == 0);
  CHECK(Items(dest) == Items(source));
}

TEST_CASE("track disable leaves the source's objects exactly as they were", "[sync]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "sync_track_src");
      CreateItems(source, 5);
      const std::vector<std::string> before = SourceObjects(source);
      const std::string at = " --source " + ShellQuote(source.Url());
      FerryResult enable = RunFerry("track enable" + at);
      INFO(enable.output);
      REQUIRE(enable.exit_code == 0);
      CHECK(SourceObjects(source) != before);
      source.Exec("UPDATE items SET qty = 1 WHERE id <= 2");
      FerryResult status = RunFerry("track status" + at);
      INFO(status.output);
      CHECK(status.output.find("backlog 2 changes") != std::string::npos);
      FerryResult disable = RunFerry("track disable" + at);
      INFO(disable.output);
      REQUIRE(disable.exit_code == 0);
      CHECK(disable.output.find("not tracked") != std::string::npos);
      CHECK(SourceObjects(source) == before);
    }
  }
}

TEST_CASE(
    "a watermark sync re-copies rows at or above the last mark less the overlap, and "
    "says deletes are not seen",
    "[sync]") {
  TestDatabase source(Db::kPostgres, "sync_wm_src");
  TestDatabase dest(Db::kMariaDB, "sync_wm_dst");
  source.Exec(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, qty "
      "INTEGER, version BIGINT NOT NULL);\n"
      "INSERT INTO items VALUES (1, 'a', 1, 1), (2, 'b', 2, 2), (3, 'c', 3, 100)");
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --quiet");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const std::string sync =
      "sync" + Ends(source, dest) + " --watermark version --watermark-overlap 10";
  FerryResult first = RunFerry(sync);  // no mark yet: every row, as upserts
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.output.find("upserted 3") != std::string::npos);
  CHECK(first.output.find("deletes are not seen") != std::string::npos);

  // A row whose version is below the mark but within the overlap (a transaction that committed
  // after the mark was read) is caught; one further below is not looked at.
  source.Exec(
      "UPDATE items SET name = 'late', version = 95 WHERE id = 2;\n"
      "INSERT INTO items VALUES (4, 'd', 4, 101);\n"
      "UPDATE items SET name = 'too old' WHERE id = 1");
  FerryResult second = RunFerry(sync);
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(second.output.find("upserted 3") != std::string::npos);  // 2, 3 and 4
  CHECK(RowLines(dest, "SELECT id, name FROM items ORDER BY id") ==
        std::vector<std::string>{"1|a", "2|late", "3|c", "4|d"});
}

TEST_CASE("a final sync says no-go and changes nothing while the source still accepts writes",
          "[sync]") {
  TestDatabase source(Db::kPostgres, "sync_final_open_src");
  TestDatabase dest(Db::kPostgres, "sync_final_open_dst");
  CreateItems(source, 20);
  CopyAndTrack(source, dest);
  source.Exec("DELETE FROM items WHERE id = 3");
  FerryResult final = RunFerry(SyncArgs(source, dest) + " --final");
  INFO(final.output);
  CHECK(final.exit_code == 1);
  CHECK(final.output.find("still accepts writes") != std::string::npos);
  CHECK(final.output.find("NO-GO") != std::string::npos);
  CHECK(dest.QueryValue("SELECT count(*) FROM items") == "20");
}

TEST_CASE(
    "a fenced final sync makes the source read-only, applies the last changes, verifies "
    "and says go",
    "[sync]") {
  TestDatabase source(Db::kPostgres, "sync_final_src");
  TestDatabase dest(Db::kMariaDB, "sync_final_dst");
  CreateItems(source, 50);
  CopyAndTrack(source, dest);
  Change(source);
  FerryResult estimate = RunFerry(SyncArgs(source, dest) + " --estimate");
  INFO(estimate.output);
  CHECK(estimate.exit_code == 0);
  CHECK(estimate.output.find("backlog 25 changes") != std::string::npos);

  FerryResult final = RunFerry(SyncArgs(source, dest) + " --final --fence");
  INFO(final.output);
  CHECK(final.exit_code == 0);
  CHECK(final.output.find("GO: the destination equals the source") != std::string::npos);
  CHECK(final.output.find("final sync") != std::string::npos);
  CHECK(Items(dest) == Items(source));
  // New sessions cannot write until the printed undo statement runs.
  CHECK_THROWS(source.Exec("INSERT INTO items VALUES (9999, 'refused', 1)"));
  const std::string undo = "BEGIN READ WRITE; ALTER DATABASE \"" + source.name() +
                           "\" RESET default_transaction_read_only; COMMIT";
  CHECK(final.output.find(undo) != std::string::npos);
  source.Exec("BEGIN READ WRITE;\nALTER DATABASE \"" + source.name() +
              "\" RESET default_transaction_read_only;\nCOMMIT");
  source.Exec("INSERT INTO items VALUES (9999, 'accepted', 1)");
}

TEST_CASE(
    "a fenced final sync of a MariaDB source makes the server read-only, says go, and the "
    "printed undo makes it writable again",
    "[sync]") {
  TestDatabase source(Db::kMariaDB, "sync_final_my_src");
  TestDatabase dest(Db::kPostgres, "sync_final_my_dst");
  CreateItems(source, 50);
  CopyAndTrack(source, dest);
  Change(source);
  // An application's user: read_only binds it, unlike ferry's test user, whose ALL PRIVILEGES
  // include READ ONLY ADMIN (so the tests running beside this one keep writing).
  const std::string app = "ferry_app_" + std::to_string(getpid());
  const std::string password = "app-" + TestPassword();
  source.Exec("CREATE USER '" + app + "'@'127.0.0.1' IDENTIFIED BY '" + password + "'");
  // Whatever happens below, the shared test server is left writable and without the user.
  struct Restore {
    TestDatabase& db;
    std::string user;
    ~Restore() {
      try {
        db.Exec("SET GLOBAL read_only = OFF");
        db.Exec("DROP USER IF EXISTS '" + user + "'@'127.0.0.1'");
      } catch (...) {
      }
    }
  } restore{source, app};
  source.Exec("GRANT SELECT, INSERT, UPDATE, DELETE ON `" + source.name() + "`.* TO '" + app +
              "'@'127.0.0.1'");
  std::string odbc = source.Odbc();
  odbc.replace(odbc.find("Uid=ferry;Pwd=" + TestPassword()),
               ("Uid=ferry;Pwd=" + TestPassword()).size(), "Uid=" + app + ";Pwd=" + password);
  // A session the application opened before the cutover: read_only binds open sessions too.
  ferry::odbc::Connection application(odbc, "application");
  application.Execute("INSERT INTO items VALUES (7001, 'before the fence', 1)");

  FerryResult final = RunFerry(SyncArgs(source, dest) + " --final --fence");
  INFO(final.output);
  CHECK(final.exit_code == 0);
  CHECK(final.output.find("source refuses writes") != std::string::npos);
  CHECK(final.output.find("GO: the destination equals the source") != std::string::npos);
  CHECK(Items(dest) == Items(source));
  CHECK(RowLines(dest, "SELECT name FROM items WHERE id = 7001") ==
        std::vector<std::string>{"before the fence"});
  CHECK(source.QueryValue("SELECT @@GLOBAL.read_only") == "1");
  CHECK_THROWS(application.Execute("INSERT INTO items VALUES (7002, 'refused', 1)"));

  // The printed undo, run as printed, lets the application write again.
  const std::string undo = "SET GLOBAL read_only = OFF";
  CHECK(final.output.find("to undo: " + undo) != std::string::npos);
  source.Exec(undo);
  CHECK(source.QueryValue("SELECT @@GLOBAL.read_only") == "0");
  application.Execute("INSERT INTO items VALUES (7003, 'after the undo', 1)");
  CHECK(source.QueryValue("SELECT count(*) FROM items WHERE id IN (7002, 7003)") == "1");
}

TEST_CASE(
    "a tracked sync finds rows by text keys that need quoting and by composite keys of "
    "several types",
    "[sync]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "sync_keys_src");
      TestDatabase dest(db, "sync_keys_dst");
      // Keys that an array constant or a VALUES list must quote or type right: commas, quotes,
      // braces, backslashes, spaces, the word NULL; a date and a text in a composite key.
      source.Exec(
          "CREATE TABLE tags (tag VARCHAR(20) PRIMARY KEY, n INTEGER);\n"
          "INSERT INTO tags VALUES ('a,b', 1), ('q\"uote', 2), ('back\\slash', 3), ('{brace}', 4), "
          "(' lead', 5), ('NULL', 6), ('it''s', 7), ('plain', 8);\n"
          "CREATE TABLE visits (site VARCHAR(20) NOT NULL, day DATE NOT NULL, n INTEGER NOT "
          "NULL, hits INTEGER, PRIMARY KEY (site, day, n));\n"
          "INSERT INTO visits VALUES ('x', '2024-01-01', 1, 10), ('x', '2024-01-02', 1, 20), "
          "('y,z', '2024-01-01', 2, 30), ('y,z', '2024-01-03', 1, 40)");
      CopyAndTrack(source, dest);
      source.Exec(
          "UPDATE tags SET n = n + 100 WHERE tag IN ('a,b', 'q\"uote', 'back\\slash', ' lead');\n"
          "DELETE FROM tags WHERE tag IN ('{brace}', 'NULL', 'it''s');\n"
          "INSERT INTO tags VALUES ('new}\"', 9);\n"
          "UPDATE visits SET hits = hits + 1 WHERE site = 'x';\n"
          "DELETE FROM visits WHERE site = 'y,z' AND day = '2024-01-01';\n"
          "INSERT INTO visits VALUES ('y,z', '2024-01-04', 3, 50)");
      FerryResult sync = RunFerry(SyncArgs(source, dest));
      INFO(sync.output);
      REQUIRE(sync.exit_code == 0);
      CHECK(sync.output.find("tags: inserted 1, updated 4, deleted 3") != std::string::npos);
      CHECK(sync.output.find("visits: inserted 1, updated 2, deleted 1") != std::string::npos);
      const std::string tags = "SELECT tag, n FROM tags ORDER BY n";
      CHECK(RowLines(dest, tags) == RowLines(source, tags));
      const std::string visits = "SELECT site, day, n, hits FROM visits ORDER BY hits";
      CHECK(RowLines(dest, visits) == RowLines(source, visits));
    }
  }
}

namespace {

// Two writers changing the source until told to stop, in small transactions that overlap (each
// sleeps between its statements), so change-log numbers are taken in one order and committed in
// another: the case the sync's stable sequence exists for.
class Writers {
 public:
  explicit Writers(TestDatabase& db) : db_(db) {
    for (int w = 0; w < 2; ++w) threads_.emplace_back([this, w] { Loop(w); });
  }
  ~Writers() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int transactions() const { return done_; }

 private:
  void Loop(int w) {
    std::mt19937 random(uint32_t(w + 1));
    const bool pg = db_.db() == Db::kPostgres;
    const std::string sleep = pg ? "SELECT pg_sleep(0.01)" : "DO SLEEP(0.01)";
    auto insert = [&](int id) {
      const std::string row = "(" + std::to_string(id) + ", 'w" + std::to_string(w) + "', " +
                              std::to_string(random() % 100) + ")";
      return pg ? "INSERT INTO items VALUES " + row + " ON CONFLICT DO NOTHING"
                : "INSERT IGNORE INTO items VALUES " + row;
    };
    while (!stop_) {
      const int a = int(random() % 300) + 1, b = int(random() % 300) + 1;
      // A row no later transaction touches: if its change-log entry were skipped, it would be
      // missing at the destination for good.
      const int fresh = 100000 * (w + 1) + done_by_[w]++;
      const std::string sql =
          std::string(pg ? "BEGIN" : "START TRANSACTION") + ";\n" + insert(fresh) + ";\n" + sleep +
          ";\n" + insert(a) + ";\n" + sleep +
          ";\nUPDATE items SET qty = " + std::to_string(random() % 1000) +
          " WHERE id = " + std::to_string(b) +
          ";\nDELETE FROM items WHERE id = " + std::to_string(int(random() % 300) + 1) + ";\n" +
          sleep +
          ";\nUPDATE items SET id = " + std::to_string(int(random() % 300) + 1000 * (w + 1)) +
          " WHERE id = " + std::to_string(a) + ";\nCOMMIT";
      try {
        db_.Exec(sql);
        ++done_;
      } catch (const std::exception&) {
        // A key collision between the writers: that transaction rolls back, as in any app.
      }
    }
  }

  TestDatabase& db_;
  std::atomic<bool> stop_{false};
  std::atomic<int> done_{0};
  int done_by_[2] = {0, 0};  // each writer's own count
  std::vector<std::thread> threads_;
};

}  // namespace

TEST_CASE(
    "a source written to throughout the copy and several syncs ends equal to the "
    "destination after a final sync",
    "[sync]") {
  const std::vector<std::pair<Db, Db>> pairs = {{Db::kPostgres, Db::kMariaDB},
                                                {Db::kMariaDB, Db::kPostgres}};
  for (auto [from, to] : pairs) {
    DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
      TestDatabase source(from, "sync_live_src");
      TestDatabase dest(to, "sync_live_dst");
      CreateItems(source, 300);
      REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
      Writers writers(source);
      FerryResult run = RunFerry("run" + Ends(source, dest) + " --quiet");
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      for (int i = 0; i < 5; ++i) {
        FerryResult sync = RunFerry(SyncArgs(source, dest) + " --keys-per-batch 20");
        INFO(sync.output);
        REQUIRE(sync.exit_code == 0);
      }
      writers.Stop();
      CHECK(writers.transactions() > 10);
      FerryResult last = RunFerry(SyncArgs(source, dest));
      INFO(last.output);
      REQUIRE(last.exit_code == 0);
      CHECK(Items(dest) == Items(source));
    }
  }
}

TEST_CASE(
    "a change whose transaction is still open when a sync starts is not skipped: the sync "
    "keeps it as a gap for the next sync",
    "[sync]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "sync_open_src");
      TestDatabase dest(Db::kPostgres, "sync_open_dst");
      CreateItems(source, 10);
      CopyAndTrack(source, dest);
      // The open transaction takes the lower change-log number, a later one commits first with a
      // higher number: a sync reading the log now must not move past the open one's number for
      // good: it keeps it as a gap, applied by the sync after the commit.
      ferry::odbc::Connection open(source.Odbc(), "open transaction");
      open.Execute(db == Db::kPostgres ? "BEGIN" : "START TRANSACTION");
      open.Execute("INSERT INTO items VALUES (500, 'open', 5)");
      source.Exec("INSERT INTO items VALUES (501, 'committed', 6)");
      FerryResult sync;
      std::thread syncing([&] { sync = RunFerry(SyncArgs(source, dest)); });
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      open.Execute("COMMIT");
      syncing.join();
      INFO(sync.output);
      REQUIRE(sync.exit_code == 0);
      FerryResult again = RunFerry(SyncArgs(source, dest));
      INFO(again.output);
      REQUIRE(again.exit_code == 0);
      CHECK(Items(dest) == Items(source));
    }
  }
}

TEST_CASE("ferry check recommends how each table should be synced", "[sync]") {
  TestDatabase source(Db::kSQLite, "sync_check_src");
  TestDatabase dest(Db::kSQLite, "sync_check_dst");
  source.Exec(
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, updated_at TIMESTAMP);\n"
      "CREATE TABLE events (at TIMESTAMP, what TEXT)");
  FerryResult check = RunFerry("check" + Ends(source, dest));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.find("sync: tracked: ferry track enable before the copy") !=
        std::string::npos);
  CHECK(check.output.find("--watermark updated_at without touching the source, but deletes are "
                          "not seen") != std::string::npos);
  CHECK(check.output.find("sync: diff: no key") != std::string::npos);
}

TEST_CASE(
    "a job file's per-table watermark syncs that table by it and the others by their change "
    "logs",
    "[sync]") {
  TestDatabase source(Db::kMariaDB, "sync_job_src");
  TestDatabase dest(Db::kPostgres, "sync_job_dst");
  CreateItems(source, 10);
  source.Exec(
      "CREATE TABLE prices (id INTEGER PRIMARY KEY, price INTEGER, version BIGINT NOT NULL);\n"
      "INSERT INTO prices VALUES (1, 10, 1), (2, 20, 2)");
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --quiet");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url()) + " --include items")
              .exit_code == 0);
  const std::string job = "/tmp/ferry-sync-test-" + std::to_string(getpid()) + ".yaml";
  {
    std::ofstream out(job);
    out << "tables:\n  - match: prices\n    watermark: version\n";
  }
  source.Exec(
      "UPDATE items SET qty = 0 WHERE id = 1;\n"
      "UPDATE prices SET price = 21, version = 3 WHERE id = 2");
  FerryResult sync = RunFerry(SyncArgs(source, dest) + " --job " + ShellQuote(job));
  std::remove(job.c_str());
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  CHECK(sync.output.find("items: inserted 0, updated 1, deleted 0") != std::string::npos);
  CHECK(sync.output.find("prices: watermark version: upserted 2") != std::string::npos);
  CHECK(Items(dest) == Items(source));
  CHECK(RowLines(dest, "SELECT id, price FROM prices ORDER BY id") ==
        std::vector<std::string>{"1|10", "2|21"});
}

TEST_CASE("a diff sync finds inserts, updates and deletes without touching the source", "[sync]") {
  TestDatabase source(Db::kPostgres, "sync_diff_src");
  TestDatabase dest(Db::kMariaDB, "sync_diff_dst");
  CreateItems(source, 100);
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --quiet");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> objects = SourceObjects(source);
  source.Exec(
      "INSERT INTO items VALUES (1000, 'new', 1);\n"
      "UPDATE items SET name = 'changed' WHERE id = 5;\n"
      "DELETE FROM items WHERE id = 6");
  FerryResult sync = RunFerry(SyncArgs(source, dest) + " --diff");
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  CHECK(sync.output.find("diff: inserted 1, updated 1, deleted 1") != std::string::npos);
  CHECK(Items(dest) == Items(source));
  CHECK(SourceObjects(source) == objects);
  FerryResult again = RunFerry(SyncArgs(source, dest) + " --diff");
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(again.output.find("diff: inserted 0, updated 0, deleted 0") != std::string::npos);
}

TEST_CASE(
    "sync state lives with the run state, and sync state an older ferry left among the "
    "application's tables is moved there without losing a position",
    "[sync][state]") {
  TestDatabase source(Db::kPostgres, "syncplace_src");
  TestDatabase dest(Db::kPostgres, "syncplace_dst");
  CreateItems(source, 200);
  CopyAndTrack(source, dest);
  auto ferry_tables_in = [&](const std::string& schema) {
    return dest.QueryValue("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" +
                           schema + "' AND table_name LIKE 'ferry\\_%'");
  };
  FerryResult first = RunFerry(SyncArgs(source, dest));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(ferry_tables_in("public") == "0");
  const std::string identity =
      dest.QueryValue("SELECT position FROM ferry_state.ferry_sync_state WHERE mode = 'identity'");
  CHECK(identity.size() == 32);

  // Where an older ferry kept it: among the application's tables.
  dest.Exec("ALTER TABLE ferry_state.ferry_sync_state SET SCHEMA public");
  Change(source);
  FerryResult moved = RunFerry(SyncArgs(source, dest));
  INFO(moved.output);
  REQUIRE(moved.exit_code == 0);
  // The positions came along: only the changes since are applied, under the same identity.
  CHECK(moved.output.find("inserted 3, updated 12, deleted 6") != std::string::npos);
  CHECK(Items(dest) == Items(source));
  CHECK(ferry_tables_in("public") == "0");
  CHECK(dest.QueryValue("SELECT position FROM ferry_state.ferry_sync_state WHERE mode = "
                        "'identity'") == identity);
  FerryResult again = RunFerry(SyncArgs(source, dest));
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(again.output.find("inserted 0, updated 0, deleted 0") != std::string::npos);
}
