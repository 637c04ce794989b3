// PostgreSQL large objects after the copy: `ferry sync` keeps them as the source has them. A row
// updated to point at a new object, an object changed in place (lo_put: no row changes), and an
// object unlinked with its row. Before, the synced row pointed at no object at the destination,
// the changed object kept its old bytes and the unlinked one stayed, all with exit 0.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/ferry_command.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;

namespace {

// Each row's id and its object's bytes as text ("-" where it points at no object), then the
// number of large objects in the database.
std::vector<std::string> Objects(TestDatabase& db) {
  std::vector<std::string> out = RowLines(
      db,
      "SELECT id, CASE WHEN EXISTS (SELECT 1 FROM pg_largeobject_metadata m WHERE m.oid = body) "
      "THEN convert_from(lo_get(body), 'UTF8') ELSE '-' END FROM doc ORDER BY id");
  out.push_back(db.QueryValue("SELECT count(*) FROM pg_largeobject_metadata"));
  return out;
}

}  // namespace

TEST_CASE("ferry sync brings large objects made, changed or removed at the source since the copy",
          "[large_objects][sync][postgresql]") {
  TestDatabase source(Db::kPostgres, "lo_follow_src");
  TestDatabase dest(Db::kPostgres, "lo_follow_dst");
  source.Exec(
      "CREATE TABLE doc (id int PRIMARY KEY, body oid);\n"
      "INSERT INTO doc VALUES (1, lo_from_bytea(0, 'one')), (2, lo_from_bytea(0, 'two')), "
      "(3, lo_from_bytea(0, 'three'))");
  REQUIRE(RunFerry("track enable --source " + ShellQuote(source.Url())).exit_code == 0);
  FerryResult run = RunFerry("run" + Ends(source, dest));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  source.Exec(
      "UPDATE doc SET body = lo_from_bytea(0, 'one, second edition') WHERE id = 1;\n"
      "SELECT lo_put(body, 0, 'TWO') FROM doc WHERE id = 2;\n"
      "SELECT lo_unlink(body) FROM doc WHERE id = 3;\n"
      "DELETE FROM doc WHERE id = 3");
  FerryResult sync = RunFerry("sync" + Ends(source, dest));
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  CHECK(Has(sync, "1 copied, 1 written again, 1 removed"));
  CHECK(Objects(dest) == Objects(source));
  CHECK(Objects(dest) ==
        std::vector<std::string>{"1|one, second edition", "2|TWO", "3"});  // the first 'one' too
}
