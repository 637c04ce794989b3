// SQLite's key sample (drivers/sqlite/sqlite_sample.hpp) on a real SQLite file: the walk that
// serves one key column returns exactly every n-th key in key order, as the window it replaced
// (still used for composite keys) does, skipping NULL keys, whatever the gaps between keys.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "drivers/sqlite/sqlite_sample.hpp"
#include "drivers/sqlite/sqlite_session.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;

namespace {

std::vector<std::string> Keys(sqlite::Session& session, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : session.Query(sql)) out.push_back(row.at(0).value_or("NULL"));
  return out;
}

}  // namespace

TEST_CASE("the SQLite key sample is every n-th non-NULL key in key order, walked or windowed",
          "[sqlite][sample]") {
  test::TempDir dir;
  sqlite::Session session(dir.path() + "/sample.sqlite", false, "test");
  // Keys with uneven gaps, inserted out of order, a nullable unique key with 40 NULLs first
  // in key order (more than n of them), and text keys that sort differently from numbers.
  session.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER UNIQUE, name TEXT)");
  session.Execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
      "INSERT INTO t SELECT (i * 7919) % 100003 + i * i, CASE WHEN i % 25 = 0 THEN NULL ELSE i "
      "END, 'k' || i FROM n");
  for (const std::string column : {"id", "u", "name"}) {
    for (const int64_t n : {1, 7, 100, 2000}) {
      std::vector<std::string> expected;
      const std::vector<std::string> all =
          Keys(session,
               "SELECT " + column + " FROM t WHERE " + column + " IS NOT NULL ORDER BY " + column);
      for (size_t i = size_t(n) - 1; i < all.size(); i += size_t(n)) expected.push_back(all[i]);
      const std::string walked =
          "SELECT " + column + " " + SqliteSampleFrom({column}, "t", n) + " ORDER BY " + column;
      CAPTURE(column, n);
      CHECK(Keys(session, walked) == expected);
    }
  }
  // Composite keys keep the window: every n-th row, NULLs included (the caller drops them).
  const std::vector<std::string> windowed =
      Keys(session, "SELECT id " + SqliteSampleFrom({"u", "id"}, "t", 100) + " ORDER BY u, id");
  CHECK(windowed.size() == 10);
}
