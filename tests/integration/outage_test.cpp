// A server going away in the middle of a command, as a restart or failover looks to ferry: a TCP
// proxy between ferry and one of the test servers (which are shared, so never restarted) cuts
// every open connection when ferry sends a given statement and refuses new ones for a few
// seconds. Whatever happens, ferry never hangs (each process is killed after a bound and that
// counts as a failure) and never exits 0 with a wrong result: it rides the outage out and ends
// exact, or it fails naming the server, with a documented exit code and its run recorded so
// that a --resume (or the command run again) ends exact.
#include <signal.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/same_tables.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"

using namespace ferry::test;

namespace {

using namespace std::chrono_literals;

constexpr auto kOutage = 4s;
// Far beyond any run here (seconds): a process still there by then hangs.
constexpr auto kHang = std::chrono::seconds(240);

void Seed(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE events (id integer NOT NULL, v text NOT NULL);\n"
      "INSERT INTO events SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 30000) g;\n"
      "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 60000) g;\n"
      "ANALYZE");
}

void CheckSame(TestDatabase& source, TestDatabase& dest) {
  CheckTablesSame(source, dest, {"events", "big"});
}

struct Ended {
  int exit_code = -1;
  std::string output;
};

// Runs ferry with `args` in the background and waits for it, killing it after kHang.
Ended RunBounded(const std::string& args, const TempDir& dir, const std::string& name) {
  WorkerProcess ferry("exec " + ShellQuote(FerryBinary()) + " " + args,
                      std::filesystem::path(dir.path()) / (name + ".log"));
  Ended out;
  out.exit_code = ferry.Wait(kHang);
  out.output = ferry.Output();
  return out;
}

std::string RunStatus(const TestDatabase& dest) {
  FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  return nlohmann::json::parse(status.output)["run"]["status"];
}

// A copy through the proxy (at the source or the destination) meets the outage: it ends exact at
// once, or fails clearly and resumably and its --resume ends exact.
void CopyThroughOutage(TestDatabase& source, TestDatabase& dest, TcpProxy& proxy,
                       const std::string& ends, const std::string& server) {
  TempDir dir;
  const std::string args =
      "run" + ends + " --partitions 16 --batch-rows 1000 --readers 2 --writers 2";
  Ended run = RunBounded(args, dir, "run");
  INFO(run.output);
  CHECK(proxy.outages() == 1);
  REQUIRE(run.exit_code != 128 + SIGKILL);  // hung
  if (run.exit_code != 0) {
    // Tables that failed for it (1), a connection error (3), or the run stopped and recorded
    // interrupted (5), naming the server.
    CHECK((run.exit_code == 1 || run.exit_code == 3 || run.exit_code == 5));
    CHECK(run.output.find(server) != std::string::npos);
    const std::string status = RunStatus(dest);
    CHECK((status == "failed" || status == "interrupted"));
    proxy.WaitUntilBack();  // a DBA resumes once the server is back
    Ended resumed = RunBounded(args + " --resume", dir, "resume");
    INFO(resumed.output);
    CHECK(resumed.exit_code == 0);
  }
  CheckSame(source, dest);
  CHECK(RunStatus(dest) == "done");
}

}  // namespace

TEST_CASE(
    "a run whose destination goes away for seconds mid-copy ends with an exact copy, at once or "
    "after --resume",
    "[outage][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "outage_dst_src");
      TestDatabase dest(db, "outage_dst_dst");
      Seed(source);
      TcpProxy proxy(ServerPort(db));
      // At the fourth unit's commit: units in flight, some committed, the run state written.
      proxy.OutageAfter({"COMMIT"}, 3, kOutage);
      CopyThroughOutage(source, dest, proxy, Ends(source.Url(), proxy.Url(dest)),
                        "127.0.0.1:" + std::to_string(proxy.port()));
    }
  }
}

TEST_CASE(
    "a run whose source goes away for seconds mid-copy ends with an exact copy, at once or after "
    "--resume",
    "[outage][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "outage_src_src");
      TestDatabase dest(db, "outage_src_dst");
      Seed(source);
      TcpProxy proxy(ServerPort(Db::kPostgres));
      // At the fourth unit's read: the snapshot's session goes with the readers'.
      proxy.OutageAfter({"COPY"}, 3, kOutage);
      CopyThroughOutage(source, dest, proxy, Ends(proxy.Url(source), dest.Url()),
                        "127.0.0.1:" + std::to_string(proxy.port()));
    }
  }
}

namespace {

// A tracked copy of items, then changes of every kind in many batches' worth.
void TrackedCopyWithChanges(TestDatabase& source, TestDatabase& dest) {
  CreateItems(source, 3000);
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
  REQUIRE(RunFerry("run" + Ends(source.Url(), dest.Url()) + " --quiet").exit_code == 0);
  source.Exec(
      "UPDATE items SET qty = coalesce(qty, 0) + 1 WHERE id % 3 = 0;\n"
      "DELETE FROM items WHERE id % 7 = 1");
  source.Exec(source.db() == Db::kPostgres
                  ? "INSERT INTO items SELECT g, 'new ' || g, g FROM generate_series(5001, 5600) g"
                  : "INSERT INTO items SELECT seq, CONCAT('new ', seq), seq FROM seq_5001_to_5600");
}

// A sync through the proxy meets the outage: it applies everything at once, or fails clearly and
// the next sync applies what is left, exactly.
void SyncThroughOutage(TestDatabase& source, TestDatabase& dest, TcpProxy& proxy,
                       const std::string& ends) {
  TempDir dir;
  const std::string args = "sync" + ends + " --keys-per-batch 100";
  Ended sync = RunBounded(args, dir, "sync");
  INFO(sync.output);
  CHECK(proxy.outages() == 1);
  REQUIRE(sync.exit_code != 128 + SIGKILL);  // hung
  if (sync.exit_code != 0) {
    CHECK((sync.exit_code == 1 || sync.exit_code == 3 || sync.exit_code == 5));
    CHECK(sync.output.find("127.0.0.1:" + std::to_string(proxy.port())) != std::string::npos);
    proxy.WaitUntilBack();
    Ended again = RunBounded(args, dir, "again");
    INFO(again.output);
    CHECK(again.exit_code == 0);
  }
  CHECK(Items(dest) == Items(source));
}

}  // namespace

TEST_CASE(
    "a sync whose destination or source goes away for seconds mid-apply ends exact, at once or "
    "at the next sync",
    "[outage][sync][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("destination " << DbName(db) << " away") {
      TestDatabase source(Db::kPostgres, "outage_sync_src");
      TestDatabase dest(db, "outage_sync_dst");
      TrackedCopyWithChanges(source, dest);
      TcpProxy proxy(ServerPort(db));
      proxy.OutageAfter({"COMMIT"}, 2, kOutage);
      SyncThroughOutage(source, dest, proxy, Ends(source.Url(), proxy.Url(dest)));
    }
    DYNAMIC_SECTION("source " << DbName(db) << " away") {
      TestDatabase source(db, "outage_syncs_src");
      TestDatabase dest(Db::kPostgres, "outage_syncs_dst");
      TrackedCopyWithChanges(source, dest);
      TcpProxy proxy(ServerPort(db));
      proxy.OutageAfter({"ferry_log_items"}, 2, kOutage);
      SyncThroughOutage(source, dest, proxy, Ends(proxy.Url(source), dest.Url()));
    }
  }
}

TEST_CASE(
    "a verify whose destination or source goes away for seconds never reports a damaged copy "
    "identical",
    "[outage][verify][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    for (bool at_source : {false, true}) {
      DYNAMIC_SECTION((at_source ? "source away, " : "destination away, ") << DbName(db)) {
        TestDatabase source(Db::kPostgres, "outage_verify_src");
        TestDatabase dest(db, "outage_verify_dst");
        Seed(source);
        REQUIRE(RunFerry("run" + Ends(source.Url(), dest.Url()) + " --quiet").exit_code == 0);
        dest.Exec("UPDATE big SET v = 'damaged' WHERE id = 59999");
        TcpProxy proxy(ServerPort(at_source ? Db::kPostgres : db));
        proxy.OutageAfter({"big"}, 4, kOutage);
        const std::string ends =
            at_source ? Ends(proxy.Url(source), dest.Url()) : Ends(source.Url(), proxy.Url(dest));
        TempDir dir;
        Ended verify = RunBounded("verify" + ends, dir, "verify");
        INFO(verify.output);
        CHECK(proxy.outages() == 1);
        REQUIRE(verify.exit_code != 128 + SIGKILL);  // hung
        // The damage found (1), or the comparison failed naming the server (1 or 3): never 0.
        CHECK((verify.exit_code == 1 || verify.exit_code == 3));
        if (verify.output.find("59999") == std::string::npos) {
          CHECK(verify.output.find("127.0.0.1:" + std::to_string(proxy.port())) !=
                std::string::npos);
        }
        // Run again with the server back, it finds the damage.
        proxy.WaitUntilBack();
        Ended again = RunBounded("verify" + ends, dir, "again");
        INFO(again.output);
        CHECK(again.exit_code == 1);
        CHECK(again.output.find("59999") != std::string::npos);
      }
    }
  }
}
