// The endpoints' own options (drivers/open.hpp's EndpointOptions), given as flags and as the
// environment variables that set them before they were options: each reaches the end it
// belongs to, and a flag wins over its variable.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/scoped_env.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A script that answers like pg_dump of PostgreSQL 9.6, which cannot read a newer server.
std::string FakeOldPgDump() {
  const std::string path = "/tmp/ferry_options_pg_dump_" + std::to_string(getpid());
  std::FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f);
  std::fputs("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n", f);
  std::fclose(f);
  REQUIRE(chmod(path.c_str(), 0755) == 0);
  return path;
}

}  // namespace

TEST_CASE(
    "the option --pg-toast-compression or FERRY_PG_TOAST_COMPRESSION picks how a PostgreSQL "
    "destination compresses the values ferry writes",
    "[options][postgresql]") {
  TestDatabase source(Db::kPostgres, "opt_toast_src");
  TestDatabase dest(Db::kPostgres, "opt_toast_dst");
  if (dest.QueryValue("SELECT count(*) FROM pg_settings WHERE name = "
                      "'default_toast_compression' AND 'lz4' = ANY(enumvals)") != "1") {
    MarkSkipped("this PostgreSQL server has no lz4: nothing to choose between");
    return;
  }
  source.Exec("CREATE TABLE t (id int PRIMARY KEY, v text)");
  // Repetitive enough to compress, long enough (> 2 kB) to be compressed at all.
  source.Exec("INSERT INTO t SELECT g, repeat('compress me ', 1000) FROM generate_series(1, 20) g");
  const std::string methods = "SELECT string_agg(DISTINCT pg_column_compression(v), ',') FROM t";
  const std::string copy = "run --quiet --write-mode truncate" + Ends(source, dest);
  auto compressed_with = [&](const std::string& extra) {
    FerryResult r = RunFerry(copy + extra);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    return dest.QueryValue(methods);
  };
  CHECK(compressed_with("") == "lz4");
  CHECK(compressed_with(" --pg-toast-compression pglz") == "pglz");
  {
    ScopedEnv env("FERRY_PG_TOAST_COMPRESSION", "pglz");
    CHECK(compressed_with("") == "pglz");
    CHECK(compressed_with(" --pg-toast-compression lz4") == "lz4");
  }
  FerryResult bad = RunFerry(copy + " --pg-toast-compression zstd");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("lz4, pglz, server") != std::string::npos);
}

TEST_CASE(
    "the option --mariadb-write-method or FERRY_MARIADB_WRITE_METHOD picks how a MariaDB "
    "destination "
    "is written",
    "[options][mariadb]") {
  TestDatabase source(Db::kSQLite, "opt_method_src");
  TestDatabase dest(Db::kMariaDB, "opt_method_dst");
  source.Exec(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40));\n"
      "INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  const std::string profile =
      "/tmp/ferry-options-test-" + std::to_string(getpid()) + "-profile.json";
  const std::string copy =
      "run --quiet --write-mode truncate --profile " + profile + Ends(source, dest);
  auto written_by = [&](const std::string& extra) {
    FerryResult r = RunFerry(copy + extra);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(dest.QueryValue("SELECT count(*) FROM items") == "3");
    return nlohmann::json::parse(Slurp(profile))["tables"][0]["write_method"].get<std::string>();
  };
  CHECK(written_by("") == "bulk prepared insert");
  CHECK(written_by(" --mariadb-write-method load-data") == "LOAD DATA LOCAL");
  {
    ScopedEnv env("FERRY_MARIADB_WRITE_METHOD", "load-data");
    CHECK(written_by("") == "LOAD DATA LOCAL");
    CHECK(written_by(" --mariadb-write-method bulk") == "bulk prepared insert");
  }
  std::remove(profile.c_str());
}

TEST_CASE("the option --pg-dump or FERRY_PG_DUMP names the pg_dump a PostgreSQL schema clone runs",
          "[options][postgresql][clone]") {
  TestDatabase source(Db::kPostgres, "opt_dump_src");
  TestDatabase dest(Db::kPostgres, "opt_dump_dst");
  source.Exec("CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1)");
  const std::string fake = FakeOldPgDump();
  FerryResult by_flag = RunFerry("run --pg-dump " + ShellQuote(fake) + Ends(source, dest));
  FerryResult check = RunFerry("check --pg-dump " + ShellQuote(fake) + Ends(source, dest));
  std::optional<FerryResult> by_env;
  {
    ScopedEnv env("FERRY_PG_DUMP", fake);
    by_env = RunFerry("run" + Ends(source, dest));
  }
  std::remove(fake.c_str());
  for (const FerryResult* r : {&by_flag, &check, &*by_env}) {
    INFO(r->output);
    CHECK(r->exit_code == 4);
    CHECK(r->output.find("pg_dump 9.6.24") != std::string::npos);
  }
  // Nothing was written; the installed pg_dump then clones as usual.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_class WHERE relname = 't'") == "0");
  FerryResult run = RunFerry("run --quiet" + Ends(source, dest));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "1");
}

TEST_CASE(
    "the option --state-schema or FERRY_STATE_SCHEMA keeps the run state where it says, for every "
    "command that records one",
    "[options][postgresql][state]") {
  TestDatabase source(Db::kSQLite, "opt_state_src");
  TestDatabase dest(Db::kPostgres, "opt_state_dst");
  source.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t VALUES (1, 'a')");
  const std::string state_tables =
      "SELECT count(*) FROM pg_tables WHERE schemaname = '{}' AND tablename LIKE 'ferry%'";
  auto tables_in = [&](const std::string& schema) {
    std::string sql = state_tables;
    sql.replace(sql.find("{}"), 2, schema);
    return std::stoi(dest.QueryValue(sql));
  };
  {
    ScopedEnv env("FERRY_STATE_SCHEMA", "ops_env");
    FerryResult run = RunFerry("run --quiet" + Ends(source, dest));
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
  }
  CHECK(tables_in("ops_env") > 0);
  CHECK(tables_in("ferry_state") == 0);
  FerryResult verify = RunFerry("verify --state-schema ops_env" + Ends(source, dest));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  FerryResult status =
      RunFerry("status --json --state-schema ops_env --dest " + ShellQuote(dest.Url()));
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  nlohmann::json runs = nlohmann::json::parse(status.output)["runs"];
  REQUIRE(runs.size() == 2);
  // Runs are ordered by their start to the second: both may share one.
  std::set<std::string> commands = {runs[0]["command"], runs[1]["command"]};
  CHECK(commands == std::set<std::string>{"run", "verify"});
  CHECK(tables_in("ferry_state") == 0);
  // A flag wins over the variable: the state goes where the flag says.
  ScopedEnv env("FERRY_STATE_SCHEMA", "ops_env");
  FerryResult again =
      RunFerry("run --quiet --write-mode truncate --state-schema ops_flag" + Ends(source, dest));
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(tables_in("ops_flag") > 0);
}
