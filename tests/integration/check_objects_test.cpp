// What `ferry check` says a copy leaves behind (views, routines, triggers, events, types, object
// by object), the DEFINERs of a MariaDB clone, and `check --scan`'s -0 and invalid UTF-8 counts,
// each against real servers.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
using nlohmann::json;

namespace {

// The message of the finding of `kind` whose message holds `part` ("" when there is none).
std::string Finding(const std::string& check_json, const std::string& kind,
                    const std::string& part) {
  const json report = json::parse(check_json);
  for (const json& f : report["findings"]) {
    const std::string message = f["message"].get<std::string>();
    if (f["kind"] == kind && message.find(part) != std::string::npos) return message;
  }
  return "";
}

}  // namespace

TEST_CASE("check lists each object a copy leaves behind, across engines and without routines",
          "[check][objects]") {
  TestDatabase source(Db::kPostgres, "objects_src");
  LoadScript(source, Fixture("clone_postgres.sql"));
  SECTION("PostgreSQL to MariaDB: views, routines, triggers and types, each named") {
    TestDatabase dest(Db::kMariaDB, "objects_dst");
    FerryResult check = RunFerry("check" + Ends(source, dest) + " --json --sample-seconds 0");
    INFO(check.output);
    CHECK(Finding(check.output, "not carried", "public.film_list").find("views are not carried") !=
          std::string::npos);
    CHECK(!Finding(check.output, "not carried", "public.rating_count").empty());
    CHECK(!Finding(check.output, "not carried", "public.audit_film()").empty());
    CHECK(!Finding(check.output, "not carried", "public.reset_rental_rates(").empty());
    CHECK(!Finding(check.output, "not carried", "film_audit_trigger on public.film").empty());
    // An enum its columns use arrives as their ENUM of its labels: not said to be left behind.
    CHECK(Finding(check.output, "not carried", "public.mpaa_rating").empty());
    CHECK(!Finding(check.output, "not carried", "public.year").empty());
    // Standalone sequences are carried where the destination has sequences.
    CHECK(Finding(check.output, "not carried", "ticket_number_seq").empty());
  }
  SECTION("PostgreSQL to PostgreSQL: a whole clone leaves nothing; --no-routines its routines") {
    TestDatabase dest(Db::kPostgres, "objects_dst");
    FerryResult whole = RunFerry("check" + Ends(source, dest) + " --json --sample-seconds 0");
    INFO(whole.output);
    CHECK(Finding(whole.output, "not carried", "").empty());
    FerryResult bare =
        RunFerry("check" + Ends(source, dest) + " --no-routines --json --sample-seconds 0");
    INFO(bare.output);
    const std::string routines = Finding(bare.output, "not carried", "public.audit_film()");
    CHECK(routines.find("--no-routines") != std::string::npos);
    CHECK(!Finding(bare.output, "not carried", "last_updated on public.film").empty());
    CHECK(Finding(bare.output, "not carried", "public.film_list").empty());  // views are cloned
    FerryResult ferry_ddl =
        RunFerry("check" + Ends(source, dest) + " --schema-from ferry --json --sample-seconds 0");
    INFO(ferry_ddl.output);
    CHECK(
        Finding(ferry_ddl.output, "not carried", "public.film_list").find("--schema-from ferry") !=
        std::string::npos);
    // A type a column uses is made before the tables with ferry's DDL too (CarryTypes).
    CHECK(Finding(ferry_ddl.output, "not carried", "public.seat_span").empty());
  }
}

TEST_CASE("a MariaDB clone makes the destination's user the definer, unless told to keep it",
          "[check][objects][mariadb]") {
  TestDatabase source(Db::kMariaDB, "definer_src");
  TestDatabase dest(Db::kMariaDB, "definer_dst");
  // An account of the source's server that the destination's does not have.
  source.Exec(
      "CREATE TABLE film (film_id int PRIMARY KEY, title varchar(40));\n"
      "INSERT INTO film VALUES (1, 'ACADEMY DINOSAUR');\n"
      "CREATE DEFINER = `ferry_gone`@`%` SQL SECURITY INVOKER VIEW film_titles AS "
      "SELECT title FROM film;\n"
      "CREATE DEFINER = `ferry_gone`@`%` TRIGGER film_upper BEFORE INSERT ON film FOR EACH ROW "
      "SET NEW.title = UPPER(NEW.title)");
  FerryResult check =
      RunFerry("check" + Ends(source, dest) + " --keep-definers --json --sample-seconds 0");
  INFO(check.output);
  const std::string definer = Finding(check.output, "definer", "ferry_gone@%");
  CHECK(definer.find("view " + source.name() + ".film_titles") != std::string::npos);
  CHECK(definer.find("trigger film_upper on") != std::string::npos);
  FerryResult plain = RunFerry("check" + Ends(source, dest) + " --json --sample-seconds 0");
  CHECK(Finding(plain.output, "definer", "").empty());

  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // The connecting user owns them, and they work.
  CHECK(dest.QueryValue("SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = "
                        "DATABASE() AND TABLE_NAME = 'film_titles'")
            .rfind("ferry@", 0) == 0);
  CHECK(dest.QueryValue("SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
                        "DATABASE() AND TRIGGER_NAME = 'film_upper'")
            .rfind("ferry@", 0) == 0);
  CHECK(dest.QueryValue("SELECT count(*) FROM film_titles") == "1");
}

TEST_CASE("check --scan counts -0 and invalid UTF-8 per column, with example keys",
          "[check][scan]") {
  SECTION("a PostgreSQL -0 into MariaDB") {
    TestDatabase source(Db::kPostgres, "scan_zero_src");
    TestDatabase dest(Db::kMariaDB, "scan_zero_dst");
    source.Exec(
        "CREATE TABLE reading (id int PRIMARY KEY, f float8, r real);\n"
        "INSERT INTO reading VALUES (1, 0, 0), (2, '-0', 1.5), (3, 2.5, '-0'), (7, '-0', 0)");
    FerryResult check =
        RunFerry("check" + Ends(source, dest) + " --scan --json --sample-seconds 0");
    INFO(check.output);
    CHECK(check.exit_code == 4);
    CHECK(Finding(check.output, "refused values", "column f holds 2 values").find("-0") !=
          std::string::npos);
    CHECK(!Finding(check.output, "refused values", "rows with id 2, 7").empty());
    CHECK(!Finding(check.output, "refused values", "column r holds 1 value").empty());
  }
  SECTION("SQLite text that is not UTF-8 into PostgreSQL") {
    TestDatabase source(Db::kSQLite, "scan_utf8_src");
    TestDatabase dest(Db::kPostgres, "scan_utf8_dst");
    source.Exec(
        "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, tag TEXT);\n"
        "INSERT INTO note VALUES (1, 'fine', 'ok'), (4, CAST(X'C328' AS TEXT), 'ok'), "
        "(9, CAST(X'66FF6F' AS TEXT), CAST(X'E282' AS TEXT)), (12, 'été', 'ok')");
    FerryResult check =
        RunFerry("check" + Ends(source, dest) + " --scan --json --sample-seconds 0");
    INFO(check.output);
    CHECK(check.exit_code == 4);
    const std::string body = Finding(check.output, "refused values", "column body holds 2");
    CHECK(body.find("not valid UTF-8") != std::string::npos);
    CHECK(body.find("rows with id 4, 9") != std::string::npos);
    CHECK(!Finding(check.output, "refused values", "column tag holds 1 value").empty());
  }
}
