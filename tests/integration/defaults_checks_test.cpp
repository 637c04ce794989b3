// Column defaults and CHECK constraints across engines, on fixtures written from what sample
// databases do (Pagila's film, WordPress's wp_posts with Sakila's columns, Northwind's products):
// on every pair of engines the destination's catalog has the defaults and checks that translate
// (a row inserted without those columns takes the defaults; a row a check refuses is refused),
// `ferry check` lists the ones that do not, and a check that passes means a run that succeeds,
// even where the source holds rows its own checks refuse.
#include <signal.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "tests/support/canonical.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

std::string Ends(const std::string& from, const std::string& to) {
  return " --source " + ShellQuote(from) + " --dest " + ShellQuote(to);
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t Occurrences(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Pagila's film, with the defaults and checks a DBA writes in PostgreSQL.
void FillPostgres(TestDatabase& db) {
  db.Exec(
      "CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');\n"
      "CREATE TABLE film (film_id serial PRIMARY KEY, title varchar(255) NOT NULL, "
      "rental_duration smallint NOT NULL DEFAULT 3, rental_rate numeric(4,2) NOT NULL DEFAULT "
      "4.99, rating mpaa_rating DEFAULT 'G', status varchar(20) NOT NULL DEFAULT 'publish', "
      "active boolean NOT NULL DEFAULT true, score integer DEFAULT -1, token uuid DEFAULT "
      "gen_random_uuid(), created date NOT NULL DEFAULT CURRENT_DATE, last_update timestamp NOT "
      "NULL DEFAULT now(), due timestamp DEFAULT (now() + '30 days'::interval), "
      "motto varchar(40) DEFAULT 'it''s C:\\dir \"q\"', "
      "CONSTRAINT film_rental_rate_check CHECK (rental_rate >= 0), "
      "CONSTRAINT film_rating_check CHECK (rating <> 'NC-17'), "
      "CHECK (status IN ('publish', 'draft', 'trash')), "
      "CHECK (rental_duration BETWEEN 1 AND 30), CHECK (length(title) > 0), "
      "CONSTRAINT film_title_format CHECK (title ~ '^[A-Z]'));\n"
      "INSERT INTO film (title, rental_rate, rating, status, active, last_update, token) VALUES "
      "('ACADEMY DINOSAUR', 0.99, 'PG', 'publish', true, '2006-02-15 05:03:42', "
      "'6ecd8c99-4036-403d-bf84-cf8400f67836'), ('ACE GOLDFINGER', 4.99, NULL, 'draft', false, "
      "'2006-02-15 05:03:42', NULL)");
}

// WordPress's wp_posts with Sakila's columns, as MariaDB holds them.
void FillMariaDb(TestDatabase& db) {
  db.Exec(
      "CREATE TABLE film (film_id int NOT NULL AUTO_INCREMENT PRIMARY KEY, title varchar(255) "
      "NOT NULL, rental_duration smallint NOT NULL DEFAULT 3, rental_rate decimal(4,2) NOT NULL "
      "DEFAULT 4.99, rating enum('G','PG','PG-13','R','NC-17') DEFAULT 'G', status varchar(20) "
      "NOT NULL DEFAULT 'publish', active tinyint(1) NOT NULL DEFAULT 1, score int DEFAULT -1, "
      "token char(36) DEFAULT uuid(), created date DEFAULT curdate(), last_update timestamp NOT "
      "NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), "
      "motto varchar(40) DEFAULT 'it''s C:\\\\dir \"q\"', "
      "comment_count bigint NOT NULL DEFAULT 0 CHECK (comment_count >= 0), "
      "CONSTRAINT film_rental_rate_check CHECK (rental_rate >= 0), "
      "CHECK (status IN ('publish','draft','trash')), "
      "CONSTRAINT film_duration CHECK (rental_duration BETWEEN 1 AND 30), "
      "CONSTRAINT film_title_check CHECK (length(title) > 0)) ENGINE=InnoDB;\n"
      "INSERT INTO film (title, rental_rate, rating, status, active, last_update, token) VALUES "
      "('ACADEMY DINOSAUR', 0.99, 'PG', 'publish', 1, '2006-02-15 05:03:42', "
      "'6ecd8c99-4036-403d-bf84-cf8400f67836'), ('ACE GOLDFINGER', 4.99, NULL, 'draft', 0, "
      "'2006-02-15 05:03:42', NULL)");
}

// Northwind's products as SQLite files have them, with Pagila's column names.
void FillSqlite(TestDatabase& db) {
  db.Exec(
      "CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT NOT NULL, rental_duration "
      "SMALLINT NOT NULL DEFAULT 3 CHECK (rental_duration BETWEEN 1 AND 30), rental_rate "
      "NUMERIC(4,2) NOT NULL DEFAULT 4.99, status VARCHAR(20) NOT NULL DEFAULT 'publish', "
      "active BOOLEAN NOT NULL DEFAULT TRUE, score INTEGER DEFAULT -1, created DATE DEFAULT "
      "CURRENT_DATE, last_update DATETIME NOT NULL DEFAULT (datetime('now')), "
      "stamp INTEGER DEFAULT (strftime('%s','now')), motto TEXT DEFAULT 'it''s C:\\dir \"q\"', "
      "CONSTRAINT film_rental_rate_check CHECK (rental_rate >= 0), "
      "CHECK (status IN ('publish', 'draft', 'trash')), CHECK (length(title) > 0), "
      "CONSTRAINT film_title_check CHECK (typeof(title) = 'text'));\n"
      "INSERT INTO film (film_id, title, rental_rate, status, active, last_update) VALUES "
      "(1, 'ACADEMY DINOSAUR', 0.99, 'publish', 1, '2006-02-15 05:03:42'), "
      "(2, 'ACE GOLDFINGER', 4.99, 'draft', 0, '2006-02-15 05:03:42')");
}

void Fill(TestDatabase& db) {
  switch (db.db()) {
    case Db::kPostgres:
      return FillPostgres(db);
    case Db::kMariaDB:
      return FillMariaDb(db);
    case Db::kSQLite:
      return FillSqlite(db);
  }
}

bool IsTrue(const std::optional<std::string>& v) {
  return v && (*v == "1" || *v == "t" || *v == "true");
}

// A row inserted with the key and title only takes every default that was carried; rows the
// checks refuse are refused.
void RequireDefaultsAndChecks(TestDatabase& source, TestDatabase& dest) {
  dest.Exec("INSERT INTO film (film_id, title) VALUES (100, 'ZED')");
  // Quotes and backslashes: the value the source's own default gives.
  source.Exec("INSERT INTO film (film_id, title) VALUES (100, 'ZED')");
  const std::string motto = source.QueryValue("SELECT motto FROM film WHERE film_id = 100");
  CHECK(motto.find("it's C:") == 0);
  CHECK(dest.QueryValue("SELECT motto FROM film WHERE film_id = 100") == motto);
  std::vector<Row> rows = dest.Query(
      "SELECT rental_duration, rental_rate, status, active, score, created, last_update FROM "
      "film WHERE film_id = 100");
  REQUIRE(rows.size() == 1);
  const Row& r = rows[0];
  CHECK(r[0] == "3");
  REQUIRE(r[1]);
  CHECK(std::stod(*r[1]) == 4.99);
  CHECK(r[2] == "publish");
  CHECK(IsTrue(r[3]));
  CHECK(r[4] == "-1");
  CHECK(r[5].has_value());
  CHECK(r[6].has_value());
  if (source.db() != Db::kSQLite && dest.db() != Db::kSQLite) {
    CHECK(dest.QueryValue("SELECT rating FROM film WHERE film_id = 100") == "G");
    // A new UUID, made by the destination.
    CHECK(dest.QueryValue("SELECT token FROM film WHERE film_id = 100").size() == 36);
  }
  // The key's counter (serial, AUTO_INCREMENT, rowid) gives the key, not a default besides it.
  CHECK_NOTHROW(dest.Exec("INSERT INTO film (title) VALUES ('AUTO')"));
  CHECK(dest.QueryValue("SELECT COUNT(*) FROM film WHERE title = 'AUTO' AND film_id > 2") == "1");
  // The checks hold at the destination.
  CHECK_THROWS(dest.Exec("INSERT INTO film (film_id, title, rental_rate) VALUES (101, 'X', -1)"));
  // MariaDB compares text by the column's collation: its text checks are not carried.
  if (source.db() != Db::kMariaDB) {
    CHECK_THROWS(dest.Exec("INSERT INTO film (film_id, title, status) VALUES (102, 'X', 'bogus')"));
  }
  if (source.db() == Db::kPostgres) {
    CHECK_THROWS(dest.Exec("INSERT INTO film (film_id, title, rating) VALUES (105, 'X', 'NC-17')"));
  }
  CHECK_THROWS(
      dest.Exec("INSERT INTO film (film_id, title, rental_duration) VALUES (103, 'X', 0)"));
  if (source.db() != Db::kMariaDB) {
    CHECK_THROWS(dest.Exec("INSERT INTO film (film_id, title) VALUES (104, '')"));
  }
}

// What check says each source leaves behind at each destination (kind, then a part of it).
std::vector<std::pair<std::string, std::string>> NotCarried(Db from, Db to) {
  std::vector<std::pair<std::string, std::string>> out;
  switch (from) {
    case Db::kPostgres:
      out.push_back({"[default]", "film.due"});
      out.push_back({"[check constraint]", "film_title_format"});
      if (to == Db::kSQLite) out.push_back({"[default]", "film.token"});
      break;
    case Db::kMariaDB:
      out.push_back({"[on update]", "film.last_update"});
      if (to == Db::kSQLite) out.push_back({"[default]", "film.token"});
      out.push_back({"[check constraint]", "film_title_check"});
      out.push_back({"[check constraint]", "it compares text column status"});
      break;
    case Db::kSQLite:
      out.push_back({"[default]", "film.stamp"});
      out.push_back({"[check constraint]", "film_title_check"});
      break;
  }
  return out;
}

constexpr int kPriceRows = 120000;

// A table big enough to kill mid-copy, with a default and a carried check; with `violators`,
// rows its own check refuses in its first and last units (a SQLite file written with
// ignore_check_constraints on, a MariaDB table loaded with check_constraint_checks off).
void FillPrices(TestDatabase& db, bool violators) {
  const std::string rows = std::to_string(kPriceRows);
  const std::string bad = violators ? "2, " + std::to_string(kPriceRows - 5) : "0";
  if (db.db() == Db::kSQLite) {
    db.Exec(
        "PRAGMA ignore_check_constraints = ON;\n"
        "CREATE TABLE price (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL DEFAULT 7, note "
        "TEXT, CONSTRAINT price_amount_check CHECK (amount >= 0));\n"
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < " +
        rows + ") INSERT INTO price SELECT n, CASE WHEN n IN (" + bad +
        ") THEN -3 ELSE n % 1000 END, hex(zeroblob(40)) || n FROM s");
  } else {
    db.Exec(
        "SET check_constraint_checks = 0;\n"
        "CREATE TABLE price (id int PRIMARY KEY, amount int NOT NULL DEFAULT 7, note "
        "varchar(100), CONSTRAINT price_amount_check CHECK (amount >= 0));\n"
        "INSERT INTO price SELECT seq, IF(seq IN (" +
        bad + "), -3, seq % 1000), CONCAT(REPEAT('0', 80), seq) FROM seq_1_to_" + rows);
  }
}

// After a resumed copy: every row as at the source (those the check refuses too), the default
// and the check in place for new rows.
void RequirePricesCopied(TestDatabase& source, TestDatabase& dest) {
  TableContents expected = ReadCanonical(source, "price");
  TableContents actual = ReadCanonical(dest, "price");
  REQUIRE(actual.rows.size() == expected.rows.size());
  CHECK(FirstDifference(expected, actual).empty());
  const std::string next = std::to_string(kPriceRows + 10);
  CHECK_THROWS(dest.Exec("INSERT INTO price (id, amount) VALUES (" + next + ", -1)"));
  dest.Exec("INSERT INTO price (id) VALUES (" + next + ")");
  CHECK(dest.QueryValue("SELECT amount FROM price WHERE id = " + next) == "7");
}

std::string PgCheckValidated(TestDatabase& dest) {
  return dest.QueryValue(
      "SELECT convalidated::text FROM pg_constraint WHERE conname = 'price_amount_check'");
}

int64_t Number(TestDatabase& db, const std::string& sql) {
  try {
    const std::string v = db.QueryValue(sql);
    return v.empty() ? 0 : std::stoll(v);
  } catch (...) {
    return 0;  // a SQLite file ferry is writing
  }
}

// psql in the background holding an ACCESS SHARE lock on `table` of `db` (a reader's): rows
// load beside it, but ALTER TABLE ... ADD CONSTRAINT waits. Returns once it holds it.
std::thread HoldReading(TestDatabase& db, const std::string& table) {
  const std::string command =
      "PGPASSWORD=" + ShellQuote(TestPassword()) + " psql -h 127.0.0.1 -p " +
      std::to_string(ServerPort(Db::kPostgres)) + " -U ferry -d " + db.name() + " -c " +
      ShellQuote("BEGIN; LOCK TABLE " + table +
                 " IN ACCESS SHARE MODE; SELECT pg_sleep(600) AS held_by_test;") +
      " >/dev/null 2>&1";
  std::thread client([command] { (void)std::system(command.c_str()); });
  const std::string holds =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE "
      "'%held_by_test%' AND pid <> pg_backend_pid()";
  for (int i = 0; i < 200 && Number(db, holds) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return client;
}

void ReleaseReading(TestDatabase& db, std::thread& client) {
  db.Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND query LIKE '%held_by_test%' AND pid <> pg_backend_pid()");
  client.join();
}

}  // namespace

TEST_CASE("column defaults and checks are created at a destination of another engine",
          "[defaults_checks]") {
  for (Db from : kAllDbs) {
    for (Db to : kAllDbs) {
      if (from == to) continue;
      DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
        TestDatabase source(from, "dc_src");
        TestDatabase dest(to, "dc_dst");
        Fill(source);
        FerryResult check = RunFerry("check" + Ends(source.Url(), dest.Url()));
        INFO("check: " << check.output);
        REQUIRE(check.exit_code == 0);
        for (const auto& [kind, part] : NotCarried(from, to)) {
          INFO(kind << " " << part);
          CHECK(Has(check.output, kind));
          CHECK(Has(check.output, part));
        }
        // The carried ones are not listed.
        CHECK_FALSE(Has(check.output, "film.rental_rate"));
        CHECK_FALSE(Has(check.output, "film_rental_rate_check"));
        FerryResult run = RunFerry("run" + Ends(source.Url(), dest.Url()));
        INFO("run: " << run.output);
        REQUIRE(run.exit_code == 0);
        TableContents expected = ReadCanonical(source, "film");
        TableContents actual = ReadCanonical(dest, "film");
        CHECK(FirstDifference(expected, actual).empty());
        RequireDefaultsAndChecks(source, dest);
      }
    }
  }
}

TEST_CASE("defaults ferry check cannot carry are grouped into one finding per kind",
          "[defaults_checks]") {
  TestDatabase source(Db::kPostgres, "dc_group_src");
  TestDatabase dest(Db::kSQLite, "dc_group_dst");
  source.Exec(
      "CREATE TABLE a (id int PRIMARY KEY, k uuid DEFAULT gen_random_uuid(), "
      "n int DEFAULT floor(random() * 10));\n"
      "CREATE TABLE b (id int PRIMARY KEY, k uuid DEFAULT gen_random_uuid())");
  FerryResult check = RunFerry("check" + Ends(source.Url(), dest.Url()));
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  CHECK(Occurrences(check.output, "[default]") == 1);
  CHECK(Has(check.output, "3 columns"));
  CHECK(Has(check.output,
            "public.a.k (DEFAULT gen_random_uuid(); not translated to SQLite: "
            "SQLite has no function that makes a UUID)"));
  CHECK(Has(check.output,
            "public.a.n (DEFAULT floor((random() * (10)::double precision)); "
            "not translated to SQLite: the function floor())"));
  CHECK(Has(check.output, "public.b.k"));
}

TEST_CASE("a staging directory carries defaults and checks to the engine it is imported into",
          "[defaults_checks][staging]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "dc_stage_src");
  TestDatabase dest(Db::kMariaDB, "dc_stage_dst");
  FillPostgres(source);
  const std::string dir = "dir:" + temp.path() + "/stage";
  FerryResult exported = RunFerry("run" + Ends(source.Url(), dir));
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  FerryResult check = RunFerry("check" + Ends(dir, dest.Url()));
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  CHECK(Has(check.output, "film_title_format"));
  FerryResult imported = RunFerry("run" + Ends(dir, dest.Url()));
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  RequireDefaultsAndChecks(source, dest);
}

TEST_CASE("rows a carried check refuses are copied and named, the check kept for new rows",
          "[defaults_checks]") {
  struct Pair {
    Db from, to;
  };
  for (Pair pair : {Pair{Db::kSQLite, Db::kPostgres}, Pair{Db::kSQLite, Db::kMariaDB},
                    Pair{Db::kMariaDB, Db::kSQLite}}) {
    DYNAMIC_SECTION(DbName(pair.from) << " to " << DbName(pair.to)) {
      TestDatabase source(pair.from, "dc_bad_src");
      TestDatabase dest(pair.to, "dc_bad_dst");
      // A SQLite file written with ignore_check_constraints on, or a MariaDB table loaded with
      // check_constraint_checks off, holds rows its own checks refuse.
      source.Exec(std::string(pair.from == Db::kSQLite ? "PRAGMA ignore_check_constraints = ON;\n"
                                                       : "SET check_constraint_checks = 0;\n") +
                  "CREATE TABLE ok (id INTEGER PRIMARY KEY);\n"
                  "INSERT INTO ok VALUES (1);\n"
                  "CREATE TABLE price (id INTEGER PRIMARY KEY, amount INTEGER, CONSTRAINT "
                  "price_amount_check CHECK (amount >= 0));\n"
                  "INSERT INTO price VALUES (1, 5), (2, -3)");
      FerryResult check = RunFerry("check" + Ends(source.Url(), dest.Url()));
      INFO("check: " << check.output);
      REQUIRE(check.exit_code == 0);
      FerryResult run = RunFerry("run" + Ends(source.Url(), dest.Url()));
      INFO("run: " << run.output);
      REQUIRE(run.exit_code == 0);
      CHECK(Has(run.output, "check price_amount_check: "));
      CHECK(dest.QueryValue("SELECT COUNT(*) FROM ok") == "1");
      CHECK(dest.QueryValue("SELECT COUNT(*) FROM price") == "2");
      CHECK(dest.QueryValue("SELECT amount FROM price WHERE id = 2") == "-3");
      // The check holds for new rows.
      CHECK_THROWS(dest.Exec("INSERT INTO price VALUES (3, -1)"));
      CHECK_NOTHROW(dest.Exec("INSERT INTO price VALUES (4, 1)"));
      if (pair.to == Db::kPostgres) {
        CHECK(dest.QueryValue("SELECT convalidated::text FROM pg_constraint WHERE conname = "
                              "'price_amount_check'") == "false");
      }
    }
  }
}

TEST_CASE("a check the copied rows satisfy is validated at PostgreSQL", "[defaults_checks]") {
  TestDatabase source(Db::kMariaDB, "dc_valid_src");
  TestDatabase dest(Db::kPostgres, "dc_valid_dst");
  source.Exec(
      "CREATE TABLE price (id INTEGER PRIMARY KEY, amount INTEGER, CONSTRAINT "
      "price_amount_check CHECK (amount >= 0));\n"
      "INSERT INTO price VALUES (1, 5), (2, 0)");
  FerryResult run = RunFerry("run" + Ends(source.Url(), dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_FALSE(Has(run.output, "price_amount_check"));
  CHECK(dest.QueryValue("SELECT convalidated::text FROM pg_constraint WHERE conname = "
                        "'price_amount_check'") == "true");
}

TEST_CASE(
    "a copy with carried checks killed mid-copy and resumed ends with every row and its default "
    "and checks in place",
    "[defaults_checks][kill]") {
  struct Case {
    Db from, to;
    bool violators;
  };
  for (Case c :
       {Case{Db::kSQLite, Db::kMariaDB, true}, Case{Db::kMariaDB, Db::kSQLite, true},
        Case{Db::kSQLite, Db::kPostgres, true}, Case{Db::kMariaDB, Db::kPostgres, false}}) {
    DYNAMIC_SECTION(DbName(c.from)
                    << " to " << DbName(c.to) << (c.violators ? ", rows the check refuses" : "")) {
      TestDatabase source(c.from, "dc_kill_src");
      TestDatabase dest(c.to, "dc_kill_dst");
      FillPrices(source, c.violators);
      const std::string args = "run" + Ends(source.Url(), dest.Url()) +
                               " --partitions 6 --readers 1 --writers 1 --batch-rows 1000";
      bool killed = false;
      FerryResult run = RunWhile(args, dest, [&](pid_t pid) {
        if (Number(dest, "SELECT count(*) FROM ferry_units WHERE state = 'done'") < 1) {
          return false;
        }
        kill(pid, SIGKILL);
        killed = true;
        return true;
      });
      INFO("killed: " << run.output);
      REQUIRE(killed);
      FerryResult resumed = RunFerry(args + " --resume");
      INFO("resumed: " << resumed.output);
      REQUIRE(resumed.exit_code == 0);
      RequirePricesCopied(source, dest);
      if (c.violators) {
        CHECK(Has(resumed.output, "check price_amount_check: "));
        CHECK(dest.QueryValue("SELECT amount FROM price WHERE id = 2") == "-3");
      }
      if (c.to == Db::kPostgres) CHECK(PgCheckValidated(dest) == (c.violators ? "false" : "true"));
    }
  }
}

TEST_CASE(
    "a PostgreSQL copy killed after its rows, before its checks were added or validated, adds "
    "and validates them on resume",
    "[defaults_checks][kill][postgresql]") {
  for (bool added : {false, true}) {
    DYNAMIC_SECTION((added ? "killed between ADD CONSTRAINT ... NOT VALID and VALIDATE"
                           : "killed while ADD CONSTRAINT waits for a lock")) {
      TestDatabase source(Db::kMariaDB, "dc_kval_src");
      TestDatabase dest(Db::kPostgres, "dc_kval_dst");
      FillPrices(source, false);
      // --keys-first: the key comes with CREATE TABLE, so adding the check is the first
      // statement after the rows that a reader's lock holds up.
      const std::string args = "run" + Ends(source.Url(), dest.Url()) + " --keys-first";
      std::thread holder;
      bool killed = false;
      FerryResult run = RunWhile(args, dest, [&](pid_t pid) {
        if (!holder.joinable()) {
          if (Number(dest, "SELECT count(*) FROM pg_class WHERE relname = 'price'") > 0) {
            holder = HoldReading(dest, "price");
          }
          return false;
        }
        if (Number(dest,
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock' AND query LIKE '%ADD CONSTRAINT%'") == 0) {
          return false;
        }
        kill(pid, SIGKILL);
        killed = true;
        return true;
      });
      INFO("killed: " << run.output);
      // The server ends the dead client's waiting ALTER at its lock timeout: not before, or
      // it would add the check once the lock is let go.
      for (int i = 0; i < 200 && Number(dest,
                                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                        "current_database() AND query LIKE '%ADD CONSTRAINT%' "
                                        "AND state = 'active' AND pid <> pg_backend_pid()") > 0;
           ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (holder.joinable()) ReleaseReading(dest, holder);
      REQUIRE(killed);
      CHECK(PgCheckValidated(dest).empty());
      if (added) {
        // What the next statement of the killed run did before the kill came.
        dest.Exec(
            "ALTER TABLE price ADD CONSTRAINT price_amount_check CHECK (amount >= 0) NOT VALID");
        CHECK(PgCheckValidated(dest) == "false");
      }
      FerryResult resumed = RunFerry(args + " --resume");
      INFO("resumed: " << resumed.output);
      REQUIRE(resumed.exit_code == 0);
      CHECK(PgCheckValidated(dest) == "true");
      RequirePricesCopied(source, dest);
    }
  }
}
