// Operator mistakes about an old run's state and hand-edited plans (issue 14's safety
// guarantees): a --resume whose options name another copy than the interrupted run's, and plan
// files naming a table or column the source lacks, a table twice, or broken JSON. Each is
// refused before anything is written, naming what differs or what is wrong. And a database that
// was a ferry destination copied on: its run state stays behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

void Seed(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "CREATE TABLE small (id int PRIMARY KEY, name text);\n"
      "INSERT INTO small SELECT g, 'n' || g FROM generate_series(1, 300) g;\n"
      "ANALYZE");
}

std::string Units(TestDatabase& dest) {
  return dest.QueryValue(
      "SELECT string_agg(table_index || ':' || part || ':' || state, ',' ORDER BY 1) FROM "
      "ferry_state.ferry_units");
}

}  // namespace

TEST_CASE(
    "a --resume whose source, database or tables differ from the interrupted run's is refused "
    "naming the difference, and the run's own options resume it exactly",
    "[mistakes][resume][postgresql]") {
  TestDatabase source(Db::kPostgres, "rsdiff_src");
  TestDatabase other(Db::kPostgres, "rsdiff_other");
  TestDatabase dest(Db::kPostgres, "rsdiff_dst");
  Seed(source);
  Seed(other);
  const std::string options = " --partitions 8 --writers 1";
  {
    setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
    FerryResult crashed = RunFerry("run -q" + options + Ends(source, dest));
    unsetenv("FERRY_TEST_CRASH");
    INFO(crashed.output);
    REQUIRE(crashed.exit_code == 86);
  }
  const std::string run = dest.QueryValue("SELECT run_id FROM ferry_state.ferry_runs");
  const std::string units = Units(dest);
  const int64_t rows = RowCount(dest, "big") + RowCount(dest, "small");

  std::string localhost = source.Url();
  localhost.replace(localhost.find("127.0.0.1"), 9, "localhost");
  struct Resume {
    std::string what, args, said;
  };
  const std::vector<Resume> resumes = {
      {"fewer tables", " --include big" + Ends(source, dest), "copying public.big, public.small"},
      {"the source spelt otherwise", Ends(localhost, dest.Url()),
       "from " + source.Url() + " (here: " + localhost + ")"},
      {"another source database", Ends(other, dest),
       "from " + source.Url() + " (here: " + other.Url() + ")"},
  };
  for (const Resume& r : resumes) {
    CAPTURE(r.what);
    FerryResult resumed = RunFerry("run --resume" + options + r.args);
    INFO(resumed.output);
    CHECK(resumed.exit_code == kExitUsage);
    CHECK(Has(resumed.output, "--resume found no interrupted run of this copy"));
    CHECK(Has(resumed.output, "interrupted run " + run + " of another copy"));
    CHECK(Has(resumed.output, r.said));
    CHECK_FALSE(Has(resumed.output, TestPassword()));
  }
  // Nothing above wrote: the interrupted run is as it was, and resumes exactly.
  CHECK(Units(dest) == units);
  CHECK(RowCount(dest, "big") + RowCount(dest, "small") == rows);
  FerryResult resumed = RunFerry("run --resume" + options + Ends(source, dest));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(RowCount(dest, "big") == 20000);
  CHECK(RowCount(dest, "small") == 300);
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}

TEST_CASE(
    "a hand-edited plan naming a table or column the source lacks, a table twice, or broken "
    "JSON is refused naming the item before anything is written",
    "[mistakes][plan][postgresql][sqlite]") {
  TestDatabase source(Db::kPostgres, "planedit_src");
  TestDatabase dest(Db::kSQLite, "planedit_dst");
  Seed(source);
  TempDir temp;
  const std::string plan_file = temp.path() + "/plan.json";
  FerryResult plan = RunFerry("plan -o " + ShellQuote(plan_file) + Ends(source, dest));
  INFO(plan.output);
  REQUIRE(plan.exit_code == 0);
  const nlohmann::json original = nlohmann::json::parse(std::ifstream(plan_file));
  REQUIRE(original["tables"].size() == 2);

  struct Edit {
    std::string what;
    std::function<std::string(nlohmann::json)> text;  // the edited file
    int exit_code;
    std::vector<std::string> said;
  };
  const std::vector<Edit> edits = {
      {"a table the source lacks",
       [](nlohmann::json t) {
         t["tables"][0]["source"]["name"] = "nosuch";
         return t.dump(2);
       },
       kExitBlocked,
       {"public.nosuch", "the plan's source table does not exist"}},
      {"one table listed twice",
       [](nlohmann::json t) {
         t["tables"].push_back(t["tables"][1]);
         return t.dump(2);
       },
       kExitUsage,
       {"$.tables[2].destination", "is the destination of another table too"}},
      {"a column the source lacks",
       [](nlohmann::json t) {
         t["tables"][0]["columns"][1]["source"] = "vv";
         return t.dump(2);
       },
       kExitUsage,
       {"$.tables[0].columns", "source column vv is not in the source shape"}},
      {"broken JSON on line 3",
       [](const nlohmann::json&) {
         return std::string("{\n  \"ferry_plan\": 1,\n  \"tables\" [\n");
       },
       kExitUsage,
       {"not valid JSON at line 3"}},
  };
  for (const Edit& edit : edits) {
    DYNAMIC_SECTION(edit.what) {
      const std::string edited = temp.File("edited.json", edit.text(original), 0600);
      FerryResult run = RunFerry("run --plan " + ShellQuote(edited));
      INFO(run.output);
      CHECK(run.exit_code == edit.exit_code);
      for (const std::string& s : edit.said) CHECK(Has(run.output, s));
      CHECK(dest.QueryValue("SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == "0");
    }
  }
  // A column dropped at the source after the plan was made: named as the change.
  source.Exec("ALTER TABLE small DROP COLUMN name");
  FerryResult drifted = RunFerry("run --plan " + ShellQuote(plan_file));
  INFO(drifted.output);
  CHECK(drifted.exit_code == kExitBlocked);
  CHECK(Has(drifted.output, "column name no longer exists"));
  CHECK(dest.QueryValue("SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == "0");
}

TEST_CASE(
    "a database that was a ferry destination, copied on as a source, brings none of ferry's run "
    "state along, its held foreign keys' table included",
    "[state][mistakes][sqlite]") {
  TestDatabase first(Db::kSQLite, "chain_first");
  TestDatabase second(Db::kSQLite, "chain_second");
  TestDatabase third(Db::kSQLite, "chain_third");
  first.Exec(
      "CREATE TABLE parent (id integer PRIMARY KEY, name text);\n"
      "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));\n"
      "INSERT INTO parent VALUES (1, 'a'), (2, 'b');\n"
      "INSERT INTO child VALUES (10, 1), (11, 2)");
  FerryResult hop = RunFerry("run" + Ends(first, second));
  INFO(hop.output);
  REQUIRE(hop.exit_code == kExitOk);
  REQUIRE(second.QueryValue("SELECT count(*) FROM sqlite_schema WHERE name = 'ferry_held_keys'") ==
          "1");
  FerryResult plan = RunFerry("plan" + Ends(second, third));
  INFO(plan.output);
  REQUIRE(plan.exit_code == kExitOk);
  const nlohmann::json doc = nlohmann::json::parse(plan.output.substr(plan.output.find('{')));
  std::vector<std::string> planned;
  for (const nlohmann::json& t : doc.at("tables")) {
    planned.push_back(t.at("source").at("name").get<std::string>());
  }
  std::sort(planned.begin(), planned.end());
  CHECK(planned == std::vector<std::string>{"child", "parent"});
  FerryResult next = RunFerry("run" + Ends(second, third));
  INFO(next.output);
  CHECK(next.exit_code == kExitOk);
  CHECK_FALSE(Has(next.output, "ferry_held_keys"));
  CHECK(RowCount(third, "child") == 2);
}
