// Operator mistakes (issue 12): each test makes the mistake a careless or hurried DBA makes and
// checks that ferry refuses it before anything is written, with a documented exit code and a
// message naming the cause, or does the right thing; never exit 0 with wrong data.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

constexpr int kExitTablesFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBlocked = 4;

// Whether a session of `db` runs `sleep` (a lock holder's last statement, its locks taken by the
// ones before it) within 30 s: a fixed pause raced a holder slow to start on a loaded machine.
bool HolderSleeping(TestDatabase& db, const std::string& sleep) {
  const std::string sql =
      db.db() == Db::kPostgres
          ? "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
            "query LIKE '" +
                sleep + "%'"
          : "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND "
            "info LIKE '" +
                sleep + "%'";
  for (int i = 0; i < 600; ++i) {
    if (db.QueryValue(sql) != "0") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The same database spelled another way: another address of the same server, or an ODBC
// connection string instead of a URL, or another path to the same SQLite file.
std::string OtherSpelling(const TestDatabase& db, const std::string& link) {
  switch (db.db()) {
    case Db::kPostgres: {
      std::string url = db.Url();
      return url.replace(url.find("127.0.0.1"), 9, "localhost");
    }
    case Db::kMariaDB: {
      const std::string url = db.Url();  // mysql://ferry@127.0.0.1:PORT/NAME
      const size_t colon = url.rfind(':');
      const size_t slash = url.rfind('/');
      return "Driver={MariaDB Unicode};Server=127.0.0.1;Port=" +
             url.substr(colon + 1, slash - colon - 1) + ";Database=" + db.name() + ";Uid=ferry;";
    }
    case Db::kSQLite: {
      const std::string path = db.Url().substr(7);
      std::filesystem::create_symlink(path, link);
      return "sqlite:" + link;
    }
  }
  return "";
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
      .string();
}

struct TempFile {
  explicit TempFile(const std::string& name) : path(TempPath(name)) {}
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

}  // namespace

TEST_CASE(
    "the same database at both ends is refused before anything is written, however the "
    "connections spell it",
    "[mistakes][postgresql][mariadb][sqlite]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase same(db, "same_db");
      same.Exec(
          "CREATE TABLE orders (id int PRIMARY KEY, amount int);\n"
          "INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30)");
      TempFile link("ferry-same-link.db");
      const std::string other = OtherSpelling(same, link.path);
      REQUIRE(other != same.Url());

      FerryResult run = RunFerry("run --truncate" + Ends(same.Url(), other));
      INFO(run.output);
      CHECK(run.exit_code == kExitUsage);
      CHECK(Has(run, "same database"));
      CHECK(Has(run, "orders"));
      CHECK(RowCount(same, "orders") == 3);

      FerryResult check = RunFerry("check --truncate" + Ends(same.Url(), other));
      INFO(check.output);
      CHECK(check.exit_code == kExitBlocked);
      CHECK(Has(check, "same database"));

      FerryResult plan = RunFerry("plan" + Ends(other, same.Url()));
      INFO(plan.output);
      CHECK(plan.exit_code == kExitUsage);
      CHECK(Has(plan, "same database"));

      FerryResult verify = RunFerry("verify --repair" + Ends(same.Url(), other));
      INFO(verify.output);
      CHECK(verify.exit_code == kExitUsage);
      CHECK(Has(verify, "same database"));

      FerryResult sync = RunFerry("sync" + Ends(same.Url(), other));
      INFO(sync.output);
      CHECK(sync.exit_code == kExitUsage);
      CHECK(Has(sync, "same database"));

      CHECK(RowCount(same, "orders") == 3);
      for (const FerryResult* r : {&run, &check, &plan, &verify, &sync}) {
        CHECK_FALSE(Has(*r, TestPassword()));
      }
    }
  }
}

TEST_CASE("a copy between two tables of one database, renamed apart, is allowed",
          "[mistakes][postgresql]") {
  TestDatabase same(Db::kPostgres, "same_renamed");
  same.Exec(
      "CREATE TABLE orders (id int PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (1, 10), (2, 20)");
  TempFile job("ferry-rename-job.yaml");
  Write(job.path,
        "rename:\n"
        "  tables:\n"
        "    - from: orders\n"
        "      to: orders_copy\n");
  FerryResult run =
      RunFerry("run --include orders --job " + ShellQuote(job.path) + Ends(same.Url(), same.Url()));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(RowCount(same, "orders_copy") == 2);
  CHECK(RowCount(same, "orders") == 2);
}

TEST_CASE(
    "an interrupted run that a later complete run copied again no longer blocks, and is not "
    "resumed on top of it",
    "[mistakes][resume][mariadb]") {
  TestDatabase source(Db::kPostgres, "superseded_src");
  TestDatabase dest(Db::kMariaDB, "superseded_dst");
  source.Exec(
      "CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "CREATE TABLE small (id int PRIMARY KEY, name text);\n"
      "INSERT INTO small SELECT g, 'n' || g FROM generate_series(1, 300) g;\n"
      "CREATE TABLE extra (id int PRIMARY KEY);\n"
      "INSERT INTO extra VALUES (1);\n"
      "ANALYZE");
  const std::string narrow = " --include big --include small --partitions 8 --writers 1";
  {
    setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
    FerryResult crashed = RunFerry("run -q" + narrow + Ends(source.Url(), dest.Url()));
    unsetenv("FERRY_TEST_CRASH");
    INFO(crashed.output);
    REQUIRE(crashed.exit_code == 86);
  }
  // Runs are ordered by their start, to the second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // Another copy (every table, so another scope) empties and fills the same tables.
  FerryResult full = RunFerry("run --truncate --partitions 8" + Ends(source.Url(), dest.Url()));
  INFO(full.output);
  REQUIRE(full.exit_code == 0);
  CHECK(Has(full, "write mode truncate: emptying"));

  // The advised resume finds nothing to resume: the later run superseded the crashed one, so
  // its missing units are not added on top of that run's rows.
  FerryResult resumed = RunFerry("run --resume" + narrow + Ends(source.Url(), dest.Url()));
  {
    INFO(resumed.output);
    CHECK(Has(resumed, "superseded"));
    CHECK_FALSE(Has(resumed, "resuming run"));
    CHECK_FALSE(Has(resumed, "Duplicate entry"));
    // A new run of that copy then finds the tables full (write mode create): refused.
    CHECK(resumed.exit_code == kExitBlocked);
    CHECK(Has(resumed, "already holds rows"));
  }
  // And the copy runs again without being blocked by the crashed run.
  FerryResult again = RunFerry("run --truncate" + narrow + Ends(source.Url(), dest.Url()));
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK_FALSE(Has(again, "holds an interrupted"));
  CHECK(RowCount(dest, "big") == 20000);
  CHECK(RowCount(dest, "small") == 300);
  CHECK(RowCount(dest, "extra") == 1);
}

TEST_CASE("a resume after another run wrote into one of the run's tables is refused",
          "[mistakes][resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "touched_src");
  TestDatabase dest(Db::kPostgres, "touched_dst");
  source.Exec(
      "CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "CREATE TABLE small (id int PRIMARY KEY);\n"
      "INSERT INTO small SELECT g FROM generate_series(1, 10) g;\n"
      "ANALYZE");
  const std::string both = " --partitions 8 --writers 1";
  {
    setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
    FerryResult crashed = RunFerry("run -q" + both + Ends(source.Url(), dest.Url()));
    unsetenv("FERRY_TEST_CRASH");
    REQUIRE(crashed.exit_code == 86);
  }
  // Runs are ordered by their start, to the second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // Another copy (of big only) writes into big and fails half way: it covers nothing.
  dest.Exec("ALTER TABLE big ADD CONSTRAINT short_v CHECK (id < 15000) NOT VALID");
  FerryResult partial =
      RunFerry("run --truncate --include big" + both + Ends(source.Url(), dest.Url()));
  INFO(partial.output);
  REQUIRE(partial.exit_code == kExitTablesFailed);
  dest.Exec("ALTER TABLE big DROP CONSTRAINT short_v");

  FerryResult resumed = RunFerry("run --resume" + both + Ends(source.Url(), dest.Url()));
  INFO(resumed.output);
  CHECK(resumed.exit_code == kExitBlocked);
  CHECK(Has(resumed, "cannot be resumed"));
  CHECK(Has(resumed, "big"));
}

TEST_CASE("a resume with a plan file that differs from the stored plan names the difference",
          "[mistakes][resume][plan][postgresql]") {
  TestDatabase source(Db::kPostgres, "planres_src");
  TestDatabase dest(Db::kPostgres, "planres_dst");
  source.Exec(
      "CREATE TABLE big (id int PRIMARY KEY, amount numeric(10,2) NOT NULL);\n"
      "INSERT INTO big SELECT g, g / 100.0 FROM generate_series(1, 20000) g;\n"
      "ANALYZE");
  TempFile plan_file("ferry-resume-plan.json");
  FerryResult plan = RunFerry("plan --partitions 8 -o " + ShellQuote(plan_file.path) +
                              Ends(source.Url(), dest.Url()));
  INFO(plan.output);
  REQUIRE(plan.exit_code == 0);
  {
    setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
    FerryResult crashed = RunFerry("run -q --writers 1 --plan " + ShellQuote(plan_file.path));
    unsetenv("FERRY_TEST_CRASH");
    INFO(crashed.output);
    REQUIRE(crashed.exit_code == 86);
  }
  // Runs are ordered by their start, to the second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // The same plan resumes.
  nlohmann::json doc = nlohmann::json::parse(std::ifstream(plan_file.path));
  doc["tables"][0]["columns"][1]["destination_type"] = "numeric(12,2)";
  TempFile fixed("ferry-fixed-plan.json");
  Write(fixed.path, doc.dump(2));
  FerryResult edited = RunFerry("run --resume --plan " + ShellQuote(fixed.path));
  INFO(edited.output);
  CHECK(edited.exit_code == kExitUsage);
  CHECK(Has(edited, "differs"));
  CHECK(Has(edited, "columns[1].destination_type: numeric(12,2) here, numeric(10,2) stored"));

  FerryResult same = RunFerry("run --resume --plan " + ShellQuote(plan_file.path));
  INFO(same.output);
  CHECK(same.exit_code == 0);
  CHECK(RowCount(dest, "big") == 20000);
}

TEST_CASE("a bad type in an edited plan is refused before any table is written",
          "[mistakes][plan][postgresql][mariadb][sqlite]") {
  for (Db db : kAllDbs) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kPostgres, "badtype_src");
      TestDatabase dest(db, "badtype_dst");
      source.Exec(
          "CREATE TABLE a_first (id int PRIMARY KEY);\n"
          "INSERT INTO a_first VALUES (1), (2);\n"
          "CREATE TABLE b_second (id int PRIMARY KEY, note text);\n"
          "INSERT INTO b_second VALUES (1, 'x')");
      TempFile plan_file("ferry-badtype-plan.json");
      REQUIRE(RunFerry("plan -o " + ShellQuote(plan_file.path) + Ends(source.Url(), dest.Url()))
                  .exit_code == 0);
      nlohmann::json doc = nlohmann::json::parse(std::ifstream(plan_file.path));
      size_t second = doc["tables"][0]["source"]["name"] == "b_second" ? 0 : 1;
      // SQLite takes any type name, but not a malformed one.
      doc["tables"][second]["columns"][1]["destination_type"] =
          db == Db::kSQLite ? "varchar(" : "vachar(20)";
      Write(plan_file.path, doc.dump(2));
      FerryResult run = RunFerry("run --plan " + ShellQuote(plan_file.path));
      INFO(run.output);
      CHECK(run.exit_code == kExitBlocked);
      CHECK(Has(run, "b_second"));
      CHECK(Has(run, "cannot be created as planned"));
      CHECK(Has(run, "the plan's $.tables[" + std::to_string(second) + "]"));
      // Nothing was created or written: not the good table either.
      const std::string exists =
          db == Db::kSQLite
              ? "SELECT count(*) FROM sqlite_master WHERE name = 'a_first'"
              : "SELECT count(*) FROM information_schema.tables WHERE table_name = 'a_first'" +
                    std::string(db == Db::kMariaDB ? " AND table_schema = DATABASE()" : "");
      CHECK(dest.QueryValue(exists) == "0");
    }
  }
}

TEST_CASE("a foreign key or index of an edited plan naming a missing column is refused first",
          "[mistakes][plan][postgresql]") {
  TestDatabase source(Db::kPostgres, "badfk_src");
  TestDatabase dest(Db::kPostgres, "badfk_dst");
  source.Exec(
      "CREATE TABLE customers (id int PRIMARY KEY);\n"
      "CREATE TABLE orders (id int PRIMARY KEY, customer int REFERENCES customers (id));\n"
      "CREATE INDEX orders_customer ON orders (customer)");
  TempFile plan_file("ferry-badfk-plan.json");
  REQUIRE(RunFerry("plan -o " + ShellQuote(plan_file.path) + Ends(source.Url(), dest.Url()))
              .exit_code == 0);
  nlohmann::json doc = nlohmann::json::parse(std::ifstream(plan_file.path));
  for (auto& t : doc["tables"]) {
    if (t["source"]["name"] != "orders") continue;
    REQUIRE(t["foreign_keys"].size() == 1);
    t["foreign_keys"][0]["referenced_columns"][0] = "customer_id";
  }
  Write(plan_file.path, doc.dump(2));
  FerryResult run = RunFerry("run --plan " + ShellQuote(plan_file.path));
  INFO(run.output);
  CHECK(run.exit_code == kExitBlocked);
  CHECK(Has(run, "foreign_keys[0]"));
  CHECK(Has(run, "customer_id"));
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_tables WHERE tablename = 'customers'") == "0");
}

TEST_CASE("a rename that matches nothing is a usage error naming it", "[mistakes][sqlite]") {
  TestDatabase source(Db::kPostgres, "rename_src");
  TestDatabase dest(Db::kSQLite, "rename_dst");
  source.Exec("CREATE TABLE orders (id int PRIMARY KEY, amount int)");
  TempFile job("ferry-rename-typo.yaml");
  Write(job.path,
        "rename:\n"
        "  tables:\n"
        "    - from: ordrs\n"
        "      to: sales\n"
        "  columns:\n"
        "    - table: orders\n"
        "      from: amont\n"
        "      to: total\n");
  for (const char* command : {"run", "check", "plan"}) {
    DYNAMIC_SECTION(command) {
      FerryResult r = RunFerry(std::string(command) + " --job " + ShellQuote(job.path) +
                               Ends(source.Url(), dest.Url()));
      INFO(r.output);
      CHECK(r.exit_code == (std::string(command) == "check" ? kExitBlocked : kExitUsage));
      CHECK(Has(r, "rename.tables[0]: from 'ordrs' matches no source table"));
      CHECK(Has(r, "rename.columns[0]: no table matching 'orders' has a column 'amont'"));
    }
  }
  CHECK_FALSE(std::filesystem::exists(dest.Url().substr(7) + "-journal"));
}

TEST_CASE("a misspelt URL scheme is a usage error suggesting the scheme meant", "[mistakes]") {
  TestDatabase dest(Db::kSQLite, "scheme_dst");
  FerryResult r = RunFerry("run" + Ends("postgress://ferry@127.0.0.1:5432/db", dest.Url()));
  INFO(r.output);
  CHECK(r.exit_code == kExitUsage);
  CHECK(Has(r, "unknown scheme postgress"));
  CHECK(Has(r, "known: postgresql, postgres, mysql, mariadb, sqlite"));
  CHECK(Has(r, "did you mean postgres?"));
  FerryResult lite = RunFerry("run" + Ends("sqlit:/tmp/x.db", dest.Url()));
  INFO(lite.output);
  CHECK(lite.exit_code == kExitUsage);
  CHECK(Has(lite, "did you mean sqlite?"));
}

TEST_CASE("an unreadable job file is a usage error saying why", "[mistakes]") {
  TempFile dir("ferry-job-dir");
  std::filesystem::create_directory(dir.path);
  FerryResult missing = RunFerry("run --job " + ShellQuote(dir.path + "/missing.yaml"));
  INFO(missing.output);
  CHECK(missing.exit_code == kExitUsage);
  CHECK(Has(missing, "missing.yaml: no such file"));
  FerryResult directory = RunFerry("run --job " + ShellQuote(dir.path));
  INFO(directory.output);
  CHECK(directory.exit_code == kExitUsage);
  CHECK(Has(directory, "it is a directory"));
  if (geteuid() != 0) {  // root reads any file
    const std::string locked = dir.path + "/locked.yaml";
    Write(locked, "source: sqlite:/tmp/x.db\n");
    chmod(locked.c_str(), 0);
    FerryResult denied = RunFerry("run --job " + ShellQuote(locked));
    INFO(denied.output);
    CHECK(denied.exit_code == kExitUsage);
    CHECK(Has(denied, "permission denied"));
  }
}

TEST_CASE("an odbc.ini readable by others that holds a password is refused, naming its mode",
          "[mistakes][mariadb]") {
  TestDatabase source(Db::kMariaDB, "odbcini_src");
  TestDatabase dest(Db::kSQLite, "odbcini_dst");
  source.Exec("CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1)");
  TempFile ini("ferry-odbc.ini");
  const std::string url = source.Url();
  const size_t colon = url.rfind(':');
  const std::string port = url.substr(colon + 1, url.rfind('/') - colon - 1);
  Write(ini.path, "[ferry_mistakes_dsn]\nDriver = MariaDB Unicode\nServer = 127.0.0.1\nPort = " +
                      port + "\nDatabase = " + source.name() +
                      "\nUser = ferry\nPassword = " + TestPassword() + "\n");
  chmod(ini.path.c_str(), 0644);
  setenv("ODBCINI", ini.path.c_str(), 1);
  FerryResult open = RunFerry("run" + Ends("ferry_mistakes_dsn", dest.Url()), false);
  chmod(ini.path.c_str(), 0600);
  FerryResult closed = RunFerry("run" + Ends("ferry_mistakes_dsn", dest.Url()), false);
  unsetenv("ODBCINI");
  {
    INFO(open.output);
    CHECK(open.exit_code == kExitUsage);
    CHECK(Has(open, ini.path));
    CHECK(Has(open, "mode 0644"));
    CHECK(Has(open, "readable by others"));
    CHECK_FALSE(Has(open, TestPassword()));
  }
  INFO(closed.output);
  CHECK(closed.exit_code == 0);
  CHECK_FALSE(Has(closed, TestPassword()));
}

TEST_CASE("a refused value is described by kind and size unless --show-values",
          "[mistakes][postgresql]") {
  TestDatabase source(Db::kPostgres, "hidden_src");
  TestDatabase dest(Db::kPostgres, "hidden_dst");
  source.Exec(
      "CREATE TABLE prices (id int PRIMARY KEY, amount numeric(10,2));\n"
      "INSERT INTO prices VALUES (1, 1.5), (7, 12345.67)");
  dest.Exec("CREATE TABLE prices (id int PRIMARY KEY, amount numeric(5,2))");
  FerryResult hidden = RunFerry("run --append" + Ends(source.Url(), dest.Url()));
  INFO(hidden.output);
  CHECK(hidden.exit_code == kExitTablesFailed);
  CHECK_FALSE(Has(hidden, "12345.67"));
  CHECK_FALSE(Has(hidden, "12345"));
  CHECK(Has(hidden, "a numeric with 5 integer digits and 2 after the point is out of range"));
  CHECK(Has(hidden, "(id)=(7)"));  // the key still names the row

  FerryResult shown = RunFerry("run --append --show-values" + Ends(source.Url(), dest.Url()));
  INFO(shown.output);
  CHECK(shown.exit_code == kExitTablesFailed);
  CHECK(Has(shown, "12345.67 is out of range for numeric(5,2)"));
}

TEST_CASE("an emoji in a table name into MariaDB is refused by check and run, naming the table",
          "[mistakes][mariadb]") {
  TestDatabase source(Db::kPostgres, "emoji_src");
  TestDatabase dest(Db::kMariaDB, "emoji_dst");
  source.Exec(
      "CREATE TABLE plain (id int PRIMARY KEY);\n"
      "INSERT INTO plain VALUES (1);\n"
      "CREATE TABLE \"party🎉\" (id int PRIMARY KEY);\n"
      "INSERT INTO \"party🎉\" VALUES (1);\n"
      "CREATE TABLE notes (id int PRIMARY KEY, \"note📝\" text);\n"
      "INSERT INTO notes VALUES (1, 'x')");
  FerryResult check = RunFerry("check" + Ends(source.Url(), dest.Url()));
  INFO(check.output);
  CHECK(check.exit_code == kExitBlocked);
  CHECK(Has(check, "party🎉"));
  CHECK(Has(check, "Basic Multilingual Plane"));
  CHECK(Has(check, "column note📝"));
  CHECK_FALSE(Has(check, "Illegal mix of collations"));
  FerryResult run = RunFerry("run" + Ends(source.Url(), dest.Url()));
  INFO(run.output);
  CHECK(run.exit_code == kExitBlocked);
  CHECK(Has(run, "Basic Multilingual Plane"));
  CHECK_FALSE(Has(run, "Illegal mix of collations"));
  CHECK(dest.QueryValue("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                        "DATABASE() AND table_name = 'plain'") == "0");

  // Renamed, it copies.
  TempFile job("ferry-emoji-job.yaml");
  Write(job.path,
        "rename:\n"
        "  tables:\n"
        "    - from: party🎉\n"
        "      to: party\n"
        "  columns:\n"
        "    - table: notes\n"
        "      from: note📝\n"
        "      to: note\n");
  FerryResult renamed =
      RunFerry("run --job " + ShellQuote(job.path) + Ends(source.Url(), dest.Url()));
  INFO(renamed.output);
  CHECK(renamed.exit_code == 0);
  CHECK(RowCount(dest, "party") == 1);
  CHECK(dest.QueryValue("SELECT note FROM notes") == "x");
}

TEST_CASE("a TRUNCATE behind a reader's lock waits briefly, names the reader, and fails the table",
          "[mistakes][locks][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kPostgres, "lock_src");
      TestDatabase dest(db, "lock_dst");
      source.Exec(
          "CREATE TABLE held (id int PRIMARY KEY);\n"
          "INSERT INTO held VALUES (1), (2);\n"
          "CREATE TABLE free (id int PRIMARY KEY);\n"
          "INSERT INTO free VALUES (1)");
      REQUIRE(RunFerry("run" + Ends(source.Url(), dest.Url())).exit_code == 0);
      // A reader keeps a transaction open on `held` while ferry is asked to empty it.
      std::string command;
      if (db == Db::kPostgres) {
        command = "PGPASSWORD=" + ShellQuote(TestPassword()) + " psql -X -q " +
                  ShellQuote(dest.Url() + "?application_name=lock_holder") +
                  " -c 'BEGIN' -c 'SELECT count(*) FROM held' -c 'SELECT pg_sleep(40)' "
                  ">/dev/null 2>&1 &";
      } else {
        const std::string url = dest.Url();
        const std::string port =
            url.substr(url.rfind(':') + 1, url.rfind('/') - url.rfind(':') - 1);
        command = "mariadb -h 127.0.0.1 -P " + port + " -u ferry -p" + ShellQuote(TestPassword()) +
                  " " + dest.name() +
                  " -e 'START TRANSACTION; SELECT count(*) FROM held; SELECT SLEEP(40);' "
                  ">/dev/null 2>&1 &";
      }
      REQUIRE(std::system(command.c_str()) == 0);
      REQUIRE(
          HolderSleeping(dest, db == Db::kPostgres ? "SELECT pg_sleep(40)" : "SELECT SLEEP(40)"));
      const auto start = std::chrono::steady_clock::now();
      // Its lock waits last 5 s in all (half of --lock-wait, two tries).
      FerryResult run = RunFerry("run --truncate --lock-wait 10" + Ends(source.Url(), dest.Url()));
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      INFO(run.output);
      CHECK(run.exit_code == kExitTablesFailed);
      CHECK(Has(run, "write mode truncate: emptying 2 destination tables"));
      CHECK(Has(run, "waiting to empty"));
      CHECK(Has(run, db == Db::kPostgres ? "lock_holder" : "user ferry"));
      CHECK(Has(run, "cannot empty table"));
      CHECK(seconds < 39);
      // The other table was copied; the held one kept its rows.
      CHECK(RowCount(dest, "free") == 1);
      CHECK(RowCount(dest, "held") == 2);
      // End the reader.
      if (db == Db::kPostgres) {
        dest.Exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
            "'lock_holder'");
      } else {
        for (const Row& r : dest.Query("SELECT id FROM information_schema.processlist WHERE "
                                       "info LIKE 'SELECT SLEEP(40)%'")) {
          dest.Exec("KILL CONNECTION " + r[0].value_or("0"));
        }
      }
    }
  }
}

TEST_CASE(
    "an index or foreign key build behind another session's lock waits briefly, names the "
    "session, and fails the build",
    "[mistakes][locks][postgresql][mariadb]") {
  // Same engine: the schema clone's builds after the data; across engines: ferry's own.
  const std::vector<std::pair<Db, Db>> pairs = {{Db::kPostgres, Db::kPostgres},
                                                {Db::kMariaDB, Db::kMariaDB},
                                                {Db::kMariaDB, Db::kPostgres},
                                                {Db::kPostgres, Db::kMariaDB}};
  for (auto [from, db] : pairs) {
    DYNAMIC_SECTION(DbName(from) << " to " << DbName(db)) {
      TestDatabase source(from, "build_lock_src");
      TestDatabase dest(db, "build_lock_dst");
      const bool pg = from == Db::kPostgres;
      source.Exec(
          "CREATE TABLE parent (id int PRIMARY KEY, name varchar(40));\n"
          "CREATE TABLE child (id int PRIMARY KEY, parent_id int, note varchar(40), "
          "FOREIGN KEY (parent_id) REFERENCES parent (id));\n"
          "CREATE INDEX child_note ON child (note);\n" +
          std::string(pg ? "INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 50) g;\n"
                           "INSERT INTO child SELECT g, 1 + g % 50, 'n' || g FROM "
                           "generate_series(1, 2000) g"
                         : "INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_50;\n"
                           "INSERT INTO child SELECT seq, 1 + seq % 50, CONCAT('n', seq) FROM "
                           "seq_1_to_2000"));
      // A first attempt dies after its first unit commit, with the tables made (keys first, so
      // the resume has no primary key to add) and no index or foreign key built yet.
      setenv("FERRY_TEST_CRASH", "after-commit:1", 1);
      FerryResult crashed = RunFerry("run --keys-first -q" + Ends(source.Url(), dest.Url()));
      unsetenv("FERRY_TEST_CRASH");
      INFO(crashed.output);
      REQUIRE(crashed.exit_code == 86);
      // Another session then holds `child` in a way that lets rows in but not an index or a
      // foreign key (PostgreSQL: a writer's lock; MariaDB: a reader's open transaction, whose
      // metadata lock holds up any ALTER).
      std::string command;
      if (db == Db::kPostgres) {
        command = "PGPASSWORD=" + ShellQuote(TestPassword()) + " psql -X -q " +
                  ShellQuote(dest.Url() + "?application_name=build_lock_holder") +
                  " -c 'BEGIN' -c 'LOCK TABLE child IN ROW EXCLUSIVE MODE' "
                  "-c 'SELECT pg_sleep(90)' >/dev/null 2>&1 &";
      } else {
        const std::string url = dest.Url();
        const std::string port =
            url.substr(url.rfind(':') + 1, url.rfind('/') - url.rfind(':') - 1);
        command = "mariadb -h 127.0.0.1 -P " + port + " -u ferry -p" + ShellQuote(TestPassword()) +
                  " " + dest.name() +
                  " -e 'START TRANSACTION; SELECT count(*) FROM child; SELECT SLEEP(90);' "
                  ">/dev/null 2>&1 &";
      }
      REQUIRE(std::system(command.c_str()) == 0);
      REQUIRE(
          HolderSleeping(dest, db == Db::kPostgres ? "SELECT pg_sleep(90)" : "SELECT SLEEP(90)"));
      const auto start = std::chrono::steady_clock::now();
      // Each build's lock waits last 5 s in all (half of --lock-wait).
      FerryResult run = RunFerry("run --resume --lock-wait 10" + Ends(source.Url(), dest.Url()));
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      INFO(run.output);
      CHECK(run.exit_code == kExitTablesFailed);
      // MariaDB's clone adds a table's indexes in one statement, named by the table.
      CHECK(Has(run, "cannot build index"));
      CHECK(Has(run, "cannot add foreign key"));
      CHECK(Has(run, db == Db::kPostgres ? "build_lock_holder" : "user ferry"));
      CHECK(seconds < 75);
      // Every row is there; what could not be built is missing, not half made.
      CHECK(RowCount(dest, "parent") == 50);
      CHECK(RowCount(dest, "child") == 2000);
      if (db == Db::kPostgres) {
        CHECK(dest.QueryValue("SELECT count(*) FROM pg_indexes WHERE indexname = 'child_note'") ==
              "0");
        CHECK(dest.QueryValue("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == "0");
        dest.Exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
            "'build_lock_holder'");
      } else {
        CHECK(dest.QueryValue("SELECT count(*) FROM information_schema.statistics WHERE "
                              "table_schema = DATABASE() AND index_name = 'child_note'") == "0");
        CHECK(dest.QueryValue("SELECT count(*) FROM information_schema.referential_constraints "
                              "WHERE constraint_schema = DATABASE()") == "0");
        for (const Row& r : dest.Query("SELECT id FROM information_schema.processlist WHERE "
                                       "info LIKE 'SELECT SLEEP(90)%'")) {
          dest.Exec("KILL CONNECTION " + r[0].value_or("0"));
        }
      }
    }
  }
}
