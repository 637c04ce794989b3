// Bad input gets a clear error naming what is wrong, a non-zero exit code from the documented
// table, and writes nothing. No password ever shows in anything ferry prints.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <filesystem>

#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;

namespace {

constexpr int kExitTablesFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitConnection = 3;
constexpr int kExitBlocked = 4;

std::string Args(const std::string& source, const std::string& dest) {
  return "run --source " + ShellQuote(source) + " --dest " + ShellQuote(dest);
}

void CreateOrders(TestDatabase& db) {
  db.Exec(
      "CREATE TABLE customers (id int PRIMARY KEY, name varchar(20));\n"
      "INSERT INTO customers VALUES (1, 'Ada');\n"
      "CREATE TABLE orders (id int PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (1, 10)");
}

}  // namespace

TEST_CASE("an unreachable server is a connection error naming the server", "[bad-input]") {
  TestDatabase dest(Db::kSQLite, "unreach_dst");
  FerryResult run = RunFerry(Args("postgresql://ferry@127.0.0.1:1/nowhere", dest.Url()));
  INFO(run.output);
  CHECK(run.exit_code == kExitConnection);
  CHECK(run.output.find("cannot connect to postgresql://ferry@127.0.0.1:1/nowhere") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dest.Url().substr(7)));
}

TEST_CASE("a wrong password is a connection error that shows neither password", "[bad-input]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "wrongpw_src");
      TestDatabase dest(Db::kSQLite, "wrongpw_dst");
      const std::string wrong = "Wrong-Pass-7c1e";
      FerryResult run = RunFerry(
          "run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()), false);
      // With no password at all the server refuses too.
      CHECK(run.exit_code == kExitConnection);
      std::string command = "FERRY_SOURCE_PASSWORD=" + ShellQuote(wrong) + " " +
                            ShellQuote(FerryBinary()) + " " + Args(source.Url(), dest.Url()) +
                            " 2>&1";
      std::FILE* pipe = popen(command.c_str(), "r");
      std::string output;
      char buffer[4096];
      size_t n;
      while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
      int status = pclose(pipe);
      INFO(output);
      CHECK(WEXITSTATUS(status) == kExitConnection);
      CHECK(output.find("password") != std::string::npos);
      CHECK(output.find(wrong) == std::string::npos);
      CHECK(output.find(TestPassword()) == std::string::npos);
    }
  }
}

TEST_CASE("a missing ODBC driver is named with advice on installing it", "[bad-input]") {
  TestDatabase dest(Db::kSQLite, "nodriver_dst");
  FerryResult run =
      RunFerry(Args("Driver={No Such ODBC Driver};Server=127.0.0.1;Database=x", dest.Url()));
  INFO(run.output);
  CHECK(run.exit_code == kExitBlocked);
  CHECK(run.output.find("odbcinst") != std::string::npos);
}

TEST_CASE("a missing SQLite source file is an error and is not created", "[bad-input]") {
  TestDatabase dest(Db::kSQLite, "nofile_dst");
  const std::string missing = "/tmp/ferry-no-such-dir/none.sqlite";
  FerryResult run = RunFerry(Args("sqlite:" + missing, dest.Url()));
  INFO(run.output);
  CHECK(run.exit_code == kExitConnection);
  CHECK(run.output.find(missing) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("an --include that matches no table names the pattern and copies nothing",
          "[bad-input]") {
  TestDatabase source(Db::kSQLite, "unknown_src");
  TestDatabase dest(Db::kPostgres, "unknown_dst");
  CreateOrders(source);
  FerryResult run = RunFerry(Args(source.Url(), dest.Url()) + " --include orders --include ordrs");
  INFO(run.output);
  CHECK(run.exit_code == kExitBlocked);
  CHECK(run.output.find("'ordrs' matches no table") != std::string::npos);
  CHECK(ListTables(dest).empty());
}

TEST_CASE(
    "a destination table of an incompatible shape stops the copy before anything is "
    "written",
    "[bad-input]") {
  for (Db to : kAllDbs) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase source(Db::kSQLite, "shape_src");
      TestDatabase dest(to, "shape_dst");
      CreateOrders(source);
      dest.Exec("CREATE TABLE orders (id int PRIMARY KEY, amount date)");
      FerryResult run = RunFerry(Args(source.Url(), dest.Url()));
      INFO(run.output);
      CHECK(run.exit_code == kExitBlocked);
      CHECK(run.output.find("column amount") != std::string::npos);
      CHECK(run.output.find("not interchangeable") != std::string::npos);
      // customers comes first alphabetically and would have been created: it was not.
      CHECK(ListTables(dest) == std::vector<std::string>{"orders"});
      CHECK(dest.QueryValue("SELECT count(*) FROM orders") == "0");
    }
  }
}

TEST_CASE("a destination table that already holds rows is refused unless told what to do",
          "[bad-input]") {
  TestDatabase source(Db::kSQLite, "full_src");
  TestDatabase dest(Db::kSQLite, "full_dst");
  CreateOrders(source);
  dest.Exec(
      "CREATE TABLE orders (id int PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (99, 1)");
  FerryResult refused = RunFerry(Args(source.Url(), dest.Url()));
  INFO(refused.output);
  CHECK(refused.exit_code == kExitBlocked);
  CHECK(refused.output.find("already holds rows") != std::string::npos);
  CHECK(dest.QueryValue("SELECT count(*) FROM orders") == "1");

  FerryResult appended = RunFerry(Args(source.Url(), dest.Url()) + " --include orders --append");
  INFO(appended.output);
  CHECK(appended.exit_code == 0);
  CHECK(dest.QueryValue("SELECT count(*) FROM orders") == "2");

  FerryResult truncated = RunFerry(Args(source.Url(), dest.Url()) + " --include orders --truncate");
  INFO(truncated.output);
  CHECK(truncated.exit_code == 0);
  CHECK(dest.QueryValue("SELECT group_concat(id) FROM orders") == "1");
}

TEST_CASE("malformed patterns and connections are usage errors", "[bad-input]") {
  TestDatabase source(Db::kSQLite, "usage_src");
  CreateOrders(source);
  FerryResult pattern = RunFerry(Args(source.Url(), "sqlite:/tmp/x.sqlite") + " --include a.b.c");
  INFO(pattern.output);
  CHECK(pattern.exit_code == kExitUsage);
  CHECK(pattern.output.find("a.b.c") != std::string::npos);

  FerryResult url = RunFerry(Args("postgresql://ferry@127.0.0.1:notaport/db", source.Url()));
  INFO(url.output);
  CHECK(url.exit_code == kExitUsage);

  FerryResult missing = RunFerry("run --source " + ShellQuote(source.Url()));
  CHECK(missing.exit_code == kExitUsage);
  CHECK(missing.output.find("--dest") != std::string::npos);
}

TEST_CASE("no password appears in any output of failing and succeeding runs",
          "[bad-input][secrets]") {
  const std::string& password = TestPassword();
  TestDatabase pg(Db::kPostgres, "secret_pg");
  TestDatabase maria(Db::kMariaDB, "secret_my");
  TestDatabase lite(Db::kSQLite, "secret_lite");
  CreateOrders(pg);
  std::vector<FerryResult> runs;
  runs.push_back(RunFerry(Args(pg.Url(), maria.Url())));                         // succeeds
  runs.push_back(RunFerry(Args(pg.Url(), maria.Url())));                         // rows exist
  runs.push_back(RunFerry(Args(maria.Url(), lite.Url()) + " --include nope"));   // unknown table
  runs.push_back(RunFerry(Args(pg.Url(), "postgresql://ferry@127.0.0.1:1/x")));  // unreachable
  maria.Exec(
      "CREATE TABLE bad (id int PRIMARY KEY, d double);\n"
      "INSERT INTO bad VALUES (1, 1.5)");
  pg.Exec("CREATE TABLE bad (id int PRIMARY KEY, d smallint)");
  runs.push_back(RunFerry(Args(maria.Url(), pg.Url()) + " --include bad"));  // shape/value
  // A password typed into the URL is refused, and not echoed back.
  std::string inline_url = pg.Url();
  inline_url.replace(inline_url.find("ferry@"), 6, "ferry:" + password + "@");
  runs.push_back(RunFerry(Args(inline_url, lite.Url())));
  CHECK(runs[0].exit_code == 0);
  CHECK(runs[1].exit_code == kExitBlocked);
  CHECK(runs[5].exit_code == kExitUsage);
  for (const FerryResult& r : runs) {
    INFO(r.output);
    CHECK(r.output.find(password) == std::string::npos);
    CHECK(r.output.find("Pwd=") == std::string::npos);
  }
}
