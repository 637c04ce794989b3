// A sync after statements that swap and shift keys under a DEFERRABLE primary key: one UPDATE
// moving row A from key 1 to 2 and row B from 2 to 1 logs, per row, a delete of the old key and
// an insert of the new one, so key 2's last entry is B's delete while it holds A. The sync reads
// such keys again at the source (a key checked at each row is not read again: its last delete
// means no row), and the destination ends equal to the source, as verify says, its key still
// DEFERRABLE.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

TEST_CASE(
    "a sync after keys swapped and shifted under a deferrable key leaves the destination "
    "identical to the source",
    "[sync][track]") {
  TestDatabase source(Db::kPostgres, "swapkey_src");
  TestDatabase dest(Db::kPostgres, "swapkey_dst");
  source.Exec(
      "CREATE TABLE pairs (id int PRIMARY KEY DEFERRABLE INITIALLY IMMEDIATE, name text);\n"
      "INSERT INTO pairs SELECT g, 'row ' || g FROM generate_series(1, 40) g");
  FerryResult run = RunFerry("run" + Ends(source, dest) + " --quiet");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // The copy keeps the key DEFERRABLE, which PostgreSQL's ON CONFLICT takes as no arbiter: the
  // sync's merge updates the rows there, then inserts the others.
  REQUIRE(dest.QueryValue("SELECT count(*) FROM pg_constraint WHERE conname = 'pairs_pkey' "
                          "AND condeferrable") == "1");
  FerryResult track = RunFerry("track enable --source " + ShellQuote(source.Url()));
  INFO(track.output);
  REQUIRE(track.exit_code == 0);

  // A swap in one statement, a chain shifted up by one in one statement into a key deleted
  // before (10 -> 11 -> ... -> 15: keys 11-14 end with a delete yet hold rows), and a key
  // deleted for good.
  source.Exec(
      "UPDATE pairs SET id = 3 - id WHERE id IN (1, 2);\n"
      "DELETE FROM pairs WHERE id = 15;\n"
      "UPDATE pairs SET id = id + 1 WHERE id BETWEEN 10 AND 14;\n"
      "DELETE FROM pairs WHERE id = 30");
  REQUIRE(source.QueryValue("SELECT count(*) FROM ferry_log_pairs") == "16");

  FerryResult sync = RunFerry("sync" + Ends(source, dest) + " --keys-per-batch 4");
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  FerryResult verify = RunFerry("verify" + Ends(source, dest));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  CHECK(dest.QueryValue("SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM pairs WHERE "
                        "id IN (1, 2, 10, 11, 14, 15, 30)") ==
        "1=row 2,2=row 1,11=row 10,14=row 13,15=row 14");
}
