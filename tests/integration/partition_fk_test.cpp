// A foreign key one partition declares, not its partitioned table (ALTER TABLE sale_2024 ADD
// FOREIGN KEY ...): a PostgreSQL clone, and ferry's own DDL into PostgreSQL, carry it on that
// partition; where the table becomes one plain table in another engine, check names it as not
// carried, and the run, which holds rows of other partitions that the key does not cover, copies
// every row.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

const char* const kSales =
    "CREATE TABLE customer (id int PRIMARY KEY);\n"
    "INSERT INTO customer VALUES (1), (2);\n"
    "CREATE TABLE sale (id int, sold date, customer_id int, PRIMARY KEY (id, sold)) "
    "PARTITION BY RANGE (sold);\n"
    "CREATE TABLE sale_2023 PARTITION OF sale FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n"
    "CREATE TABLE sale_2024 PARTITION OF sale FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
    "ALTER TABLE sale_2024 ADD CONSTRAINT sale_2024_customer_fk FOREIGN KEY (customer_id) "
    "REFERENCES customer;\n"
    // 2023's customer 99 has no row: only 2024's sales are held to the key.
    "INSERT INTO sale VALUES (1, '2023-05-01', 99), (2, '2024-05-01', 1), (3, '2024-06-01', 2)";

// Check, then run; returns check's output.
std::string CheckThenRun(TestDatabase& source, TestDatabase& dest, const std::string& options) {
  FerryResult check = RunFerry("check" + Ends(source, dest) + options + " --sample-seconds 0");
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest) + options);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(RowCount(dest, "sale") == 3);
  return check.output;
}

}  // namespace

TEST_CASE(
    "a foreign key declared on one partition only is carried by a clone, else named by "
    "check, and never fails the run",
    "[partition_fk][partition][check][postgresql]") {
  TestDatabase source(Db::kPostgres, "partfk_src");
  source.Exec(kSales);
  const std::string named = "[not carried] sale_2024_customer_fk on public.sale_2024: ";
  SECTION("PostgreSQL clone: the key stays on its partition") {
    TestDatabase dest(Db::kPostgres, "partfk_dst");
    const std::string check = CheckThenRun(source, dest, "");
    CHECK_FALSE(Has(check, "sale_2024_customer_fk"));
    CHECK(dest.QueryValue("SELECT conrelid::regclass::text FROM pg_constraint WHERE conname = "
                          "'sale_2024_customer_fk'") == "sale_2024");
  }
  SECTION("PostgreSQL with --schema-from ferry: the key is added to its partition") {
    TestDatabase dest(Db::kPostgres, "partfk_dst");
    CHECK_FALSE(Has(CheckThenRun(source, dest, " --schema-from ferry"), "sale_2024_customer_fk"));
    CHECK(dest.QueryValue("SELECT conrelid::regclass::text || ' ' || confrelid::regclass::text "
                          "FROM pg_constraint WHERE conname = 'sale_2024_customer_fk'") ==
          "sale_2024 customer");
    // It holds there: a 2024 sale of a customer that does not exist is refused.
    CHECK_THROWS(dest.Exec("INSERT INTO sale VALUES (4, '2024-07-01', 99)"));
  }
  for (Db to : {Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase dest(to, "partfk_dst");
      CHECK(Has(CheckThenRun(source, dest, ""),
                named + "foreign keys one partition declares (not its partitioned table) are "
                        "not carried to "));
    }
  }
}
