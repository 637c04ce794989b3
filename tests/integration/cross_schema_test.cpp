// Real schemas across engines: fixtures written from what sample databases do (Sakila's index
// names repeated across tables, Pagila's inheritance and range partitions, a table whose only
// column is generated, a table with no columns, a composite key of text, integer and date into
// MariaDB, a foreign key to a table left out of the scope), copied on every pair where the
// feature applies and judged value by value. On every fixture `ferry check` passing means
// `ferry run` succeeds.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

size_t Occurrences(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// `ferry check`, then `ferry run` with the same arguments: a check that passes must mean a run
// that succeeds. Returns the run's output.
std::string CheckThenRun(TestDatabase& source, TestDatabase& dest, const std::string& extra = "") {
  FerryResult check = RunFerry("check" + Ends(source, dest) + extra);
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest) + extra);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
  return run.output;
}

void RequireSameValues(TestDatabase& source, TestDatabase& dest, const std::string& table) {
  TableContents expected = ReadCanonical(source, table);
  TableContents actual = ReadCanonical(dest, table);
  INFO(table << ": " << FirstDifference(expected, actual));
  CHECK(FirstDifference(expected, actual).empty());
}

int64_t Count(TestDatabase& db, const std::string& table) {
  const std::string q = db.db() == Db::kMariaDB ? "`" + table + "`" : "\"" + table + "\"";
  return std::stoll(db.QueryValue("SELECT COUNT(*) FROM " + q));
}

// Indexes of `table` other than the primary key, as the destination's catalog names them.
std::vector<std::string> IndexNames(TestDatabase& db, const std::string& table) {
  std::vector<Row> rows;
  switch (db.db()) {
    case Db::kPostgres:
      rows = db.Query(
          "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE "
          "x.indrelid = 'public." +
          table + "'::regclass AND NOT x.indisprimary ORDER BY 1");
      break;
    case Db::kMariaDB:
      rows = db.Query(
          "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = "
          "DATABASE() AND table_name = '" +
          table + "' AND index_name <> 'PRIMARY' ORDER BY 1");
      break;
    case Db::kSQLite:
      rows = db.Query("SELECT name FROM pragma_index_list('" + table +
                      "') WHERE origin <> 'pk' ORDER BY 1");
      break;
  }
  std::vector<std::string> out;
  for (const Row& r : rows) out.push_back(*r[0]);
  return out;
}

// Sakila's shape: film_actor and inventory both have an index named idx_fk_film_id (index names
// are per table in MariaDB), and a table and column whose names are 64 characters long.
void CreateSakilaLike(TestDatabase& db) {
  const std::string long_table(64, 't');
  const std::string long_column = std::string(60, 'c') + "_one";
  db.Exec(
      "CREATE TABLE film (film_id smallint unsigned NOT NULL PRIMARY KEY, title varchar(128) "
      "NOT NULL, KEY idx_title (title)) ENGINE=InnoDB;\n"
      "CREATE TABLE film_actor (actor_id smallint unsigned NOT NULL, film_id smallint unsigned "
      "NOT NULL, PRIMARY KEY (actor_id, film_id), KEY idx_fk_film_id (film_id)) ENGINE=InnoDB;\n"
      "CREATE TABLE inventory (inventory_id mediumint unsigned NOT NULL PRIMARY KEY, film_id "
      "smallint unsigned NOT NULL, store_id tinyint unsigned NOT NULL, KEY idx_fk_film_id "
      "(film_id), KEY idx_store_id_film_id (store_id, film_id)) ENGINE=InnoDB;\n"
      "CREATE TABLE " +
      long_table + " (id int PRIMARY KEY, " + long_column + " int, " + std::string(60, 'c') +
      "_two int, KEY idx_fk_film_id (" + long_column +
      ")) ENGINE=InnoDB;\n"
      "INSERT INTO film VALUES (1, 'ACADEMY DINOSAUR'), (2, 'ACE GOLDFINGER');\n"
      "INSERT INTO film_actor VALUES (1, 1), (10, 1), (19, 2);\n"
      "INSERT INTO inventory VALUES (1, 1, 1), (2, 1, 2), (3, 2, 2);\n"
      "INSERT INTO " +
      long_table + " VALUES (1, 2, 3)");
}

}  // namespace

TEST_CASE("index names MariaDB repeats across tables get unique names where they are per schema",
          "[cross_schema]") {
  for (Db to : {Db::kPostgres, Db::kSQLite}) {
    DYNAMIC_SECTION("MariaDB to " << DbName(to)) {
      TestDatabase source(Db::kMariaDB, "xs_sakila_src");
      TestDatabase dest(to, "xs_sakila_dst");
      CreateSakilaLike(source);
      CheckThenRun(source, dest);
      for (const char* table : {"film", "film_actor", "inventory"}) {
        RequireSameValues(source, dest, table);
      }
      // Both idx_fk_film_id indexes were built: one keeps the name, the other is named for its
      // table, every time the same.
      CHECK(IndexNames(dest, "film_actor") == std::vector<std::string>{"idx_fk_film_id"});
      CHECK(IndexNames(dest, "inventory") ==
            std::vector<std::string>{"idx_store_id_film_id", "inventory_idx_fk_film_id"});
      // The 64-character table keeps every row; into PostgreSQL its name is cut to 63 bytes
      // with a hash, as are its columns', so the two long columns stay apart.
      std::vector<std::string> tables = ListTables(dest);
      std::string long_name;
      for (const std::string& t : tables) {
        if (t.rfind("tttt", 0) == 0) long_name = t;
      }
      REQUIRE(!long_name.empty());
      CHECK(long_name.size() == (to == Db::kPostgres ? 63u : 64u));
      CHECK(Count(dest, long_name) == 1);
      CHECK(DescribeColumns(dest, long_name).size() == 3);
      CHECK(IndexNames(dest, long_name).size() == 1);
    }
  }
}

TEST_CASE("inheritance parents are read ONLY their own rows and partitioned tables once",
          "[cross_schema]") {
  for (Db to : kAllDbs) {
    DYNAMIC_SECTION("PostgreSQL to " << DbName(to)) {
      TestDatabase source(Db::kPostgres, "xs_pagila_src");
      TestDatabase dest(to, "xs_pagila_dst");
      // Pagila's payment: a parent with two children by INHERITS (the parent holds rows of its
      // own too); and a range-partitioned rental with two partitions.
      source.Exec(
          "CREATE TABLE payment (payment_id integer PRIMARY KEY, amount numeric(5,2) NOT NULL, "
          "payment_date date NOT NULL);\n"
          "CREATE TABLE payment_p2022_01 (PRIMARY KEY (payment_id), CHECK (payment_date < "
          "'2022-02-01')) INHERITS (payment);\n"
          "CREATE TABLE payment_p2022_02 (PRIMARY KEY (payment_id)) INHERITS (payment);\n"
          "INSERT INTO payment VALUES (1, 2.99, '2021-12-30'), (2, 0.99, '2021-12-31');\n"
          "INSERT INTO payment_p2022_01 SELECT g, g / 100.0, DATE '2022-01-01' + g % 28 FROM "
          "generate_series(100, 1099) g;\n"
          "INSERT INTO payment_p2022_02 SELECT g, g / 1000.0, DATE '2022-02-01' + g % 27 FROM "
          "generate_series(2000, 2999) g;\n"
          "CREATE TABLE rental (rental_id integer NOT NULL, rental_date date NOT NULL, "
          "customer_id integer, PRIMARY KEY (rental_id, rental_date)) "
          "PARTITION BY RANGE (rental_date);\n"
          "CREATE TABLE rental_2022_h1 PARTITION OF rental FOR VALUES FROM ('2022-01-01') TO "
          "('2022-07-01');\n"
          "CREATE TABLE rental_2022_h2 PARTITION OF rental FOR VALUES FROM ('2022-07-01') TO "
          "('2023-01-01');\n"
          "INSERT INTO rental SELECT g, DATE '2022-01-01' + g % 365, g % 7 FROM "
          "generate_series(1, 1500) g;\n"
          "ANALYZE");
      CheckThenRun(source, dest);
      if (to == Db::kPostgres) {
        // A PostgreSQL destination gets the inheritance tree and the partitioned table whole
        // (the same-engine clone): the parent's own rows are 2, its tree's 2002, and rows reach
        // rental's partitions through rental.
        CHECK(dest.QueryValue("SELECT count(*) FROM ONLY payment") == "2");
        CHECK(Count(dest, "payment") == 2002);
        CHECK(Count(dest, "rental_2022_h1") + Count(dest, "rental_2022_h2") == 1500);
      } else {
        CHECK(Count(dest, "payment") == 2);
      }
      CHECK(Count(dest, "payment_p2022_01") == 1000);
      CHECK(Count(dest, "payment_p2022_02") == 1000);
      CHECK(Count(dest, "rental") == 1500);
      for (const char* table : {"payment", "payment_p2022_01", "payment_p2022_02", "rental"}) {
        RequireSameValues(source, dest, table);
      }
      // The partitions' rows came with their partitioned table, not a second time on their own.
      if (to != Db::kPostgres) {
        std::vector<std::string> tables = ListTables(dest);
        CHECK(std::find(tables.begin(), tables.end(), "rental_2022_h1") == tables.end());
      }
      // verify reads the parent ONLY too: every table equal.
      FerryResult verify = RunFerry("verify" + Ends(source, dest));
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
    }
  }
}

TEST_CASE("a table with no columns and one with only a generated column keep their row counts",
          "[cross_schema]") {
  SECTION("PostgreSQL to PostgreSQL: both created, the generated column computed there") {
    TestDatabase source(Db::kPostgres, "xs_nocol_src");
    TestDatabase dest(Db::kPostgres, "xs_nocol_dst");
    source.Exec(
        "CREATE TABLE marker ();\n"
        "INSERT INTO marker DEFAULT VALUES; INSERT INTO marker DEFAULT VALUES;\n"
        "INSERT INTO marker DEFAULT VALUES;\n"
        "CREATE TABLE seven (s integer GENERATED ALWAYS AS (7) STORED);\n"
        "INSERT INTO seven SELECT FROM generate_series(1, 4);\n"
        "CREATE TABLE priced (id integer PRIMARY KEY, net numeric(8,2), gross numeric(9,2) "
        "GENERATED ALWAYS AS (net * 1.2) STORED);\n"
        "INSERT INTO priced (id, net) VALUES (1, 10), (2, 2.5), (3, NULL)");
    CheckThenRun(source, dest);
    CHECK(Count(dest, "marker") == 3);
    CHECK(Count(dest, "seven") == 4);
    RequireSameValues(source, dest, "seven");
    RequireSameValues(source, dest, "priced");
    CHECK(dest.QueryValue("SELECT attgenerated FROM pg_attribute WHERE attrelid = "
                          "'public.priced'::regclass AND attname = 'gross'") == "s");
    FerryResult verify = RunFerry("verify" + Ends(source, dest));
    INFO(verify.output);
    CHECK(verify.exit_code == 0);
    // verify compares the row counts of a table with no column to compare.
    dest.Exec("DELETE FROM marker WHERE ctid = (SELECT min(ctid) FROM marker)");
    FerryResult differs = RunFerry("verify" + Ends(source, dest));
    INFO(differs.output);
    CHECK(differs.exit_code != 0);
    CHECK(Has(differs.output, "public.marker"));
  }
  for (Db to : {Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION("PostgreSQL to " << DbName(to)
                                     << ": a table with no columns blocks in check; generated "
                                        "columns are computed there where they translate") {
      TestDatabase source(Db::kPostgres, "xs_nocol_src");
      TestDatabase dest(to, "xs_nocol_dst");
      source.Exec(
          "CREATE TABLE marker ();\n"
          "INSERT INTO marker DEFAULT VALUES;\n"
          "CREATE TABLE seven (s integer GENERATED ALWAYS AS (7) STORED);\n"
          "INSERT INTO seven SELECT FROM generate_series(1, 4);\n"
          "CREATE TABLE priced (id integer PRIMARY KEY, net numeric(8,2), gross numeric(9,2) "
          "GENERATED ALWAYS AS (net * 1.2) STORED);\n"
          "INSERT INTO priced (id, net) VALUES (1, 10), (2, 2.5), (3, NULL)");
      FerryResult check = RunFerry("check" + Ends(source, dest) + " --json");
      INFO(check.output);
      CHECK(check.exit_code == 4);
      json report = json::parse(check.output);
      bool marker = false, generated = false;
      for (const json& f : report["findings"]) {
        const std::string message = f["message"].get<std::string>();
        if (f["severity"] == "blocker" && f["table"] == "public.marker") {
          marker = Has(message, "no columns");
        }
        if (f["kind"] == "generated column") generated = Has(message, "gross");
      }
      CHECK(marker);
      // net * 1.2 is exact in MariaDB as in PostgreSQL; SQLite would compute it in doubles.
      CHECK(generated == (to == Db::kSQLite));
      CheckThenRun(source, dest, " --exclude marker");
      CHECK(Count(dest, "seven") == 4);
      RequireSameValues(source, dest, "seven");
      RequireSameValues(source, dest, "priced");
      if (to == Db::kMariaDB) {
        CHECK(dest.QueryValue("SELECT is_generated FROM information_schema.columns WHERE "
                              "table_schema = DATABASE() AND table_name = 'priced' AND "
                              "column_name = 'gross'") == "ALWAYS");
      }
    }
  }
  for (Db to : {Db::kMariaDB, Db::kPostgres}) {
    DYNAMIC_SECTION("MariaDB to " << DbName(to) << ": generated columns") {
      TestDatabase source(Db::kMariaDB, "xs_gen_src");
      TestDatabase dest(to, "xs_gen_dst");
      source.Exec(
          "CREATE TABLE priced (id int PRIMARY KEY, net decimal(8,2), gross decimal(9,2) AS "
          "(net * 1.2) STORED, label varchar(20) AS (concat('#', id)) VIRTUAL) ENGINE=InnoDB;\n"
          "INSERT INTO priced (id, net) VALUES (1, 10), (2, 2.5), (3, NULL)");
      CheckThenRun(source, dest);
      RequireSameValues(source, dest, "priced");
      if (to == Db::kMariaDB) {
        CHECK(dest.QueryValue("SELECT is_generated FROM information_schema.columns WHERE "
                              "table_schema = DATABASE() AND table_name = 'priced' AND "
                              "column_name = 'label'") == "ALWAYS");
      }
    }
  }
}

TEST_CASE("SQLite generated columns are recreated in SQLite and copied as values elsewhere",
          "[cross_schema]") {
  for (Db to : {Db::kSQLite, Db::kPostgres}) {
    DYNAMIC_SECTION("SQLite to " << DbName(to)) {
      TestDatabase source(Db::kSQLite, "xs_sqlgen_src");
      TestDatabase dest(to, "xs_sqlgen_dst");
      source.Exec(
          "CREATE TABLE priced (id INTEGER PRIMARY KEY, net NUMERIC(8,2), \"gross, total\" "
          "NUMERIC(9,2) GENERATED ALWAYS AS (round(net * 1.2, 2)) STORED, label TEXT AS ('#' || "
          "id));\n"
          "INSERT INTO priced (id, net) VALUES (1, 10), (2, 2.5), (3, NULL)");
      CheckThenRun(source, dest);
      RequireSameValues(source, dest, "priced");
      if (to == Db::kSQLite) {
        CHECK(dest.QueryValue("SELECT count(*) FROM pragma_table_xinfo('priced') WHERE hidden "
                              "IN (2, 3)") == "2");
      }
    }
  }
}

TEST_CASE("a composite primary key of text, integer and date fits MariaDB's key length",
          "[cross_schema]") {
  for (Db from : {Db::kPostgres, Db::kSQLite}) {
    DYNAMIC_SECTION(DbName(from) << " to MariaDB") {
      TestDatabase source(from, "xs_key_src");
      TestDatabase dest(Db::kMariaDB, "xs_key_dst");
      source.Exec(
          "CREATE TABLE ledger (account text NOT NULL, line integer NOT NULL, booked date NOT "
          "NULL, memo text, PRIMARY KEY (account, line, booked));\n"
          "INSERT INTO ledger VALUES ('acme', 1, '2024-01-31', 'first'), "
          "('acme', 2, '2024-01-31', NULL), ('" +
          std::string(700, 'k') + "', 1, '2024-02-29', 'long')");
      CheckThenRun(source, dest);
      RequireSameValues(source, dest, "ledger");
    }
  }
  SECTION("unique and plain indexes over long text columns are built in MariaDB") {
    TestDatabase source(Db::kPostgres, "xs_key_src");
    TestDatabase dest(Db::kMariaDB, "xs_key_dst");
    source.Exec(
        "CREATE TABLE doc (id integer PRIMARY KEY, title text, body text, path varchar(3000), "
        "UNIQUE (title, body));\n"
        "CREATE INDEX doc_path ON doc (path, title);\n"
        "INSERT INTO doc VALUES (1, 'a', '" +
        std::string(5000, 'b') +
        "', '/x'), "
        "(2, 'a', 'c', '" +
        std::string(2500, 'p') + "')");
    CheckThenRun(source, dest);
    RequireSameValues(source, dest, "doc");
    CHECK(IndexNames(dest, "doc").size() == 2);
    // The unique constraint holds at the destination.
    CHECK_THROWS(dest.Exec("INSERT INTO doc (id, title, body) VALUES (3, 'a', 'c')"));
  }
  SECTION("a key value longer than the column the key allows is a blocker in check") {
    TestDatabase source(Db::kPostgres, "xs_key_src");
    TestDatabase dest(Db::kMariaDB, "xs_key_dst");
    source.Exec(
        "CREATE TABLE ledger (account text NOT NULL, line integer NOT NULL, booked date NOT "
        "NULL, PRIMARY KEY (account, line, booked));\n"
        "INSERT INTO ledger VALUES ('" +
        std::string(900, 'k') + "', 1, '2024-02-29')");
    FerryResult check = RunFerry("check" + Ends(source, dest));
    INFO(check.output);
    CHECK(check.exit_code == 4);
    CHECK(Has(check.output, "[key length] public.ledger.account"));
    CHECK(Has(check.output, "900 characters"));
  }
  SECTION("a staging directory's key values are measured too, in characters") {
    TempDir temp;
    TestDatabase source(Db::kPostgres, "xs_key_src");
    TestDatabase dest(Db::kMariaDB, "xs_key_dst");
    std::string long_account;
    for (int i = 0; i < 900; ++i) long_account += "\xc3\xa9";  // é: 900 characters, 1800 bytes
    source.Exec(
        "CREATE TABLE ledger (account text NOT NULL, line integer NOT NULL, booked date NOT "
        "NULL, PRIMARY KEY (account, line, booked));\n"
        "INSERT INTO ledger VALUES ('abc', 1, '2024-02-29'), ('" +
        long_account + "', 2, '2024-02-29')");
    const std::string dir = "dir:" + temp.path() + "/stage";
    FerryResult exported =
        RunFerry("run -q --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dir));
    INFO(exported.output);
    REQUIRE(exported.exit_code == 0);
    const std::string import_ends =
        " --source " + ShellQuote(dir) + " --dest " + ShellQuote(dest.Url());
    FerryResult check = RunFerry("check" + import_ends);
    INFO(check.output);
    CHECK(check.exit_code == 4);
    CHECK(Has(check.output, "900 characters"));
    source.Exec("DELETE FROM ledger WHERE line = 2");
    TempDir fits;
    const std::string fitting = "dir:" + fits.path() + "/stage";
    REQUIRE(
        RunFerry("run -q --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(fitting))
            .exit_code == 0);
    FerryResult fine =
        RunFerry("check --source " + ShellQuote(fitting) + " --dest " + ShellQuote(dest.Url()));
    INFO(fine.output);
    CHECK(fine.exit_code == 0);
    CHECK(Has(fine.output, "longest value 3"));
  }
}

TEST_CASE("text keys that differ only by trailing spaces or case stay apart in MariaDB",
          "[cross_schema]") {
  // MariaDB's utf8mb4_bin pads with spaces: 'x' and 'x ' were one key to it.
  for (Db from : {Db::kPostgres, Db::kSQLite}) {
    DYNAMIC_SECTION(DbName(from) << " to MariaDB") {
      TestDatabase source(from, "xs_pad_src");
      TestDatabase dest(Db::kMariaDB, "xs_pad_dst");
      source.Exec(
          "CREATE TABLE tag (k varchar(20) PRIMARY KEY, n integer);\n"
          "CREATE TABLE account (id integer PRIMARY KEY, email text UNIQUE);\n"
          "INSERT INTO tag VALUES ('x', 1), ('x ', 2), ('x  ', 3), ('X', 4), ('', 5), (' ', 6);\n"
          "INSERT INTO account VALUES (1, 'a@example.org'), (2, 'A@example.org'), "
          "(3, 'a@example.org ')");
      CheckThenRun(source, dest);
      RequireSameValues(source, dest, "tag");
      RequireSameValues(source, dest, "account");
      FerryResult verify = RunFerry("verify" + Ends(source, dest));
      INFO(verify.output);
      CHECK(verify.exit_code == 0);
      // The destination's keys hold as the source's do: 'x ' is taken, 'x   ' is not.
      CHECK_THROWS(dest.Exec("INSERT INTO tag VALUES ('x ', 7)"));
      dest.Exec("INSERT INTO tag VALUES ('x   ', 7)");
    }
  }
}

TEST_CASE("a foreign key to a table outside the scope is skipped with a warning, never a failure",
          "[cross_schema]") {
  for (Db from : kAllDbs) {
    for (Db to : kAllDbs) {
      DYNAMIC_SECTION(DbName(from) << " to " << DbName(to)) {
        TestDatabase source(from, "xs_fk_src");
        TestDatabase dest(to, "xs_fk_dst");
        source.Exec(
            "CREATE TABLE customer (id integer PRIMARY KEY, name varchar(40));\n"
            "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer, CONSTRAINT "
            "orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customer (id));\n"
            "INSERT INTO customer VALUES (1, 'a');\n"
            "INSERT INTO orders VALUES (10, 1), (11, NULL)");
        FerryResult check = RunFerry("check" + Ends(source, dest) + " --exclude customer");
        INFO(check.output);
        CHECK(check.exit_code == 0);
        CHECK(Has(check.output, "[foreign key out of scope]"));
        const std::string run = CheckThenRun(source, dest, " --exclude customer");
        CHECK(Has(run, "not created: it references"));
        RequireSameValues(source, dest, "orders");
        CHECK(ListTables(dest) == std::vector<std::string>{"orders"});
      }
    }
  }
}

TEST_CASE("check says each rule once, listing the columns it applies to", "[cross_schema]") {
  TestDatabase source(Db::kMariaDB, "xs_group_src");
  TestDatabase dest(Db::kPostgres, "xs_group_dst");
  source.Exec(
      "CREATE TABLE a (id int PRIMARY KEY, x text, y varchar(10), z text) ENGINE=InnoDB;\n"
      "CREATE TABLE b (id int PRIMARY KEY, u text, v char(3)) ENGINE=InnoDB;\n"
      "INSERT INTO a VALUES (1, 'x', 'y', 'z');\n"
      "INSERT INTO b VALUES (1, 'u', 'v');\n"
      "CREATE VIEW va AS SELECT id, x FROM a;\n"
      "CREATE VIEW vb AS SELECT id FROM b;\n"
      "CREATE TRIGGER a_touch BEFORE UPDATE ON a FOR EACH ROW SET NEW.y = 'touched'");
  FerryResult check = RunFerry("check" + Ends(source, dest));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Occurrences(check.output, "text containing NUL") == 1);
  for (const char* column : {"a.x", "a.y", "a.z", "b.u", "b.v"}) {
    CHECK(Has(check.output, column));
  }
  // What stays behind is listed, one line per kind.
  CHECK(Occurrences(check.output, "views are not carried") == 1);
  CHECK(Has(check.output, source.name() + ".va"));
  CHECK(Has(check.output, source.name() + ".vb"));
  CHECK(Has(check.output, "a_touch on " + source.name() + ".a"));
  CheckThenRun(source, dest);
}

TEST_CASE("enums keep their labels and portable domain checks are kept in another engine",
          "[cross_schema]") {
  for (Db to : {Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION("PostgreSQL to " << DbName(to)) {
      TestDatabase source(Db::kPostgres, "xs_enum_src");
      TestDatabase dest(to, "xs_enum_dst");
      // Pagila's mpaa_rating enum and year domain, and a domain whose check is PostgreSQL's own.
      source.Exec(
          "CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');\n"
          "CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE "
          "<= 2155);\n"
          "CREATE DOMAIN zip AS text CHECK (VALUE ~ '^[0-9]{5}$');\n"
          "CREATE TABLE film (film_id integer PRIMARY KEY, rating mpaa_rating DEFAULT 'G', "
          "release_year year, postal zip);\n"
          "INSERT INTO film VALUES (1, 'PG-13', 2006, '12345'), (2, NULL, NULL, NULL), "
          "(3, 'NC-17', 1901, '00000')");
      FerryResult check = RunFerry("check" + Ends(source, dest));
      INFO(check.output);
      CHECK(check.exit_code == 0);
      CHECK(Has(check.output, "[domain check] public.film.postal"));
      CheckThenRun(source, dest);
      RequireSameValues(source, dest, "film");
      // The destination refuses what the source would: a label the enum lacks, a year the
      // domain's check refuses.
      CHECK_THROWS(dest.Exec("INSERT INTO film (film_id, rating) VALUES (9, 'X')"));
      CHECK_THROWS(dest.Exec("INSERT INTO film (film_id, release_year) VALUES (9, 1800)"));
      dest.Exec("INSERT INTO film (film_id, rating, release_year) VALUES (9, 'R', 2000)");
      if (to == Db::kMariaDB) {
        CHECK(dest.QueryValue("SELECT column_type FROM information_schema.columns WHERE "
                              "table_schema = DATABASE() AND table_name = 'film' AND column_name "
                              "= 'rating'") == "enum('G','PG','PG-13','R','NC-17')");
      }
    }
  }
  SECTION("MariaDB to PostgreSQL: an ENUM becomes text checked against its labels") {
    TestDatabase source(Db::kMariaDB, "xs_enum_src");
    TestDatabase dest(Db::kPostgres, "xs_enum_dst");
    source.Exec(
        "CREATE TABLE film (film_id int PRIMARY KEY, rating enum('G','PG','PG-13','R','NC-17') "
        "DEFAULT 'G', special_features set('Trailers','Commentaries','Deleted Scenes'), "
        "release_year year) ENGINE=InnoDB;\n"
        "INSERT INTO film VALUES (1, 'PG-13', 'Trailers,Deleted Scenes', 2006), "
        "(2, NULL, '', NULL)");
    CheckThenRun(source, dest);
    RequireSameValues(source, dest, "film");
    CHECK_THROWS(dest.Exec("INSERT INTO film (film_id, rating) VALUES (9, 'X')"));
  }
}

TEST_CASE("check --scan counts the values the destination will refuse, with example keys",
          "[cross_schema]") {
  // The findings of kind "refused values" as "column: message".
  auto refused = [](const std::string& output) {
    std::vector<std::string> out;
    const json report = json::parse(output);
    for (const json& f : report["findings"]) {
      if (f["kind"] == "refused values" && f["severity"] == "blocker") {
        out.push_back(f["column"].get<std::string>() + ": " + f["message"].get<std::string>());
      }
    }
    return out;
  };
  auto any = [](const std::vector<std::string>& lines, const std::vector<std::string>& parts) {
    for (const std::string& line : lines) {
      bool all = true;
      for (const std::string& p : parts) all = all && Has(line, p);
      if (all) return true;
    }
    return false;
  };
  SECTION("PostgreSQL to MariaDB: NaN, infinities, numeric NaN, dates beyond 9999") {
    TestDatabase source(Db::kPostgres, "xs_scan_src");
    TestDatabase dest(Db::kMariaDB, "xs_scan_dst");
    source.Exec(
        "CREATE TABLE readings (id integer PRIMARY KEY, f double precision, n numeric, d date);\n"
        "INSERT INTO readings VALUES (1, 1.5, 2, '2024-01-01'), (3, 'NaN', 1, '2024-01-02'), "
        "(4, 0, 'NaN', '2024-01-03'), (5, 'Infinity', 1, '12000-01-01'), "
        "(6, 2, 1, 'infinity'), (8, 'NaN', 1, '2024-01-04')");
    FerryResult plain = RunFerry("check" + Ends(source, dest) + " --json");
    INFO(plain.output);
    // The types only warn, but the read sample meets the numeric NaN, which no reader into
    // MariaDB takes: a blocker naming the row (the float NaN is refused only at the writer).
    CHECK(plain.exit_code == 4);
    CHECK(Has(plain.output, "a sampled row (id)=(4) holds a value ferry cannot read"));
    FerryResult scan = RunFerry("check" + Ends(source, dest) + " --json --scan");
    INFO(scan.output);
    CHECK(scan.exit_code == 4);
    std::vector<std::string> found = refused(scan.output);
    CHECK(any(found, {"f: ", "2 values", "NaN", "id 3, 8"}));
    CHECK(any(found, {"f: ", "1 value ", "Infinity", "id 5"}));
    CHECK(any(found, {"n: ", "1 value ", "NaN", "id 4"}));
    CHECK(any(found, {"d: ", "2 values", "dates outside", "id 5, 6"}));
    CHECK(found.size() == 4);
  }
  SECTION("MariaDB to PostgreSQL: NUL in text and zero dates") {
    TestDatabase source(Db::kMariaDB, "xs_scan_src");
    TestDatabase dest(Db::kPostgres, "xs_scan_dst");
    source.Exec(
        "CREATE TABLE notes (id int PRIMARY KEY, body text, due date) ENGINE=InnoDB;\n"
        "SET SESSION sql_mode = '';\n"
        "INSERT INTO notes VALUES (1, 'fine', '2024-01-01'), (2, CONCAT('a', CHAR(0), 'b'), "
        "'2024-01-02'), (3, 'zero', '0000-00-00'), (4, 'zero day', '2024-01-00')");
    FerryResult scan = RunFerry("check" + Ends(source, dest) + " --json --scan");
    INFO(scan.output);
    CHECK(scan.exit_code == 4);
    std::vector<std::string> found = refused(scan.output);
    CHECK(any(found, {"body: ", "1 value ", "NUL", "id 2"}));
    CHECK(any(found, {"due: ", "2 values", "zero dates", "id 3, 4"}));
  }
  SECTION("SQLite to MariaDB: text longer than its declared column") {
    TestDatabase source(Db::kSQLite, "xs_scan_src");
    TestDatabase dest(Db::kMariaDB, "xs_scan_dst");
    source.Exec(
        "CREATE TABLE codes (id INTEGER PRIMARY KEY, code VARCHAR(5));\n"
        "INSERT INTO codes VALUES (1, 'abc'), (2, 'much too long'), (7, 'abcdef')");
    FerryResult scan = RunFerry("check" + Ends(source, dest) + " --json --scan");
    INFO(scan.output);
    CHECK(scan.exit_code == 4);
    CHECK(any(refused(scan.output), {"code: ", "2 values", "longer than 5", "id 2, 7"}));
    // Without the offending rows the scan passes, and so does the run.
    source.Exec("DELETE FROM codes WHERE id > 1");
    FerryResult clean = RunFerry("check" + Ends(source, dest) + " --scan");
    INFO(clean.output);
    CHECK(clean.exit_code == 0);
    CheckThenRun(source, dest);
  }
  SECTION("a staging directory into MariaDB: every row is read, past the sample too") {
    TempDir temp;
    TestDatabase source(Db::kPostgres, "xs_scan_src");
    TestDatabase dest(Db::kMariaDB, "xs_scan_dst");
    source.Exec(
        "CREATE TABLE readings (id integer PRIMARY KEY, f double precision);\n"
        "INSERT INTO readings SELECT g, g / 7.0 FROM generate_series(1, 30000) g;\n"
        "UPDATE readings SET f = 'NaN' WHERE id = 29999");
    const std::string dir = "dir:" + temp.path() + "/stage";
    FerryResult exported =
        RunFerry("run -q --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dir));
    INFO(exported.output);
    REQUIRE(exported.exit_code == 0);
    const std::string ends = " --source " + ShellQuote(dir) + " --dest " + ShellQuote(dest.Url());
    FerryResult scan = RunFerry("check --json --scan --sample-seconds 0" + ends);
    INFO(scan.output);
    CHECK(scan.exit_code == 4);
    CHECK(any(refused(scan.output), {"f: ", "(id)=(29999)", "NaN"}));
    source.Exec("UPDATE readings SET f = 1 WHERE id = 29999");
    TempDir clean_temp;
    const std::string clean_dir = "dir:" + clean_temp.path() + "/stage";
    REQUIRE(
        RunFerry("run -q --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(clean_dir))
            .exit_code == 0);
    FerryResult clean = RunFerry("check --scan --source " + ShellQuote(clean_dir) + " --dest " +
                                 ShellQuote(dest.Url()));
    INFO(clean.output);
    CHECK(clean.exit_code == 0);
  }
}

TEST_CASE("long names are cut to what the destination keeps, in characters or bytes",
          "[cross_schema]") {
  // 70 two-byte characters: 140 bytes. MariaDB keeps 64 characters, PostgreSQL 63 bytes.
  std::string name;
  for (int i = 0; i < 70; ++i) name += "\xc3\xa9";  // é
  for (Db to : {Db::kMariaDB, Db::kPostgres}) {
    DYNAMIC_SECTION("SQLite to " << DbName(to)) {
      TestDatabase source(Db::kSQLite, "xs_long_src");
      TestDatabase dest(to, "xs_long_dst");
      source.Exec("CREATE TABLE \"" + name + "\" (id INTEGER PRIMARY KEY, \"" + name +
                  "x\" TEXT, \"" + name +
                  "y\" TEXT);\n"
                  "INSERT INTO \"" +
                  name + "\" VALUES (1, 'x', 'y')");
      CheckThenRun(source, dest);
      std::vector<std::string> tables = ListTables(dest);
      REQUIRE(tables.size() == 1);
      const std::string& made = tables[0];
      size_t characters = 0;
      for (char c : made) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      if (to == Db::kMariaDB) {
        CHECK(characters == 64);
      } else {
        CHECK(made.size() <= 63);
      }
      CHECK(made.rfind("\xc3\xa9\xc3\xa9", 0) == 0);
      CHECK(Count(dest, made) == 1);
      CHECK(DescribeColumns(dest, made).size() == 3);  // the two long columns stay apart
    }
  }
}
