// Staging directories under damage and interruption: the files-only verify names a flipped
// byte, a truncated chunk, a missing chunk and a hand-edited manifest by file, table and unit;
// an export killed before a commit resumes redoing only the unfinished units (its temporary
// files never taken as finished); a full disk ends in exit code 8 and resumes once there is room.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "tests/support/ferry_command.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

// A SQLite source: table t (id, payload) with `rows` rows of `bytes` random bytes each.
void FillSource(TestDatabase& db, int rows, int bytes) {
  db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB, note TEXT)");
  db.Exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
          std::to_string(rows) + ") INSERT INTO t SELECT x, randomblob(" + std::to_string(bytes) +
          "), 'row ' || x FROM c");
}

FerryResult Export(TestDatabase& source, const std::string& dir, const std::string& more = "",
                   int partitions = 4) {
  return RunFerry("run -q --partitions " + std::to_string(partitions) + " --source " +
                  ShellQuote(source.Url()) + " --dest " + ShellQuote("dir:" + dir) + more);
}

std::vector<std::string> Chunks(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir + "/chunks")) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

FerryResult VerifyFiles(const std::string& dir) {
  return RunFerry("verify --files " + ShellQuote(dir));
}

}  // namespace

TEST_CASE(
    "verify --files names a flipped byte, a truncated or missing chunk and an edited "
    "manifest by file, table and unit",
    "[staging][faults]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "stage_damage");
  FillSource(source, 4000, 100);
  const std::string clean = temp.path() + "/clean";
  REQUIRE(Export(source, clean).exit_code == 0);
  {
    FerryResult ok = VerifyFiles(clean);
    INFO(ok.output);
    CHECK(ok.exit_code == 0);
    CHECK(Has(ok, "every file matches the manifest"));
  }
  auto damaged = [&](const std::string& name) {
    const std::string dir = temp.path() + "/" + name;
    fs::copy(clean, dir, fs::copy_options::recursive);
    return dir;
  };
  SECTION("a flipped byte") {
    const std::string dir = damaged("flipped");
    const std::string chunk = Chunks(dir)[1];
    std::fstream f(chunk, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(200);
    char c;
    f.read(&c, 1);
    c = char(c ^ 0x10);
    f.seekp(200);
    f.write(&c, 1);
    f.close();
    FerryResult r = VerifyFiles(dir);
    INFO(r.output);
    CHECK(r.exit_code == kExitTablesFailed);
    CHECK(Has(r, "chunks/" + fs::path(chunk).filename().string() + ": main.t, unit 2 of 4"));
    CHECK(Has(r, "the file is damaged"));
  }
  SECTION("a truncated chunk") {
    const std::string dir = damaged("truncated");
    const std::string chunk = Chunks(dir)[2];
    fs::resize_file(chunk, fs::file_size(chunk) - 100);
    FerryResult r = VerifyFiles(dir);
    INFO(r.output);
    CHECK(r.exit_code == kExitTablesFailed);
    CHECK(Has(r, fs::path(chunk).filename().string() + ": main.t, unit 3 of 4"));
    CHECK(Has(r, "truncated"));
  }
  SECTION("a missing chunk") {
    const std::string dir = damaged("missing");
    const std::string chunk = Chunks(dir)[0];
    fs::remove(chunk);
    FerryResult r = VerifyFiles(dir);
    INFO(r.output);
    CHECK(r.exit_code == kExitTablesFailed);
    CHECK(Has(r, fs::path(chunk).filename().string() + ": main.t, unit 1 of 4"));
    CHECK(Has(r, "missing"));
    // An import refuses the damaged directory before writing a wrong row.
    TestDatabase dest(Db::kSQLite, "stage_damage_dst");
    FerryResult import = RunFerry("run -q --source " + ShellQuote("dir:" + dir) + " --dest " +
                                  ShellQuote(dest.Url()));
    INFO(import.output);
    CHECK(import.exit_code != 0);
  }
  SECTION("a manifest edited by hand") {
    const std::string dir = damaged("edited");
    std::ifstream in(dir + "/manifest.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    const size_t at = text.find("\"rows\": 1000");
    REQUIRE(at != std::string::npos);
    text.replace(at, 12, "\"rows\": 1001");
    std::ofstream(dir + "/manifest.json") << text;
    FerryResult r = VerifyFiles(dir);
    INFO(r.output);
    CHECK(r.exit_code == kExitTablesFailed);
    CHECK(Has(r, "manifest.json"));
    CHECK(Has(r, "changed after ferry wrote it"));
  }
}

TEST_CASE("an export killed before a unit's commit resumes redoing only the unfinished units",
          "[staging][faults]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "stage_kill");
  FillSource(source, 8000, 200);
  const std::string dir = temp.path() + "/stage";
  setenv("FERRY_TEST_CRASH", "before-commit:3", 1);
  FerryResult crashed = Export(source, dir, " --writers 1");
  unsetenv("FERRY_TEST_CRASH");
  INFO(crashed.output);
  REQUIRE(crashed.exit_code == 86);
  std::vector<std::string> before = Chunks(dir);
  // Two committed units, and the third's chunk still under its temporary name.
  size_t temporary = 0;
  for (const std::string& c : before) temporary += c.find(".tmp-") != std::string::npos;
  CHECK(temporary == 1);
  CHECK(before.size() == 3);
  {
    FerryResult r = VerifyFiles(dir);
    INFO(r.output);
    CHECK(r.exit_code == kExitTablesFailed);
    CHECK(Has(r, "the export is not finished"));
  }
  // Nothing imports from an unfinished export.
  TestDatabase dest(Db::kSQLite, "stage_kill_dst");
  const std::string import =
      "run -q --source " + ShellQuote("dir:" + dir) + " --dest " + ShellQuote(dest.Url());
  {
    FerryResult r = RunFerry(import);
    INFO(r.output);
    CHECK(r.exit_code == kExitUsage);
    CHECK(Has(r, "is not finished"));
  }
  FerryResult resumed = Export(source, dir, " --writers 1 --resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  std::vector<std::string> after = Chunks(dir);
  CHECK(after.size() == 4);
  // The committed units' files are the same files: not written again.
  size_t kept = 0;
  for (const std::string& c : before) kept += std::count(after.begin(), after.end(), c);
  CHECK(kept == 2);
  CHECK(VerifyFiles(dir).exit_code == 0);
  FerryResult imported = RunFerry(import);
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK(dest.QueryValue("SELECT count(*) FROM t") == "8000");
  FerryResult verify =
      RunFerry("verify --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
}

TEST_CASE(
    "a full staging disk ends the export with exit code 8, and it resumes once there is "
    "room",
    "[staging][faults]") {
  TempDir temp;
  const std::string mount_point = temp.path() + "/disk";
  fs::create_directories(mount_point);
  if (mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=48m") != 0) {
    MarkSkipped("cannot mount a tmpfs here (needs root)");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  TestDatabase source(Db::kSQLite, "stage_full");
  FillSource(source, 24000, 1000);  // 24 MB that do not compress
  // Ballast leaves about 24 MB free: the reserve (16 MB) and a few units.
  const std::string ballast = mount_point + "/ballast";
  {
    std::ofstream out(ballast, std::ios::binary);
    std::string mb(1 << 20, 'x');
    for (int i = 0; i < 24; ++i) out.write(mb.data(), std::streamsize(mb.size()));
  }
  const std::string dir = mount_point + "/stage";
  FerryResult full = Export(source, dir, " --writers 1", 8);
  INFO(full.output);
  REQUIRE(full.exit_code == kExitDiskFull);
  CHECK(Has(full, "staging disk"));
  // The units that fitted are kept for the resume, not written again.
  std::vector<std::string> kept;
  for (const std::string& c : Chunks(dir)) {
    if (c.find(".tmp-") == std::string::npos) kept.push_back(c);
  }
  CHECK_FALSE(kept.empty());
  fs::remove(ballast);
  FerryResult resumed = Export(source, dir, " --writers 1 --resume", 8);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  const std::vector<std::string> after = Chunks(dir);
  for (const std::string& c : kept) CHECK(std::count(after.begin(), after.end(), c) == 1);
  FerryResult check = VerifyFiles(dir);
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check, "24,000 rows"));
}

TEST_CASE(
    "an export stops with exit code 8 before its directory grows past --max-disk when no import "
    "takes files away, and resumes with a larger limit",
    "[staging][faults]") {
  TempDir temp;
  TestDatabase source(Db::kSQLite, "stage_max_disk");
  FillSource(source, 6000, 1000);  // about 6 MB that do not compress
  const std::string dir = temp.path() + "/stage";
  const uint64_t limit = uint64_t(2) << 20;
  // It pauses at the limit for an import to take files away: none comes within a second.
  FerryResult stopped = Export(source, dir, " --writers 2 --max-disk 2MiB --max-disk-wait 1", 8);
  INFO(stopped.output);
  REQUIRE(stopped.exit_code == kExitDiskFull);
  CHECK(Has(stopped, "--max-disk"));
  uint64_t used = 0;
  std::vector<std::string> kept;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) used += e.file_size();
  }
  for (const std::string& c : Chunks(dir)) {
    CHECK(c.find(".tmp-") == std::string::npos);  // nothing half-written left behind
    kept.push_back(c);
  }
  CHECK(used <= limit);
  CHECK_FALSE(kept.empty());
  FerryResult resumed = Export(source, dir, " --writers 2 --max-disk 64MiB --resume", 8);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  const std::vector<std::string> after = Chunks(dir);
  for (const std::string& c : kept) CHECK(std::count(after.begin(), after.end(), c) == 1);
  FerryResult check = VerifyFiles(dir);
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(Has(check, "6,000 rows"));
}
