// A staging directory an import partly drained (--remove-imported, then killed): another import
// of it, into another destination or anew into the same one, is refused before it writes
// anything, naming the directory, where the removed chunks' rows went and what to do; the
// import that took them, resumed, ends exact. A chunk lost without a record is refused up front
// too. A process reading the directory and an import taking its files away never run at once.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest) {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest));
}

size_t FilesIn(const std::string& folder) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

std::string Digest(TestDatabase& db) {
  return db.QueryValue(
      "SELECT count(*) || ' ' || md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM keyed");
}

std::string TableCount(TestDatabase& db) {
  return db.QueryValue("SELECT count(*) FROM pg_tables WHERE tablename = 'keyed'");
}

void Export(TestDatabase& source, const std::string& dir) {
  source.Exec(
      "CREATE TABLE keyed (id int PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO keyed SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
      "ANALYZE");
  FerryResult exported = Ferry("run -q --partitions 4", source.Url(), dir);
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
}

}  // namespace

TEST_CASE(
    "an import from a directory another import partly drained is refused before it writes, "
    "naming where the removed rows went, and the import that drained it resumes to an exact "
    "copy",
    "[staging][drain][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "drained_src");
  TestDatabase first(Db::kPostgres, "drained_first");
  TestDatabase other(Db::kPostgres, "drained_other");
  const std::string folder = temp.path() + "/stage";
  const std::string dir = "dir:" + folder;
  Export(source, dir);

  // The first import takes units away as it commits them, and is killed after two.
  setenv("FERRY_TEST_CRASH", "after-commit:2", 1);
  FerryResult crashed = Ferry("run -q --writers 1 --remove-imported", dir, first.Url());
  unsetenv("FERRY_TEST_CRASH");
  INFO(crashed.output);
  REQUIRE(crashed.exit_code == 86);
  REQUIRE(FilesIn(folder + "/imported") >= 1);

  // Into another destination: refused up front, nothing made there.
  FerryResult elsewhere = Ferry("run", dir, other.Url());
  INFO(elsewhere.output);
  CHECK(elsewhere.exit_code == kExitBlocked);
  CHECK(elsewhere.output.find("cannot import from " + dir + " (nothing was written)") !=
        std::string::npos);
  CHECK(elsewhere.output.find("imported into ") != std::string::npos);
  CHECK(elsewhere.output.find(first.name()) != std::string::npos);
  CHECK(elsewhere.output.find("Copy those rows from") != std::string::npos);
  CHECK(TableCount(other) == "0");
  // Check says so too (check passed means the run goes through).
  FerryResult check = Ferry("check", dir, other.Url());
  INFO(check.output);
  CHECK(check.exit_code == kExitBlocked);
  CHECK(check.output.find("imported into ") != std::string::npos);

  // Anew into the destination that took them: refused, pointing at --resume.
  FerryResult anew = Ferry("run --remove-imported", dir, first.Url());
  INFO(anew.output);
  CHECK(anew.exit_code != 0);
  CHECK(anew.output.find("--resume") != std::string::npos);

  // Resumed, the import that took them reads only the rest and ends exact.
  FerryResult resumed = Ferry("run --resume --remove-imported", dir, first.Url());
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(Digest(first) == Digest(source));
  CHECK(FilesIn(folder + "/chunks") == 0);

  // Drained whole, the directory is refused again, now for every unit.
  TestDatabase late(Db::kPostgres, "drained_late");
  FerryResult after = Ferry("run", dir, late.Url());
  INFO(after.output);
  CHECK(after.exit_code == kExitBlocked);
  CHECK(after.output.find("4 units it would read of public.keyed (20000 rows") !=
        std::string::npos);
  CHECK(TableCount(late) == "0");
}

TEST_CASE(
    "an import from a directory missing a chunk no import removed is refused before it writes, "
    "calling the directory damaged",
    "[staging][faults][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "lost_src");
  TestDatabase dest(Db::kPostgres, "lost_dst");
  const std::string folder = temp.path() + "/stage";
  const std::string dir = "dir:" + folder;
  Export(source, dir);
  std::string removed;
  for (const auto& e : fs::directory_iterator(folder + "/chunks")) {
    removed = e.path().filename().string();
    fs::remove(e.path());
    break;
  }
  REQUIRE(!removed.empty());
  FerryResult import = Ferry("run", dir, dest.Url());
  INFO(import.output);
  CHECK(import.exit_code == kExitBlocked);
  CHECK(import.output.find("chunks/" + removed) != std::string::npos);
  CHECK(import.output.find("the directory is damaged") != std::string::npos);
  CHECK(TableCount(dest) == "0");
}

TEST_CASE(
    "an import with --remove-imported and another process reading the same directory never "
    "run at once: the second is refused with exit code 6 before it reads",
    "[staging][drain][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "readers_src");
  TestDatabase dest(Db::kPostgres, "readers_dst");
  const std::string folder = temp.path() + "/stage";
  const std::string dir = "dir:" + folder;
  Export(source, dir);
  // The lock as docs/staging-format.md describes it, held as another ferry process would.
  const int fd = open((folder + "/.ferry.readers").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  SECTION("a reader holds it: the draining import waits its turn") {
    REQUIRE(flock(fd, LOCK_SH | LOCK_NB) == 0);
    FerryResult drain = Ferry("run --remove-imported", dir, dest.Url());
    INFO(drain.output);
    CHECK(drain.exit_code == kExitBusy);
    CHECK(drain.output.find("another ferry process is reading " + dir) != std::string::npos);
    CHECK(TableCount(dest) == "0");
    // Another reader is welcome.
    FerryResult read = Ferry("run -q", dir, dest.Url());
    INFO(read.output);
    CHECK(read.exit_code == 0);
  }
  SECTION("a draining import holds it: a reader is refused") {
    REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);
    FerryResult read = Ferry("run", dir, dest.Url());
    INFO(read.output);
    CHECK(read.exit_code == kExitBusy);
    CHECK(read.output.find("an import with --remove-imported is taking") != std::string::npos);
    CHECK(TableCount(dest) == "0");
  }
  close(fd);
}
