// Job files end to end: renames of schemas, tables and columns land where they say, patterns
// with wildcard characters in table names select exactly, and flags override the environment,
// which overrides the job file.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "tests/support/canonical.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// The job files of this process, removed with their folder when it exits.
const TempDir& JobFolder() {
  static const TempDir folder;
  return folder;
}

std::string WriteJob(const std::string& name, const std::string& yaml) {
  std::string path = JobFolder().path() + "/" + name + ".yaml";
  std::ofstream(path) << yaml;
  return path;
}

}  // namespace

TEST_CASE("schema, table and column renames from a job file land where they say", "[job]") {
  TestDatabase source(Db::kPostgres, "rename_src");
  TestDatabase dest(Db::kPostgres, "rename_dst");
  source.Exec(
      "CREATE SCHEMA sales;\nCREATE SCHEMA hr;\n"
      "CREATE TABLE sales.orders (id int PRIMARY KEY, cust_id int, total numeric(8,2));\n"
      "INSERT INTO sales.orders VALUES (1, 10, 9.99), (2, 11, 0.01);\n"
      "CREATE TABLE hr.people (id int PRIMARY KEY, name text);\n"
      "INSERT INTO hr.people VALUES (1, 'Ada')");
  const std::string job = WriteJob(
      "rename", "source: " + source.Url() + "\n" + "destination: " + dest.Url() + "\n" + R"(
include: ["sales.*", "hr.*"]
rename:
  schemas:
    - from: "*"
      to: public
      table_prefix: "{schema}_"
  tables:
    - from: sales.orders
      to: orders_2024
  columns:
    - table: "sales.*"
      from: cust_id
      to: customer_id
)");
  FerryResult run = RunFerry("run --job " + ShellQuote(job));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(ListTables(dest) == std::vector<std::string>{"hr_people", "orders_2024"});
  CHECK(dest.QueryValue("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                        "information_schema.columns WHERE table_name = 'orders_2024'") ==
        "id,customer_id,total");
  CHECK(dest.QueryValue("SELECT sum(customer_id)::text || ' ' || sum(total)::text FROM "
                        "orders_2024") == "21 10.00");
  CHECK(dest.QueryValue("SELECT name FROM hr_people") == "Ada");
}

TEST_CASE("patterns select table names that contain wildcard characters exactly", "[job]") {
  TestDatabase source(Db::kSQLite, "wild_src");
  TestDatabase dest(Db::kSQLite, "wild_dst");
  source.Exec(
      "CREATE TABLE \"a*b\" (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE axxb (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE \"100%_done\" (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE \"1000_done\" (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE \"dotted.name\" (id INTEGER PRIMARY KEY)");
  const std::string job =
      WriteJob("wild", "source: " + source.Url() + "\n" + "destination: " + dest.Url() + "\n" + R"(
include: ['a\*b', '100%_done', '"dotted.name"']
)");
  FerryResult run = RunFerry("run --job " + ShellQuote(job));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(ListTables(dest) == std::vector<std::string>{"100%_done", "a*b", "dotted.name"});
}

TEST_CASE("flags override the environment, which overrides the job file", "[job]") {
  TestDatabase source(Db::kSQLite, "prec_src");
  TestDatabase dest(Db::kSQLite, "prec_dst");
  source.Exec(
      "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000) "
      "INSERT INTO t SELECT n FROM g;\n"
      "CREATE TABLE u (id INTEGER PRIMARY KEY);\nINSERT INTO u VALUES (1)");
  const std::string job =
      WriteJob("prec", "source: " + source.Url() + "\n" + "destination: " + dest.Url() + "\n" + R"(
include: [u]
engine:
  partitions: 2
)");
  // The job file alone: its include and its partitions.
  FerryResult file_only = RunFerry("run --explain --job " + ShellQuote(job));
  INFO(file_only.output);
  CHECK(file_only.output.find("main.u -> main.u") != std::string::npos);
  CHECK(file_only.output.find("main.t -> ") == std::string::npos);
  // The environment beats the file; a flag beats both.
  FerryResult env = RunFerry("run --explain --job " + ShellQuote(job) + " --include t", true);
  INFO(env.output);
  CHECK(env.output.find("main.t -> main.t: 2 units") != std::string::npos);
  setenv("FERRY_PARTITIONS", "4", 1);
  FerryResult env4 = RunFerry("run --explain --job " + ShellQuote(job) + " --include t");
  FerryResult flag3 =
      RunFerry("run --explain --job " + ShellQuote(job) + " --include t --partitions 3");
  unsetenv("FERRY_PARTITIONS");
  INFO(env4.output);
  INFO(flag3.output);
  CHECK(env4.output.find("main.t -> main.t: 4 units") != std::string::npos);
  CHECK(flag3.output.find("main.t -> main.t: 3 units") != std::string::npos);
}

TEST_CASE("a password written in a job file is refused and not echoed", "[job][secrets]") {
  TestDatabase dest(Db::kSQLite, "pw_dst");
  const std::string job = WriteJob(
      "pw", "source: postgresql://ferry:Hunter2-In-File@127.0.0.1:1/x\ndestination: " + dest.Url() +
                "\n");
  FerryResult run = RunFerry("run --job " + ShellQuote(job));
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("password written in it") != std::string::npos);
  CHECK(run.output.find("Hunter2-In-File") == std::string::npos);
}
