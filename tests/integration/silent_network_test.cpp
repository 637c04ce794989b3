// A server that stops answering without closing anything, as a pulled cable, a firewall that
// drops packets or a hung proxy looks to ferry: a TCP proxy between ferry and one of the test
// servers (shared, so never touched) stops forwarding both ways and keeps every connection open;
// connections made meanwhile are accepted and get nothing. The proxy's kernel still
// acknowledges every packet, so no TCP keepalive can notice: ferry must, by asking the server
// for a new connection every --network-timeout (scheduler/server_watch.hpp). Whatever happens,
// ferry never hangs (each process is killed after a bound, which fails the test), notices
// within the documented time, and never exits 0 with a wrong result: it rides a short silence
// out, or fails with a documented exit code, its run recorded so that --resume (or the command
// run again) ends exact.
#include <signal.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/same_tables.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"

using namespace ferry::test;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Short, so the tests take seconds; the watch then asks each server every second.
const std::string kFastWatch = " --network-timeout 1";
// Longer than any silence that is meant to end: the run waits it out.
constexpr auto kShortSilence = 6s;
// A silence that does not end while ferry runs.
constexpr auto kLastingSilence = std::chrono::hours(1);
// Far beyond any run here: a process still there by then hangs.
constexpr auto kHang = std::chrono::seconds(150);
// What ferry says when it finds a server silent.
const std::string kNoticed = "did not answer a new connection within 1 s";

void Seed(TestDatabase& source) {
  if (source.db() == Db::kPostgres) {
    source.Exec(
        "CREATE TABLE events (id integer NOT NULL, v text NOT NULL);\n"
        "INSERT INTO events SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g;\n"
        "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
        "INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 40000) g");
  } else {
    source.Exec(
        "CREATE TABLE events (id integer NOT NULL, v text NOT NULL);\n"
        "INSERT INTO events SELECT seq, REPEAT(MD5(seq), 4) FROM seq_1_to_20000;\n"
        "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
        "INSERT INTO big SELECT seq, REPEAT(MD5(seq), 6) FROM seq_1_to_40000");
  }
}

struct Ended {
  int exit_code = -1;
  std::string output;
  double seconds = 0;
};

// Runs ferry with `args` in the background and waits for it, killing it after kHang.
Ended RunBounded(const std::string& args, const TempDir& dir, const std::string& name) {
  const Clock::time_point start = Clock::now();
  WorkerProcess ferry("exec " + ShellQuote(FerryBinary()) + " " + args,
                      std::filesystem::path(dir.path()) / (name + ".log"));
  Ended out;
  out.exit_code = ferry.Wait(kHang);
  out.output = ferry.Output();
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

std::string RunStatus(const TestDatabase& dest) {
  FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  return nlohmann::json::parse(status.output)["run"]["status"];
}

std::string Ends(const std::string& source, const std::string& dest) {
  return " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest);
}

std::string Server(const TcpProxy& proxy) {
  return "127.0.0.1:" + std::to_string(proxy.port());
}

// A copy through the proxy meets the silence: it notices, and ends exact at once or fails
// clearly and resumably; its --resume, once the network speaks again, ends exact.
void CopyThroughSilence(TestDatabase& source, TestDatabase& dest, TcpProxy& proxy,
                        const std::string& ends, const std::string& extra) {
  TempDir dir;
  const std::string args = "run" + ends +
                           " --partitions 16 --batch-rows 1000 --readers 2 --writers 2" +
                           kFastWatch + extra;
  Ended run = RunBounded(args, dir, "run");
  INFO(run.output);
  CHECK(proxy.silences() == 1);
  REQUIRE(run.exit_code != 128 + SIGKILL);  // hung
  CHECK(run.output.find(kNoticed) != std::string::npos);
  if (run.exit_code != 0) {
    // Tables that failed for it (1), a connection error (3), or the run stopped and recorded
    // interrupted (5), naming the server.
    CHECK((run.exit_code == 1 || run.exit_code == 3 || run.exit_code == 5));
    CHECK(run.output.find(Server(proxy)) != std::string::npos);
    proxy.Speak();  // a DBA resumes once the network is back
    const std::string status = RunStatus(dest);
    CHECK((status == "failed" || status == "interrupted"));
    Ended resumed = RunBounded(args + " --resume", dir, "resume");
    INFO(resumed.output);
    CHECK(resumed.exit_code == 0);
  }
  CheckTablesSame(source, dest, {"events", "big"});
  CHECK(RunStatus(dest) == "done");
}

}  // namespace

TEST_CASE(
    "a run whose destination goes silent mid-copy notices it, waits the silence out and ends "
    "with an exact copy",
    "[silent][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "silent_dst_src");
      TestDatabase dest(db, "silent_dst_dst");
      Seed(source);
      TcpProxy proxy(ServerPort(db));
      // At the fourth unit's commit: units in flight, some committed, the run state written;
      // the commit reaches the server, its reply waits with everything else.
      proxy.SilenceAfter({"COMMIT"}, 3, kShortSilence);
      CopyThroughSilence(source, dest, proxy, Ends(source.Url(), proxy.Url(dest)),
                         " --reconnect-wait 60");
    }
  }
}

TEST_CASE(
    "a run whose source goes silent mid-copy notices it and ends with an exact copy, at once or "
    "after --resume",
    "[silent][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("from " << DbName(db)) {
      TestDatabase source(db, "silent_src_src");
      TestDatabase dest(Db::kPostgres, "silent_src_dst");
      Seed(source);
      TcpProxy proxy(ServerPort(db));
      // At the fourth unit's read (a COPY, or a SELECT of a range of big's keys).
      if (db == Db::kPostgres) {
        proxy.SilenceAfter({"COPY"}, 3, kShortSilence);
      } else {
        proxy.SilenceAfter({"SELECT", "big", "id"}, 3, kShortSilence);
      }
      CopyThroughSilence(source, dest, proxy, Ends(proxy.Url(source), dest.Url()),
                         " --reconnect-wait 60");
    }
  }
}

TEST_CASE(
    "a destination that stays silent ends the run within a bounded time, recorded for --resume, "
    "which finishes exact once the network is back",
    "[silent][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("into " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "silent_long_src");
      TestDatabase dest(db, "silent_long_dst");
      Seed(source);
      TcpProxy proxy(ServerPort(db));
      proxy.SilenceAfter({"COMMIT"}, 3, kLastingSilence);
      TempDir dir;
      const std::string args = "run" + Ends(source.Url(), proxy.Url(dest)) +
                               " --partitions 16 --batch-rows 1000 --readers 2 --writers 2" +
                               kFastWatch + " --reconnect-wait 3";
      Ended run = RunBounded(args, dir, "run");
      INFO(run.output);
      REQUIRE(run.exit_code != 128 + SIGKILL);  // hung
      CHECK(proxy.silences() == 1);
      CHECK(run.output.find(kNoticed) != std::string::npos);
      CHECK((run.exit_code == 1 || run.exit_code == 3 || run.exit_code == 5));
      CHECK(run.output.find(Server(proxy)) != std::string::npos);
      // Noticed within twice the timeout, then the reconnect wait and a few connection
      // timeouts of a second each while the run stops: well under a minute.
      CHECK(run.seconds < 60);
      proxy.Speak();
      Ended resumed = RunBounded(args + " --resume", dir, "resume");
      INFO(resumed.output);
      CHECK(resumed.exit_code == 0);
      CheckTablesSame(source, dest, {"events", "big"});
      CHECK(RunStatus(dest) == "done");
    }
  }
}

TEST_CASE(
    "a sync whose destination goes silent fails naming the server within a bounded time, and "
    "the next sync ends exact",
    "[silent][sync][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION("destination " << DbName(db)) {
      TestDatabase source(Db::kPostgres, "silent_sync_src");
      TestDatabase dest(db, "silent_sync_dst");
      CreateItems(source, 3000);
      REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
      REQUIRE(RunFerry("run" + Ends(source.Url(), dest.Url()) + " --quiet").exit_code == 0);
      source.Exec(
          "UPDATE items SET qty = coalesce(qty, 0) + 1 WHERE id % 3 = 0;\n"
          "DELETE FROM items WHERE id % 7 = 1;\n"
          "INSERT INTO items SELECT g, 'new ' || g, g FROM generate_series(5001, 5600) g");
      TcpProxy proxy(ServerPort(db));
      proxy.SilenceAfter({"COMMIT"}, 2, kLastingSilence);
      TempDir dir;
      const std::string args = "sync" + Ends(source.Url(), proxy.Url(dest)) +
                               " --keys-per-batch 100" + kFastWatch + " --reconnect-wait 3";
      Ended sync = RunBounded(args, dir, "sync");
      INFO(sync.output);
      REQUIRE(sync.exit_code != 128 + SIGKILL);  // hung
      CHECK(proxy.silences() == 1);
      CHECK(sync.output.find(kNoticed) != std::string::npos);
      CHECK((sync.exit_code == 1 || sync.exit_code == 3 || sync.exit_code == 5));
      CHECK(sync.output.find(Server(proxy)) != std::string::npos);
      CHECK(sync.seconds < 60);
      proxy.Speak();
      Ended again = RunBounded(args, dir, "again");
      INFO(again.output);
      CHECK(again.exit_code == 0);
      CHECK(Items(dest) == Items(source));
    }
  }
}

TEST_CASE(
    "a verify whose source or destination goes silent fails naming the server within a bounded "
    "time, never saying identical, and run again it finds the damage",
    "[silent][verify][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    for (bool at_source : {false, true}) {
      DYNAMIC_SECTION((at_source ? "source silent, " : "destination silent, ") << DbName(db)) {
        TestDatabase source(Db::kPostgres, "silent_verify_src");
        TestDatabase dest(db, "silent_verify_dst");
        Seed(source);
        REQUIRE(RunFerry("run" + Ends(source.Url(), dest.Url()) + " --quiet").exit_code == 0);
        dest.Exec("UPDATE big SET v = 'damaged' WHERE id = 39999");
        TcpProxy proxy(ServerPort(at_source ? Db::kPostgres : db));
        proxy.SilenceAfter({"big"}, 4, kLastingSilence);
        const std::string ends =
            at_source ? Ends(proxy.Url(source), dest.Url()) : Ends(source.Url(), proxy.Url(dest));
        TempDir dir;
        Ended verify = RunBounded("verify" + ends + kFastWatch, dir, "verify");
        INFO(verify.output);
        REQUIRE(verify.exit_code != 128 + SIGKILL);  // hung
        CHECK(proxy.silences() == 1);
        CHECK(verify.output.find(kNoticed) != std::string::npos);
        // The damage found (1), or the comparison failed naming the server (1 or 3): never 0.
        CHECK((verify.exit_code == 1 || verify.exit_code == 3));
        if (verify.output.find("39999") == std::string::npos) {
          CHECK(verify.output.find(Server(proxy)) != std::string::npos);
        }
        CHECK(verify.seconds < 60);
        proxy.Speak();
        Ended again = RunBounded("verify" + ends, dir, "again");
        INFO(again.output);
        CHECK(again.exit_code == 1);
        CHECK(again.output.find("39999") != std::string::npos);
      }
    }
  }
}

TEST_CASE(
    "an index build that runs far longer than --network-timeout is not cut: its server still "
    "answers",
    "[silent][postgresql]") {
  TestDatabase source(Db::kPostgres, "silent_slow_src");
  TestDatabase dest(Db::kPostgres, "silent_slow_dst");
  // An expression index whose function sleeps a millisecond a row: its build takes seconds
  // while the server idles, and the clone makes it at the destination after the data.
  source.Exec(
      "CREATE FUNCTION slow_key(k integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS "
      "$$ BEGIN PERFORM pg_catalog.pg_sleep(0.001); RETURN k; END $$;\n"
      "CREATE TABLE paced (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO paced SELECT g, md5(g::text) FROM generate_series(1, 3000) g;\n"
      "CREATE INDEX paced_slow ON paced (slow_key(id))");
  TcpProxy proxy(ServerPort(Db::kPostgres));  // forwards everything, never silent
  TempDir dir;
  Ended run = RunBounded("run" + Ends(source.Url(), proxy.Url(dest)) + kFastWatch, dir, "run");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("did not answer") == std::string::npos);
  CHECK(run.seconds > 3);  // the build did take longer than the watch's rounds
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = "
                        "i.indexrelid WHERE c.relname = 'paced_slow' AND i.indisvalid") == "1");
  CheckTablesSame(source, dest, {"paced"});
}
