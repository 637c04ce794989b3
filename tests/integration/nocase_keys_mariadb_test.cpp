// SQLite NOCASE key columns into MariaDB. NOCASE folds ASCII letters only, so a NOCASE key may
// hold 'É' and 'é', or 'ß' and 'ss'; every case-insensitive MariaDB collation takes those as
// equal and its key would refuse the second. Key columns (primary, unique, foreign) are made
// with MariaDB's exact collation instead, check says so in one grouped line, and the run copies
// every row; NOCASE columns in no key keep a case-insensitive collation.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

TEST_CASE(
    "SQLite NOCASE key columns holding É and é, ß and ss copy into MariaDB with an exact "
    "collation that check names",
    "[nocase][check][sqlite][mariadb]") {
  TestDatabase source(Db::kSQLite, "nocase_src");
  TestDatabase dest(Db::kMariaDB, "nocase_dst");
  source.Exec(
      "CREATE TABLE tag (name TEXT COLLATE NOCASE PRIMARY KEY, note TEXT COLLATE NOCASE);\n"
      "INSERT INTO tag VALUES ('É', 'upper'), ('é', 'lower'), ('ß', 'sharp'), ('ss', 'double'), "
      "('Straße', 'a'), ('STRASSE', 'b');\n"
      "CREATE TABLE post (id INTEGER PRIMARY KEY, tag TEXT COLLATE NOCASE REFERENCES tag(name));\n"
      "INSERT INTO post VALUES (1, 'É'), (2, 'é'), (3, 'ss');\n"
      "CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE, "
      "city TEXT COLLATE NOCASE);\n"
      "INSERT INTO person VALUES (1, 'josé@example.org', 'Paris'), "
      "(2, 'JOSÉ@example.org', 'paris')");
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --sample-seconds 0");
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  CHECK(Has(check,
            "[case-sensitive key] text the source compares ignoring the case of ASCII "
            "letters only (SQLite COLLATE NOCASE) that is part of a primary, unique or "
            "foreign key gets the destination's exact collation"));
  CHECK(Has(check,
            "3 columns: main.person.email (TEXT), main.post.tag (TEXT), "
            "main.tag.name (TEXT)"));
  CHECK(Has(check, "[case-insensitive text]"));
  CHECK(Has(check, "2 columns: main.person.city (TEXT), main.tag.note (TEXT)"));

  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(RowLines(dest, "SELECT name FROM tag ORDER BY name") ==
        std::vector<std::string>{"STRASSE", "Straße", "ss", "É", "ß", "é"});
  CHECK(dest.QueryValue("SELECT count(*) FROM post") == "3");
  CHECK(dest.QueryValue("SELECT count(*) FROM person") == "2");
  // The key columns compare exactly; the others still ignore case.
  CHECK(RowLines(dest,
                 "SELECT table_name, column_name, collation_name LIKE '%_ci' FROM "
                 "information_schema.columns WHERE table_schema = DATABASE() AND "
                 "table_name IN ('tag', 'post', 'person') AND collation_name IS NOT NULL "
                 "ORDER BY 1, 2") == std::vector<std::string>{"person|city|1", "person|email|0",
                                                              "post|tag|0", "tag|name|0",
                                                              "tag|note|1"});
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}
