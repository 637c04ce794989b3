// PostgreSQL enums into MariaDB: each column becomes an ENUM of the type's labels in their
// order, so check says nothing about text longer than the ENUM (only labels fit there, and they
// all do) and names as not carried only the enum type no copied column uses.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// The lines under check's "warnings (n):" heading.
std::vector<std::string> WarningLines(const std::string& output) {
  std::vector<std::string> out;
  std::istringstream lines(output);
  bool in = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("warnings (", 0) == 0) {
      in = true;
    } else if (in && line.rfind("  [", 0) == 0) {
      out.push_back(line.substr(2));
    } else if (in) {
      break;
    }
  }
  return out;
}

}  // namespace

TEST_CASE(
    "PostgreSQL enums arrive in MariaDB as ENUM columns, and check names only the unused "
    "type as not carried",
    "[enum][check][postgresql][mariadb]") {
  TestDatabase source(Db::kPostgres, "enum_src");
  TestDatabase dest(Db::kMariaDB, "enum_dst");
  source.Exec(
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE TYPE size AS ENUM ('small', 'medium', 'extra large');\n"
      "CREATE TYPE unused AS ENUM ('x');\n"
      "CREATE TABLE person (id int PRIMARY KEY, current_mood mood NOT NULL, shirt size);\n"
      "CREATE TABLE pet (id int PRIMARY KEY, pet_mood mood);\n"
      "INSERT INTO person VALUES (1, 'ok', 'extra large'), (2, 'happy', NULL);\n"
      "INSERT INTO pet VALUES (1, 'sad')");
  FerryResult check = RunFerry("check" + Ends(source, dest) + " --sample-seconds 0");
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  CHECK(WarningLines(check.output) ==
        std::vector<std::string>{
            "[not carried] public.unused: enum types are not carried from PostgreSQL to "
            "MariaDB; recreate them there if they are needed"});
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(RowLines(dest,
                 "SELECT column_name, column_type FROM information_schema.columns WHERE "
                 "table_schema = DATABASE() AND data_type = 'enum' ORDER BY 1") ==
        std::vector<std::string>{"current_mood|enum('sad','ok','happy')",
                                 "pet_mood|enum('sad','ok','happy')",
                                 "shirt|enum('small','medium','extra large')"});
  CHECK(RowLines(dest, "SELECT id, current_mood, shirt FROM person ORDER BY id") ==
        std::vector<std::string>{"1|ok|extra large", "2|happy|NULL"});
}
