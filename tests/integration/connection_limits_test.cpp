// Connection limits: a role's CONNECTION LIMIT (PostgreSQL) or an account's
// MAX_USER_CONNECTIONS (MariaDB) that leaves fewer sessions than a run asks for. ferry check
// blocks where not even one reader or writer could work, and warns where the run will go on
// with fewer; the run then copies with the sessions it gets instead of failing after
// --reconnect-wait (scheduler/pipeline_sessions.cpp), and builds keys the writers left no
// session for after the copy.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

// A login role of the PostgreSQL test server, dropped (with what it owns) when the test ends.
struct LimitedRole {
  TestDatabase& admin;
  std::string name = "ferry_lim_" + std::to_string(getpid());
  LimitedRole(TestDatabase& admin_db, int limit) : admin(admin_db) {
    admin.Exec("DROP ROLE IF EXISTS " + name);
    admin.Exec("CREATE ROLE " + name + " LOGIN PASSWORD '" + TestPassword() +
               "' CONNECTION LIMIT " + std::to_string(limit));
  }
  ~LimitedRole() {
    try {
      admin.Exec("DROP ROLE IF EXISTS " + name);
    } catch (...) {
    }
  }
  void Limit(int limit) {
    admin.Exec("ALTER ROLE " + name + " CONNECTION LIMIT " + std::to_string(limit));
  }
};

bool HasFinding(const FerryResult& r, const std::string& severity, const std::string& part) {
  json report = json::parse(r.output);
  for (const json& f : report["findings"]) {
    if (f["severity"] == severity && f["kind"] == "connections" &&
        Has(f["message"].get<std::string>(), part)) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE(
    "a destination role's connection limit that leaves no writer blocks check, and one that "
    "leaves one writer lets the run copy everything with fewer writers",
    "[connections][postgresql]") {
  TestDatabase admin(Db::kPostgres, "lim_admin");
  LimitedRole role(admin, 3);
  TestDatabase source(Db::kSQLite, "lim_src");
  TestDatabase dest(Db::kPostgres, "lim_dst");
  dest.Exec("ALTER DATABASE " + dest.name() + " OWNER TO " + role.name);
  source.Exec(
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);\n"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
      "INSERT INTO orders SELECT i, 'order ' || i FROM n");
  const std::string ends = Ends(source.Url(), AsUser(dest.Url(), role.name));

  // Its catalog session, the run state's, the run lock's: no room for a writer.
  FerryResult blocked = RunFerry("check" + ends + " --writers 2 --json --sample-seconds 0");
  INFO(blocked.output);
  CHECK(blocked.exit_code == 4);
  CHECK(HasFinding(blocked, "blocker", "the destination lets this user open 2 more sessions"));

  role.Limit(4);
  FerryResult warned = RunFerry("check" + ends + " --writers 2 --json --sample-seconds 0");
  INFO(warned.output);
  CHECK(warned.exit_code == 0);
  CHECK(HasFinding(warned, "warning", "it goes on with 1 writer"));

  FerryResult run = RunFerry("run" + ends + " --writers 2 --reconnect-wait 30");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(Has(run, " of 2 stands aside"));
  CHECK(RowCount(dest, "orders") == 5000);
  // The primary key, which the writer's session left no room for while it held it.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass "
                        "AND contype = 'p'") == "1");
  FerryResult verify = RunFerry("verify" + ends);
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  dest.Exec("ALTER DATABASE " + dest.name() + " OWNER TO ferry");
  dest.Exec("REASSIGN OWNED BY " + role.name + " TO ferry");
}

TEST_CASE(
    "a source role's connection limit that leaves one reader lets the run copy with one reader, "
    "and check says so",
    "[connections][postgresql]") {
  TestDatabase admin(Db::kPostgres, "lim_admin");
  LimitedRole role(admin, 10);
  TestDatabase source(Db::kPostgres, "lim_src");
  TestDatabase dest(Db::kSQLite, "lim_dst");
  source.Exec(
      "CREATE TABLE orders (id integer PRIMARY KEY, note text);\n"
      "INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 5000) g;\n"
      "GRANT SELECT ON orders TO " +
      role.name);
  // Its catalog session, the shared snapshot's, one reader.
  role.Limit(3);
  const std::string ends = Ends(AsUser(source.Url(), role.name), dest.Url());
  FerryResult warned = RunFerry("check" + ends + " --readers 2 --json --sample-seconds 0");
  INFO(warned.output);
  CHECK(warned.exit_code == 0);
  CHECK(HasFinding(warned, "warning", "it goes on with 1 reader"));

  // (Whether the second reader is refused depends on when its thread starts: the first may have
  // read the table's one unit and let its session go by then.)
  FerryResult run = RunFerry("run" + ends + " --readers 2 --reconnect-wait 30");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(RowCount(dest, "orders") == 5000);
  source.Exec("REVOKE ALL ON orders FROM " + role.name);
}

TEST_CASE(
    "a MariaDB account's MAX_USER_CONNECTIONS that leaves no writer blocks check, and one that "
    "leaves one writer lets the run copy everything",
    "[connections][mariadb]") {
  TestDatabase admin(Db::kMariaDB, "lim_admin");
  const std::string user = "ferry_lim_" + std::to_string(getpid());
  const std::string account = "'" + user + "'@'127.0.0.1'";
  struct DropUser {
    TestDatabase& admin;
    std::string account;
    ~DropUser() {
      try {
        admin.Exec("DROP USER IF EXISTS " + account);
      } catch (...) {
      }
    }
  } drop{admin, account};
  TestDatabase source(Db::kSQLite, "lim_src");
  TestDatabase dest(Db::kMariaDB, "lim_dst");
  admin.Exec("DROP USER IF EXISTS " + account);
  admin.Exec("CREATE USER " + account + " IDENTIFIED BY '" + TestPassword() +
             "' WITH MAX_USER_CONNECTIONS 3");
  admin.Exec("GRANT ALL ON " + dest.name() + ".* TO " + account);
  source.Exec(
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);\n"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
      "INSERT INTO orders SELECT i, 'order ' || i FROM n");
  const std::string ends = Ends(source.Url(), AsUser(dest.Url(), user));
  FerryResult blocked = RunFerry("check" + ends + " --writers 2 --json --sample-seconds 0");
  INFO(blocked.output);
  CHECK(blocked.exit_code == 4);
  CHECK(HasFinding(blocked, "blocker", "MAX_USER_CONNECTIONS"));

  admin.Exec("ALTER USER " + account + " WITH MAX_USER_CONNECTIONS 4");
  FerryResult warned = RunFerry("check" + ends + " --writers 2 --json --sample-seconds 0");
  INFO(warned.output);
  CHECK(warned.exit_code == 0);
  CHECK(HasFinding(warned, "warning", "it goes on with 1 writer"));
  FerryResult run = RunFerry("run" + ends + " --writers 2 --reconnect-wait 30");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(RowCount(dest, "orders") == 5000);
}
