// --keep-definers at import: an export keeps the source's MariaDB DEFINERs in its kept dump
// whatever its own --keep-definers says, and the import applies its own, as a direct clone
// does: without it the destination's connecting user becomes the definer, with it the source's
// account stays, and check of the import names the accounts the destination lacks.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest) {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest));
}

std::string Definer(TestDatabase& db, const std::string& view) {
  return db.QueryValue(
      "SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() AND "
      "TABLE_NAME = '" +
      view + "'");
}

bool HasDefinerFinding(const std::string& check_json, const std::string& part) {
  const nlohmann::json report = nlohmann::json::parse(check_json);
  for (const nlohmann::json& f : report["findings"]) {
    if (f["kind"] == "definer" && Has(f["message"].get<std::string>(), part)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "an import applies its own --keep-definers to the kept MariaDB dump, and check of the "
    "import names the definers the destination lacks",
    "[staging][clone][mariadb]") {
  TempDir temp;
  TestDatabase source(Db::kMariaDB, "stdef_src");
  TestDatabase plain(Db::kMariaDB, "stdef_plain");
  TestDatabase kept(Db::kMariaDB, "stdef_kept");
  source.Exec(
      "CREATE TABLE film (film_id int PRIMARY KEY, title varchar(40));\n"
      "INSERT INTO film VALUES (1, 'ACADEMY DINOSAUR');\n"
      "CREATE DEFINER = `ferry_gone`@`%` SQL SECURITY INVOKER VIEW film_titles AS "
      "SELECT title FROM film");
  const std::string dir = "dir:" + temp.path() + "/stage";
  FerryResult exported = Ferry("run", source.Url(), dir);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);

  FerryResult check =
      RunFerry("check --source " + ShellQuote(dir) + " --dest " + ShellQuote(kept.Url()) +
               " --keep-definers --json --sample-seconds 0");
  INFO(check.output);
  CHECK(HasDefinerFinding(check.output, "ferry_gone@%"));
  CHECK(HasDefinerFinding(check.output, "view " + source.name() + ".film_titles"));

  FerryResult without = Ferry("run", dir, plain.Url());
  INFO(without.output);
  REQUIRE(without.exit_code == 0);
  CHECK(Definer(plain, "film_titles").rfind("ferry@", 0) == 0);
  CHECK(plain.QueryValue("SELECT count(*) FROM film_titles") == "1");

  FerryResult with = Ferry("run --keep-definers", dir, kept.Url());
  INFO(with.output);
  REQUIRE(with.exit_code == 0);
  CHECK(Definer(kept, "film_titles") == "ferry_gone@%");
}
