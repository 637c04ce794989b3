// More operator mistakes (issue 12, "mistakes are refused before anything is written"): ends
// given the wrong way round, edited plans whose units no longer cover the table, job files with
// a key written twice or an override that matches nothing, a mistyped --include, a PostgreSQL
// socket spelt in a URL, a read-only or full SQLite destination. Each ends in an exact copy or a
// refusal naming the cause with a documented exit code, and the refusals write nothing.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tests/support/ferry_command.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;

namespace {

constexpr int kExitTablesFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBlocked = 4;
constexpr int kExitDiskFull = 8;

bool TableExists(TestDatabase& db, const std::string& table) {
  return std::stoll(
             db.QueryValue("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" +
                           table + "'")) > 0;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE(
    "an empty source copied with --truncate over a destination that holds rows is refused as "
    "ends given the wrong way round",
    "[mistakes][postgresql][sqlite]") {
  for (Db db : {Db::kPostgres, Db::kSQLite}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase fresh(db, "swap_new");  // the new, empty database
      TestDatabase old(db, "swap_old");    // the database that holds the data
      for (TestDatabase* d : {&fresh, &old}) {
        d->Exec(
            "CREATE TABLE orders (id int PRIMARY KEY, amount int);\n"
            "CREATE TABLE notes (id int PRIMARY KEY, body text)");
      }
      old.Exec(
          "INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30);\n"
          "INSERT INTO notes VALUES (1, 'keep')");

      FerryResult run = RunFerry("run --truncate" + Ends(fresh.Url(), old.Url()));
      INFO(run.output);
      CHECK(run.exit_code == kExitUsage);
      CHECK(Has(run, "wrong way round"));
      CHECK(Has(run, "orders"));
      CHECK(Has(run, "--allow-empty-source"));
      CHECK(RowCount(old, "orders") == 3);
      CHECK(RowCount(old, "notes") == 1);

      FerryResult check = RunFerry("check --truncate" + Ends(fresh.Url(), old.Url()));
      INFO(check.output);
      CHECK(check.exit_code == kExitBlocked);
      CHECK(Has(check, "[empty source]"));

      // verify --repair deletes the destination rows the source lacks: from it, all of them.
      FerryResult repair = RunFerry("verify --repair" + Ends(fresh.Url(), old.Url()));
      INFO(repair.output);
      CHECK(repair.exit_code == kExitUsage);
      CHECK(Has(repair, "--repair would empty"));
      CHECK(RowCount(old, "orders") == 3);
      CHECK(RowCount(old, "notes") == 1);

      // One source table with a row is an ordinary refresh: the other is emptied as asked.
      fresh.Exec("INSERT INTO notes VALUES (7, 'new')");
      FerryResult refresh = RunFerry("run --truncate" + Ends(fresh.Url(), old.Url()));
      INFO(refresh.output);
      CHECK(refresh.exit_code == 0);
      CHECK(RowCount(old, "orders") == 0);
      CHECK(RowCount(old, "notes") == 1);

      // Said on purpose, an empty source empties the destination.
      old.Exec("INSERT INTO orders VALUES (4, 40)");
      fresh.Exec("DELETE FROM notes");
      FerryResult allowed =
          RunFerry("run --truncate --allow-empty-source" + Ends(fresh.Url(), old.Url()));
      INFO(allowed.output);
      CHECK(allowed.exit_code == 0);
      CHECK(RowCount(old, "orders") == 0);
      CHECK(RowCount(old, "notes") == 0);
    }
  }
}

TEST_CASE(
    "an edited plan whose units leave a gap, overlap or drop the NULL keys is refused before "
    "anything is written",
    "[mistakes][plan][postgresql][sqlite]") {
  TestDatabase source(Db::kPostgres, "units_src");
  TestDatabase dest(Db::kSQLite, "units_dst");
  source.Exec(
      "CREATE TABLE big (id int PRIMARY KEY, amount int);\n"
      "INSERT INTO big SELECT g, g FROM generate_series(1, 20000) g;\n"
      "CREATE TABLE loose (k int UNIQUE, v text);\n"
      "INSERT INTO loose SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g END, 'v' "
      "FROM generate_series(1, 20000) g;\n"
      "ANALYZE");
  TempDir temp;
  const std::string plan_file = temp.path() + "/plan.json";
  FerryResult plan =
      RunFerry("plan --partitions 4 -o " + ShellQuote(plan_file) + Ends(source.Url(), dest.Url()));
  INFO(plan.output);
  REQUIRE(plan.exit_code == 0);
  const nlohmann::json original = nlohmann::json::parse(std::ifstream(plan_file));
  auto table_index = [&](const std::string& name) {
    for (size_t i = 0; i < original["tables"].size(); ++i) {
      if (original["tables"][i]["source"]["name"] == name) return i;
    }
    FAIL("no table " << name << " in the plan");
    return size_t(0);
  };
  const size_t big = table_index("big");
  const size_t loose = table_index("loose");
  REQUIRE(original["tables"][big]["units"].size() == 4);
  REQUIRE(original["tables"][loose]["units"].size() == 5);  // 4 ranges and the NULL keys

  struct Edit {
    std::string what;
    std::function<void(nlohmann::json&)> change;
    std::string said;
  };
  const std::vector<Edit> edits = {
      {"a gap between two units",
       [&](nlohmann::json& t) {
         t["tables"][big]["units"][1]["lo"] = nlohmann::json::array({std::to_string(
             std::stoll(t["tables"][big]["units"][1]["lo"][0].get<std::string>()) + 100)});
       },
       "would not be copied"},
      {"two units starting at one key",
       [&](nlohmann::json& t) {
         t["tables"][big]["units"][2]["lo"] = t["tables"][big]["units"][1]["lo"];
       },
       "copied twice"},
      {"a unit removed", [&](nlohmann::json& t) { t["tables"][big]["units"].erase(2); },
       "would not be copied"},
      {"the first unit given a lower bound",
       [&](nlohmann::json& t) {
         t["tables"][big]["units"][0]["lo"] = nlohmann::json::array({"100"});
       },
       "no unit starts below every key"},
      {"a unit that ends before it starts",
       [&](nlohmann::json& t) {
         t["tables"][big]["units"][1]["hi"] = nlohmann::json::array({"5"});
       },
       "ends where it starts or before"},
      {"the NULL keys' unit removed",
       [&](nlohmann::json& t) {
         nlohmann::json& units = t["tables"][loose]["units"];
         for (size_t u = 0; u < units.size(); ++u) {
           if (units[u].value("null_keys", false)) {
             units.erase(u);
             break;
           }
         }
       },
       "key is NULL would not be copied"},
  };
  for (const Edit& edit : edits) {
    DYNAMIC_SECTION(edit.what) {
      nlohmann::json doc = original;
      edit.change(doc);
      const std::string edited = temp.File("edited.json", doc.dump(2), 0600);
      FerryResult run = RunFerry("run --plan " + ShellQuote(edited));
      INFO(run.output);
      CHECK(run.exit_code == kExitUsage);
      CHECK(Has(run, ".units"));
      CHECK(Has(run, edit.said));
      CHECK_FALSE(TableExists(dest, "big"));
      CHECK_FALSE(TableExists(dest, "loose"));
      CHECK_FALSE(TableExists(dest, "ferry_runs"));
    }
  }
  FerryResult unedited = RunFerry("run --plan " + ShellQuote(plan_file));
  INFO(unedited.output);
  CHECK(unedited.exit_code == 0);
  CHECK(RowCount(dest, "big") == 20000);
  CHECK(RowCount(dest, "loose") == 20000);
}

TEST_CASE("a job file with a key written twice, or an override that matches no table, is refused",
          "[mistakes][job][sqlite]") {
  TestDatabase source(Db::kSQLite, "jobkeys_src");
  TestDatabase dest(Db::kSQLite, "jobkeys_dst");
  source.Exec(
      "CREATE TABLE orders (id integer PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (1, 10)");
  TempDir temp;
  const std::string twice = temp.File("twice.yaml",
                                      "source: " + source.Url() + "\ndestination: " + dest.Url() +
                                          "\ninclude: [orders]\nwrite_mode: create\n"
                                          "write_mode: truncate\n",
                                      0600);
  FerryResult run = RunFerry("run --job " + ShellQuote(twice));
  INFO(run.output);
  CHECK(run.exit_code == kExitUsage);
  CHECK(Has(run, "line 5: write_mode: written twice (first on line 4)"));
  CHECK_FALSE(TableExists(dest, "orders"));

  const std::string unmatched =
      temp.File("override.yaml",
                "source: " + source.Url() + "\ndestination: " + dest.Url() +
                    "\ntables:\n  - {match: ordrs, write_mode: upsert}\n",
                0600);
  FerryResult check = RunFerry("check --job " + ShellQuote(unmatched));
  INFO(check.output);
  CHECK(check.exit_code != 0);
  CHECK(Has(check, "tables[0]: match 'ordrs' matches no source table"));
  FerryResult copy = RunFerry("run --job " + ShellQuote(unmatched));
  INFO(copy.output);
  CHECK(copy.exit_code == kExitUsage);
  CHECK(Has(copy, "tables[0]: match 'ordrs' matches no source table"));
  CHECK_FALSE(TableExists(dest, "orders"));
}

TEST_CASE("a mistyped --include names the table it most likely meant", "[mistakes][sqlite]") {
  TestDatabase source(Db::kSQLite, "typo_src");
  TestDatabase dest(Db::kSQLite, "typo_dst");
  source.Exec("CREATE TABLE orders (id integer PRIMARY KEY);\nCREATE TABLE items (id int)");
  FerryResult run = RunFerry("run --include ordrs" + Ends(source.Url(), dest.Url()));
  INFO(run.output);
  CHECK(run.exit_code == kExitBlocked);
  CHECK(Has(run, "--include 'ordrs' matches no table"));
  CHECK(Has(run, "did you mean orders?"));
  CHECK_FALSE(TableExists(dest, "orders"));
  FerryResult far = RunFerry("run --include zzzzzz" + Ends(source.Url(), dest.Url()));
  INFO(far.output);
  CHECK(far.exit_code == kExitBlocked);
  CHECK_FALSE(Has(far, "did you mean"));
}

TEST_CASE(
    "a PostgreSQL URL naming the server's socket directory, percent-encoded or as ?host=, "
    "reaches that server and is one database with its TCP address",
    "[mistakes][postgresql]") {
  TestDatabase same(Db::kPostgres, "socket_same");
  same.Exec("CREATE TABLE orders (id int PRIMARY KEY);\nINSERT INTO orders VALUES (1), (2)");
  const std::string sockets = same.QueryValue("SHOW unix_socket_directories");
  const std::string directory = sockets.substr(0, sockets.find(','));
  if (directory.empty() || directory[0] != '/') {
    MarkSkipped("the test server listens on no socket directory");
    return;
  }
  const std::string tcp = same.Url();  // postgresql://ferry@127.0.0.1:PORT/NAME
  const size_t at = tcp.find('@');
  const size_t colon = tcp.find(':', at);
  const size_t slash = tcp.find('/', colon);
  const std::string port = tcp.substr(colon + 1, slash - colon - 1);
  std::string encoded;
  for (char c : directory) encoded += c == '/' ? std::string("%2F") : std::string(1, c);
  const std::vector<std::string> spellings = {
      "postgresql://ferry@" + encoded + ":" + port + "/" + same.name(),
      "postgresql://ferry@/" + same.name() + "?host=" + directory + "&port=" + port,
  };
  for (const std::string& socket : spellings) {
    FerryResult run = RunFerry("run --truncate" + Ends(tcp, socket));
    INFO(socket);
    INFO(run.output);
    CHECK(run.exit_code == kExitUsage);
    CHECK(Has(run, "same database"));
    CHECK(RowCount(same, "orders") == 2);
  }
  TestDatabase dest(Db::kPostgres, "socket_dst");
  FerryResult copy = RunFerry("run" + Ends(tcp, "postgresql://ferry@/" + dest.name() +
                                                    "?host=" + directory + "&port=" + port));
  INFO(copy.output);
  CHECK(copy.exit_code == 0);
  CHECK(Has(copy, "(socket in " + directory + ")"));
  CHECK(RowCount(dest, "orders") == 2);
}

TEST_CASE("a read-only SQLite destination is refused naming the file and its mode",
          "[mistakes][sqlite]") {
  if (geteuid() != 0 || access("/usr/sbin/runuser", X_OK) != 0) {
    MarkSkipped("needs root to run ferry as another user (root writes read-only files)");
    return;
  }
  TempDir temp;
  chmod(temp.path().c_str(), 0777);
  TestDatabase source(Db::kSQLite, "readonly_src");
  source.Exec("CREATE TABLE orders (id integer PRIMARY KEY);\nINSERT INTO orders VALUES (1)");
  const std::string copy_of_source = temp.path() + "/source.db";
  std::filesystem::copy_file(source.Url().substr(7), copy_of_source);
  chmod(copy_of_source.c_str(), 0644);
  const std::string dest = temp.path() + "/dest.db";
  {
    TestDatabase seed(Db::kSQLite, "readonly_seed");
    seed.Exec("CREATE TABLE keep (id int);\nINSERT INTO keep VALUES (1)");
    std::filesystem::copy_file(seed.Url().substr(7), dest);
  }
  REQUIRE(chown(dest.c_str(), 65534, 65534) == 0);
  chmod(dest.c_str(), 0444);
  const std::string before = Slurp(dest);
  const std::string as_nobody = "/usr/sbin/runuser -u nobody -- " + ShellQuote(FerryBinary());
  for (const std::string& command : {std::string("run"), std::string("check")}) {
    FerryResult r = RunFerry("--version >/dev/null; " + as_nobody + " " + command +
                             Ends("sqlite:" + copy_of_source, "sqlite:" + dest));
    INFO(r.output);
    CHECK(r.exit_code == kExitBlocked);
    CHECK(Has(r, dest));
    if (command == "run") {
      CHECK(Has(r, "read-only to this user (mode 0444"));
    } else {
      CHECK(Has(r, "not writable by this user"));
    }
  }
  struct stat st {};
  REQUIRE(stat(dest.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0444);
  CHECK(Slurp(dest) == before);
}

TEST_CASE(
    "a SQLite destination whose disk fills up stops the run with exit code 8 naming the cause, "
    "and resumes to an exact copy once there is room",
    "[mistakes][sqlite][postgresql]") {
  TempDir temp;
  const std::string mount_point = temp.path() + "/disk";
  std::filesystem::create_directories(mount_point);
  if (mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=8m") != 0) {
    MarkSkipped("cannot mount a tmpfs here (needs root)");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  TestDatabase source(Db::kPostgres, "diskfull_src");
  source.Exec(
      "CREATE TABLE small (id int PRIMARY KEY, v int);\n"
      "INSERT INTO small SELECT g, g FROM generate_series(1, 1000) g;\n"
      "CREATE TABLE big (id int PRIMARY KEY, pad text);\n"
      "INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g");
  const std::string dest = "sqlite:" + mount_point + "/dest.db";
  FerryResult full = RunFerry("run" + Ends(source.Url(), dest));
  INFO(full.output);
  // A full disk stops the run, resumable, as a full staging disk does (not a failed table).
  CHECK(full.exit_code == kExitDiskFull);
  CHECK(Has(full, "full"));
  CHECK(Has(full, "--resume"));
  CHECK_FALSE(Has(full, ": done\n"));
  REQUIRE(mount("tmpfs", mount_point.c_str(), "tmpfs", MS_REMOUNT, "size=64m") == 0);
  FerryResult resumed = RunFerry("run --resume" + Ends(source.Url(), dest));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(source.Url(), dest));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}

TEST_CASE(
    "a password holding URL-special characters logs in from the environment and percent-encoded "
    "in a URL, and a raw % in a URL is refused without echoing it",
    "[mistakes][postgresql][secrets]") {
  TestDatabase source(Db::kPostgres, "pwchars_src");
  TestDatabase dest(Db::kSQLite, "pwchars_dst");
  source.Exec("CREATE TABLE orders (id int PRIMARY KEY);\nINSERT INTO orders VALUES (1), (2)");
  const std::string role = source.name() + "_user";
  const std::string password = "p@ss:w/o%41rd#1?&x+y z";
  source.Exec("CREATE ROLE " + role +
              " LOGIN PASSWORD 'p@ss:w/o%41rd#1?&x+y z';\nGRANT SELECT ON orders TO " + role);
  struct DropRole {
    TestDatabase& db;
    std::string role;
    ~DropRole() {
      try {
        db.Exec("DROP OWNED BY " + role + ";\nDROP ROLE " + role);
      } catch (...) {
      }
    }
  } drop{source, role};
  const std::string tcp = source.Url();
  const std::string host = tcp.substr(tcp.find('@') + 1);  // 127.0.0.1:PORT/NAME
  const std::string url = "postgresql://" + role + "@" + host;

  // RunFerry sets both password variables; this one sets the source's alone.
  FerryResult from_env =
      RunFerry("--version >/dev/null; FERRY_SOURCE_PASSWORD=" + ShellQuote(password) + " " +
                   ShellQuote(FerryBinary()) + " run" + Ends(url, dest.Url()),
               false);
  INFO(from_env.output);
  CHECK(from_env.exit_code == 0);
  CHECK(RowCount(dest, "orders") == 2);

  std::string encoded;
  for (char c : password) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      encoded += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      encoded += hex;
    }
  }
  const std::string inline_url = "postgresql://" + role + ":" + encoded + "@" + host;
  FerryResult in_url =
      RunFerry("run --truncate --password-on-command-line" + Ends(inline_url, dest.Url()), false);
  INFO(in_url.output);
  CHECK(in_url.exit_code == 0);
  CHECK(RowCount(dest, "orders") == 2);

  const std::string raw_url = "postgresql://" + role + ":p%zzss@" + host;
  FerryResult raw = RunFerry("check --password-on-command-line" + Ends(raw_url, dest.Url()), false);
  INFO(raw.output);
  CHECK(raw.exit_code == kExitUsage);
  CHECK(Has(raw, "the URL's password (write % as %25)"));
  CHECK_FALSE(Has(raw, "p%zzss"));
  for (const FerryResult* r : {&from_env, &in_url, &raw}) {
    CHECK_FALSE(Has(*r, password));
    CHECK_FALSE(Has(*r, encoded));
  }
}

TEST_CASE("a postgresql:// URL at a MariaDB server's port is a connection error naming the cause",
          "[mistakes][postgresql][mariadb]") {
  TestDatabase maria(Db::kMariaDB, "wrongport_my");
  TestDatabase dest(Db::kSQLite, "wrongport_dst");
  std::string url = maria.Url();  // mysql://ferry@127.0.0.1:PORT/NAME
  url.replace(0, url.find("://"), "postgresql");
  FerryResult run = RunFerry("run" + Ends(url, dest.Url()));
  INFO(run.output);
  CHECK(run.exit_code == 3);
  CHECK(Has(run, url.substr(url.find('@') + 1, url.rfind('/') - url.find('@') - 1)));
  CHECK(Has(run, "does not speak this engine's protocol"));
  CHECK_FALSE(Has(run, TestPassword()));
  CHECK_FALSE(TableExists(dest, "ferry_runs"));
}

TEST_CASE(
    "a mysql:// URL at a PostgreSQL server's port is a connection error within the network "
    "timeout, not a wait for ever",
    "[mistakes][postgresql][mariadb]") {
  TestDatabase pg(Db::kPostgres, "wrongport_pg");
  TestDatabase dest(Db::kSQLite, "wrongport_dst2");
  std::string url = pg.Url();  // postgresql://ferry@127.0.0.1:PORT/NAME
  url.replace(0, url.find("://"), "mysql");
  // PostgreSQL waits for the client to speak first, MariaDB's client for the server's greeting:
  // unbounded, neither would ever speak (CTest's timeout would end this test, failed).
  const auto start = std::chrono::steady_clock::now();
  FerryResult run = RunFerry("run --network-timeout 2" + Ends(url, dest.Url()));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  INFO(run.output);
  CHECK(run.exit_code == 3);
  CHECK(Has(run, "sent no MariaDB/MySQL greeting within 2 s"));
  CHECK(Has(run, "another engine's port"));
  CHECK_FALSE(Has(run, TestPassword()));
  CHECK_FALSE(TableExists(dest, "ferry_runs"));
}

TEST_CASE(
    "a source user who may not read one table is named by check and fails that table alone, and "
    "a destination user who may not create is refused naming what it needs, writing nothing",
    "[mistakes][postgresql][sqlite]") {
  TestDatabase source(Db::kPostgres, "grants_src");
  TestDatabase pg_dest(Db::kPostgres, "grants_dst");
  TestDatabase dest(Db::kSQLite, "grants_sqlite");
  source.Exec(
      "CREATE TABLE orders (id int PRIMARY KEY);\nINSERT INTO orders VALUES (1);\n"
      "CREATE TABLE payroll (id int PRIMARY KEY);\nINSERT INTO payroll VALUES (1)");
  const std::string role = source.name() + "_user";
  source.Exec("CREATE ROLE " + role + " LOGIN PASSWORD " + "'" + TestPassword() + "';\n" +
              "GRANT SELECT ON orders TO " + role);
  pg_dest.Exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  struct DropRole {
    TestDatabase& db;
    std::string role;
    ~DropRole() {
      try {
        db.Exec("DROP OWNED BY " + role + ";\nDROP ROLE " + role);
      } catch (...) {
      }
    }
  } drop{source, role};
  std::string limited = source.Url();
  limited.replace(limited.find("ferry@"), 5, role);
  FerryResult source_check = RunFerry("check" + Ends(limited, dest.Url()));
  INFO(source_check.output);
  CHECK(source_check.exit_code == kExitBlocked);
  CHECK(Has(source_check, "the source user may not SELECT from public.payroll"));
  CHECK_FALSE(TableExists(dest, "ferry_runs"));
  // As check predicted: that table fails on the server's refusal, the others are copied.
  FerryResult source_run = RunFerry("run" + Ends(limited, dest.Url()));
  INFO(source_run.output);
  CHECK(source_run.exit_code == kExitTablesFailed);
  CHECK(Has(source_run, "public.payroll: table public.payroll"));
  CHECK(Has(source_run, "permission denied for table payroll"));
  CHECK(RowCount(dest, "orders") == 1);
  CHECK_FALSE(TableExists(dest, "payroll"));
  std::string limited_dest = pg_dest.Url();
  limited_dest.replace(limited_dest.find("ferry@"), 5, role);
  FerryResult check = RunFerry("check --include orders" + Ends(source.Url(), limited_dest));
  INFO(check.output);
  CHECK(check.exit_code == kExitBlocked);
  CHECK(Has(check, "may not CREATE tables in schema public"));
  FerryResult run = RunFerry("run --include orders" + Ends(source.Url(), limited_dest));
  INFO(run.output);
  CHECK(run.exit_code == kExitBlocked);
  CHECK(Has(run, "permission denied"));
  CHECK(Has(run, "CREATE on the database"));
  CHECK(pg_dest.QueryValue("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                           "('pg_catalog', 'information_schema')") == "0");
  for (const FerryResult* r : {&check, &run}) CHECK_FALSE(Has(*r, TestPassword()));
}
