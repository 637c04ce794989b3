// `ferry verify` end to end on the real servers: a clean copy verifies identical in all nine
// engine directions (PostgreSQL and MariaDB to themselves with the servers hashing the rows, and
// by ferry where the column types differ); damage planted at the destination after a copy (a
// changed byte, a deleted row, a duplicated keyless row, swapped values, NULLs, a microsecond, a
// last digit) is found with its exact key, kind and columns, and `--repair` puts it right; an
// unreachable destination fails clearly without showing a password.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

constexpr int kRows = 60;

std::string Bytes(Db db, int i) {
  const std::string hex = fmt::format("{:02x}{:02x}00ff", i, 255 - i);
  return db == Db::kPostgres ? "'\\x" + hex + "'" : "X'" + hex + "'";
}

std::string Timestamp(int i, int extra_micros = 0) {
  return fmt::format("2024-01-{:02} 10:{:02}:{:02}.{:06}", 1 + i % 28, i % 60, (i * 7) % 60,
                     (i * 104729) % 1000000 + extra_micros);
}

std::string Amount(int i) {
  return fmt::format("{}.{:04}", i * 13, (i * 37) % 10000);
}

// A keyed table with the types verification must see through on every engine, and a keyless
// one with a repeated row.
void MakeFixture(TestDatabase& db) {
  const Db e = db.db();
  const char* ts = e == Db::kMariaDB ? "datetime(6)" : "timestamp(6)";
  const char* dbl = e == Db::kPostgres ? "double precision" : "double";
  const char* boolean = e == Db::kMariaDB ? "tinyint(1)" : "boolean";
  const char* bytes = e == Db::kPostgres ? "bytea" : e == Db::kMariaDB ? "varbinary(16)" : "blob";
  const char* numeric = e == Db::kPostgres ? "numeric(12,4)" : "decimal(12,4)";
  db.Exec(fmt::format(
      "CREATE TABLE items (id integer PRIMARY KEY, name varchar(50) NOT NULL, note varchar(50), "
      "a varchar(20), b varchar(20), ts {}, amount {}, score {}, flag {}, day date, data {});\n"
      "CREATE TABLE log (msg varchar(50), n integer)",
      ts, numeric, dbl, boolean, bytes));
  std::string rows;
  for (int i = 1; i <= kRows; ++i) {
    const std::string note = i % 5 == 0 ? "NULL" : i % 7 == 0 ? "''" : fmt::format("'note {}'", i);
    rows +=
        fmt::format("{}({}, 'name-{}', {}, 'a-{}', 'b-{}', '{}', {}, {}, {}, '2023-03-{:02}', {})",
                    i > 1 ? ", " : "", i, i, note, i, i, Timestamp(i), Amount(i), i * 1.25,
                    i % 2 ? "TRUE" : "FALSE", 1 + i % 28, Bytes(e, i));
  }
  db.Exec("INSERT INTO items VALUES " + rows);
  db.Exec(
      "INSERT INTO log VALUES ('start', 1), ('retry', 2), ('retry', 2), ('stop', 3), "
      "(NULL, 4), ('', 5)");
}

nlohmann::json VerifyJson(const std::string& args, int expected_exit) {
  FerryResult r = RunFerry("verify --json " + args);
  INFO(r.output);
  REQUIRE(r.exit_code == expected_exit);
  const size_t start = r.output.find('{');
  REQUIRE(start != std::string::npos);
  return nlohmann::json::parse(r.output.substr(start));
}

const nlohmann::json& TableNamed(const nlohmann::json& report, const std::string& name) {
  for (const nlohmann::json& t : report["tables"]) {
    const std::string source = t["source"];
    if (source.size() >= name.size() &&
        source.compare(source.size() - name.size(), name.size(), name) == 0) {
      return t;
    }
  }
  FAIL("no table " << name << " in " << report.dump());
  static nlohmann::json none;
  return none;
}

// "kind key [columns]" for every listed difference, in report order.
std::vector<std::string> Differences(const nlohmann::json& table) {
  std::vector<std::string> out;
  for (const nlohmann::json& d : table["differences"]) {
    std::string line = d["kind"].get<std::string>() + " " + d["key"].get<std::string>();
    if (d.contains("columns")) {
      line += " [";
      for (size_t i = 0; i < d["columns"].size(); ++i) {
        line += (i ? "," : "") + d["columns"][i].get<std::string>();
      }
      line += "]";
    }
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("a clean copy verifies identical in every engine direction", "[verify]") {
  for (Db from : kAllDbs) {
    for (Db to : kAllDbs) {
      DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
        TestDatabase source(from, "verify_clean_src");
        TestDatabase dest(to, "verify_clean_dst");
        MakeFixture(source);
        FerryResult run = RunFerry("run --quiet " + Ends(source, dest));
        INFO(run.output);
        REQUIRE(run.exit_code == 0);
        nlohmann::json report = VerifyJson(Ends(source, dest), 0);
        CHECK(report["identical"] == 2);
        const nlohmann::json& items = TableNamed(report, "items");
        CHECK(items["verdict"] == "identical");
        CHECK(items["source_rows"] == kRows);
        CHECK(items["destination_rows"] == kRows);
        const nlohmann::json& log = TableNamed(report, "log");
        CHECK(log["keyed"] == false);
        CHECK(log["source_rows"] == 6);
        // PostgreSQL hashes a copy to itself in the servers by default (MariaDB's MD5 is slower
        // than ferry's own hashing: it is the next test's, with --hash server).
        const bool in_servers = from == to && from == Db::kPostgres;
        for (const nlohmann::json* t : {&items, &log}) {
          INFO(t->dump());
          CHECK((*t)["hash"] == (in_servers ? "server" : "client"));
          CHECK((*t)["ranges_rehashed"] == 0);
        }
      }
    }
  }
}

namespace {

// The fixture at the source, copied to the destination.
void CopyFixture(TestDatabase& source, TestDatabase& dest) {
  MakeFixture(source);
  FerryResult run = RunFerry("run --quiet " + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
}

// Each kind of damage from the issue, planted in a clean copy at the destination.
void PlantDamage(TestDatabase& dest) {
  // Row 41's amount ends in ...; its last digit changes by one.
  std::string amount = Amount(41);
  amount.back() = amount.back() == '9' ? '8' : char(amount.back() + 1);
  dest.Exec(
      "UPDATE items SET name = 'nbme-7' WHERE id = 7;\n"          // one changed byte
      "DELETE FROM items WHERE id = 13;\n"                        // one row deleted
      "INSERT INTO log VALUES ('stop', 3);\n"                     // a keyless row duplicated
      "UPDATE items SET a = 'b-21', b = 'a-21' WHERE id = 21;\n"  // two values swapped
      "UPDATE items SET amount = NULL WHERE id = 30;\n"           // a value set to NULL
      "UPDATE items SET note = NULL WHERE id = 14;\n"             // an empty string set to NULL
      "UPDATE items SET ts = '" +
      Timestamp(33, 1) +  // a timestamp one microsecond later
      "' WHERE id = 33;\n"
      "UPDATE items SET amount = " +
      amount + " WHERE id = 41");  // a numeric's last digit
  REQUIRE(dest.QueryValue("SELECT note FROM items WHERE id = 14").empty());
}

// The report on the planted damage: every difference with its key, kind and columns.
void CheckPlantedDamageFound(const nlohmann::json& report) {
  const nlohmann::json& items = TableNamed(report, "items");
  CHECK(items["verdict"] == "differs");
  CHECK(items["counts"]["missing"] == 1);
  CHECK(items["counts"]["extra"] == 0);
  CHECK(items["counts"]["different"] == 6);
  CHECK(Differences(items) == std::vector<std::string>{
                                  "missing (id)=(13)",
                                  "different (id)=(7) [name]",
                                  "different (id)=(14) [note]",
                                  "different (id)=(21) [a,b]",
                                  "different (id)=(30) [amount]",
                                  "different (id)=(33) [ts]",
                                  "different (id)=(41) [amount]",
                              });
  // Values stay out of the report unless asked for.
  CHECK(report.dump().find("nbme-7") == std::string::npos);
  const nlohmann::json& log = TableNamed(report, "log");
  CHECK(log["verdict"] == "differs");
  CHECK(log["counts"]["extra"] == 1);
  CHECK(log["counts"]["missing"] == 0);
  REQUIRE(log["differences"].size() == 1);
  CHECK(log["differences"][0]["kind"] == "extra");
}

}  // namespace

TEST_CASE("the servers' own hashes find each planted difference, as ferry's hashes do",
          "[verify]") {
  for (Db engine : {Db::kPostgres, Db::kMariaDB}) {
    DYNAMIC_SECTION(DbName(engine) << " to " << DbName(engine)) {
      TestDatabase source(engine, "verify_server_src");
      TestDatabase dest(engine, "verify_server_dst");
      CopyFixture(source, dest);

      // One damage at a time, so each must change the servers' sums on its own; --repair then
      // puts it right before the next.
      std::string amount = Amount(41);
      amount.back() = amount.back() == '9' ? '8' : char(amount.back() + 1);
      struct Damage {
        std::string sql;
        std::string table;
        std::string found;  // "kind key [columns]"; for the keyless table the kind only
      };
      const std::vector<Damage> damages = {
          {"UPDATE items SET name = 'nbme-7' WHERE id = 7", "items", "different (id)=(7) [name]"},
          {"DELETE FROM items WHERE id = 13", "items", "missing (id)=(13)"},
          {"INSERT INTO log VALUES ('stop', 3)", "log", "extra"},
          {"UPDATE items SET a = 'b-21', b = 'a-21' WHERE id = 21", "items",
           "different (id)=(21) [a,b]"},
          {"UPDATE items SET amount = NULL WHERE id = 30", "items", "different (id)=(30) [amount]"},
          {"UPDATE items SET note = NULL WHERE id = 14", "items", "different (id)=(14) [note]"},
          {"UPDATE items SET ts = '" + Timestamp(33, 1) + "' WHERE id = 33", "items",
           "different (id)=(33) [ts]"},
          {"UPDATE items SET amount = " + amount + " WHERE id = 41", "items",
           "different (id)=(41) [amount]"},
      };
      for (const Damage& damage : damages) {
        INFO(damage.sql);
        dest.Exec(damage.sql);
        nlohmann::json report = VerifyJson("--hash server " + Ends(source, dest), 1);
        const nlohmann::json& t = TableNamed(report, damage.table);
        CHECK(t["hash"] == "server");
        CHECK(t["ranges_rehashed"] == 1);  // the servers' sums differed
        std::vector<std::string> found = Differences(t);
        if (damage.table == "log" && found.size() == 1) found[0] = found[0].substr(0, 5);
        CHECK(found == std::vector<std::string>{damage.found});
        CHECK(TableNamed(report, damage.table == "log" ? "items" : "log")["verdict"] ==
              "identical");
        nlohmann::json repaired = VerifyJson("--repair --hash server " + Ends(source, dest), 0);
        CHECK(repaired["identical"] == 2);
      }
      nlohmann::json clean = VerifyJson("--hash server " + Ends(source, dest), 0);
      for (const char* name : {"items", "log"}) {
        CHECK(TableNamed(clean, name)["hash"] == "server");
        CHECK(TableNamed(clean, name)["ranges_rehashed"] == 0);
      }

      // All of them at once: the same report whichever end hashes.
      PlantDamage(dest);
      for (const char* path : {"server", "client"}) {
        INFO("--hash " << path);
        nlohmann::json report =
            VerifyJson(fmt::format("--hash {} {}", path, Ends(source, dest)), 1);
        CheckPlantedDamageFound(report);
        for (const char* name : {"items", "log"}) CHECK(TableNamed(report, name)["hash"] == path);
      }
    }
  }
}

TEST_CASE("a table whose column types differ between the ends is hashed by ferry, not the servers",
          "[verify]") {
  TestDatabase source(Db::kPostgres, "verify_types_src");
  TestDatabase dest(Db::kPostgres, "verify_types_dst");
  source.Exec(
      "CREATE TABLE t (id int PRIMARY KEY, amount numeric(12,4), v varchar(20));\n"
      "INSERT INTO t SELECT n, n * 1.5, 'v' || n FROM generate_series(1, 100) AS g(n)");
  // The same values in a wider numeric and text: equal to ferry, spelled alike by the servers
  // for all that, but only declared types decide.
  dest.Exec("CREATE TABLE t (id int PRIMARY KEY, amount numeric(14,4), v text)");
  FerryResult run = RunFerry("run --quiet " + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  nlohmann::json report = VerifyJson("--hash server " + Ends(source, dest), 0);
  const nlohmann::json& t = TableNamed(report, "t");
  CHECK(t["verdict"] == "identical");
  CHECK(t["hash"] == "client");
  CHECK(t["hash_note"].get<std::string>().find("column amount is numeric(12,4) at the source and "
                                               "numeric(14,4) at the destination") !=
        std::string::npos);
  dest.Exec("UPDATE t SET v = 'w' WHERE id = 50");
  nlohmann::json damaged = VerifyJson(Ends(source, dest), 1);
  CHECK(Differences(TableNamed(damaged, "t")) ==
        std::vector<std::string>{"different (id)=(50) [v]"});
}

TEST_CASE("planted damage is found by key, kind and column, and --repair puts it right",
          "[verify]") {
  for (auto [from, to] :
       {std::pair{Db::kPostgres, Db::kMariaDB}, std::pair{Db::kMariaDB, Db::kSQLite},
        std::pair{Db::kSQLite, Db::kPostgres}}) {
    DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
      TestDatabase source(from, "verify_plant_src");
      TestDatabase dest(to, "verify_plant_dst");
      CopyFixture(source, dest);
      PlantDamage(dest);
      nlohmann::json report = VerifyJson(Ends(source, dest), 1);
      CheckPlantedDamageFound(report);

      FerryResult shown = RunFerry("verify --show-values " + Ends(source, dest));
      CHECK(shown.exit_code == 1);
      CHECK(shown.output.find("'nbme-7'") != std::string::npos);
      CHECK(shown.output.find("'stop'") != std::string::npos);

      nlohmann::json repaired = VerifyJson("--repair " + Ends(source, dest), 0);
      for (const char* name : {"items", "log"}) {
        const nlohmann::json& t = TableNamed(repaired, name);
        INFO(t.dump());
        CHECK(t["verdict"] == "identical");
        CHECK(t["repair"]["verdict_before"] == "differs");
      }
      CHECK(TableNamed(repaired, "items")["repair"]["counts_before"]["different"] == 6);
      nlohmann::json after = VerifyJson(Ends(source, dest), 0);
      CHECK(after["identical"] == 2);
      CHECK(dest.QueryValue("SELECT name FROM items WHERE id = 7") == "name-7");
      CHECK(dest.QueryValue("SELECT count(*) FROM log") == "6");
    }
  }
}

TEST_CASE("a large differing range is cut until small, and only that part is copied again",
          "[verify]") {
  TestDatabase source(Db::kPostgres, "verify_split_src");
  TestDatabase dest(Db::kMariaDB, "verify_split_dst");
  source.Exec(
      "CREATE TABLE big (id bigint PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT n, 'value ' || n FROM generate_series(1, 5000) AS g(n)");
  FerryResult run = RunFerry("run --quiet " + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  dest.Exec("UPDATE big SET v = 'damaged' WHERE id = 3777;\nDELETE FROM big WHERE id = 4001");

  nlohmann::json report = VerifyJson("--leaf-rows 100 --partitions 2 " + Ends(source, dest), 1);
  const nlohmann::json& big = TableNamed(report, "big");
  CHECK(big["ranges_split"].get<int>() >= 2);  // cut at least twice on the way down
  CHECK(Differences(big) ==
        std::vector<std::string>{"missing (id)=(4001)", "different (id)=(3777) [v]"});

  nlohmann::json repaired =
      VerifyJson("--repair --leaf-rows 100 --partitions 2 " + Ends(source, dest), 0);
  const nlohmann::json& fixed = TableNamed(repaired, "big");
  CHECK(fixed["verdict"] == "identical");
  CHECK(fixed["destination_rows"] == 5000);
  // Only the small ranges around the two keys went through the pipeline again.
  CHECK(fixed["repair"]["rows_copied"].get<int>() <= 200);
  CHECK(fixed["repair"]["rows_copied"].get<int>() >= 2);
  CHECK(dest.QueryValue("SELECT count(*) FROM big") == "5000");
}

TEST_CASE("a sampled verify compares a seeded share of ranges and prints the seed", "[verify]") {
  TestDatabase source(Db::kPostgres, "verify_sample_src");
  TestDatabase dest(Db::kPostgres, "verify_sample_dst");
  source.Exec(
      "CREATE TABLE s (id int PRIMARY KEY, v int);\n"
      "INSERT INTO s SELECT n, n FROM generate_series(1, 2000) AS g(n);\n"
      "ANALYZE s");
  REQUIRE(RunFerry("run --quiet " + Ends(source, dest)).exit_code == 0);
  // Ranges are cut from the table's statistics: autovacuum analysing it between two verifies
  // would cut other ranges (CI saw 1,227 rows against 1,000). A plan file fixes them for good.
  const std::string args = "--sample 25 --seed 7 --partitions 8 " + Ends(source, dest);
  FerryResult text = RunFerry("verify " + args);
  INFO(text.output);
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("seed 7") != std::string::npos);
  nlohmann::json a = VerifyJson(args, 0);
  nlohmann::json b = VerifyJson(args, 0);
  const nlohmann::json& t = TableNamed(a, "s");
  CHECK(t["ranges"] == 8);
  CHECK(t["ranges_checked"].get<int>() < 8);
  CHECK(t["ranges_checked"].get<int>() >= 1);
  CHECK(t["source_rows"] == TableNamed(b, "s")["source_rows"]);  // the same ranges again
}

TEST_CASE("verify records its result in the destination's run state", "[verify]") {
  TestDatabase source(Db::kSQLite, "verify_record_src");
  TestDatabase dest(Db::kPostgres, "verify_record_dst");
  MakeFixture(source);
  REQUIRE(RunFerry("run --quiet " + Ends(source, dest)).exit_code == 0);
  dest.Exec("DELETE FROM items WHERE id = 2");
  VerifyJson(Ends(source, dest), 1);
  const std::string run = dest.QueryValue("SELECT run_id FROM ferry_runs WHERE command = 'verify'");
  const std::string of_run = " AND run_id = '" + run + "'";
  CHECK(dest.QueryValue("SELECT count(*) FROM ferry_runs WHERE command = 'verify'") == "1");
  CHECK(dest.QueryValue("SELECT state FROM ferry_tables WHERE source_name = 'items'" + of_run) ==
        "differs");
  CHECK(dest.QueryValue("SELECT error FROM ferry_tables WHERE source_name = 'items'" + of_run)
            .find("1 missing, 0 extra, 0 different") == 0);
  CHECK(dest.QueryValue("SELECT state FROM ferry_tables WHERE source_name = 'log'" + of_run) ==
        "identical");
}

TEST_CASE("verify against an unreachable destination fails clearly, without the password",
          "[verify]") {
  TestDatabase source(Db::kPostgres, "verify_unreachable_src");
  MakeFixture(source);
  FerryResult r = RunFerry("verify --source " + ShellQuote(source.Url()) +
                           " --dest postgresql://ferry@127.0.0.1:9/nowhere");
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("ferry: error:") != std::string::npos);
  CHECK(r.output.find("127.0.0.1") != std::string::npos);
  CHECK(r.output.find(TestPassword()) == std::string::npos);
}

TEST_CASE("text keys the two engines order differently are compared whole, not by range",
          "[verify]") {
  // The source orders the text key case-insensitively (ICU), the destination MariaDB by bytes
  // (ferry creates its tables utf8mb4_bin): the same bounds hold different rows on each end.
  TestDatabase source(Db::kPostgres, "verify_collation_src");
  TestDatabase dest(Db::kMariaDB, "verify_collation_dst");
  std::string rows;
  for (int i = 0; i < 40; ++i) {
    const char letter = char((i % 2 ? 'a' : 'A') + i % 26);
    rows += fmt::format("{}('{}{}', {})", i ? ", " : "", letter, i, i);
  }
  source.Exec(
      "CREATE TABLE words (w varchar(20) COLLATE \"en-x-icu\" PRIMARY KEY, n int);\n"
      "INSERT INTO words VALUES " +
      rows);
  FerryResult run = RunFerry("run --quiet --partitions 4 " + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  nlohmann::json clean = VerifyJson("--partitions 4 " + Ends(source, dest), 0);
  const nlohmann::json& words = TableNamed(clean, "words");
  CHECK(words["ranges"] == 1);  // compared whole: the copy's four ranges hold other rows there
  CHECK(words["destination_rows"] == 40);

  dest.Exec("UPDATE words SET n = 100 WHERE w = 'b1'");
  nlohmann::json damaged = VerifyJson("--partitions 4 " + Ends(source, dest), 1);
  CHECK(Differences(TableNamed(damaged, "words")) ==
        std::vector<std::string>{"different (w)=('b1') [n]"});
}
