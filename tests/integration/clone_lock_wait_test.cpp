// A PostgreSQL schema clone meets an object another session holds locked at the destination (a
// migration creating the same table in a transaction it has not committed). pg_dump's preamble
// turns lock_timeout off, so check's trial of the clone, and the run's, used to wait for as long
// as that session lived; they wait --lock-wait, then exit 6 naming the object and the option.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

constexpr int kExitBusy = 6;

// Runs `command` (check or run) with a wait of 2 s; its result and how long it took.
std::pair<FerryResult, double> Timed(const std::string& command, const TestDatabase& source,
                                     const TestDatabase& dest) {
  const auto start = std::chrono::steady_clock::now();
  FerryResult result = RunFerry(command + Ends(source, dest) + " --lock-wait 2" +
                                (command == "check" ? " --sample-seconds 0" : ""));
  return {result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

}  // namespace

TEST_CASE(
    "check and run end within --lock-wait, naming the object, when another session holds a "
    "table the PostgreSQL clone creates",
    "[clone][lock_wait][postgresql]") {
  TestDatabase source(Db::kPostgres, "clone_lock_src");
  TestDatabase dest(Db::kPostgres, "clone_lock_dst");
  source.Exec(
      "CREATE TABLE film (id int PRIMARY KEY, title text);\n"
      "INSERT INTO film VALUES (1, 'Alien')");
  // The holder creates film in a transaction it leaves open: ACCESS EXCLUSIVE on its new table,
  // which no other session sees yet, so the copy still clones.
  const std::string holder = "PGPASSWORD=" + ShellQuote(TestPassword()) + " psql -X -q " +
                             ShellQuote(dest.Url() + "?application_name=clone_lock_holder") +
                             " -c 'BEGIN' -c 'CREATE TABLE film (id int)' "
                             "-c 'SELECT pg_sleep(60)' >/dev/null 2>&1 &";
  REQUIRE(std::system(holder.c_str()) == 0);
  REQUIRE(WaitUntil(
      [&] {
        return dest.QueryValue(
                   "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                   "'clone_lock_holder' AND query LIKE 'SELECT pg_sleep%'") != "0";
      },
      30));

  auto [check, check_seconds] = Timed("check", source, dest);
  INFO(check.output);
  CHECK(check.exit_code == kExitBusy);
  CHECK(Has(check, "table public.film"));
  CHECK(Has(check, "--lock-wait"));
  CHECK(check_seconds < 20);

  auto [run, run_seconds] = Timed("run", source, dest);
  INFO(run.output);
  CHECK(run.exit_code == kExitBusy);
  CHECK(Has(run, "public.film"));
  CHECK(Has(run, "--lock-wait"));
  CHECK(run_seconds < 20);

  dest.Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'clone_lock_holder'");
  // Nothing of the clone was left behind.
  CHECK(dest.QueryValue("SELECT count(*) FROM pg_class WHERE relname = 'film'") == "0");
}
