// Operator mistakes about the two ends (issue 14's safety guarantees): a URL parameter the
// engine does not take, the same database spelt another way at both ends, and two runs into one
// destination under different --state-prefix. Each is refused before anything is written, with
// a documented exit code and a message naming what is wrong, and never shows a password.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// The port of a test server's URL (scheme://user@host:PORT/name).
std::string PortOf(const TestDatabase& db) {
  const std::string url = db.Url();
  const size_t colon = url.rfind(':');
  return url.substr(colon + 1, url.rfind('/') - colon - 1);
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
  CHECK(RowCount(maria, "orders") == 3);
}

TEST_CASE(
    "the same database at both ends is refused with --truncate however the URLs spell it: "
    "scheme alias, host, parameters, escapes, relative, ./ and symlinked paths, directories",
    "[mistakes][postgresql][mariadb][sqlite][staging]") {
  TestDatabase pg(Db::kPostgres, "spell_pg");
  TestDatabase maria(Db::kMariaDB, "spell_my");
  TestDatabase lite(Db::kSQLite, "spell_lite");
  for (TestDatabase* db : {&pg, &maria, &lite}) MakeOrders(*db);
  TempDir folder;

  const std::string pg_port = PortOf(pg);
  std::string escaped = pg.name();
  escaped.replace(0, 1, fmt::format("%{:02X}", int(escaped[0])));
  const std::string file = lite.Url().substr(7);
  const std::string link = folder.path() + "/link.sqlite";
  std::filesystem::create_symlink(file, link);
  const std::string relative =
      std::filesystem::relative(file, std::filesystem::current_path()).string();
  const std::string stage = folder.path() + "/stage";
  REQUIRE(RunFerry("run" + Ends(lite.Url(), "dir:" + stage)).exit_code == 0);

  struct Spelling {
    TestDatabase* db;
    std::string source, dest;
  };
  const std::filesystem::path as_path(file);
  const std::vector<Spelling> spellings = {
      {&pg, pg.Url(), "postgres://ferry@localhost:" + pg_port + "/" + pg.name()},
      {&pg, pg.Url(), "postgresql://ferry@/" + escaped + "?host=127.0.0.1&port=" + pg_port},
      {&maria, maria.Url(),
       "mariadb://ferry@localhost:" + PortOf(maria) + "/" + maria.name() + "?tcpip=1"},
      {&lite, lite.Url(), "sqlite:" + link},
      {&lite, lite.Url(), "sqlite:" + relative},
      {&lite, lite.Url(), "sqlite:./" + relative},
      {&lite, "sqlite://" + file,
       "sqlite:" + as_path.parent_path().string() + "/./" + as_path.filename().string()},
      {nullptr, "dir:" + stage, "dir:" + stage + "/."},
  };
  for (const Spelling& s : spellings) {
    CAPTURE(s.source, s.dest);
    FerryResult run = RunFerry("run --truncate" + Ends(s.source, s.dest));
    INFO(run.output);
    CHECK(run.exit_code == kExitUsage);
    CHECK(Has(run.output, "the source and the destination are the same database"));
    CHECK_FALSE(Has(run.output, TestPassword()));
    if (s.db) CHECK(RowCount(*s.db, "orders") == 3);
  }
  FerryResult imported = RunFerry("run --truncate" + Ends("dir:" + stage, lite.Url()));
  INFO(imported.output);
  CHECK(imported.exit_code == 0);
  CHECK(RowCount(lite, "orders") == 3);
}

TEST_CASE(
    "a second run into a destination under another --state-prefix is refused while the first "
    "runs, naming the first, and the first copies exactly",
    "[mistakes][lock][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(Db::kPostgres, "prefix_src");
      TestDatabase dest(db, "prefix_dst");
      source.Exec(
          "CREATE TABLE orders (id int PRIMARY KEY, v text);\n"
          "INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 3000) g");
      setenv("FERRY_TEST_CRASH", "stall-at-commit:1", 1);
      setenv(
          "FERRY_TEST_STALL_SQL",
          db == Db::kPostgres ? "DO $stall$ BEGIN PERFORM pg_sleep(8); END $stall$" : "DO SLEEP(8)",
          1);
      FerryResult second;
      bool tried = false;
      FerryResult first = RunWhile(
          "run --state-prefix first_ --partitions 3 --writers 1" + Ends(source, dest), dest,
          [&](pid_t pid) {
            unsetenv("FERRY_TEST_CRASH");
            unsetenv("FERRY_TEST_STALL_SQL");
            try {  // the first run recorded (its lock taken), its first commit stalled
              const std::string runs =
                  db == Db::kPostgres ? "ferry_state.first_runs" : "first_runs";
              if (RowCount(dest, runs + " WHERE status = 'running'") == 0) return false;
            } catch (...) {
              return false;  // no run state yet
            }
            second = RunFerry("run --truncate --state-prefix second_" + Ends(source, dest));
            tried = true;
            if (db == Db::kPostgres) {
              CHECK(Has(second.output, "ferry " + std::to_string(pid) + "@"));
            }
            return true;
          });
      unsetenv("FERRY_TEST_CRASH");
      unsetenv("FERRY_TEST_STALL_SQL");
      REQUIRE(tried);
      INFO(second.output);
      CHECK(second.exit_code == kExitBusy);
      CHECK(Has(second.output, "another ferry process"));
      CHECK(Has(second.output, "under this --state-prefix"));
      CHECK_FALSE(Has(second.output, TestPassword()));
      INFO(first.output);
      CHECK(first.exit_code == 0);
      CHECK(RowCount(dest, "orders") == 3000);
    }
  }
}

TEST_CASE(
    "a SQLite destination locked by a run is refused under another --state-prefix and through a "
    "symlink, naming the lock's holder",
    "[mistakes][lock][sqlite]") {
  TestDatabase source(Db::kSQLite, "locklite_src");
  TestDatabase dest(Db::kSQLite, "locklite_dst");
  MakeOrders(source);
  TempDir folder;
  const std::string link = folder.path() + "/dest-link.sqlite";
  std::filesystem::create_symlink(dest.Url().substr(7), link);
  // A run holding the lock, as ferry takes it: an flock beside the file, its holder written in.
  const std::string lock_path = dest.Url().substr(7) + ".ferry_lock";
  const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);
  const std::string holder = "ferry 4242@elsewhere";
  REQUIRE(write(fd, holder.data(), holder.size()) == ssize_t(holder.size()));
  FerryResult refused =
      RunFerry("run --state-prefix other_" + Ends(source.Url(), "sqlite:" + link));
  INFO(refused.output);
  CHECK(refused.exit_code == kExitBusy);
  CHECK(Has(refused.output, "another ferry process, ferry 4242@elsewhere,"));
  flock(fd, LOCK_UN);
  close(fd);
  FerryResult copied = RunFerry("run --state-prefix other_" + Ends(source.Url(), "sqlite:" + link));
  INFO(copied.output);
  CHECK(copied.exit_code == 0);
  CHECK(RowCount(dest, "orders") == 3);
}
