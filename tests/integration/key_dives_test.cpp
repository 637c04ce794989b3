// MariaDB's planning sample by index dives (drivers/sql/key_dives.hpp) on a real server: a
// dense integer key is sampled at even steps without reading the table, and keys the dives
// would misjudge (bunched, split by a gap, not integers) are left to the row sample.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "drivers/mariadb/mariadb_dialect.hpp"
#include "drivers/open.hpp"
#include "drivers/sql/key_dives.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// The test database's own connection as the session the dives run on.
class DbSession final : public SqlSession {
 public:
  explicit DbSession(TestDatabase& db) : db_(db) {}
  void Execute(const std::string& sql) override { db_.Exec(sql); }
  std::vector<Row> Query(const std::string& sql, const std::vector<std::string>&) override {
    return db_.Query(sql);
  }

 private:
  TestDatabase& db_;
};

std::optional<std::vector<std::vector<std::string>>> Dives(TestDatabase& db,
                                                           const std::string& table, size_t count) {
  db.Exec("ANALYZE TABLE " + table);
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  auto source = OpenEndpoint(db.Url(), EndpointRole::kSource);
  std::optional<Table> described = source->DescribeTable({source->info().default_schema, table});
  REQUIRE(described);
  DbSession session(db);
  return SampleByKeyDives(session, *MakeMariaDbDialect(), *described, described->RowKey(), count);
}

}  // namespace

TEST_CASE("a dense MariaDB integer key is sampled by index dives at even steps",
          "[mariadb][sample]") {
  TestDatabase db(Db::kMariaDB, "dives");
  // Every third value from 3 to 600000, and an unsigned key beyond the signed range.
  db.Exec(
      "CREATE TABLE dense (id bigint PRIMARY KEY, v int);\n"
      "INSERT INTO dense SELECT seq * 3, seq FROM seq_1_to_200000;\n"
      "CREATE TABLE high (id bigint unsigned PRIMARY KEY);\n"
      "INSERT INTO high SELECT 18446744073709000000 + seq * 2 FROM seq_1_to_200000");
  auto sample = Dives(db, "dense", 400);
  REQUIRE(sample);
  REQUIRE(sample->size() == 400);
  CHECK(sample->front().at(0) == "3");
  for (size_t i = 0; i < sample->size(); ++i) {
    // The first key at or above 3 + i * (600000 - 3) / 400: within one step of three values.
    const int64_t at = 3 + int64_t(i) * (600000 - 3) / 400;
    const int64_t key = std::stoll(sample->at(i).at(0));
    CAPTURE(i, at, key);
    CHECK(key >= at);
    CHECK(key < at + 3);
  }
  auto high = Dives(db, "high", 400);
  REQUIRE(high);
  CHECK(high->size() == 400);
  CHECK(high->front().at(0) == "18446744073709000002");
  CHECK(high->back().at(0).rfind("184467440737093", 0) == 0);
}

TEST_CASE("MariaDB keys that index dives would misjudge are left to the row sample",
          "[mariadb][sample]") {
  TestDatabase db(Db::kMariaDB, "nodives");
  // 90% of the rows in the first 0.02% of the key range (partition_test's skewed table); two
  // clusters far apart; and a text key.
  db.Exec(
      "CREATE TABLE skewed (id bigint PRIMARY KEY, v int);\n"
      "INSERT INTO skewed SELECT CASE WHEN seq <= 180000 THEN seq ELSE 180000 + "
      "(seq - 180000) * 50000 END, seq FROM seq_1_to_200000;\n"
      "CREATE TABLE apart (id bigint PRIMARY KEY);\n"
      "INSERT INTO apart SELECT CASE WHEN seq <= 100000 THEN seq ELSE 1000000000000 + seq END "
      "FROM seq_1_to_200000;\n"
      "CREATE TABLE named (name varchar(20) PRIMARY KEY);\n"
      "INSERT INTO named SELECT CONCAT('k', seq) FROM seq_1_to_200000");
  CHECK_FALSE(Dives(db, "skewed", 400));
  CHECK_FALSE(Dives(db, "apart", 400));
  CHECK_FALSE(Dives(db, "named", 400));
}
