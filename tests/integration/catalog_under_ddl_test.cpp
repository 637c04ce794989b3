// MariaDB's information_schema leaves a table out, with warning 1684 instead of rows, while
// another session's ALTER holds it exclusively, whenever the asking session holds metadata locks
// of its own (ferry's always do): a description read then lacks the table, its columns or its
// keys. ferry reads it again (drivers/mariadb/mariadb_catalog.cpp, DescribeTable). Here a session
// rebuilds the source's tables one after another while `ferry check` and `ferry plan` describe
// them. Every wait is bounded: the rebuilding session gives up a lock it waited a second for,
// and ferry is killed after two minutes, so the test fails instead of hanging.
#include <signal.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

constexpr int kTables = 24;

// Another session rebuilding the tables t1..tN in turn (ALTER TABLE ... FORCE holds a table's
// exclusive metadata lock when it begins and when it ends), until destroyed or for a minute.
class Rebuilder {
 public:
  explicit Rebuilder(TestDatabase& db)
      : thread_([this, &db] {
          const auto start = std::chrono::steady_clock::now();
          for (int i = 0;
               !stop_ && std::chrono::steady_clock::now() - start < std::chrono::seconds(60);
               i = (i + 1) % kTables) {
            try {
              db.Exec("SET SESSION lock_wait_timeout = 1;\nALTER TABLE t" + std::to_string(i + 1) +
                      " FORCE");
              ++rebuilds_;
            } catch (...) {
              // A lock another session held for a second: the next table.
            }
          }
        }) {}
  ~Rebuilder() {
    stop_ = true;
    thread_.join();
  }
  int rebuilds() const { return rebuilds_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> rebuilds_{0};
  std::thread thread_;
};

// `args` run by ferry, killed if it has not ended after two minutes.
FerryResult Bounded(const std::string& args, const TestDatabase& db, bool* killed) {
  const auto start = std::chrono::steady_clock::now();
  *killed = false;
  return RunWhile(args, db, [&](pid_t pid) {
    if (std::chrono::steady_clock::now() - start < std::chrono::seconds(120)) return false;
    kill(pid, SIGKILL);
    *killed = true;
    return true;
  });
}

}  // namespace

TEST_CASE(
    "MariaDB tables another session keeps rebuilding are described whole by check and plan: "
    "every column, key and index",
    "[mariadb][catalog]") {
  TestDatabase source(Db::kMariaDB, "ddl_src");
  TestDatabase dest(Db::kMariaDB, "ddl_dst");
  std::string sql;
  for (int i = 1; i <= kTables; ++i) {
    const std::string t = "t" + std::to_string(i);
    sql += "CREATE TABLE " + t +
           " (id int NOT NULL, v varchar(64) NOT NULL, n int, PRIMARY KEY (id), KEY " + t +
           "_v (v), CONSTRAINT " + t + "_n CHECK (n > 0));\n";
    sql += "INSERT INTO " + t + " SELECT seq, md5(seq), seq FROM seq_1_to_3000;\n";
  }
  source.Exec(sql);
  const std::string ends = Ends(source, dest);
  int rounds = 0;
  int rebuilds = 0;
  {
    Rebuilder rebuilder(source);
    // Until the rebuilder has met most of the describes (a few rounds, each every table).
    for (; rounds < 3 || (rebuilder.rebuilds() < 2 * kTables && rounds < 8); ++rounds) {
      bool killed = false;
      FerryResult check = Bounded("check" + ends, source, &killed);
      INFO(check.output);
      REQUIRE_FALSE(killed);
      CHECK(check.exit_code == 0);
      CHECK_FALSE(Has(check.output, "no column"));
      FerryResult plan = Bounded("plan" + ends, source, &killed);
      INFO(plan.output);
      REQUIRE_FALSE(killed);
      REQUIRE(plan.exit_code == 0);
      // Each table whole in the plan: its three columns, its key and its index.
      const json doc = json::parse(plan.output.substr(plan.output.find('{')));
      REQUIRE(doc.at("tables").size() == size_t(kTables));
      for (const json& t : doc.at("tables")) {
        INFO(t.at("source").dump());
        CHECK(t.at("columns").size() == 3);
        CHECK(t.at("primary_key") == json::array({"id"}));
        CHECK(t.at("indexes").size() == 1);
      }
    }
    rebuilds = rebuilder.rebuilds();
  }
  INFO(rounds << " rounds of check and plan, " << rebuilds << " rebuilds meanwhile");
  CHECK(rebuilds >= kTables);
}
