// Collations a PostgreSQL schema defines (CREATE COLLATION, ICU and libc) used by columns and
// by an index: a PostgreSQL clone carries them, the columns and the index keeping theirs; into
// MariaDB and SQLite check names each column and index whose collation is not carried, in one
// line per rule, and the run copies every row.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

const char* const kContacts =
    "CREATE COLLATION phonebook (provider = icu, locale = 'de-u-co-phonebk');\n"
    "CREATE COLLATION ignore_case (provider = icu, locale = 'und-u-ks-level2', "
    "deterministic = false);\n"
    "CREATE COLLATION bytes (provider = libc, locale = 'C');\n"
    "CREATE TABLE contact (id int PRIMARY KEY, name text COLLATE phonebook, "
    "email text COLLATE ignore_case UNIQUE, city text);\n"
    "CREATE INDEX contact_city_bytes ON contact (city COLLATE bytes);\n"
    "INSERT INTO contact VALUES (1, 'Müller', 'Ann@Example.org', 'Köln'), "
    "(2, 'Mueller', 'bob@example.org', 'Bonn')";

}  // namespace

TEST_CASE(
    "user-defined collations are carried by a PostgreSQL clone and named by check into "
    "other engines",
    "[collation][check][postgresql]") {
  TestDatabase source(Db::kPostgres, "collation_src");
  source.Exec(kContacts);
  SECTION("PostgreSQL clone") {
    TestDatabase dest(Db::kPostgres, "collation_dst");
    FerryResult check = RunFerry("check" + Ends(source, dest) + " --sample-seconds 0");
    INFO(check.output);
    REQUIRE(check.exit_code == 0);
    CHECK_FALSE(Has(check, "[not carried]"));
    FerryResult run = RunFerry("run" + Ends(source, dest));
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(RowLines(dest,
                   "SELECT a.attname, c.collname FROM pg_attribute a JOIN pg_collation c "
                   "ON c.oid = a.attcollation WHERE a.attrelid = 'contact'::regclass "
                   "AND a.attnum > 0 ORDER BY 1") ==
          std::vector<std::string>{"city|default", "email|ignore_case", "name|phonebook"});
    CHECK(dest.QueryValue("SELECT pg_get_indexdef('contact_city_bytes'::regclass)")
              .find("COLLATE bytes") != std::string::npos);
    CHECK(dest.QueryValue("SELECT id FROM contact WHERE email = 'ann@example.org'") == "1");
  }
  for (Db to : {Db::kMariaDB, Db::kSQLite}) {
    DYNAMIC_SECTION("into " << DbName(to)) {
      TestDatabase dest(to, "collation_dst");
      FerryResult check = RunFerry("check" + Ends(source, dest) + " --sample-seconds 0");
      INFO(check.output);
      REQUIRE(check.exit_code == 0);
      CHECK(Has(check,
                "[not carried] columns compared by a collation the source defines "
                "(CREATE COLLATION) compare by "));
      CHECK(Has(check,
                ": 2 column collations: public.contact.email (public.ignore_case), "
                "public.contact.name (public.phonebook)"));
      CHECK(Has(check,
                "[not carried] contact_city_bytes on public.contact (public.bytes): "
                "indexes compared by a collation the source defines"));
      FerryResult run = RunFerry("run" + Ends(source, dest));
      INFO(run.output);
      REQUIRE(run.exit_code == 0);
      CHECK(RowLines(dest, "SELECT id, name, email, city FROM contact ORDER BY id") ==
            std::vector<std::string>{"1|Müller|Ann@Example.org|Köln",
                                     "2|Mueller|bob@example.org|Bonn"});
    }
  }
}

TEST_CASE("check names only the collations of the tables a copy with --include copies",
          "[collation][check][postgresql]") {
  TestDatabase source(Db::kPostgres, "collation_src");
  TestDatabase dest(Db::kSQLite, "collation_dst");
  source.Exec(std::string(kContacts) +
              ";\nCREATE TABLE note (id int PRIMARY KEY, body text COLLATE bytes)");
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --include note --sample-seconds 0");
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  CHECK(Has(check, "public.note.body (public.bytes)"));
  CHECK_FALSE(Has(check, "public.contact."));
  CHECK_FALSE(Has(check, "contact_city_bytes"));
}
