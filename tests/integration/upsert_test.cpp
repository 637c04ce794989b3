// Write mode upsert end to end, into every destination engine: rows whose key the destination
// already holds take the source's values, the destination's other rows stay, new rows are
// inserted, and a second run changes nothing. Tables without a key are refused by name before
// anything is written. Also through a job file's per-table override, an edited plan, the
// PostgreSQL pass-through stream, MariaDB's LOAD DATA path, and (through the Endpoint sessions)
// together with a unit's replace range and finish statements.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "copier/catalog.hpp"
#include "drivers/open.hpp"
#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/scoped_env.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

std::string TempFile(const std::string& name) {
  return "/tmp/ferry-upsert-test-" + std::to_string(getpid()) + "-" + name;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The source: five items, two of which the destination holds with other values.
void CreateSourceItems(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INTEGER);\n"
      "INSERT INTO items VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30), "
      "(4, 'four', NULL), (5, 'five', 50)");
}

// The destination's own items table, holding rows 3 and 4 with other values and row 100,
// which the source lacks.
void CreateSeededItems(TestDatabase& dest) {
  const std::string integer = dest.db() == Db::kSQLite ? "INTEGER" : "BIGINT";
  dest.Exec("CREATE TABLE items (id " + integer + " PRIMARY KEY, name VARCHAR(40) NOT NULL, qty " +
            integer + ");\n" +
            "INSERT INTO items VALUES (3, 'old three', -3), (4, 'old four', 44), "
            "(100, 'kept', 1000)");
}

const std::vector<std::string> kUpsertedItems = {"1|one|10",    "2|two|20",  "3|three|30",
                                                 "4|four|NULL", "5|five|50", "100|kept|1000"};

}  // namespace

TEST_CASE("upsert updates the rows the destination holds, keeps its others and adds the new ones",
          "[upsert]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kSQLite, "ups_src");
      TestDatabase dest(db, "ups_dst");
      CreateSourceItems(source);
      CreateSeededItems(dest);
      const std::string run = "run" + Ends(source, dest) + " --write-mode upsert --partitions 2";
      FerryResult first = RunFerry(run);
      INFO(first.output);
      REQUIRE(first.exit_code == 0);
      CHECK(Items(dest) == kUpsertedItems);
      CHECK(dest.QueryValue("SELECT count(*) FROM items") == "6");

      FerryResult second = RunFerry(run);
      INFO(second.output);
      REQUIRE(second.exit_code == 0);
      CHECK(Items(dest) == kUpsertedItems);
    }
  }
}

TEST_CASE("upsert matches rows by a composite key, and by a key that is every column", "[upsert]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kSQLite, "ups_cmp_src");
      TestDatabase dest(db, "ups_cmp_dst");
      const char* ddl =
          "CREATE TABLE pairs (a INTEGER NOT NULL, b VARCHAR(20) NOT NULL, v VARCHAR(20), "
          "PRIMARY KEY (a, b));\n"
          "CREATE TABLE tags (a INTEGER NOT NULL, b VARCHAR(20) NOT NULL, PRIMARY KEY (a, b))";
      source.Exec(ddl);
      dest.Exec(ddl);
      source.Exec(
          "INSERT INTO pairs VALUES (1, 'x', 'new 1x'), (1, 'y', 'new 1y'), (2, 'x', 'new 2x');\n"
          "INSERT INTO tags VALUES (1, 'x'), (2, 'y')");
      // (1, 'y') and (2, 'x') collide; (2, 'y') shares a with one and b with the other only.
      dest.Exec(
          "INSERT INTO pairs VALUES (1, 'y', 'old 1y'), (2, 'x', 'old 2x'), (2, 'y', 'kept');\n"
          "INSERT INTO tags VALUES (1, 'x'), (3, 'z')");
      const std::string run = "run" + Ends(source, dest) + " --write-mode upsert";
      for (int pass = 1; pass <= 2; ++pass) {
        FerryResult result = RunFerry(run);
        INFO("pass " << pass << "\n" << result.output);
        REQUIRE(result.exit_code == 0);
        CHECK(RowLines(dest, "SELECT a, b, v FROM pairs ORDER BY a, b") ==
              std::vector<std::string>{"1|x|new 1x", "1|y|new 1y", "2|x|new 2x", "2|y|kept"});
        CHECK(RowLines(dest, "SELECT a, b FROM tags ORDER BY a, b") ==
              std::vector<std::string>{"1|x", "2|y", "3|z"});
      }
    }
  }
}

TEST_CASE("upsert of a table without a key is refused naming the table, before any write",
          "[upsert]") {
  TestDatabase source(Db::kSQLite, "ups_nokey_src");
  TestDatabase dest(Db::kPostgres, "ups_nokey_dst");
  CreateSourceItems(source);
  source.Exec(
      "CREATE TABLE audit_log (at TEXT, what TEXT);\nINSERT INTO audit_log VALUES ('t', 'x')");
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --write-mode upsert");
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(run.output.find("audit_log") != std::string::npos);
  CHECK(run.output.find("write mode upsert needs a primary key or a unique key") !=
        std::string::npos);
  CHECK(ListTables(dest).empty());
}

TEST_CASE("upsert into a destination table without a key is refused naming that table",
          "[upsert]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kSQLite, "ups_dnokey_src");
      TestDatabase dest(db, "ups_dnokey_dst");
      CreateSourceItems(source);
      const std::string integer = db == Db::kSQLite ? "INTEGER" : "BIGINT";
      dest.Exec("CREATE TABLE items (id " + integer + ", name VARCHAR(40) NOT NULL, qty " +
                integer + ");\nINSERT INTO items VALUES (3, 'old three', -3)");
      FerryResult run = RunFerry("run" + Ends(source, dest) + " --write-mode upsert");
      INFO(run.output);
      CHECK(run.exit_code == 4);
      CHECK(run.output.find("on destination table") != std::string::npos);
      CHECK(run.output.find("items") != std::string::npos);
      CHECK(Items(dest) == std::vector<std::string>{"3|old three|-3"});
    }
  }
}

TEST_CASE("upsert into a table ferry creates loads it with its primary key already in place",
          "[upsert][postgresql]") {
  TestDatabase source(Db::kSQLite, "ups_new_src");
  TestDatabase dest(Db::kPostgres, "ups_new_dst");
  CreateSourceItems(source);
  const std::string run = "run" + Ends(source, dest) + " --write-mode upsert";
  FerryResult first = RunFerry(run);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(Items(dest) ==
        std::vector<std::string>{"1|one|10", "2|two|20", "3|three|30", "4|four|NULL", "5|five|50"});
  CHECK(dest.QueryValue("SELECT count(*) FROM information_schema.table_constraints WHERE "
                        "table_name = 'items' AND constraint_type = 'PRIMARY KEY'") == "1");
  // The table now exists, so this run upserts into it.
  dest.Exec(
      "UPDATE items SET name = 'changed' WHERE id = 2;\nINSERT INTO items VALUES (9, 'x', 9)");
  FerryResult second = RunFerry(run);
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(Items(dest) == std::vector<std::string>{"1|one|10", "2|two|20", "3|three|30", "4|four|NULL",
                                                "5|five|50", "9|x|9"});
}

TEST_CASE("a PostgreSQL-to-PostgreSQL upsert keeps the binary COPY stream passing through",
          "[upsert][pass-through][postgresql]") {
  TestDatabase source(Db::kPostgres, "ups_pt_src");
  TestDatabase dest(Db::kPostgres, "ups_pt_dst");
  const char* ddl =
      "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40) NOT NULL, qty bigint, "
      "price numeric(10,2), seen timestamptz)";
  source.Exec(ddl);
  dest.Exec(ddl);
  source.Exec(
      "INSERT INTO items SELECT n, 'item ' || n, n * 10, n / 4.0, "
      "'2024-01-01 00:00:00+00'::timestamptz + n * interval '1 hour' "
      "FROM generate_series(1, 2000) n");
  dest.Exec(
      "INSERT INTO items VALUES (7, 'stale', -1, 0, NULL), (1500, 'stale', -1, 0, NULL), "
      "(5000, 'kept', 1, 1, NULL)");
  const std::string profile = TempFile("pt-profile.json");
  const std::string run =
      "run" + Ends(source, dest) + " --write-mode upsert --partitions 3 --profile " + profile;
  for (int pass = 1; pass <= 2; ++pass) {
    FerryResult result = RunFerry(run);
    INFO("pass " << pass << "\n" << result.output);
    REQUIRE(result.exit_code == 0);
    json doc = json::parse(Slurp(profile));
    REQUIRE(doc["tables"].size() == 1);
    CHECK(doc["tables"][0]["pass_through"] == true);
    CHECK(doc["tables"][0]["write_method"] ==
          "binary COPY (pass-through) into a temporary table, then upsert");
    CHECK(dest.QueryValue("SELECT count(*) FROM items") == "2001");
    CHECK(RowLines(dest,
                   "SELECT id, name, qty, price FROM items WHERE id IN (7, 1500, 5000) "
                   "ORDER BY id") == std::vector<std::string>{"7|item 7|70|1.75",
                                                              "1500|item 1500|15000|375.00",
                                                              "5000|kept|1|1.00"});
    CHECK(dest.QueryValue("SELECT count(*) FROM items WHERE name <> 'item ' || id") == "1");
  }
  std::remove(profile.c_str());
}

TEST_CASE("a PostgreSQL upsert unit of many batches merges them in steps and ends exact",
          "[upsert][postgresql]") {
  // The staging table is merged into the table every few thousand rows, so the server merges
  // while ferry still reads; each step must update and insert exactly like one merge would.
  for (Db from : {Db::kPostgres, Db::kSQLite}) {
    DYNAMIC_SECTION("from " << DbName(from)) {
      TestDatabase source(from, "ups_steps_src");
      TestDatabase dest(Db::kPostgres, "ups_steps_dst");
      source.Exec(
          "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40) NOT NULL, qty bigint)");
      dest.Exec(
          "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40) NOT NULL, qty bigint)");
      std::string rows;
      for (int n = 1; n <= 20000; ++n) {
        rows += (rows.empty() ? "" : ", ") + fmt::format("({}, 'item {}', {})", n, n, n * 10);
        if (n % 1000 == 0) {
          source.Exec("INSERT INTO items VALUES " + rows);
          rows.clear();
        }
      }
      // Stale rows spread over the key range (so over several steps), and one the source lacks.
      dest.Exec(
          "INSERT INTO items VALUES (1, 'stale', -1), (4500, 'stale', -1), (9001, 'stale', -1), "
          "(19999, 'stale', -1), (30000, 'kept', 1)");
      FerryResult result = RunFerry("run" + Ends(source, dest) +
                                    " --write-mode upsert --partitions 1 --batch-rows 1000");
      INFO(result.output);
      REQUIRE(result.exit_code == 0);
      CHECK(dest.QueryValue("SELECT count(*) FROM items") == "20001");
      CHECK(dest.QueryValue("SELECT count(*) FROM items WHERE id <= 20000 AND "
                            "(name <> 'item ' || id OR qty <> id * 10)") == "0");
      CHECK(dest.QueryValue("SELECT name FROM items WHERE id = 30000") == "kept");
    }
  }
}

TEST_CASE("MariaDB's LOAD DATA and ODBC write paths upsert too", "[upsert][mariadb]") {
  // LOAD DATA loads a temporary table and merges it; ODBC runs the dialect's upsert statement.
  const std::vector<std::pair<const char*, const char*>> methods = {
      {"load-data", "LOAD DATA LOCAL into a temporary table, then upsert"},
      {"odbc", "ODBC parameter arrays (upsert)"}};
  for (const auto& [name, method] : methods) {
    DYNAMIC_SECTION(name) {
      TestDatabase source(Db::kSQLite, "ups_wm_src");
      TestDatabase dest(Db::kMariaDB, "ups_wm_dst");
      CreateSourceItems(source);
      CreateSeededItems(dest);
      ScopedEnv env("FERRY_MARIADB_WRITE_METHOD", name);
      const std::string profile = TempFile(std::string(name) + "-profile.json");
      const std::string run =
          "run" + Ends(source, dest) + " --write-mode upsert --profile " + profile;
      for (int pass = 1; pass <= 2; ++pass) {
        FerryResult result = RunFerry(run);
        INFO("pass " << pass << "\n" << result.output);
        REQUIRE(result.exit_code == 0);
        CHECK(Items(dest) == kUpsertedItems);
        json doc = json::parse(Slurp(profile));
        CHECK(doc["tables"][0]["write_method"] == method);
      }
      std::remove(profile.c_str());
    }
  }
}

TEST_CASE("upsert matches by a natural unique key where the destination's own key is not copied",
          "[upsert][postgresql]") {
  TestDatabase source(Db::kSQLite, "ups_nat_src");
  TestDatabase dest(Db::kPostgres, "ups_nat_dst");
  source.Exec(
      "CREATE TABLE codes (code VARCHAR(10) PRIMARY KEY, label TEXT);\n"
      "INSERT INTO codes VALUES ('a', 'new a'), ('b', 'new b')");
  // A surrogate identity key the source lacks, generated always, and the natural key unique.
  dest.Exec(
      "CREATE TABLE codes (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
      "code varchar(10) NOT NULL UNIQUE, label text);\n"
      "INSERT INTO codes (code, label) VALUES ('b', 'old b'), ('z', 'kept')");
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --write-mode upsert");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(RowLines(dest, "SELECT code, label FROM codes ORDER BY code") ==
        std::vector<std::string>{"a|new a", "b|new b", "z|kept"});
  CHECK(dest.QueryValue("SELECT id FROM codes WHERE code = 'b'") == "1");
}

TEST_CASE("upsert writes a PostgreSQL identity column that is generated always",
          "[upsert][postgresql]") {
  TestDatabase source(Db::kSQLite, "ups_ident_src");
  TestDatabase dest(Db::kPostgres, "ups_ident_dst");
  CreateSourceItems(source);
  dest.Exec(
      "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
      "name varchar(40) NOT NULL, qty bigint);\n"
      "INSERT INTO items OVERRIDING SYSTEM VALUE VALUES (3, 'old three', -3), "
      "(4, 'old four', 44), (100, 'kept', 1000)");
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --write-mode upsert");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(Items(dest) == kUpsertedItems);
}

TEST_CASE("a job file's per-table override makes one table upsert while the others are created",
          "[upsert][job]") {
  TestDatabase source(Db::kSQLite, "ups_job_src");
  TestDatabase dest(Db::kPostgres, "ups_job_dst");
  CreateSourceItems(source);
  source.Exec(
      "CREATE TABLE extra (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO extra VALUES (1, 'a')");
  CreateSeededItems(dest);
  const std::string job = TempFile("job.yaml");
  std::ofstream(job) << "source: " << source.Url() << "\ndestination: " << dest.Url() << "\n"
                     << "tables:\n  - match: items\n    write_mode: upsert\n";
  FerryResult run = RunFerry("run --job " + ShellQuote(job));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(Items(dest) == kUpsertedItems);
  CHECK(RowLines(dest, "SELECT id, v FROM extra") == std::vector<std::string>{"1|a"});
  std::remove(job.c_str());
}

TEST_CASE("ferry plan records write mode upsert, and an edit to upsert is honoured",
          "[upsert][plan]") {
  TestDatabase source(Db::kSQLite, "ups_plan_src");
  TestDatabase dest(Db::kMariaDB, "ups_plan_dst");
  CreateSourceItems(source);
  CreateSeededItems(dest);
  const std::string file = TempFile("plan.json");

  FerryResult planned = RunFerry("plan" + Ends(source, dest) + " --write-mode upsert -o " + file);
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(json::parse(Slurp(file))["tables"][0]["write_mode"] == "upsert");

  // A plan made for write mode append, edited to upsert.
  REQUIRE(RunFerry("plan" + Ends(source, dest) + " --append -o " + file).exit_code == 0);
  json plan = json::parse(Slurp(file));
  REQUIRE(plan["tables"][0]["write_mode"] == "append");
  plan["tables"][0]["write_mode"] = "upsert";
  std::ofstream(file) << plan.dump(2);
  FerryResult run = RunFerry("run --plan " + file);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(Items(dest) == kUpsertedItems);
  std::remove(file.c_str());
}

// Through the Endpoint sessions: an upserting unit deletes its replace range and runs its finish
// statements inside its own transaction, so a rollback leaves everything as it was.
TEST_CASE("an upserting unit keeps its replace range and finish statements in its transaction",
          "[upsert]") {
  using ferry::Batch;
  using ferry::Endpoint;
  using ferry::EndpointRole;
  using ferry::KeyRange;
  using ferry::ReadRequest;
  using ferry::Table;
  using ferry::TableName;
  using ferry::WriteRequest;
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kSQLite, "ups_unit_src");
      TestDatabase dest(db, "ups_unit_dst");
      source.Exec("CREATE TABLE t (id integer PRIMARY KEY, v varchar(20))");
      dest.Exec(
          "CREATE TABLE t (id integer PRIMARY KEY, v varchar(20));\nCREATE TABLE marks (n "
          "integer)");
      for (int i = 1; i <= 10; ++i) {
        if (i == 5) continue;
        source.Exec("INSERT INTO t VALUES (" + std::to_string(i) + ", 'new" + std::to_string(i) +
                    "')");
      }
      dest.Exec(
          "INSERT INTO t VALUES (1, 'old1');\nINSERT INTO t VALUES (3, 'old3');\n"
          "INSERT INTO t VALUES (5, 'gone');\nINSERT INTO t VALUES (9, 'old9')");
      setenv("FERRY_SOURCE_PASSWORD", TestPassword().c_str(), 1);
      setenv("FERRY_DEST_PASSWORD", TestPassword().c_str(), 1);
      auto from = ferry::OpenEndpoint(source.Url(), EndpointRole::kSource);
      auto to = ferry::OpenEndpoint(dest.Url(), EndpointRole::kDestination);
      const Table src = *from->DescribeTable(TableName{"main", "t"});
      const Table dst = *to->DescribeTable(
          TableName{db == Db::kPostgres ? "public" : to->info().default_schema, "t"});
      auto range = [](int lo, int hi) {
        KeyRange r;
        r.key_columns = {0};
        r.lo = std::vector<std::string>{std::to_string(lo)};
        r.hi = std::vector<std::string>{std::to_string(hi)};
        return r;
      };
      auto unit = [&](int lo, int hi, bool replace, bool commit) {
        ReadRequest read;
        read.table = &src;
        read.columns = {0, 1};
        read.unit.table = src.name;
        read.unit.range = range(lo, hi);
        WriteRequest write;
        write.table = &dst;
        write.columns = {0, 1};
        write.key_positions = {0};
        write.upsert = true;
        write.upsert_key = {0};
        if (replace) write.replace_range = range(lo, hi);
        auto read_session = from->OpenReadSession();
        auto write_session = to->OpenWriteSession();
        auto reader = read_session->Read(read);
        auto writer = write_session->Write(write);
        Batch batch;
        while (reader->Next(batch)) writer->Write(batch);
        if (commit) {
          writer->Commit({"INSERT INTO marks VALUES (" + std::to_string(lo) + ")"});
        } else {
          writer->Rollback();
        }
      };
      const std::string all = "SELECT id, v FROM t ORDER BY id";
      const std::vector<std::string> before = RowLines(dest, all);

      unit(2, 7, /*replace=*/true, /*commit=*/false);
      CHECK(RowLines(dest, all) == before);
      CHECK(dest.QueryValue("SELECT count(*) FROM marks") == "0");

      unit(2, 7, /*replace=*/true, /*commit=*/true);
      unit(8, 11, /*replace=*/false, /*commit=*/true);
      CHECK(RowLines(dest, all) == std::vector<std::string>{"1|old1", "2|new2", "3|new3", "4|new4",
                                                            "6|new6", "8|new8", "9|new9",
                                                            "10|new10"});
      CHECK(RowLines(dest, "SELECT n FROM marks ORDER BY n") == std::vector<std::string>{"2", "8"});
    }
  }
}
