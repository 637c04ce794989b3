// Foreign keys of existing PostgreSQL destination tables (made by the application's migrations,
// say) while ferry loads them: dropped for the load, in the run state first, and added back
// after it exactly as they were, however the run ends; `ferry check` says so, and blocks where
// ferry's user may not do it.
#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/ferry_command.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// Every foreign key of the database's public schema as the server declares it.
std::vector<std::string> ForeignKeys(TestDatabase& db) {
  return RowLines(db,
                  "SELECT conrelid::regclass::text || ' ' || conname || ' ' || "
                  "pg_get_constraintdef(oid) || ' valid=' || convalidated FROM pg_constraint "
                  "WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1");
}

int64_t Count(TestDatabase& db, const std::string& sql) {
  return std::stoll(db.QueryValue(sql));
}

// A table whose every row reports to one half the table away (so every unit of it references
// rows of the others), and one whose rows reference it; the same shape at the destination, made
// before ferry runs, with a key NOT VALID and one with actions and deferral of its own.
void MakeStaff(TestDatabase& source, TestDatabase& dest) {
  source.Exec(
      "CREATE TABLE employee (id int PRIMARY KEY, boss int, name text);\n"
      "INSERT INTO employee SELECT g, ((g - 1 + 1500) % 3000) + 1, 'e' || g FROM "
      "generate_series(1, 3000) g;\n"
      "ALTER TABLE employee ADD FOREIGN KEY (boss) REFERENCES employee (id);\n"
      "CREATE TABLE badge (id int PRIMARY KEY, holder int REFERENCES employee (id));\n"
      "INSERT INTO badge SELECT g, 3001 - g FROM generate_series(1, 2000) g");
  dest.Exec(
      "CREATE TABLE employee (id int PRIMARY KEY, boss int, name text);\n"
      "ALTER TABLE employee ADD CONSTRAINT employee_boss_fkey FOREIGN KEY (boss) REFERENCES "
      "employee (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE;\n"
      "CREATE TABLE badge (id int PRIMARY KEY, holder int);\n"
      "ALTER TABLE badge ADD CONSTRAINT badge_holder_fkey FOREIGN KEY (holder) REFERENCES "
      "employee (id) ON UPDATE CASCADE NOT VALID");
}

}  // namespace

TEST_CASE(
    "data loaded into PostgreSQL tables made first by --schema-only keeps their foreign "
    "keys, also again with --truncate and from a table outside the scope",
    "[held_keys][postgresql][sqlite]") {
  const std::string datasets = SharedDatasets();
  if (datasets.empty()) {
    MarkSkipped("../shared/datasets/chinook (or $FERRY_DATASETS) is not present on this machine");
    return;
  }
  TestDatabase source(Db::kSQLite, "keys_src");
  TestDatabase dest(Db::kPostgres, "keys_dst");
  LoadScript(source, datasets + "/chinook/Chinook_Sqlite.sql");
  FerryResult schema = RunFerry("run " + Ends(source, dest) + " --schema-only");
  INFO(schema.output);
  REQUIRE(schema.exit_code == 0);
  const std::vector<std::string> before = ForeignKeys(dest);
  REQUIRE(before.size() >= 11);

  FerryResult check = RunFerry("check " + Ends(source, dest));
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check.output, fmt::format("{} foreign keys at the destination are dropped for the "
                                      "load and added back after it",
                                      before.size())));
  FerryResult load = RunFerry("run " + Ends(source, dest));
  INFO(load.output);
  REQUIRE(load.exit_code == 0);
  CHECK(ForeignKeys(dest) == before);
  CHECK(Count(dest, "SELECT count(*) FROM \"PlaylistTrack\"") == 8715);
  CHECK(Count(dest, "SELECT count(*) FROM \"Track\"") == 3503);

  // A table outside the scope references a track the reload brings back: the key holds.
  dest.Exec(
      "CREATE TABLE review (id int PRIMARY KEY, track int REFERENCES \"Track\" (\"TrackId\"));\n"
      "INSERT INTO review VALUES (1, 3402)");
  const std::vector<std::string> with_review = ForeignKeys(dest);
  check = RunFerry("check " + Ends(source, dest) + " --truncate");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check.output, "foreign key review_track_fkey of public.review, a table outside"));
  FerryResult again = RunFerry("run " + Ends(source, dest) + " --truncate");
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(ForeignKeys(dest) == with_review);
  CHECK(Count(dest, "SELECT count(*) FROM \"Track\"") == 3503);

  // ... and one the reload does not bring back: the key comes back NOT VALID, the run fails
  // naming it, both tables and the key (its value only with --show-values).
  dest.Exec(
      "INSERT INTO \"Track\" (\"TrackId\", \"Name\", \"MediaTypeId\", \"Milliseconds\", "
      "\"UnitPrice\") VALUES (99999, 'local', 1, 1, 0.99);\n"
      "INSERT INTO review VALUES (2, 99999)");
  FerryResult broken = RunFerry("run " + Ends(source, dest) + " --truncate");
  INFO(broken.output);
  CHECK(broken.exit_code == 1);
  CHECK(Has(broken.output, "foreign key review_track_fkey of public.review no longer holds"));
  CHECK(Has(broken.output, "public.Track"));
  CHECK(Has(broken.output, "(track)="));
  CHECK(!Has(broken.output, "99999"));
  CHECK(dest.QueryValue("SELECT convalidated::text FROM pg_constraint WHERE conname = "
                        "'review_track_fkey'") == "false");
  FerryResult shown = RunFerry("run " + Ends(source, dest) + " --truncate --show-values");
  INFO(shown.output);
  CHECK(shown.exit_code == 1);
  CHECK(Has(shown.output, "99999"));
  // Once the rows are right, the next load adds it back valid, as it was before the first.
  dest.Exec("DELETE FROM review WHERE id = 2");
  FerryResult fixed = RunFerry("run " + Ends(source, dest) + " --truncate");
  INFO(fixed.output);
  CHECK(fixed.exit_code == 0);
  CHECK(ForeignKeys(dest) == with_review);
  CHECK(Count(dest, "SELECT count(*) FROM ferry_state.ferry_held_keys") == 0);
}

TEST_CASE(
    "a self-referencing table split into several units loads into a PostgreSQL table "
    "whose keys stay exactly as declared",
    "[held_keys][postgresql]") {
  TestDatabase source(Db::kPostgres, "selfref_src");
  TestDatabase dest(Db::kPostgres, "selfref_dst");
  MakeStaff(source, dest);
  const std::vector<std::string> before = ForeignKeys(dest);
  REQUIRE(before.size() == 2);
  FerryResult run = RunFerry("run " + Ends(source, dest) + " --partitions 3 --writers 2");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(Has(run.output, "dropped 2 foreign keys at the destination for the load"));
  CHECK(ForeignKeys(dest) == before);
  CHECK(Count(dest, "SELECT count(*) FROM employee") == 3000);
  CHECK(Count(dest, "SELECT count(*) FROM badge") == 2000);
}

TEST_CASE(
    "foreign keys a run killed with SIGKILL had dropped come back with the resume, the "
    "reset or the next run",
    "[held_keys][postgresql][resume]") {
  for (const char* next : {"run --resume", "reset --yes", "run", "SIGTERM"}) {
    DYNAMIC_SECTION("then ferry " << next) {
      // SIGTERM: the run stops itself, and adds its keys back before it exits.
      const bool term = std::string(next) == "SIGTERM";
      TestDatabase source(Db::kPostgres, "heldkill_src");
      TestDatabase dest(Db::kPostgres, "heldkill_dst");
      MakeStaff(source, dest);
      const std::vector<std::string> before = ForeignKeys(dest);
      // The first unit's commit waits in the server: the keys are dropped by then.
      setenv("FERRY_TEST_CRASH", "stall-at-commit:1", 1);
      setenv("FERRY_TEST_STALL_SQL", "DO $stall$ BEGIN PERFORM pg_sleep(6); END $stall$", 1);
      bool killed = false;
      FerryResult first = RunWhile(
          "run " + Ends(source, dest) + " --partitions 3 --writers 1", dest, [&](pid_t pid) {
            unsetenv("FERRY_TEST_CRASH");
            unsetenv("FERRY_TEST_STALL_SQL");
            try {
              if (Count(dest, "SELECT count(*) FROM ferry_state.ferry_held_keys") < 2 ||
                  !ForeignKeys(dest).empty()) {
                return false;
              }
            } catch (...) {
              return false;
            }
            kill(pid, term ? SIGTERM : SIGKILL);
            killed = true;
            return true;
          });
      unsetenv("FERRY_TEST_CRASH");
      unsetenv("FERRY_TEST_STALL_SQL");
      INFO(first.output);
      REQUIRE(killed);
      if (term) {
        // Back, none dropped; one that the committed rows violate is back NOT VALID for now.
        CHECK(first.exit_code == 5);
        CHECK(ForeignKeys(dest).size() == before.size());
        CHECK(Count(dest,
                    "SELECT count(*) FROM ferry_state.ferry_held_keys WHERE state = "
                    "'dropped'") == 0);
        FerryResult resumed = RunFerry("run --resume " + Ends(source, dest));
        INFO(resumed.output);
        CHECK(resumed.exit_code == 0);
        CHECK(ForeignKeys(dest) == before);
        CHECK(Count(dest, "SELECT count(*) FROM employee") == 3000);
        CHECK(Count(dest, "SELECT count(*) FROM ferry_state.ferry_held_keys") == 0);
        continue;
      }
      CHECK(ForeignKeys(dest).empty());
      FerryResult status = RunFerry("status --dest " + ShellQuote(dest.Url()));
      INFO(status.output);
      CHECK(Has(status.output, "public.employee.employee_boss_fkey -> public.employee: dropped"));

      const std::string args = std::string(next) == "reset --yes"
                                   ? "reset --yes " + Ends(source, dest)
                                   : std::string(next) + " " + Ends(source, dest);
      FerryResult after = RunFerry(args);
      INFO(after.output);
      CHECK(ForeignKeys(dest) == before);
      CHECK(Count(dest, "SELECT count(*) FROM ferry_state.ferry_held_keys") == 0);
      if (std::string(next) == "run --resume") {
        CHECK(after.exit_code == 0);
        CHECK(Count(dest, "SELECT count(*) FROM employee") == 3000);
      } else {
        // The reset and the refused run add them back first, and say so.
        CHECK(Has(after.output, "added back foreign key public.employee.employee_boss_fkey"));
        CHECK(after.exit_code == (std::string(next) == "run" ? 4 : 0));
      }
    }
  }
}

TEST_CASE(
    "ferry check and ferry run refuse to load a table whose foreign key ferry's user may "
    "not drop, naming the table and its owner",
    "[held_keys][postgresql][check]") {
  TestDatabase source(Db::kPostgres, "fkowner_src");
  TestDatabase dest(Db::kPostgres, "fkowner_dst");
  const std::string role = "loader_" + dest.name();
  source.Exec(
      "CREATE TABLE parent (id int PRIMARY KEY);\n"
      "CREATE TABLE child (id int PRIMARY KEY, parent int REFERENCES parent (id));\n"
      "INSERT INTO parent VALUES (1), (2);\n"
      "INSERT INTO child VALUES (1, 1), (2, 2)");
  dest.Exec(
      fmt::format("CREATE TABLE parent (id int PRIMARY KEY);\n"
                  "CREATE TABLE child (id int PRIMARY KEY, parent int REFERENCES parent (id));\n"
                  "CREATE ROLE {0} LOGIN PASSWORD '{1}';\n"
                  "GRANT CONNECT, CREATE ON DATABASE {2} TO {0};\n"
                  "GRANT ALL ON SCHEMA public TO {0};\n"
                  "GRANT ALL ON parent, child TO {0};\n"
                  "ALTER TABLE parent OWNER TO {0}",
                  role, TestPassword(), dest.name()));
  const std::vector<std::string> before = ForeignKeys(dest);
  std::string url = dest.Url();
  url.replace(url.find("ferry@"), 5, role);
  const std::string ends = "--source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(url);
  FerryResult check = RunFerry("check " + ends);
  FerryResult run = RunFerry("run " + ends);
  dest.Exec(
      fmt::format("REASSIGN OWNED BY {0} TO ferry;\nDROP OWNED BY {0};\nDROP ROLE {0}", role));
  INFO(check.output);
  CHECK(check.exit_code == 4);
  CHECK(Has(check.output, "public.child is owned by ferry"));
  INFO(run.output);
  CHECK(run.exit_code == 4);
  CHECK(Has(run.output, "public.child is owned by ferry"));
  CHECK(ForeignKeys(dest) == before);
  CHECK(Count(dest, "SELECT count(*) FROM child") == 0);
}
