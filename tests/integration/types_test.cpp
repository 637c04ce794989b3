// Every supported type round-trips exactly between every pair of engines: integers at their
// limits, decimals at full precision, floats, booleans, Unicode text, empty strings versus NULL,
// bytes with zeros, dates from year 1, times and timestamps with microseconds, instants, UUIDs
// and JSON. Checked by the tests' own comparison of source and destination.
#include <catch2/catch.hpp>

#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/type_fixtures.hpp"

using namespace ferry::test;

namespace {

void RoundTrip(Db from, Db to) {
  TestDatabase source(from, "types_src");
  TestDatabase dest(to, "types_dst");
  LoadTypeFixture(source);
  FerryResult run =
      RunFerry("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  TableContents expected = ReadCanonical(source, "all_types");
  TableContents actual = ReadCanonical(dest, "all_types");
  REQUIRE(expected.rows.size() == 5);
  CHECK(FirstDifference(expected, actual) == "");
  // The empty string stays distinct from NULL.
  CHECK(dest.QueryValue("SELECT count(*) FROM all_types WHERE length(c_text) = 0") == "1");
  CHECK(dest.QueryValue("SELECT count(*) FROM all_types WHERE c_text IS NULL") == "1");
}

}  // namespace

#define TYPES_PAIR(FROM, TO, from_name, to_name)                                       \
  TEST_CASE("every supported type round-trips exactly from " from_name " to " to_name, \
            "[types][" from_name "][" to_name "]") {                                   \
    RoundTrip(FROM, TO);                                                               \
  }

TYPES_PAIR(Db::kPostgres, Db::kPostgres, "postgresql", "postgresql")
TYPES_PAIR(Db::kPostgres, Db::kMariaDB, "postgresql", "mariadb")
TYPES_PAIR(Db::kPostgres, Db::kSQLite, "postgresql", "sqlite")
TYPES_PAIR(Db::kMariaDB, Db::kPostgres, "mariadb", "postgresql")
TYPES_PAIR(Db::kMariaDB, Db::kMariaDB, "mariadb", "mariadb")
TYPES_PAIR(Db::kMariaDB, Db::kSQLite, "mariadb", "sqlite")
TYPES_PAIR(Db::kSQLite, Db::kPostgres, "sqlite", "postgresql")
TYPES_PAIR(Db::kSQLite, Db::kMariaDB, "sqlite", "mariadb")
TYPES_PAIR(Db::kSQLite, Db::kSQLite, "sqlite", "sqlite")
