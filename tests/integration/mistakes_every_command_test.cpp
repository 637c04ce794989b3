// Operator mistakes on every command, as a DBA under pressure makes them: numbers out of range,
// options a plan file overrides, a hand-edited plan with a misspelt field or broken JSON, an
// interrupted run continued under another spelling of its ends, a source table changed before
// a resume, a SQLite path that is not there given to a command that must not create it, a
// staging directory exported into itself, a database name that does not exist. Each ends in a
// refusal naming the cause with a documented exit code, writing nothing, or in an exact copy.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitConnection = 3;
constexpr int kExitBlocked = 4;

bool SqliteTableExists(TestDatabase& db, const std::string& table) {
  return db.QueryValue("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" +
                       table + "'") != "0";
}

// The same URL with `localhost` for `127.0.0.1`: the same server, another spelling.
std::string ViaLocalhost(const std::string& url) {
  std::string out = url;
  return out.replace(out.find("127.0.0.1"), 9, "localhost");
}

// The same database spelt another way: PostgreSQL through `localhost`, MariaDB as an ODBC
// connection string (its `localhost` would mean the server's Unix socket).
std::string OtherSpelling(const TestDatabase& db) {
  if (db.db() == Db::kPostgres) return ViaLocalhost(db.Url());
  const std::string url = db.Url();  // mysql://ferry@127.0.0.1:PORT/NAME
  const size_t colon = url.rfind(':');
  const size_t slash = url.rfind('/');
  return "Driver={MariaDB Unicode};Server=127.0.0.1;Port=" +
         url.substr(colon + 1, slash - colon - 1) + ";Database=" + db.name() + ";Uid=ferry;";
}

// Runs ferry with `variable` set in its environment beside the test passwords.
FerryResult RunFerryWith(const std::string& variable, const std::string& args) {
  return RunFerry("--version >/dev/null; FERRY_SOURCE_PASSWORD=" + ShellQuote(TestPassword()) +
                      " FERRY_DEST_PASSWORD=" + ShellQuote(TestPassword()) + " " + variable + " " +
                      ShellQuote(FerryBinary()) + " " + args,
                  false);
}

}  // namespace

TEST_CASE(
    "numbers out of range on the command line or in their environment twins are refused before "
    "anything is opened",
    "[mistakes][cli][sqlite]") {
  TempDir temp;
  // Neither file exists: a command that got as far as opening an end would say so instead.
  const std::string ends =
      Ends("sqlite:" + temp.path() + "/source.db", "sqlite:" + temp.path() + "/dest.db");
  struct Case {
    std::string args;
    std::string said;
  };
  const std::vector<Case> cases = {
      {"run --workers 0", "--workers 0"},
      {"run --workers=-1", "--workers -1"},
      {"run --readers 0", "--readers 0"},
      {"run --writers 0", "--writers 0"},
      {"run --partitions 0", "--partitions 0"},
      {"run --partitions=-3", "--partitions -3"},
      {"run --memory-limit 1", "--memory-limit 1"},
      {"run --batch-rows 0", "--batch-rows 0"},
      {"run --batch-bytes 0", "--batch-bytes 0"},
      {"check --partitions 0", "--partitions 0"},
      {"plan --partitions 0", "--partitions 0"},
      {"verify --workers 0", "--workers 0"},
      {"sync --writers 0", "--writers 0"},
      // Raised or cut to fit without a word before: each names its range now.
      {"run --partitions 1000",
       "--partitions 1000 (from the command line or FERRY_PARTITIONS): "
       "give 1 to 256 units per table"},
      {"run --batch-rows=-1", "--batch-rows -1"},
      {"run --max-disk 0", "--max-disk 0"},
      {"run --max-disk-wait=-1", "--max-disk-wait -1"},
      {"run --reconnect-wait=-5", "--reconnect-wait -5"},
      {"plan --network-timeout=-1", "--network-timeout -1"},
      {"check --sample-seconds=-1", "--sample-seconds -1"},
      {"sync --keys-per-batch 0",
       "--keys-per-batch 0 (from the command line or "
       "FERRY_SYNC_KEYS_PER_BATCH): give 1 or more"},
      {"sync --keys-per-batch=-1", "--keys-per-batch -1"},
      {"sync --watermark-overlap=-60", "--watermark-overlap -60"},
      {"verify --leaf-rows 0",
       "--leaf-rows 0 (from the command line or FERRY_VERIFY_LEAF_ROWS): "
       "give 1 or more rows"},
      {"verify --max-keys=-1", "--max-keys -1"},
      {"verify --sample 0", "--sample 0"},
      {"verify --sample 101", "--sample 101"},
      // CLI11 read 0x10 as 16 and 010 as octal 8, and wrapped -1 for an unsigned option.
      {"run --workers 0x10", "'0x10' is not a whole number"},
      {"verify --seed=-1", "'-1' is below 0"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.args) {
      FerryResult r = RunFerry(c.args + ends);
      INFO(r.output);
      CHECK(r.exit_code == kExitUsage);
      CHECK(Has(r, c.said));
      CHECK_FALSE(Has(r, "cannot open"));
    }
  }
  SECTION("an environment twin") {
    FerryResult r = RunFerryWith("FERRY_WORKERS=0", "run" + ends);
    INFO(r.output);
    CHECK(r.exit_code == kExitUsage);
    CHECK(Has(r, "--workers 0 (from the command line or FERRY_WORKERS)"));
  }
  SECTION("an environment twin below its least") {
    FerryResult r = RunFerryWith("FERRY_SYNC_KEYS_PER_BATCH=-1", "sync" + ends);
    INFO(r.output);
    CHECK(r.exit_code == kExitUsage);
    CHECK(Has(r, "--keys-per-batch -1 (from the command line or FERRY_SYNC_KEYS_PER_BATCH)"));
  }
  SECTION("a leading zero is decimal, not octal") {
    // 010 was read as 8: the copy ran with other settings than those given.
    FerryResult r = RunFerry("run --partitions 0300" + ends);
    INFO(r.output);
    CHECK(r.exit_code == kExitUsage);
    CHECK(Has(r, "--partitions 300"));
  }
  CHECK_FALSE(std::filesystem::exists(temp.path() + "/source.db"));
  CHECK_FALSE(std::filesystem::exists(temp.path() + "/dest.db"));
}

TEST_CASE(
    "options that choose the tables or how they are written are refused beside --plan, whose "
    "file says both, and the plan alone runs",
    "[mistakes][plan][sqlite]") {
  TestDatabase source(Db::kSQLite, "planopts_src");
  TestDatabase dest(Db::kSQLite, "planopts_dst");
  source.Exec(
      "CREATE TABLE orders (id integer PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30);\n"
      "CREATE TABLE notes (id integer PRIMARY KEY, body text);\n"
      "INSERT INTO notes VALUES (1, 'a')");
  TempDir temp;
  const std::string plan_file = temp.path() + "/plan.json";
  FerryResult plan = RunFerry("plan -o " + ShellQuote(plan_file) + Ends(source.Url(), dest.Url()));
  INFO(plan.output);
  REQUIRE(plan.exit_code == 0);
  const std::string job = temp.File("job.yaml", "include: [orders]\n", 0600);
  for (const std::string& option :
       {std::string("--include orders"), std::string("--exclude notes"), std::string("--truncate"),
        std::string("--append"), std::string("--write-mode upsert"), std::string("--schema-only"),
        std::string("--data-only"), "--job " + ShellQuote(job)}) {
    FerryResult run = RunFerry("run --plan " + ShellQuote(plan_file) + " " + option);
    INFO(option);
    INFO(run.output);
    CHECK(run.exit_code == kExitUsage);
    CHECK(Has(run, option.substr(0, option.find(' ')) + " does not go with --plan"));
    CHECK_FALSE(SqliteTableExists(dest, "orders"));
    CHECK_FALSE(SqliteTableExists(dest, "ferry_runs"));
  }
  SECTION("a plan file whose tables were all edited out is refused") {
    nlohmann::json edited = nlohmann::json::parse(std::ifstream(plan_file));
    edited["tables"] = nlohmann::json::array();
    const std::string empty = temp.File("empty.json", edited.dump(), 0600);
    FerryResult run = RunFerry("run --plan " + ShellQuote(empty));
    INFO(run.output);
    CHECK(run.exit_code == kExitUsage);
    CHECK(Has(run, "$.tables lists no table"));
    CHECK_FALSE(SqliteTableExists(dest, "ferry_runs"));
  }
  FerryResult verify = RunFerry("verify --include orders --plan " + ShellQuote(plan_file));
  INFO(verify.output);
  CHECK(verify.exit_code == kExitUsage);
  FerryResult run = RunFerry("run --plan " + ShellQuote(plan_file));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(RowCount(dest, "orders") == 3);
  CHECK(RowCount(dest, "notes") == 1);
  // Again into the full tables: the advice is the plan's field, not the options refused above.
  FerryResult again = RunFerry("run --plan " + ShellQuote(plan_file));
  INFO(again.output);
  CHECK(again.exit_code == kExitBlocked);
  CHECK(Has(again, "set the table's write_mode in the plan"));
  CHECK(RowCount(dest, "orders") == 3);
}

TEST_CASE(
    "a hand-edited plan with a misspelt or unknown field, or broken JSON, is refused naming the "
    "field or the line and column",
    "[mistakes][plan][sqlite]") {
  TestDatabase source(Db::kSQLite, "planfield_src");
  TestDatabase dest(Db::kSQLite, "planfield_dst");
  source.Exec(
      "CREATE TABLE orders (id integer PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (1, 10), (2, 20)");
  TempDir temp;
  const std::string plan_file = temp.path() + "/plan.json";
  REQUIRE(RunFerry("plan -o " + ShellQuote(plan_file) + Ends(source.Url(), dest.Url())).exit_code ==
          0);
  const nlohmann::json original = nlohmann::json::parse(std::ifstream(plan_file));
  struct Edit {
    std::string what;
    std::function<void(nlohmann::json&)> change;
    std::string said;
  };
  const std::vector<Edit> edits = {
      {"write-mode for write_mode",
       [](nlohmann::json& p) {
         p["tables"][0].erase("write_mode");
         p["tables"][0]["write-mode"] = "truncate";
       },
       "$.tables[0].write-mode: unknown field: did you mean write_mode?"},
      {"destination_typ for destination_type",
       [](nlohmann::json& p) {
         nlohmann::json& column = p["tables"][0]["columns"][1];
         column["destination_typ"] = column["destination_type"];
         column.erase("destination_type");
       },
       "$.tables[0].columns[1].destination_typ: unknown field: did you mean destination_type?"},
      {"a note of the DBA's own", [](nlohmann::json& p) { p["reviewed_by"] = "alice"; },
       "$.reviewed_by: unknown field (the fields here are ferry_plan"},
      {"a misspelt unit bound",
       [](nlohmann::json& p) {
         p["tables"][0]["units"] = nlohmann::json::array({nlohmann::json{{"low", nullptr}}});
       },
       "$.tables[0].units[0].low: unknown field: did you mean lo?"},
  };
  for (const Edit& edit : edits) {
    DYNAMIC_SECTION(edit.what) {
      nlohmann::json doc = original;
      edit.change(doc);
      const std::string edited = temp.File("edited.json", doc.dump(2), 0600);
      FerryResult run = RunFerry("run --plan " + ShellQuote(edited));
      INFO(run.output);
      CHECK(run.exit_code == kExitUsage);
      CHECK(Has(run, edit.said));
      CHECK_FALSE(SqliteTableExists(dest, "orders"));
    }
  }
  SECTION("broken JSON") {
    std::string text = original.dump(2);
    const size_t at = text.find("\"schema_only\": false");
    REQUIRE(at != std::string::npos);
    text.replace(at, 20, "\"schema_only\": fals");
    const size_t line = 1 + size_t(std::count(text.begin(), text.begin() + long(at), '\n'));
    const std::string edited = temp.File("broken.json", text, 0600);
    FerryResult run = RunFerry("run --plan " + ShellQuote(edited));
    INFO(run.output);
    CHECK(run.exit_code == kExitUsage);
    CHECK(Has(run, "not valid JSON at line " + std::to_string(line) + ", column "));
    CHECK_FALSE(SqliteTableExists(dest, "orders"));
  }
}

TEST_CASE(
    "an interrupted append run is not appended over under another spelling of its ends, and "
    "resumes exact under its own",
    "[mistakes][resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "appendspell_src");
  TestDatabase dest(Db::kPostgres, "appendspell_dst");
  // No key: rows appended twice are not refused by anything, only doubled.
  source.Exec(
      "CREATE TABLE events (n int NOT NULL, v text NOT NULL);\n"
      "INSERT INTO events SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "ANALYZE");
  const std::string how = " --append --partitions 8 --writers 1";
  {
    setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
    FerryResult crashed = RunFerry("run -q" + how + Ends(source.Url(), dest.Url()));
    unsetenv("FERRY_TEST_CRASH");
    INFO(crashed.output);
    REQUIRE(crashed.exit_code == 86);
  }
  const int64_t partial = RowCount(dest, "events");
  REQUIRE(partial > 0);
  REQUIRE(partial < 20000);
  // The same copy with the destination (or the source) spelt another way is another scope:
  // a resume finds nothing of it, and a new run would append all 20,000 rows over the partial.
  for (const std::string& ends : {Ends(source.Url(), ViaLocalhost(dest.Url())),
                                  Ends(ViaLocalhost(source.Url()), dest.Url())}) {
    for (const std::string& command : {std::string("run --resume"), std::string("run")}) {
      FerryResult again = RunFerry(command + how + ends);
      INFO(command + ends);
      INFO(again.output);
      if (command == "run --resume") {
        // A resume naming no run of its copy is a mistake in the command: the run it meant is
        // named, with the ends it was started with.
        CHECK(again.exit_code == kExitUsage);
        CHECK(Has(again, "interrupted run"));
        CHECK(Has(again, "of another copy is there"));
      } else {
        CHECK(again.exit_code == kExitBlocked);
        CHECK(Has(again, "holds interrupted run"));
        CHECK(Has(again, "would append every row"));
      }
      CHECK(Has(again, "public.events"));
      CHECK(RowCount(dest, "events") == partial);
    }
  }
  FerryResult resumed = RunFerry("run --resume" + how + Ends(source.Url(), dest.Url()));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(RowCount(dest, "events") == 20000);
  CHECK(dest.QueryValue("SELECT count(DISTINCT n) FROM events") == "20000");
}

TEST_CASE(
    "a resume after a source table gained or lost a column is refused naming the column, and a "
    "new copy after a reset is exact",
    "[mistakes][resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "resumedrift_src");
  TestDatabase dest(Db::kPostgres, "resumedrift_dst");
  source.Exec(
      "CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL, note text);\n"
      "INSERT INTO big SELECT g, md5(g::text), 'n' FROM generate_series(1, 20000) g;\n"
      "ANALYZE");
  const std::string how = " --partitions 8 --writers 1" + Ends(source.Url(), dest.Url());
  {
    setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
    FerryResult crashed = RunFerry("run -q" + how);
    unsetenv("FERRY_TEST_CRASH");
    INFO(crashed.output);
    REQUIRE(crashed.exit_code == 86);
  }
  const int64_t partial = RowCount(dest, "big");
  source.Exec("ALTER TABLE big ADD COLUMN extra int DEFAULT 7");
  FerryResult added = RunFerry("run --resume" + how);
  {
    INFO(added.output);
    CHECK(added.exit_code == kExitBlocked);
    CHECK(Has(added, "public.big"));
    CHECK(Has(added, "column extra (integer) was added"));
    CHECK(RowCount(dest, "big") == partial);
  }
  source.Exec("ALTER TABLE big DROP COLUMN extra;\nALTER TABLE big DROP COLUMN note");
  FerryResult dropped = RunFerry("run --resume" + how);
  {
    INFO(dropped.output);
    CHECK(dropped.exit_code == kExitBlocked);
    CHECK(Has(dropped, "column note no longer exists"));
    CHECK(RowCount(dest, "big") == partial);
  }
  FerryResult reset = RunFerry("reset --yes" + Ends(source.Url(), dest.Url()));
  INFO(reset.output);
  REQUIRE(reset.exit_code == 0);
  dest.Exec("DROP TABLE big");
  FerryResult fresh = RunFerry("run" + how);
  INFO(fresh.output);
  CHECK(fresh.exit_code == 0);
  CHECK(RowCount(dest, "big") == 20000);
  FerryResult verify = RunFerry("verify" + Ends(source.Url(), dest.Url()));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}

TEST_CASE(
    "a SQLite path that is not there is an error naming it for every command that must not "
    "create it, and no file is made",
    "[mistakes][sqlite]") {
  TestDatabase real(Db::kSQLite, "missing_real");
  real.Exec("CREATE TABLE orders (id integer PRIMARY KEY);\nINSERT INTO orders VALUES (1)");
  TempDir temp;
  const std::string missing = "sqlite:" + temp.path() + "/typo.db";
  const std::string nowhere = "sqlite:" + temp.path() + "/no-such-folder/dest.db";
  struct Case {
    std::string args;
    std::string said;
  };
  const std::string no_file = missing + ": there is no such file";
  const std::vector<Case> cases = {
      {"track enable --source " + ShellQuote(missing), no_file},
      {"track status --source " + ShellQuote(missing), no_file},
      {"track disable --source " + ShellQuote(missing), no_file},
      {"sync" + Ends(missing, real.Url()), no_file},
      {"sync" + Ends(real.Url(), missing), no_file},
      {"status --dest " + ShellQuote(missing), no_file},
      {"report -o " + ShellQuote(temp.path() + "/r.html") + " --dest " + ShellQuote(missing),
       no_file},
      {"verify" + Ends(real.Url(), missing), no_file},
      {"reset --yes" + Ends(real.Url(), missing), no_file},
      {"run" + Ends(missing, real.Url()), "a source must be an existing SQLite file"},
      {"run" + Ends(real.Url(), nowhere), "/no-such-folder does not exist"},
      {"check" + Ends(real.Url(), nowhere), "/no-such-folder does not exist"},
  };
  for (const Case& c : cases) {
    FerryResult r = RunFerry(c.args);
    INFO(c.args);
    INFO(r.output);
    CHECK(r.exit_code == kExitConnection);
    CHECK(Has(r, c.said));
    CHECK_FALSE(std::filesystem::exists(temp.path() + "/typo.db"));
    CHECK_FALSE(std::filesystem::exists(temp.path() + "/no-such-folder"));
  }
  CHECK(RowCount(real, "orders") == 1);
}

TEST_CASE(
    "a staging directory imported into itself is refused as the same database, and its export "
    "is left whole",
    "[mistakes][staging][sqlite]") {
  TestDatabase source(Db::kSQLite, "selfdir_src");
  source.Exec(
      "CREATE TABLE orders (id integer PRIMARY KEY, amount int);\n"
      "INSERT INTO orders VALUES (1, 10), (2, 20)");
  TempDir temp;
  const std::string folder = temp.path() + "/export";
  FerryResult exported = RunFerry("run" + Ends(source.Url(), "dir:" + folder));
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  // Through a symlink too: one folder however it is spelt.
  std::filesystem::create_directory_symlink(folder, temp.path() + "/link");
  for (const std::string& other : {"dir:" + folder, "dir:" + temp.path() + "/link"}) {
    for (const std::string& command : {std::string("run"), std::string("run --truncate")}) {
      FerryResult self = RunFerry(command + Ends("dir:" + folder, other));
      INFO(command + " into " + other);
      INFO(self.output);
      CHECK(self.exit_code == kExitUsage);
      CHECK(Has(self, "same database"));
    }
  }
  FerryResult files = RunFerry("verify --files " + ShellQuote(folder));
  INFO(files.output);
  CHECK(files.exit_code == 0);
  TestDatabase dest(Db::kSQLite, "selfdir_dst");
  FerryResult imported = RunFerry("run" + Ends("dir:" + folder, dest.Url()));
  INFO(imported.output);
  CHECK(imported.exit_code == 0);
  CHECK(RowCount(dest, "orders") == 2);
}

TEST_CASE(
    "a server URL naming a database the server does not have is a connection error naming it, "
    "without the password",
    "[mistakes][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase real(db, "nodb_real");
      TestDatabase dest(Db::kSQLite, "nodb_dst");
      std::string url = real.Url();
      url.replace(url.rfind('/') + 1, std::string::npos, "no_such_db_x");
      for (const std::string& command : {std::string("check"), std::string("run")}) {
        FerryResult r = RunFerry(command + Ends(url, dest.Url()));
        INFO(r.output);
        CHECK(r.exit_code == kExitConnection);
        CHECK(Has(r, "no_such_db_x"));
        CHECK_FALSE(Has(r, TestPassword()));
      }
      FerryResult status = RunFerry("status --dest " + ShellQuote(url));
      INFO(status.output);
      CHECK(status.exit_code == kExitConnection);
      CHECK(Has(status, "no_such_db_x"));
      CHECK_FALSE(Has(status, TestPassword()));
    }
  }
}

TEST_CASE(
    "a copy with --truncate into another database of the same server, spelt another way, is "
    "not taken for the same database",
    "[mistakes][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase source(db, "sameserver_src");
      TestDatabase dest(db, "sameserver_dst");
      source.Exec(
          "CREATE TABLE orders (id int PRIMARY KEY, amount int);\n"
          "INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30)");
      dest.Exec(
          "CREATE TABLE orders (id int PRIMARY KEY, amount int);\nINSERT INTO orders VALUES (9, "
          "90)");
      FerryResult run = RunFerry("run --truncate" + Ends(source.Url(), OtherSpelling(dest)));
      INFO(run.output);
      CHECK(run.exit_code == 0);
      CHECK(RowCount(dest, "orders") == 3);
      CHECK(RowCount(source, "orders") == 3);
      FerryResult verify = RunFerry("verify" + Ends(OtherSpelling(source), dest.Url()));
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
    }
  }
}

TEST_CASE("a wrong password written in a URL is never echoed back, whatever the command",
          "[mistakes][secrets][postgresql][mariadb]") {
  for (Db db : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(db)) {
      TestDatabase real(db, "urlpw_real");
      TestDatabase other(Db::kSQLite, "urlpw_other");
      other.Exec("CREATE TABLE orders (id integer PRIMARY KEY)");
      std::string url = real.Url();  // scheme://ferry@host:port/name
      url.replace(url.find("ferry@"), 6, "ferry:Wr0ng%21pw@");
      const std::vector<std::string> commands = {
          "run" + Ends(url, other.Url()),
          "check" + Ends(url, other.Url()),
          "plan" + Ends(url, other.Url()),
          "verify" + Ends(other.Url(), url),
          "sync" + Ends(url, other.Url()),
          "status --dest " + ShellQuote(url),
          "track status --source " + ShellQuote(url),
      };
      for (const std::string& command : commands) {
        FerryResult r = RunFerry(command + " --password-on-command-line", false);
        INFO(command);
        INFO(r.output);
        CHECK(r.exit_code == kExitConnection);
        CHECK_FALSE(Has(r, "Wr0ng"));
        CHECK_FALSE(Has(r, "%21pw"));
        CHECK_FALSE(Has(r, TestPassword()));
      }
    }
  }
}
