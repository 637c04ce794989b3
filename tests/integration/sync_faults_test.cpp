// Faults and mistakes around ferry sync (issue 12), on the real servers, each checked against the
// source row by row by the test itself: one tracked source synced into two destinations (the
// change log waits for both; a consumer unregistered and then behind is refused, never fed a
// gap); a gap in a change log (tracking disabled and enabled again) refused with exit 7 while the
// other tables sync, until the table is copied again; schema drift refused per table unless
// applied on request; a keyless table synced by diff beside a tracked one; SIGTERM and SIGINT
// during a sync (batch rolled back, exit 5, recorded as interrupted); a sync whose process died
// shown as interrupted.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <thread>

#include "drivers/odbc/connection.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

FerryResult Ferry(const std::string& args) {
  FerryResult r = RunFerry(args);
  UNSCOPED_INFO("ferry " << args.substr(0, args.find(' ')) << " -> " << r.exit_code << "\n"
                         << r.output);
  return r;
}

void Track(TestDatabase& source, const std::string& action, const std::string& extra = "") {
  FerryResult r = Ferry("track " + action + " --source " + ShellQuote(source.Url()) + extra);
  REQUIRE(r.exit_code == 0);
}

void Copy(TestDatabase& source, TestDatabase& dest, const std::string& extra = "") {
  FerryResult r = Ferry("run" + Ends(source, dest) + " --quiet" + extra);
  REQUIRE(r.exit_code == 0);
}

// The copy a refused sync waits for. Run state is timed to the second, and only a copy of a
// later second than the refusal counts (one of the same second may have come before it), so a
// second passes first, as it does when a person reads the refusal and acts on it.
void CopyAfterRefusal(TestDatabase& source, TestDatabase& dest, const std::string& extra) {
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Copy(source, dest, extra);
}

// The destination's identity as a consumer of change logs.
std::string ConsumerId(TestDatabase& dest) {
  return dest.QueryValue("SELECT position FROM ferry_sync_state WHERE mode = 'identity'");
}

}  // namespace

TEST_CASE(
    "one tracked source synced into two destinations loses no change in either: the log waits "
    "for both, and an unregistered destination left behind is refused, never fed a gap",
    "[sync][consumers]") {
  for (Db from : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(from) << " source") {
      TestDatabase source(from, "cons_src");
      TestDatabase one(Db::kPostgres, "cons_one");
      TestDatabase two(Db::kMariaDB, "cons_two");
      CreateItems(source, 200);
      Track(source, "enable");
      Copy(source, one);
      Copy(source, two);
      // Interleaved: each sync purges what it applied, but only below what the other applied.
      source.Exec("UPDATE items SET qty = -1 WHERE id <= 40;\nDELETE FROM items WHERE id > 190");
      REQUIRE(Ferry("sync" + Ends(source, one)).exit_code == 0);
      source.Exec(
          "UPDATE items SET name = 'second' WHERE id BETWEEN 30 AND 60;\n"
          "INSERT INTO items VALUES (500, 'new', 5)");
      REQUIRE(Ferry("sync" + Ends(source, two)).exit_code == 0);
      source.Exec(
          "DELETE FROM items WHERE id BETWEEN 50 AND 55;\n"
          "UPDATE items SET qty = 3 WHERE id = 500");
      REQUIRE(Ferry("sync" + Ends(source, one)).exit_code == 0);
      REQUIRE(Ferry("sync" + Ends(source, two)).exit_code == 0);
      CHECK(Items(one) == Items(source));
      CHECK(Items(two) == Items(source));

      // Both destinations are listed as consumers, by the identity each keeps.
      FerryResult status = Ferry("track status --source " + ShellQuote(source.Url()));
      CHECK(Has(status, "consumer " + ConsumerId(one)));
      CHECK(Has(status, "consumer " + ConsumerId(two)));

      // A destination that is gone is unregistered, so the log stops waiting for it ...
      FerryResult gone = Ferry("track unregister --source " + ShellQuote(source.Url()) +
                               " --consumer " + ConsumerId(two));
      REQUIRE(gone.exit_code == 0);
      CHECK(Has(gone, "unregistered"));
      CHECK_FALSE(Has(Ferry("track status --source " + ShellQuote(source.Url())),
                      "consumer " + ConsumerId(two)));
      source.Exec("UPDATE items SET qty = 77 WHERE id BETWEEN 100 AND 110");
      REQUIRE(Ferry("sync" + Ends(source, one)).exit_code == 0);
      source.Exec("UPDATE items SET qty = 78 WHERE id = 120");
      // ... and if it comes back, the entries it missed are gone: refused, not synced with a gap.
      FerryResult behind = Ferry("sync" + Ends(source, two));
      CHECK(behind.exit_code == 7);
      CHECK(Has(behind, "purged"));
      CHECK(Has(behind, "ferry run --truncate --include"));
      CHECK(Items(two) != Items(source));
      // A second try still waits for the copy; after it, sync goes on from there.
      CHECK(Ferry("sync" + Ends(source, two)).exit_code == 7);
      CopyAfterRefusal(source, two, " --truncate --include items");
      source.Exec("UPDATE items SET qty = 79 WHERE id = 121");
      REQUIRE(Ferry("sync" + Ends(source, two)).exit_code == 0);
      CHECK(Items(two) == Items(source));
      REQUIRE(Ferry("sync" + Ends(source, one)).exit_code == 0);
      CHECK(Items(one) == Items(source));
    }
  }
}

TEST_CASE(
    "a gap in a change log (tracking disabled, changes, enabled again) makes sync refuse that "
    "table with exit 7 and name it, while the other tables sync, and a copy of it ends the refusal",
    "[sync][generation]") {
  for (Db from : kAllDbs) {
    DYNAMIC_SECTION(DbName(from) << " source") {
      TestDatabase source(from, "gap_src");
      TestDatabase dest(from == Db::kPostgres ? Db::kMariaDB : Db::kPostgres, "gap_dst");
      CreateItems(source, 200);
      source.Exec(
          "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(20));\n"
          "INSERT INTO notes VALUES (1, 'a'), (2, 'b')");
      Track(source, "enable");
      Copy(source, dest);
      source.Exec("UPDATE items SET qty = 1 WHERE id = 1");
      REQUIRE(Ferry("sync" + Ends(source, dest)).exit_code == 0);

      Track(source, "disable", " --include items");
      source.Exec(
          "UPDATE items SET qty = -5 WHERE id <= 100;\n"
          "DELETE FROM items WHERE id > 150");  // 100 updates, 50 deletes, unlogged
      Track(source, "enable", " --include items");
      source.Exec(
          "UPDATE items SET name = 'logged' WHERE id BETWEEN 101 AND 110;\n"
          "UPDATE notes SET body = 'changed' WHERE id = 2");
      FerryResult gap = Ferry("sync" + Ends(source, dest));
      CHECK(gap.exit_code == 7);
      CHECK(Has(gap, "items: COPY AGAIN"));
      CHECK(Has(gap, "disabled and enabled again"));
      CHECK(Has(gap, "ferry run --truncate --include"));
      CHECK(RowLines(dest, "SELECT id, body FROM notes ORDER BY id") ==
            RowLines(source, "SELECT id, body FROM notes ORDER BY id"));
      CHECK(Items(dest) != Items(source));

      FerryResult waiting = Ferry("sync" + Ends(source, dest));
      CHECK(waiting.exit_code == 7);
      CHECK(Has(waiting, "still waiting for a full copy"));
      CopyAfterRefusal(source, dest, " --truncate --include items");
      source.Exec("UPDATE items SET qty = 9 WHERE id = 3");
      FerryResult after = Ferry("sync" + Ends(source, dest));
      REQUIRE(after.exit_code == 0);
      CHECK(Items(dest) == Items(source));
    }
  }
}

TEST_CASE(
    "schema drift between copy and sync is refused for that table, naming its columns, while "
    "the other tables sync, and --apply-schema-changes adds and drops columns and fills them",
    "[sync][drift]") {
  for (Db from : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(from) << " source") {
      TestDatabase source(from, "drift_src");
      TestDatabase dest(from, "drift_dst");
      CreateItems(source, 50);
      source.Exec(
          "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(20));\n"
          "INSERT INTO notes VALUES (1, 'a'), (2, 'b')");
      Track(source, "enable");
      Copy(source, dest);
      const std::string notes = "SELECT id, body FROM notes ORDER BY id";

      // A column dropped at the source.
      source.Exec(
          "ALTER TABLE items DROP COLUMN qty;\nUPDATE items SET name = 'x' WHERE id = 1;\n"
          "UPDATE notes SET body = 'one' WHERE id = 1");
      FerryResult dropped = Ferry("sync" + Ends(source, dest));
      CHECK(dropped.exit_code == 1);
      CHECK(Has(dropped, "schema drift"));
      CHECK(Has(dropped, "column(s) qty of destination table"));
      CHECK(RowLines(dest, notes) == RowLines(source, notes));
      FerryResult applied = Ferry("sync" + Ends(source, dest) + " --apply-schema-changes");
      REQUIRE(applied.exit_code == 0);
      CHECK(Has(applied, "dropped column(s) qty"));
      const std::string items = "SELECT * FROM items ORDER BY id";
      CHECK(RowLines(dest, items) == RowLines(source, items));

      // A column added (with values) and one renamed at the source.
      source.Exec(std::string("ALTER TABLE items ADD COLUMN color VARCHAR(10) DEFAULT 'red';\n") +
                  (from == Db::kPostgres ? "ALTER TABLE items RENAME COLUMN name TO title"
                                         : "ALTER TABLE items CHANGE name title VARCHAR(40) NOT "
                                           "NULL") +
                  ";\nUPDATE notes SET body = 'two' WHERE id = 2");
      FerryResult added = Ferry("sync" + Ends(source, dest));
      CHECK(added.exit_code == 1);
      CHECK(Has(added, "are at the source but not in destination table"));
      CHECK(Has(added, "color"));
      CHECK(Has(added, "title"));
      CHECK(Has(added, "column(s) name of destination table"));
      CHECK(RowLines(dest, notes) == RowLines(source, notes));
      REQUIRE(Ferry("sync" + Ends(source, dest) + " --apply-schema-changes").exit_code == 0);
      const std::string shaped = "SELECT id, title, color FROM items ORDER BY id";
      CHECK(RowLines(dest, shaped) == RowLines(source, shaped));

      // A column retyped at the source (bytes now, into a text column): refused even with the
      // opt-in, and the other table still syncs.
      source.Exec(std::string(from == Db::kPostgres
                                  ? "ALTER TABLE items ALTER COLUMN color DROP DEFAULT, ALTER "
                                    "COLUMN color TYPE bytea USING convert_to(color, 'UTF8')"
                                  : "ALTER TABLE items MODIFY color BLOB") +
                  ";\nUPDATE notes SET body = 'three' WHERE id = 1");
      FerryResult retyped = Ferry("sync" + Ends(source, dest) + " --apply-schema-changes");
      CHECK(retyped.exit_code == 1);
      CHECK(Has(retyped, "changed type"));
      CHECK(Has(retyped, "color ("));
      CHECK(RowLines(dest, notes) == RowLines(source, notes));
    }
  }
}

TEST_CASE(
    "a plain sync with a keyless table in scope syncs it by diff, duplicates included, beside "
    "the tracked tables",
    "[sync][keyless]") {
  const std::vector<std::pair<Db, Db>> pairs = {{Db::kPostgres, Db::kMariaDB},
                                                {Db::kMariaDB, Db::kPostgres}};
  for (auto [from, to] : pairs) {
    DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
      TestDatabase source(from, "keyless_src");
      TestDatabase dest(to, "keyless_dst");
      CreateItems(source, 30);
      source.Exec(
          "CREATE TABLE events (kind VARCHAR(10), n INTEGER);\n"
          "INSERT INTO events VALUES ('a', 1), ('a', 1), ('b', 2), ('c', NULL), ('d', 4)");
      Track(source, "enable", " --include items");
      Copy(source, dest);
      source.Exec(
          "DELETE FROM events WHERE kind IN ('b', 'd');\n"
          "INSERT INTO events VALUES ('a', 1), ('e', 5), ('e', 5);\n"
          "UPDATE items SET qty = 0 WHERE id <= 3");
      FerryResult sync = Ferry("sync" + Ends(source, dest));
      REQUIRE(sync.exit_code == 0);
      CHECK(Has(sync, "events: diff"));
      const std::string events = "SELECT kind, n FROM events ORDER BY kind, n";
      CHECK(RowLines(dest, events) == RowLines(source, events));
      CHECK(Items(dest) == Items(source));
      // Nothing differs now: nothing is rewritten.
      FerryResult again = Ferry("sync" + Ends(source, dest));
      REQUIRE(again.exit_code == 0);
      CHECK(Has(again, "events: diff: inserted 0, updated 0, deleted 0"));
    }
  }
}

TEST_CASE(
    "SIGTERM or SIGINT during a sync rolls back the batch in flight, exits 5 and records the "
    "sync as interrupted, and the next sync is exact",
    "[sync][signal]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      const int signal = db == Db::kPostgres ? SIGTERM : SIGINT;
      TestDatabase source(db, "sig_src");
      TestDatabase dest(db, "sig_dst");
      CreateItems(source, 100);
      Track(source, "enable");
      Copy(source, dest);
      const std::vector<std::string> copied = Items(dest);
      source.Exec(
          "UPDATE items SET qty = 1 WHERE id BETWEEN 10 AND 20;\n"
          "DELETE FROM items WHERE id > 90");
      // A destination session holds a row the sync's batch deletes, so the batch is in flight
      // (its transaction open, waiting for the row lock) when the signal arrives.
      ferry::odbc::Connection blocker(dest.Odbc(), "blocker");
      blocker.Execute(db == Db::kPostgres ? "BEGIN" : "START TRANSACTION");
      blocker.Execute("UPDATE items SET name = name WHERE id = 95");
      FerryResult sync;
      std::exception_ptr failed;
      std::thread runner([&] {
        try {
          sync = RunFerry("sync" + Ends(source, dest));
        } catch (...) {
          failed = std::current_exception();
        }
      });
      pid_t pid = 0;
      for (int i = 0; i < 300 && pid == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        pid = FerryPid(dest);
      }
      // Until the batch waits on the row.
      bool waiting = false;
      for (int i = 0; i < 200 && !waiting && pid != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        waiting = std::stoi(dest.QueryValue(
                      db == Db::kPostgres
                          ? "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND wait_event_type = 'Lock'"
                          : "SELECT count(*) FROM information_schema.processlist WHERE db = "
                            "DATABASE() AND id <> CONNECTION_ID() AND (state LIKE '%lock%' OR "
                            "state LIKE 'Waiting%' OR (command = 'Query' AND time >= 1))")) > 0;
      }
      if (pid != 0) kill(pid, signal);
      // ferry notices the signal within half a second; the batch is still waiting then.
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      blocker.Execute("ROLLBACK");
      runner.join();
      if (failed) std::rethrow_exception(failed);
      INFO(sync.output);
      REQUIRE(pid != 0);
      CHECK(waiting);
      CHECK(sync.exit_code == 5);
      CHECK(Has(sync, "interrupted"));
      CHECK(Items(dest) == copied);  // the batch in flight was rolled back
      FerryResult status = Ferry("status --dest " + ShellQuote(dest.Url()));
      CHECK(Has(status, "sync    interrupted"));
      FerryResult again = Ferry("sync" + Ends(source, dest));
      REQUIRE(again.exit_code == 0);
      CHECK(Items(dest) == Items(source));
    }
  }
}

TEST_CASE("a sync whose process died is shown as interrupted, never as running", "[sync][signal]") {
  TestDatabase source(Db::kPostgres, "dead_src");
  TestDatabase dest(Db::kPostgres, "dead_dst");
  CreateItems(source, 50);
  Track(source, "enable");
  Copy(source, dest);
  source.Exec("UPDATE items SET qty = 2 WHERE id <= 20");
  // Runs are ordered by their start to the second: the sync is to be the newest, which status
  // details.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  setenv("FERRY_TEST_CRASH", "after-commit:1", 1);
  FerryResult killed = RunFerry("sync" + Ends(source, dest) + " --keys-per-batch 5");
  unsetenv("FERRY_TEST_CRASH");
  INFO(killed.output);
  REQUIRE(killed.exit_code == 86);
  FerryResult status = Ferry("status --dest " + ShellQuote(dest.Url()));
  CHECK(status.exit_code == 0);
  CHECK(Has(status, "sync    interrupted"));
  CHECK_FALSE(Has(status, "running"));
  CHECK(Has(status, "ferry sync"));
  REQUIRE(Ferry("sync" + Ends(source, dest)).exit_code == 0);
  CHECK(Items(dest) == Items(source));
}
