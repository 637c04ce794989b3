// A change log read without waiting for its writers (copier/log_gaps.hpp), on MariaDB and
// PostgreSQL, whose log numbers are both taken at write time and seen at commit: a change
// whose transaction is still open when a sync reads the log leaves a gap below the log's end;
// the sync applies what is committed, keeps the gap with its position, applies the gap's entry
// on a later sync once the transaction committed, and drops the gap once it rolled back. The log
// is never purged at or above a pending gap.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "drivers/odbc/connection.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

FerryResult Sync(TestDatabase& source, TestDatabase& dest) {
  FerryResult sync = RunFerry("sync" + Ends(source, dest));
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  return sync;
}

// The destination's sync position for items ("<generation>/<applied>[ gaps ...]").
std::string Position(TestDatabase& dest) {
  return dest.QueryValue(
      "SELECT position FROM ferry_state.ferry_sync_state WHERE dest_name = 'items'");
}

int64_t Number(TestDatabase& db, const std::string& sql) {
  const std::string v = db.QueryValue(sql);
  return v.empty() ? 0 : std::stoll(v);
}

bool Has(TestDatabase& db, int id) {
  return Number(db, "SELECT count(*) FROM items WHERE id = " + std::to_string(id)) == 1;
}

}  // namespace

namespace {

void GapCases(Db db) {
  const char* begin = db == Db::kPostgres ? "BEGIN" : "START TRANSACTION";
  TestDatabase source(db, "sync_gap_src");
  TestDatabase dest(Db::kPostgres, "sync_gap_dst");
  CreateItems(source, 10);
  REQUIRE(RunFerry("run" + Ends(source, dest) + " --quiet").exit_code == 0);
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
  const std::string log = "ferry_log_items";
  const auto sequence_of = [&](int id) {
    return Number(source, "SELECT ferry_seq FROM " + log + " WHERE id = " + std::to_string(id));
  };

  SECTION("committed later") {
    // The open transaction takes the lower log number; a later one commits first.
    ferry::odbc::Connection open(source.Odbc(), "open transaction");
    open.Execute(begin);
    open.Execute("INSERT INTO items VALUES (500, 'open', 5)");
    source.Exec("INSERT INTO items VALUES (501, 'committed', 6)");
    const auto start = std::chrono::steady_clock::now();
    Sync(source, dest);
    // Not behind the open transaction: a sync that waited would wait until it ends.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
    CHECK(Has(dest, 501));
    CHECK_FALSE(Has(dest, 500));
    const int64_t missing = sequence_of(501) - 1;
    CHECK(Position(dest).find(" gaps " + std::to_string(missing) + "-" + std::to_string(missing)) !=
          std::string::npos);
    // Another destination's consumer would let the purge go further: this one holds it below
    // the gap.
    source.Exec("UPDATE items SET qty = 7 WHERE id = 1");
    Sync(source, dest);
    CHECK(Number(source, "SELECT purged_below FROM ferry_tracking WHERE table_name = 'items'") <
          missing);
    CHECK_FALSE(Has(dest, 500));
    open.Execute("COMMIT");
    Sync(source, dest);
    CHECK(Has(dest, 500));
    CHECK(Position(dest).find(" gaps ") == std::string::npos);
    CHECK(Items(dest) == Items(source));
  }

  SECTION("rolled back") {
    ferry::odbc::Connection open(source.Odbc(), "open transaction");
    open.Execute(begin);
    open.Execute("INSERT INTO items VALUES (600, 'never', 5)");
    source.Exec("INSERT INTO items VALUES (601, 'committed', 6)");
    Sync(source, dest);
    const int64_t missing = sequence_of(601) - 1;
    CHECK(Position(dest).find(" gaps ") != std::string::npos);
    open.Execute("ROLLBACK");
    source.Exec("UPDATE items SET qty = 8 WHERE id = 2");
    // The transaction ended and its number never appears: the gap goes, and the purge passes it.
    // Every transaction that had written when the gap was seen is kept with it; on a server
    // other sessions write to as well, one of theirs may still be open for a while.
    Sync(source, dest);
    for (int i = 0; i < 30 && Position(dest).find(" gaps ") != std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      Sync(source, dest);
    }
    CHECK(Position(dest).find(" gaps ") == std::string::npos);
    source.Exec("UPDATE items SET qty = 9 WHERE id = 3");
    Sync(source, dest);
    CHECK(Number(source, "SELECT purged_below FROM ferry_tracking WHERE table_name = 'items'") >
          missing);
    CHECK(Items(dest) == Items(source));
  }
}

}  // namespace

TEST_CASE(
    "a change whose transaction is open while a sync reads the log is kept as a gap, applied once "
    "it commits, and dropped once it rolled back, and the log is not purged above it meanwhile "
    "(MariaDB and PostgreSQL)",
    "[sync][gaps][mariadb][postgresql]") {
  for (Db db : {Db::kMariaDB, Db::kPostgres}) {
    DYNAMIC_SECTION(DbName(db)) {
      GapCases(db);
    }
  }
}

namespace {

// Another session reading information_schema.INNODB_TRX every few milliseconds, from its start
// until Stop. InnoDB makes that table's copy of the transactions anew only once nobody has read
// it for 100 ms (CACHE_MIN_IDLE_TIME in trx0i_s.cc): meanwhile everyone reads the copy made at
// the first read, which shows none of the transactions begun since.
class TransactionListReader {
 public:
  explicit TransactionListReader(TestDatabase& db)
      : connection_(db.Odbc(), "INNODB_TRX reader"), thread_([this] {
          while (!stop_) {
            connection_.Query("SELECT count(*) FROM information_schema.INNODB_TRX");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }) {}
  ~TransactionListReader() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  ferry::odbc::Connection connection_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE(
    "a change whose transaction opened after MariaDB last made its list of transactions is not "
    "taken for rolled back by a sync that reads the log meanwhile: it is applied once it commits",
    "[sync][gaps][mariadb]") {
  TestDatabase source(Db::kMariaDB, "sync_stale_src");
  TestDatabase dest(Db::kPostgres, "sync_stale_dst");
  CreateItems(source, 10);
  REQUIRE(RunFerry("run" + Ends(source, dest) + " --quiet").exit_code == 0);
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
  ferry::odbc::Connection open(source.Odbc(), "open transaction");
  TransactionListReader reader(source);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // its copy made
  open.Execute("START TRANSACTION");
  open.Execute("INSERT INTO items VALUES (700, 'late', 5)");
  source.Exec("INSERT INTO items VALUES (701, 'committed', 6)");
  // The open transaction commits while the sync runs, or after it.
  std::thread commit([&] {
    std::this_thread::sleep_for(std::chrono::seconds(5));
    open.Execute("COMMIT");
  });
  FerryResult first = RunFerry("sync" + Ends(source, dest));
  commit.join();
  reader.Stop();
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  Sync(source, dest);
  CHECK(Has(dest, 700));
  CHECK(Has(dest, 701));
  CHECK(Items(dest) == Items(source));
}
