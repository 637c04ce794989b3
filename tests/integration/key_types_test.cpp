// Foreign keys whose columns the destination types apart, stored generated columns MariaDB
// rounds, and lower/upper where the ends change case differently: what real schemas bring that
// ferry's mapping alone would have failed on, or silently computed otherwise.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

TEST_CASE(
    "a SQLite SMALLINT column referencing an INTEGER key lands in MariaDB as one type, "
    "and its foreign key is made",
    "[key_types]") {
  TestDatabase source(Db::kSQLite, "keys_src");
  TestDatabase dest(Db::kMariaDB, "keys_dst");
  source.Exec(
      "CREATE TABLE language (language_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);\n"
      "CREATE TABLE film (film_id INTEGER PRIMARY KEY, language_id SMALLINT NOT NULL "
      "REFERENCES language (language_id));\n"
      "CREATE TABLE country (code TEXT PRIMARY KEY);\n"
      "CREATE TABLE city (id INTEGER PRIMARY KEY, country TEXT REFERENCES country (code));\n"
      "INSERT INTO language (name) VALUES ('English'), ('Italian');\n"
      "INSERT INTO film VALUES (1, 1), (2, 2), (3, 1);\n"
      "INSERT INTO country VALUES ('FR'), ('JP');\n"
      "INSERT INTO city VALUES (1, 'FR'), (2, 'JP'), (3, NULL)");
  FerryResult check = RunFerry("check" + Ends(source, dest));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK_FALSE(Has(check.output, "foreign key types"));
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_FALSE(Has(run.output, "not created"));
  CHECK(dest.QueryValue("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                        "CONSTRAINT_SCHEMA = DATABASE()") == "2");
  CHECK(dest.QueryValue("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                        "DATABASE() AND TABLE_NAME = 'film' AND COLUMN_NAME = 'language_id'") ==
        "bigint(20)");
  CHECK(dest.QueryValue("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                        "DATABASE() AND TABLE_NAME = 'city' AND COLUMN_NAME = 'country'") ==
        "varchar(768)");
  CHECK(RunFerry("verify" + Ends(source, dest)).exit_code == 0);
}

TEST_CASE(
    "a foreign key from a text column to an integer key is named by check and left out by "
    "the run, which succeeds",
    "[key_types]") {
  TestDatabase source(Db::kSQLite, "keys_src");
  TestDatabase dest(Db::kPostgres, "keys_dst");
  source.Exec(
      "CREATE TABLE artist (artist_id INTEGER PRIMARY KEY, name TEXT);\n"
      "CREATE TABLE album (album_id INTEGER PRIMARY KEY, artist TEXT REFERENCES artist "
      "(artist_id));\n"
      "INSERT INTO artist VALUES (1, 'AC/DC');\n"
      "INSERT INTO album VALUES (1, '1'), (2, NULL)");
  FerryResult check = RunFerry("check" + Ends(source, dest));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check.output, "foreign keys the destination refuses for their columns' types"));
  CHECK(Has(check.output, "artist (text) cannot reference artist_id (bigint)"));
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(Has(run.output, "not created"));
  CHECK(dest.QueryValue("SELECT count(*) FROM album") == "2");
}

TEST_CASE("a stored generated DECIMAL that MariaDB rounds does not fail a MariaDB to MariaDB copy",
          "[key_types]") {
  TestDatabase source(Db::kMariaDB, "round_src");
  TestDatabase dest(Db::kMariaDB, "round_dst");
  source.Exec(
      "CREATE TABLE payment (payment_id INT PRIMARY KEY, amount DECIMAL(5,2) NOT NULL, "
      "tax DECIMAL(7,2) AS (amount * 0.195) STORED)");
  source.Exec(
      "INSERT INTO payment (payment_id, amount) SELECT seq, seq % 100 + 0.99 FROM seq_1_to_3000");
  for (const char* method : {"bulk", "load-data", "odbc"}) {
    INFO(method);
    FerryResult run = RunFerry("run" + Ends(source, dest) + " --truncate --mariadb-write-method " +
                               std::string(method));
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(dest.QueryValue("SELECT SUM(tax) FROM payment") ==
          source.QueryValue("SELECT SUM(tax) FROM payment"));
  }
}

TEST_CASE(
    "check warns when a generated column's lower/upper meets ends that change case "
    "differently",
    "[key_types]") {
  TestDatabase source(Db::kMariaDB, "case_src");
  TestDatabase dest(Db::kPostgres, "case_dst");
  source.Exec(
      "CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(40) COLLATE utf8mb4_turkish_ci, "
      "name_key VARCHAR(40) AS (LOWER(name)) STORED, plain VARCHAR(40), "
      "plain_key VARCHAR(40) AS (LOWER(plain)) STORED) DEFAULT CHARSET=utf8mb4");
  source.Exec("INSERT INTO customer (id, name, plain) VALUES (1, 'IRMAK', 'IRMAK')");
  FerryResult check = RunFerry("check" + Ends(source, dest));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check.output, "generated columns computed with lower/upper"));
  CHECK(Has(check.output, "Turkish/Azeri"));
}
