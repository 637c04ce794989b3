// Operator mistakes about the two ends (issue 14's safety guarantees): a URL parameter the
// engine does not take, the same database spelt another way at both ends, and two runs into one
// destination under different --state-prefix. Each is refused before anything is written, with
// a documented exit code and a message naming what is wrong, and never shows a password.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

constexpr int kExitUsage = 2;

int64_t Count(TestDatabase& db, const std::string& table) {
  return std::stoll(db.QueryValue("SELECT count(*) FROM " + table));
}

void MakeOrders(TestDatabase& db) {
  db.Exec(
      "CREATE TABLE orders (id int PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30)");
}

// ferry's run state tables in `db`, which a refused command must not have made.
bool HasRunState(TestDatabase& db) {
  switch (db.db()) {
    case Db::kPostgres:
      return db.QueryValue("SELECT count(*) FROM pg_namespace WHERE nspname = 'ferry_state'") !=
             "0";
    case Db::kMariaDB:
      return db.QueryValue(
                 "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                 "DATABASE() AND table_name LIKE 'ferry%'") != "0";
    case Db::kSQLite:
      return db.QueryValue("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'ferry%'") != "0";
  }
  return false;
}

}  // namespace

TEST_CASE(
    "a misspelt or unknown URL parameter is refused naming it and the parameters its engine "
    "takes, before anything is written",
    "[mistakes][url][postgresql][mariadb][sqlite]") {
  TestDatabase pg(Db::kPostgres, "param_pg");
  TestDatabase maria(Db::kMariaDB, "param_my");
  TestDatabase dest(Db::kSQLite, "param_dst");
  MakeOrders(pg);
  MakeOrders(maria);

  FerryResult pg_run = RunFerry("run --truncate" + Ends(pg.Url() + "?sslmod=require", dest.Url()));
  INFO(pg_run.output);
  CHECK(pg_run.exit_code == kExitUsage);
  CHECK(Has(pg_run.output,
            "the source URL sets ?sslmod=, which postgresql:// URLs do not take; "
            "did you mean ?sslmode=?"));
  CHECK(Has(pg_run.output, "they take sslmode, "));
  CHECK_FALSE(HasRunState(dest));

  FerryResult maria_check =
      RunFerry("check" + Ends(pg.Url(), maria.Url() + "?ssl_mode=REQUIRED&sslverify=1"));
  INFO(maria_check.output);
  CHECK(maria_check.exit_code == kExitUsage);
  CHECK(Has(maria_check.output,
            "the destination URL sets ?ssl_mode=, which mysql:// URLs do "
            "not take"));
  CHECK(Has(maria_check.output, "sslca"));

  // sqlite:FILE?mode=ro named (and, as a destination, made) a file called "FILE?mode=ro".
  const std::string path = dest.Url().substr(7);
  FerryResult sqlite_run = RunFerry("run" + Ends(pg.Url(), dest.Url() + "?mode=rwc"));
  INFO(sqlite_run.output);
  CHECK(sqlite_run.exit_code == kExitUsage);
  CHECK(Has(sqlite_run.output, "sets ?mode= after the path, but sqlite: URLs take no parameters"));
  CHECK_FALSE(std::filesystem::exists(path + "?mode=rwc"));
  CHECK_FALSE(HasRunState(dest));

  for (const FerryResult* r : {&pg_run, &maria_check, &sqlite_run}) {
    CHECK_FALSE(Has(r->output, TestPassword()));
  }

  // The parameters taken are honoured (a libpq keyword reaches psqlODBC through Pqopt).
  FerryResult copied =
      RunFerry("run --truncate" +
               Ends(pg.Url() + "?sslmode=disable&connect_timeout=5&options=-c%20work_mem%3D8MB&"
                               "keepalives_idle=30",
                    maria.Url() + "?conn_timeout=5"));
  INFO(copied.output);
  CHECK(copied.exit_code == 0);
  CHECK(Count(maria, "orders") == 3);
}
