// A table's description read while another session changes its definition (an ALTER that
// rebuilds it, as a shared run's worker adding a primary key does), through the endpoint, on the
// project's MariaDB server. MariaDB's information_schema leaves such a table out instead of
// waiting for the ALTER whenever the asking session holds locks of its own, as ferry's always
// do: the description must come back whole, every time.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>

#include "drivers/odbc/connection.hpp"
#include "drivers/open.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// Another session rebuilding `table` over and over (each ALTER holds the table's exclusive
// metadata lock when it begins and when it ends) until destroyed.
class Rebuilder {
 public:
  Rebuilder(TestDatabase& db, const std::string& table)
      : connection_(db.Odbc(), "rebuilder"), thread_([this, table] {
          while (!stop_) {
            connection_.Execute("ALTER TABLE " + table + " FORCE");
            ++rebuilds_;
          }
        }) {}
  ~Rebuilder() {
    stop_ = true;
    thread_.join();
  }
  int rebuilds() const { return rebuilds_; }

 private:
  ferry::odbc::Connection connection_;
  std::atomic<bool> stop_{false};
  std::atomic<int> rebuilds_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE(
    "a MariaDB table another session keeps rebuilding is described whole every time: its "
    "columns, primary key and indexes",
    "[mariadb][catalog]") {
  TestDatabase db(Db::kMariaDB, "ddl_describe");
  db.Exec(
      "CREATE TABLE big (id int NOT NULL, v varchar(64) NOT NULL, n int, PRIMARY KEY (id), "
      "KEY big_v (v), CONSTRAINT n_positive CHECK (n > 0));\n"
      "INSERT INTO big SELECT seq, md5(seq), seq FROM seq_1_to_2000");
  setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
  std::unique_ptr<ferry::Endpoint> endpoint =
      ferry::OpenEndpoint(db.Url(), ferry::EndpointRole::kDestination, ferry::EndpointOptions{});
  Rebuilder rebuilder(db, "big");
  int whole = 0, described = 0;
  for (; described < 300 || rebuilder.rebuilds() < 20; ++described) {
    std::optional<ferry::Table> t = endpoint->DescribeTable({db.name(), "big"});
    whole += t && t->columns.size() == 3 && t->primary_key.size() == 1 && t->indexes.size() == 1 &&
             t->checks.size() == 1;
    if (described > 5000) break;
  }
  INFO(rebuilder.rebuilds() << " rebuilds meanwhile");
  CHECK(rebuilder.rebuilds() >= 20);
  CHECK(whole == described);
}
