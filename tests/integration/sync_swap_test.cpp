// A sync given its ends the wrong way round (the tracked copy's destination as the source, its
// source as the destination) is refused with exit 2 naming the swap, before anything is written
// into the real source, and never suggests --watermark, which would write the copy's rows there.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

TEST_CASE("a sync with its ends swapped is refused naming the swap, and writes nothing",
          "[sync][swap]") {
  TestDatabase source(Db::kPostgres, "swap_src");
  TestDatabase dest(Db::kPostgres, "swap_dst");
  source.Exec(
      "CREATE TABLE items (id int PRIMARY KEY, name text, qty int);\n"
      "INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 20) g");
  REQUIRE(RunFerry("run" + Ends(source, dest) + " --quiet").exit_code == 0);
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
  const std::string runs_at_source =
      "SELECT count(*) FROM pg_class WHERE relname IN ('ferry_runs', 'ferry_sync_state')";
  REQUIRE(source.QueryValue(runs_at_source) == "0");

  // Before the first sync: the destination holds the change log, the source has none.
  FerryResult swapped = RunFerry("sync" + Ends(dest, source));
  INFO(swapped.output);
  CHECK(swapped.exit_code == 2);
  CHECK(Has(swapped, "source and destination seem swapped"));
  CHECK(Has(swapped, "public.items"));
  CHECK(!Has(swapped, "--watermark"));

  // After one: the log also names the copy's destination as its consumer, so even a watermark
  // sync (which would otherwise upsert into the real source) and a diff sync (which would make it
  // the copy's rows) are refused.
  source.Exec("UPDATE items SET qty = 0 WHERE id = 1");
  FerryResult sync = RunFerry("sync" + Ends(source, dest));
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  dest.Exec("UPDATE items SET qty = 99 WHERE id = 2");  // a change the swap would carry back
  FerryResult watermark = RunFerry("sync" + Ends(dest, source) + " --watermark qty");
  INFO(watermark.output);
  CHECK(watermark.exit_code == 2);
  CHECK(Has(watermark, "is registered with it as a destination"));
  FerryResult diff = RunFerry("sync" + Ends(dest, source) + " --diff");
  INFO(diff.output);
  CHECK(diff.exit_code == 2);
  CHECK(source.QueryValue("SELECT qty FROM items WHERE id = 2") == "2");
  CHECK(source.QueryValue(runs_at_source) == "0");
}
