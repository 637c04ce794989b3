// Crash-safe runs (issue 5): run state in the destination, exact resume after kill -9, injected
// crashes around a unit's commit and SIGTERM; retries after the destination kills ferry's
// connections; failure isolation; one run per destination; status and reset. Every check of
// the destination compares it with the source row by row and by a checksum the test computes
// itself, never by asking ferry.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/types.h>
#include <xxhash.h>

#include <chrono>
#include <exception>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

constexpr int kRows = 120000;

// A source worth interrupting: a wide partitioned table and a small one.
void Seed(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, " +
      std::to_string(kRows) +
      ") g;\n"
      "CREATE TABLE small (id integer PRIMARY KEY, name varchar(20));\n"
      "INSERT INTO small SELECT g, 'n' || g FROM generate_series(1, 500) g;\n"
      "ANALYZE");
}

// Rows of `table` ordered by key, with the test's own checksum over them.
struct Content {
  std::vector<Row> rows;
  uint64_t checksum = 0;
};

Content Read(TestDatabase& db, const std::string& table, const std::string& columns) {
  Content c;
  c.rows = db.Query("SELECT " + columns + " FROM " + table + " ORDER BY id");
  XXH64_state_t* state = XXH64_createState();
  XXH64_reset(state, 0);
  for (const Row& row : c.rows) {
    for (const auto& v : row) {
      const std::string text = v ? "v" + *v : "n";
      const uint32_t size = uint32_t(text.size());
      XXH64_update(state, &size, sizeof size);
      XXH64_update(state, text.data(), text.size());
    }
  }
  c.checksum = XXH64_digest(state);
  XXH64_freeState(state);
  return c;
}

void CheckSame(TestDatabase& source, TestDatabase& dest) {
  for (auto [table, columns] : {std::pair{"big", "id, v"}, std::pair{"small", "id, name"}}) {
    Content a = Read(source, table, columns);
    Content b = Read(dest, table, columns);
    INFO("table " << table);
    REQUIRE(b.rows.size() == a.rows.size());
    CHECK(b.checksum == a.checksum);
    CHECK(b.rows == a.rows);
  }
}

std::string Args(TestDatabase& source, TestDatabase& dest, const std::string& more = "",
                 const std::string& workers = "--readers 2 --writers 2") {
  return "run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
         " --partitions 8 --batch-rows 2000 " + workers + " " + more;
}

}  // namespace

TEST_CASE("a partitioned copy killed with kill -9 at random points resumes to an exact copy",
          "[resume][postgresql]") {
  // Seeds: how many committed units to wait for before the kill.
  for (int seed : {1, 3, 6}) {
    DYNAMIC_SECTION("killed after " << seed << " committed units") {
      TestDatabase source(Db::kPostgres, "kill_src");
      TestDatabase dest(Db::kPostgres, "kill_dst");
      Seed(source);
      bool killed = false;
      FerryResult first = RunWhile(Args(source, dest), dest, [&](pid_t pid) {
        std::string done = "0";
        try {
          done = dest.QueryValue("SELECT count(*) FROM ferry_units WHERE state = 'done'");
        } catch (...) {
        }
        if (std::stoi(done) < seed) return false;
        kill(pid, SIGKILL);
        killed = true;
        return true;
      });
      INFO(first.output);
      REQUIRE(killed);
      CHECK(first.exit_code == 128 + SIGKILL);
      // A plain run is refused: the copy has an interrupted run.
      FerryResult plain = RunFerry(Args(source, dest, "-q"));
      INFO(plain.output);
      CHECK(plain.exit_code == 4);
      CHECK(plain.output.find("--resume") != std::string::npos);
      CHECK(plain.output.find("ferry reset") != std::string::npos);
      FerryResult resumed = RunFerry(Args(source, dest, "--resume"));
      INFO(resumed.output);
      CHECK(resumed.exit_code == 0);
      CHECK(resumed.output.find("resuming run") != std::string::npos);
      CheckSame(source, dest);
      FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
      auto json = nlohmann::json::parse(status.output);
      CHECK(json["run"]["status"] == "done");
      CHECK(json["runs"].size() == 1);
      for (const auto& t : json["run"]["tables"]) {
        CHECK(t["state"] == "done");
        for (const auto& p : t["partitions"]) CHECK(p["state"] == "done");
      }
    }
  }
}

// Sets an environment variable for the ferry processes this test starts.
struct ScopedEnv {
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }
  const char* name_;
};

TEST_CASE(
    "a crash between a unit's last write and its commit, or right after it, loses and "
    "doubles nothing",
    "[resume][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    for (const char* point : {"before-commit:3", "after-commit:3"}) {
      DYNAMIC_SECTION(DbName(db) << " " << point) {
        TestDatabase source(Db::kPostgres, "crash_src");
        TestDatabase dest(db, "crash_dst");
        Seed(source);
        {
          ScopedEnv crash("FERRY_TEST_CRASH", point);
          FerryResult crashed = RunFerry(Args(source, dest, "-q"));
          INFO(crashed.output);
          REQUIRE(crashed.exit_code == 86);
        }
        const int64_t done_units =
            std::stoll(dest.QueryValue("SELECT count(*) FROM ferry_units WHERE state = 'done'"));
        // With two writers another unit may be committing at the same moment: at most the units
        // whose commits had begun are done.
        CHECK(done_units >= 1);
        CHECK(done_units <= 4);
        // The rows of the committed units, as they are now: a resume must leave them alone.
        std::vector<Row> kept;
        if (db == Db::kPostgres) {
          kept = dest.Query("SELECT xmin::text, count(*) FROM big GROUP BY 1 ORDER BY 1");
        }
        const int64_t rows_before = RowCount(dest, "big") + RowCount(dest, "small");
        FerryResult resumed = RunFerry(Args(source, dest, "--resume"));
        INFO(resumed.output);
        CHECK(resumed.exit_code == 0);
        CheckSame(source, dest);
        CHECK(rows_before > 0);
        if (db == Db::kPostgres) {
          std::vector<Row> after =
              dest.Query("SELECT xmin::text, count(*) FROM big GROUP BY 1 ORDER BY 1");
          for (const Row& r : kept) {
            CHECK(std::find(after.begin(), after.end(), r) != after.end());
          }
        }
      }
    }
  }
}

TEST_CASE("SIGTERM rolls back the units in flight, exits 5, and the run resumes exactly",
          "[resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "term_src");
  TestDatabase dest(Db::kPostgres, "term_dst");
  Seed(source);
  bool signalled = false;
  FerryResult first = RunWhile(Args(source, dest), dest, [&](pid_t pid) {
    std::string done = "0";
    try {
      done = dest.QueryValue("SELECT count(*) FROM ferry_units WHERE state = 'done'");
    } catch (...) {
    }
    if (std::stoi(done) < 1) return false;
    kill(pid, SIGTERM);
    signalled = true;
    return true;
  });
  INFO(first.output);
  REQUIRE(signalled);
  CHECK(first.exit_code == 5);
  CHECK(first.output.find("--resume") != std::string::npos);
  FerryResult status = RunFerry("status --dest " + ShellQuote(dest.Url()));
  INFO(status.output);
  CHECK(status.output.find("interrupted") != std::string::npos);
  FerryResult resumed = RunFerry(Args(source, dest, "--resume"));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CheckSame(source, dest);
}

TEST_CASE("connections killed by the destination mid-copy are retried and the copy completes",
          "[resume][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kPostgres, "drop_src");
      TestDatabase dest(db, "drop_dst");
      Seed(source);
      int kills = 0;
      FerryResult run =
          RunWhile(Args(source, dest, "", "--readers 1 --writers 1"), dest, [&](pid_t) {
            // Only the writers: sessions busy loading rows (the run state and lock sessions idle).
            std::vector<Row> victims =
                db == Db::kPostgres
                    ? dest.Query(
                          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                          "AND pid <> pg_backend_pid() AND query LIKE 'COPY%' AND state <> "
                          "'idle'")
                    : dest.Query(
                          "SELECT id FROM information_schema.processlist WHERE db = DATABASE() "
                          "AND id <> CONNECTION_ID() AND command <> 'Sleep' AND (info LIKE "
                          "'INSERT%' OR "
                          "info LIKE 'LOAD%') AND info NOT LIKE '%ferry\\_%'");
            for (const Row& v : victims) {
              if (!v[0]) continue;
              try {
                dest.Exec(db == Db::kPostgres ? "SELECT pg_terminate_backend(" + *v[0] + ")"
                                              : "KILL " + *v[0]);
                ++kills;
              } catch (...) {
              }
            }
            return kills >= 2;
          });
      INFO(run.output);
      REQUIRE(kills >= 1);
      CHECK(run.exit_code == 0);
      CheckSame(source, dest);
      FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
      auto json = nlohmann::json::parse(status.output);
      int retried = 0;
      for (const auto& t : json["run"]["tables"]) {
        for (const auto& p : t["partitions"]) retried += p["attempts"].get<int>() > 1;
      }
      CHECK(retried >= 1);
    }
  }
}

TEST_CASE("a run whose run-state session the destination cuts opens a new one and finishes done",
          "[resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "cut_src");
  TestDatabase dest(Db::kPostgres, "cut_dst");
  Seed(source);
  int cut = 0;
  FerryResult run = RunWhile(Args(source, dest, "", "--readers 1 --writers 1"), dest, [&](pid_t) {
    // The run state's session: idle, its last statement on ferry_tables (writers only ever
    // mark ferry_units, and the lock's session only takes the lock).
    std::vector<Row> victims;
    try {
      victims = dest.Query(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
          "pg_backend_pid() AND state = 'idle' AND query LIKE '%ferry_tables%'");
    } catch (...) {
      return false;
    }
    for (const Row& v : victims) {
      if (!v[0]) continue;
      dest.Exec("SELECT pg_terminate_backend(" + *v[0] + ")");
      ++cut;
    }
    return cut > 0;
  });
  INFO(run.output);
  REQUIRE(cut >= 1);
  CHECK(run.exit_code == 0);
  CheckSame(source, dest);
  FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
  INFO(status.output);
  auto json = nlohmann::json::parse(status.output);
  CHECK(json["run"]["status"] == "done");
  CHECK(json["runs"].size() == 1);
}

TEST_CASE(
    "a table whose rows the destination rejects fails with the key named and the others "
    "finish",
    "[resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "rej_src");
  TestDatabase dest(Db::kPostgres, "rej_dst");
  Seed(source);
  // The destination's small table is narrower than the source's values.
  dest.Exec("CREATE TABLE small (id integer PRIMARY KEY, name varchar(3))");
  FerryResult run = RunFerry(Args(source, dest, "--append"));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("(id)=(") != std::string::npos);
  CHECK(RowCount(dest, "big") == kRows);
  FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest.Url()));
  auto json = nlohmann::json::parse(status.output);
  CHECK(json["run"]["status"] == "failed");
  for (const auto& t : json["run"]["tables"]) {
    if (t["source"] == "public.small") {
      CHECK(t["state"] == "failed");
      CHECK(t["error"].get<std::string>().find("(id)=(") != std::string::npos);
      CHECK(!t["advice"].get<std::string>().empty());
    } else {
      CHECK(t["state"] == "done");
    }
  }
}

TEST_CASE("only one run at a time writes into a destination and the second names the first",
          "[resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "two_src");
  TestDatabase dest(Db::kPostgres, "two_dst");
  TestDatabase other(Db::kPostgres, "two_dst_b");
  Seed(source);
  FerryResult second;
  bool tried = false;
  FerryResult first = RunWhile(Args(source, dest), dest, [&](pid_t pid) {
    std::string running = "0";
    try {
      running = dest.QueryValue("SELECT count(*) FROM ferry_runs WHERE status = 'running'");
    } catch (...) {
    }
    if (running != "1") return false;
    // Held still while the second tries: the first copy takes half a second, less than the
    // second needs to start.
    kill(pid, SIGSTOP);
    second = RunFerry(Args(source, dest, "--append"));
    kill(pid, SIGCONT);
    tried = true;
    return true;
  });
  INFO(first.output << second.output);
  REQUIRE(tried);
  CHECK(first.exit_code == 0);
  CHECK(second.exit_code == 6);
  CHECK(second.output.find("ferry run run ") == std::string::npos);
  CHECK(second.output.find("is writing into") != std::string::npos);
  CheckSame(source, dest);
  (void)other;
}

TEST_CASE("resume with nothing to resume says so and copies and reset empties and forgets",
          "[resume][sqlite]") {
  TestDatabase source(Db::kPostgres, "rs_src");
  TestDatabase dest(Db::kSQLite, "rs_dst");
  Seed(source);
  FerryResult run = RunFerry(Args(source, dest, "--resume"));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("nothing to resume") != std::string::npos);
  CheckSame(source, dest);
  FerryResult dry =
      RunFerry("reset --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(dry.output);
  CHECK(dry.exit_code == 2);
  CHECK(dry.output.find("would empty 2 tables") != std::string::npos);
  CHECK(RowCount(dest, "big") == kRows);
  FerryResult reset = RunFerry("reset --yes --source " + ShellQuote(source.Url()) + " --dest " +
                               ShellQuote(dest.Url()));
  INFO(reset.output);
  CHECK(reset.exit_code == 0);
  CHECK(RowCount(dest, "big") == 0);
  CHECK(RowCount(dest, "ferry_runs") == 0);
  FerryResult again = RunFerry(Args(source, dest, "--append"));
  CHECK(again.exit_code == 0);
  CheckSame(source, dest);
  for (const FerryResult* r : {&run, &dry, &reset, &again}) {
    CHECK(r->output.find(TestPassword()) == std::string::npos);
  }
}

TEST_CASE("damaged run state is refused with the table, run and value named",
          "[resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "tamper_src");
  TestDatabase dest(Db::kPostgres, "tamper_dst");
  Seed(source);
  {
    ScopedEnv crash("FERRY_TEST_CRASH", "after-commit:2");
    REQUIRE(RunFerry(Args(source, dest, "-q")).exit_code == 86);
  }
  dest.Exec("UPDATE ferry_units SET state = 'half-done' WHERE part = 0");
  FerryResult resumed = RunFerry(Args(source, dest, "--resume"));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 4);
  CHECK(resumed.output.find("ferry_units") != std::string::npos);
  CHECK(resumed.output.find("half-done") != std::string::npos);
}

TEST_CASE(
    "a resume against a different plan or with wrong credentials is refused and writes "
    "nothing",
    "[resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "other_src");
  TestDatabase dest(Db::kPostgres, "other_dst");
  Seed(source);
  {
    ScopedEnv crash("FERRY_TEST_CRASH", "after-commit:2");
    REQUIRE(RunFerry(Args(source, dest, "-q")).exit_code == 86);
  }
  const std::string run = dest.QueryValue("SELECT run_id FROM ferry_runs");
  const std::string units = dest.QueryValue(
      "SELECT string_agg(table_index || ':' || part || ':' || state, ',' ORDER BY 1) FROM "
      "ferry_units");
  const int64_t rows = RowCount(dest, "big") + RowCount(dest, "small");

  // The same run, but only one of its tables: another copy.
  FerryResult narrower = RunFerry(Args(source, dest, "--include big --resume " + run));
  INFO(narrower.output);
  CHECK(narrower.exit_code == 2);
  CHECK(narrower.output.find("run " + run + " copied other tables") != std::string::npos);

  // A plan file of another copy of this source.
  const std::string plan_file = "/tmp/" + dest.name() + ".plan.json";
  FerryResult plan = RunFerry("plan --source " + ShellQuote(source.Url()) + " --dest " +
                              ShellQuote(dest.Url()) + " --include small -o " + plan_file);
  REQUIRE(plan.exit_code == 0);
  FerryResult with_plan = RunFerry("run --plan " + plan_file + " --resume " + run);
  INFO(with_plan.output);
  CHECK(with_plan.exit_code == 2);
  std::remove(plan_file.c_str());

  // Wrong credentials (a user the server does not know): a connection error, without the
  // password that was tried.
  std::string wrong_url = dest.Url();
  wrong_url.replace(wrong_url.find("ferry@"), 6, "nobody@");
  FerryResult denied = RunFerry("run --resume --source " + ShellQuote(source.Url()) + " --dest " +
                                ShellQuote(wrong_url));
  INFO(denied.output);
  CHECK(denied.exit_code == 3);
  CHECK(denied.output.find(TestPassword()) == std::string::npos);

  // Nothing above wrote anything: the interrupted run is as it was, and resumes exactly.
  CHECK(RowCount(dest, "big") + RowCount(dest, "small") == rows);
  CHECK(dest.QueryValue("SELECT string_agg(table_index || ':' || part || ':' || state, ',' "
                        "ORDER BY 1) FROM ferry_units") == units);
  FerryResult resumed = RunFerry(Args(source, dest, "--resume " + run));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CheckSame(source, dest);
}
