// The owner checks a unit's commit runs (Dialect::AssertSql), on a real SQLite file: a false
// condition fails the statement with ferry's SQLSTATE, so the engine can tell "another process
// took the run over" from any other failure; and the session tag stays within what PostgreSQL
// keeps of an application_name.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"
#include "drivers/sqlite/sqlite_session.hpp"

using namespace ferry;

TEST_CASE("an owner check fails its statement with ferry's SQLSTATE only when it does not hold",
          "[run_state][sqlite]") {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("ferry-owner-" + std::to_string(getpid())))
          .string();
  {
    sqlite::Session session(path, false, "test");
    std::unique_ptr<Dialect> dialect = MakeSqliteDialect();
    session.Execute("CREATE TABLE runs (run_id text, owner_token text)");
    session.Execute("INSERT INTO runs VALUES ('r1', 'mine')");
    const std::string mine =
        "EXISTS (SELECT 1 FROM runs WHERE run_id = 'r1' AND owner_token = "
        "'mine')";
    const std::string theirs =
        "EXISTS (SELECT 1 FROM runs WHERE run_id = 'r1' AND owner_token = "
        "'theirs')";
    CHECK_NOTHROW(session.Execute(dialect->AssertSql(mine, kRunTakenOver, "taken over")));
    try {
      session.Execute(dialect->AssertSql(theirs, kRunTakenOver, "taken over"));
      FAIL("the check passed");
    } catch (const Error& e) {
      REQUIRE(!e.diagnostics().empty());
      CHECK(e.diagnostics()[0].sqlstate == kRunTakenOver);
      CHECK(std::string(e.what()).find("taken over") != std::string::npos);
      CHECK_FALSE(IsTransient(e));
    }
    try {
      session.Execute(dialect->AssertSql(theirs, kRunLockLost, "lock lost"));
      FAIL("the check passed");
    } catch (const Error& e) {
      CHECK(IsTransient(e));  // the run takes its lock again; the unit is tried again
    }
  }
  std::filesystem::remove(path);
}

TEST_CASE("a session tag names the process and fits in an application_name", "[run_state]") {
  CHECK(SessionTag("db1", 4242) == "ferry 4242@db1");
  const std::string tag = SessionTag(std::string(100, 'h'), 4242);
  CHECK(tag.size() <= 63);
  CHECK(tag.rfind("ferry 4242@hhh", 0) == 0);
  // Cut at a character boundary.
  const std::string utf8 = SessionTag(std::string(51, 'h') + "\xc3\xa9\xc3\xa9\xc3\xa9", 4242);
  CHECK(utf8.size() <= 63);
  CHECK(utf8.size() == 62);  // not half of the é
}
