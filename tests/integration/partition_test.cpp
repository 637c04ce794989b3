// Tables are cut into work units that together read every row exactly once, with balanced
// row counts even when keys are skewed, on each engine: integer, composite, text and UUID
// keys, NULL keys in their own unit, page ranges for keyless PostgreSQL tables.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "copier/convert.hpp"
#include "copier/planner.hpp"
#include "drivers/open.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

const char* SeriesSql(Db db, int rows) {
  static std::string sql;
  switch (db) {
    case Db::kPostgres:
      sql = "SELECT n FROM generate_series(1, " + std::to_string(rows) + ") AS g(n)";
      break;
    case Db::kMariaDB:
      sql = "SELECT seq AS n FROM seq_1_to_" + std::to_string(rows);
      break;
    case Db::kSQLite:
      sql = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < " +
            std::to_string(rows) + ") SELECT n FROM g";
      break;
  }
  return sql.c_str();
}

struct UnitCounts {
  std::vector<int64_t> rows;  // per unit
  std::multiset<std::string> keys;
  PartitionPlan plan;
  std::string layout;  // each unit's range and rows, for failure messages
};

// Plans the table with small thresholds and reads every unit through a real read session.
UnitCounts ReadUnits(TestDatabase& db, const std::string& table, int64_t target_rows) {
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  auto source = OpenEndpoint(db.Url(), EndpointRole::kSource);
  TableName name{source->info().default_schema, table};
  std::optional<Table> described = source->DescribeTable(name);
  REQUIRE(described);
  PartitionOptions options;
  options.small_table_rows = 1000;
  options.small_table_bytes = 0;
  options.target_unit_rows = target_rows;
  options.target_unit_bytes = int64_t(1) << 40;
  UnitCounts counts;
  counts.plan = PlanPartitions(*described, *source, options);
  source->BeginSnapshot(Consistency::kNone);
  auto session = source->OpenReadSession();
  for (const WorkUnit& unit : counts.plan.units) {
    ReadRequest request;
    request.table = &*described;
    request.columns = described->RowKey().empty() ? std::vector<int>{0} : described->RowKey();
    request.unit = unit;
    auto reader = session->Read(request);
    Batch batch;
    int64_t rows = 0;
    while (reader->Next(batch)) {
      rows += int64_t(batch.num_rows());
      for (size_t r = 0; r < batch.num_rows(); ++r) {
        std::string key;
        for (size_t c = 0; c < batch.num_columns(); ++c) {
          const ColumnVector& column = batch.column(c);
          key += (column.IsNull(r) ? "NULL" : FormatValue(column, r)) + "|";
        }
        counts.keys.insert(key);
      }
    }
    counts.rows.push_back(rows);
    counts.layout += DescribeRange(unit.range) + ": " + std::to_string(rows) + " rows\n";
  }
  return counts;
}

void CheckBalanced(const UnitCounts& counts, size_t total) {
  INFO(counts.plan.reason);
  INFO(counts.layout);
  CHECK(counts.keys.size() == total);
  std::set<std::string> distinct(counts.keys.begin(), counts.keys.end());
  CHECK(distinct.size() == total);  // no row read twice
  REQUIRE(counts.rows.size() >= 4);
  const double average = double(total) / double(counts.rows.size());
  const int64_t largest = *std::max_element(counts.rows.begin(), counts.rows.end());
  INFO("largest unit " << largest << " rows, average " << average);
  CHECK(double(largest) <= 1.5 * average);
}

}  // namespace

TEST_CASE("skewed integer keys split into balanced units on every engine", "[partitions]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "skew");
      // 90% of the rows sit in the first 0.02% of the key range.
      source.Exec(std::string("CREATE TABLE skewed (id bigint PRIMARY KEY, v int);\n") +
                  "INSERT INTO skewed SELECT CASE WHEN n <= 180000 THEN n ELSE 180000 + "
                  "(n - 180000) * 50000 END, n FROM (" +
                  SeriesSql(db, 200000) + ") AS s");
      if (db == Db::kPostgres) source.Exec("ANALYZE skewed");
      if (db == Db::kMariaDB) source.Exec("ANALYZE TABLE skewed");
      UnitCounts counts = ReadUnits(source, "skewed", 20000);
      CHECK(counts.plan.strategy == Strategy::kKeyRanges);
      CheckBalanced(counts, 200000);
    }
  }
}

TEST_CASE("composite text keys and UUID keys split on whole tuples", "[partitions]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "composite");
      std::string uuid = db == Db::kPostgres ? "uuid" : db == Db::kMariaDB ? "uuid" : "UUID";
      std::string make_uuid =
          db == Db::kPostgres ? "md5(n::text)::uuid"
          : db == Db::kMariaDB
              ? "CAST(CONCAT(SUBSTR(MD5(n),1,8),'-',SUBSTR(MD5(n),9,4),'-4',SUBSTR(MD5(n),14,3),"
                "'-8',SUBSTR(MD5(n),18,3),'-',SUBSTR(MD5(n),21,12)) AS UUID)"
              : "printf('%08x-0000-4000-8000-%012x', n * 2654435761 % 4294967296, n)";
      std::string text = db == Db::kSQLite ? "'tenant-' || (n % 7)" : "CONCAT('tenant-', n % 7)";
      if (db == Db::kPostgres) text = "'tenant-' || (n % 7)";
      source.Exec(
          "CREATE TABLE order_lines (tenant varchar(20) NOT NULL, line int NOT NULL, "
          "u " +
          uuid +
          " NOT NULL, PRIMARY KEY (tenant, line));\n"
          "INSERT INTO order_lines SELECT " +
          text + ", n, " + make_uuid + " FROM (" + SeriesSql(db, 60000) +
          ") AS s;\n"
          "CREATE TABLE by_uuid (u " +
          uuid +
          " PRIMARY KEY, n int);\n"
          "INSERT INTO by_uuid SELECT u, line FROM order_lines");
      if (db == Db::kPostgres) source.Exec("ANALYZE order_lines;\nANALYZE by_uuid");
      if (db == Db::kMariaDB) source.Exec("ANALYZE TABLE order_lines;\nANALYZE TABLE by_uuid");
      CheckBalanced(ReadUnits(source, "order_lines", 6000), 60000);
      CheckBalanced(ReadUnits(source, "by_uuid", 6000), 60000);
    }
  }
}

TEST_CASE("NULL keys of a nullable unique key get a unit of their own", "[partitions]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "nullkey");
      source.Exec(std::string("CREATE TABLE maybe (k int, v int);\n") +
                  "CREATE UNIQUE INDEX maybe_k ON maybe (k);\n"
                  "INSERT INTO maybe SELECT CASE WHEN n % 10 = 0 THEN NULL ELSE n END, n FROM (" +
                  SeriesSql(db, 50000) + ") AS s");
      if (db == Db::kPostgres) source.Exec("ANALYZE maybe");
      if (db == Db::kMariaDB) source.Exec("ANALYZE TABLE maybe");
      UnitCounts counts = ReadUnits(source, "maybe", 5000);
      INFO(counts.plan.reason);
      REQUIRE(counts.plan.units.back().range.null_keys);
      CHECK(counts.rows.back() == 5000);
      CHECK(counts.keys.size() == 50000);
      CHECK(counts.keys.count("NULL|") == 5000);
    }
  }
}

TEST_CASE("a keyless PostgreSQL table splits by heap pages and elsewhere it is one unit",
          "[partitions]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "keyless");
      source.Exec(std::string("CREATE TABLE heap (a int, b varchar(40));\n") +
                  "INSERT INTO heap SELECT n % 1000, 'padding padding padding' FROM (" +
                  SeriesSql(db, 100000) + ") AS s");
      if (db == Db::kPostgres) source.Exec("ANALYZE heap");
      if (db == Db::kMariaDB) source.Exec("ANALYZE TABLE heap");
      UnitCounts counts = ReadUnits(source, "heap", 10000);
      int64_t total = 0;
      for (int64_t r : counts.rows) total += r;
      CHECK(total == 100000);
      if (db == Db::kPostgres) {
        CHECK(counts.plan.strategy == Strategy::kPageRanges);
        CHECK(counts.rows.size() >= 4);
      } else {
        CHECK(counts.plan.strategy == Strategy::kSingle);
        CHECK(counts.plan.reason.find("no primary key") != std::string::npos);
      }
    }
  }
}

TEST_CASE("small tables are copied as one unit", "[partitions]") {
  TestDatabase source(Db::kSQLite, "small");
  source.Exec("CREATE TABLE tiny (id INTEGER PRIMARY KEY);\nINSERT INTO tiny VALUES (1), (2)");
  setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
  auto endpoint = OpenEndpoint(source.Url(), EndpointRole::kSource);
  auto table = endpoint->DescribeTable({"main", "tiny"});
  PartitionPlan plan = PlanPartitions(*table, *endpoint, PartitionOptions{});
  CHECK(plan.units.size() == 1);
  CHECK(plan.reason.find("small table") != std::string::npos);
}
