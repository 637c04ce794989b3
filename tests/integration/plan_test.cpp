// ferry plan and ferry run --plan: the plan file says what will happen, a DBA's edits are
// honoured, a drifted source or a malformed plan is refused before anything is written, and
// the printed plan of a fixed fixture matches its golden file.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

void CreateShop(TestDatabase& db) {
  db.Exec(
      "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, email TEXT);\n"
      "CREATE UNIQUE INDEX customers_email ON customers (email);\n"
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT NOT NULL, "
      "amount NUMERIC(10,2), note TEXT);\n"
      "CREATE INDEX orders_customer ON orders (customer_id);\n"
      "CREATE TABLE audit (at TIMESTAMP(6), what TEXT);\n"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 500) "
      "INSERT INTO customers SELECT n, 'customer ' || n, 'c' || n || '@example.com' FROM g;\n"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 4000) "
      "INSERT INTO orders SELECT n, 1 + n % 500, n / 100.0, 'note ' || n FROM g;\n"
      "INSERT INTO audit VALUES ('2024-01-01 00:00:00', 'start'), ('2024-01-02 00:00:00', 'x')");
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A file in this process's folder of plans, removed with it when the process exits.
std::string TempFile(const std::string& name) {
  static const TempDir folder;
  return folder.path() + "/" + name;
}

}  // namespace

TEST_CASE("a plan lists every table's mapping, split and why, and runs as written", "[plan]") {
  TestDatabase source(Db::kSQLite, "plan_src");
  TestDatabase dest(Db::kPostgres, "plan_dst");
  CreateShop(source);
  const std::string file = TempFile("shop.json");
  FerryResult planned = RunFerry("plan" + Ends(source, dest) + " --partitions 3 -o " + file);
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  json plan = json::parse(Slurp(file));
  REQUIRE(plan["tables"].size() == 3);
  CHECK(plan["source"] == source.Url());
  CHECK(plan["destination"].get<std::string>().find("ferry-test-Secret") == std::string::npos);
  const json& orders = plan["tables"][2];
  CHECK(orders["source"]["name"] == "orders");
  CHECK(orders["strategy"] == "key ranges");
  CHECK(orders["partitions"] == 3);
  CHECK(orders["units"].size() == 3);
  CHECK(orders["split_key"] == json::array({"id"}));
  CHECK(orders["columns"][2]["destination_type"] == "numeric(10,2)");
  REQUIRE(orders["indexes"].size() == 1);
  CHECK(orders["indexes"].at(0).at("name") == "orders_customer");
  CHECK(ListTables(dest).empty());  // planning writes nothing

  FerryResult run = RunFerry("run --plan " + file);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const char* table : {"customers", "orders", "audit"}) {
    CHECK(FirstDifference(ReadCanonical(source, table), ReadCanonical(dest, table)) == "");
  }
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_indexes WHERE indexname IN "
                        "('customers_email', 'orders_customer')") == "2");
}

TEST_CASE(
    "a DBA's edits to a plan are honoured: dropped table, dropped column, renamed "
    "column, changed type, more partitions",
    "[plan]") {
  TestDatabase source(Db::kSQLite, "edit_src");
  TestDatabase dest(Db::kPostgres, "edit_dst");
  CreateShop(source);
  const std::string file = TempFile("edit.json");
  REQUIRE(RunFerry("plan" + Ends(source, dest) + " -o " + file).exit_code == 0);
  json plan = json::parse(Slurp(file));
  json tables = json::array();
  for (json& t : plan["tables"]) {
    if (t["source"]["name"] == "audit") continue;  // dropped
    if (t["source"]["name"] == "orders") {
      json columns = json::array();
      for (json& c : t["columns"]) {
        if (c["source"] == "note") continue;  // not copied
        if (c["source"] == "amount") {
          c["destination"] = "total";
          c["destination_type"] = "numeric(18,4)";
        }
        columns.push_back(c);
      }
      t["columns"] = columns;
      t["partitions"] = 4;  // re-cut at run time
    }
    tables.push_back(t);
  }
  plan["tables"] = tables;
  std::ofstream(file) << plan.dump(2);
  FerryResult run = RunFerry("run --plan " + file);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(ListTables(dest) == std::vector<std::string>{"customers", "orders"});
  CHECK(dest.QueryValue("SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY "
                        "ordinal_position) FROM information_schema.columns WHERE table_name = "
                        "'orders'") == "id:bigint,customer_id:integer,total:numeric");
  CHECK(dest.QueryValue("SELECT numeric_scale FROM information_schema.columns WHERE "
                        "table_name = 'orders' AND column_name = 'total'") == "4");
  CHECK(dest.QueryValue("SELECT sum(total)::text FROM orders") ==
        source.QueryValue("SELECT printf('%.4f', sum(amount)) FROM orders"));
  CHECK(run.output.find("4 units") != std::string::npos);
}

TEST_CASE("a plan whose source table changed is refused, naming the table and the change",
          "[plan]") {
  TestDatabase source(Db::kSQLite, "drift_src");
  TestDatabase dest(Db::kSQLite, "drift_dst");
  CreateShop(source);
  const std::string file = TempFile("drift.json");
  REQUIRE(RunFerry("plan" + Ends(source, dest) + " -o " + file).exit_code == 0);
  source.Exec("ALTER TABLE orders ADD COLUMN coupon TEXT");
  FerryResult run = RunFerry("run --plan " + file);
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(run.output.find("table main.orders: the source table changed since the plan was made") !=
        std::string::npos);
  CHECK(run.output.find("column coupon (TEXT) was added") != std::string::npos);
  CHECK(ListTables(dest).empty());
}

TEST_CASE(
    "a plan of some tables runs although their foreign keys reference tables outside it, "
    "leaving those keys out with a warning as a run without a plan does",
    "[plan]") {
  for (Db to : {Db::kPostgres, Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase source(Db::kPostgres, "fkscope_src");
      TestDatabase dest(to, "fkscope_dst");
      CreateShop(source);
      source.Exec(
          "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) "
          "REFERENCES customers (id)");
      const std::string file = TempFile("fkscope.json");
      const std::string scope = " --include orders";
      REQUIRE(RunFerry("check" + Ends(source, dest) + scope).exit_code == 0);
      FerryResult planned = RunFerry("plan" + Ends(source, dest) + scope + " -o " + file);
      INFO(planned.output);
      REQUIRE(planned.exit_code == 0);
      FerryResult run = RunFerry("run --plan " + file + Ends(source, dest));
      INFO(run.output);
      CHECK(run.exit_code == 0);
      CHECK(run.output.find("foreign key orders_customer_fk not created") != std::string::npos);
      CHECK(dest.QueryValue("SELECT count(*) FROM orders") == "4000");
      std::remove(file.c_str());
    }
  }
}

TEST_CASE("a malformed plan is refused naming the file, the JSON path and the problem", "[plan]") {
  TestDatabase source(Db::kSQLite, "bad_src");
  TestDatabase dest(Db::kSQLite, "bad_dst");
  CreateShop(source);
  const std::string file = TempFile("bad.json");
  REQUIRE(RunFerry("plan" + Ends(source, dest) + " -o " + file).exit_code == 0);
  json plan = json::parse(Slurp(file));
  SECTION("a wrong type") {
    plan["tables"][1]["partitions"] = "many";
    std::ofstream(file) << plan.dump();
    FerryResult run = RunFerry("run --plan " + file);
    CHECK(run.exit_code == 2);
    CHECK(run.output.find("plan " + file + ": $.tables[1].partitions: expected an integer") !=
          std::string::npos);
  }
  SECTION("an unknown write mode") {
    plan["tables"][0]["write_mode"] = "merge";
    std::ofstream(file) << plan.dump();
    FerryResult run = RunFerry("run --plan " + file);
    CHECK(run.exit_code == 2);
    CHECK(run.output.find("$.tables[0].write_mode: 'merge' is not one of") != std::string::npos);
  }
  SECTION("not JSON at all") {
    std::ofstream(file) << "{ \"ferry_plan\": 1, ";
    FerryResult run = RunFerry("run --plan " + file);
    CHECK(run.exit_code == 2);
    CHECK(run.output.find("not valid JSON") != std::string::npos);
  }
  CHECK(ListTables(dest).empty());
}

TEST_CASE("the plan of a fixed fixture matches its golden file", "[plan][golden]") {
  TestDatabase source(Db::kSQLite, "golden_src");
  TestDatabase dest(Db::kSQLite, "golden_dst");
  CreateShop(source);
  FerryResult planned = RunFerry("plan" + Ends(source, dest) + " --partitions 2");
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  json plan = json::parse(planned.output);
  // What changes from run to run: when, and where the fixture's files are.
  plan["created_at"] = "<time>";
  plan["source"] = "<source>";
  plan["destination"] = "<destination>";
  const std::string actual = plan.dump(2) + "\n";
  const std::string path = SourceDir() + "/tests/golden/plan_shop.json";
  const GoldenResult golden = ReadOrUpdateGolden(path, actual);
  if (golden.updated) return;
  const std::string& expected = golden.expected;
  if (actual != expected) std::ofstream(path + ".actual") << actual;  // for a diff
  CHECK(actual == expected);
}
