// Table and column comments across engines: PostgreSQL's COMMENT ON and MariaDB's COMMENT are
// carried both ways where ferry makes the tables (a column comment longer than MariaDB's 1024
// characters cut there, which check says first), and into SQLite, which has none, check lists
// them in one grouped [not carried] line.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

const std::string kLong(1100, 'x');

void CheckThenRun(TestDatabase& source, TestDatabase& dest, const std::string& extra,
                  FerryResult& check) {
  check = RunFerry("check" + Ends(source, dest) + extra);
  INFO("check: " << check.output);
  REQUIRE(check.exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest) + extra);
  INFO("run: " << run.output);
  REQUIRE(run.exit_code == 0);
}

const char* const kPostgresComments =
    "CREATE TABLE film (film_id int PRIMARY KEY, title text NOT NULL, rating text);\n"
    "COMMENT ON TABLE film IS 'Films in the catalogue';\n"
    "COMMENT ON COLUMN film.title IS 'The title as printed, it''s «exact»';\n"
    "INSERT INTO film VALUES (1, 'Academy Dinosaur', 'PG')";

// The film table's comment and its first two columns' at a PostgreSQL destination.
void RequirePostgresComments(TestDatabase& dest, const std::string& first_column) {
  CHECK(dest.QueryValue("SELECT obj_description('public.film'::regclass, 'pg_class')") ==
        "Films in the catalogue");
  CHECK(dest.QueryValue("SELECT COALESCE(col_description('public.film'::regclass, 1), '')") ==
        first_column);
  CHECK(dest.QueryValue("SELECT col_description('public.film'::regclass, 2)") ==
        "The title as printed, it's «exact»");
}

}  // namespace

TEST_CASE("table and column comments go from PostgreSQL into MariaDB, a long one cut to fit",
          "[comments][postgresql][mariadb]") {
  TestDatabase source(Db::kPostgres, "comments_src");
  TestDatabase dest(Db::kMariaDB, "comments_dst");
  source.Exec(kPostgresComments);
  source.Exec("COMMENT ON COLUMN film.rating IS '" + kLong + "'");
  FerryResult check;
  CheckThenRun(source, dest, "", check);
  CHECK(Has(check, "[comment]"));
  CHECK(Has(check, "1100 characters"));
  CHECK(dest.QueryValue("SELECT table_comment FROM information_schema.tables WHERE "
                        "table_schema = DATABASE() AND table_name = 'film'") ==
        "Films in the catalogue");
  auto column = [&](const std::string& name) {
    return dest.QueryValue(
        "SELECT column_comment FROM information_schema.columns WHERE table_schema = DATABASE() "
        "AND table_name = 'film' AND column_name = '" +
        name + "'");
  };
  CHECK(column("title") == "The title as printed, it's «exact»");
  CHECK(column("rating") == kLong.substr(0, 1024));
  CHECK(column("film_id").empty());
}

TEST_CASE("table and column comments go from MariaDB into PostgreSQL",
          "[comments][mariadb][postgresql]") {
  TestDatabase source(Db::kMariaDB, "comments_src");
  TestDatabase dest(Db::kPostgres, "comments_dst");
  source.Exec(
      "CREATE TABLE film (film_id int PRIMARY KEY COMMENT 'Surrogate key', "
      "title varchar(255) NOT NULL COMMENT 'The title as printed, it''s «exact»') "
      "COMMENT 'Films in the catalogue';\n"
      "INSERT INTO film VALUES (1, 'Academy Dinosaur')");
  FerryResult check;
  CheckThenRun(source, dest, "", check);
  CHECK(!Has(check, "[comment]"));
  CHECK(!Has(check, "comments are not carried"));
  RequirePostgresComments(dest, "Surrogate key");
}

TEST_CASE("PostgreSQL comments copied by ferry's own DDL into PostgreSQL stay",
          "[comments][postgresql]") {
  TestDatabase source(Db::kPostgres, "comments_src");
  TestDatabase dest(Db::kPostgres, "comments_dst");
  source.Exec(kPostgresComments);
  FerryResult check;
  CheckThenRun(source, dest, " --schema-from ferry", check);
  RequirePostgresComments(dest, "");
}

TEST_CASE("comments a copy into SQLite cannot carry are listed by check in one line",
          "[comments][postgresql][sqlite]") {
  TestDatabase source(Db::kPostgres, "comments_src");
  TestDatabase dest(Db::kSQLite, "comments_dst");
  source.Exec(kPostgresComments);
  source.Exec(
      "CREATE TABLE actor (actor_id int PRIMARY KEY, name text);\n"
      "COMMENT ON COLUMN actor.name IS 'Full name'");
  FerryResult check;
  CheckThenRun(source, dest, "", check);
  // One [not carried] line for every comment, naming each table and column.
  size_t lines = 0;
  for (size_t at = check.output.find("comments are not carried"); at != std::string::npos;
       at = check.output.find("comments are not carried", at + 1)) {
    ++lines;
  }
  CHECK(lines == 1);
  CHECK(Has(check, "[not carried]"));
  for (const char* named :
       {"public.film", "title", "Films in the catalogue", "public.actor", "name", "Full name"}) {
    INFO(named);
    CHECK(Has(check, named));
  }
  CHECK(dest.QueryValue("SELECT count(*) FROM film") == "1");
}
