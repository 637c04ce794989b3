// The destination's disk fills up in the middle of a copy: a SQLite file on a small tmpfs, and a
// PostgreSQL database whose tables live in a tablespace on one (both need root to mount, and
// the PostgreSQL test server on this host; skipped otherwise). ferry stops as at a full staging
// disk: exit 8 naming what is full and what to do, the units committed kept, the run recorded
// interrupted; once space is freed, --resume copies the rest and the copy is exact.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/same_tables.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

constexpr int kExitDiskFull = 8;

// A tmpfs of `megabytes` at `path`, unmounted when it goes; `mounted` false without root.
struct SmallDisk {
  SmallDisk(const std::string& at, int megabytes) : path(at) {
    fs::create_directories(path);
    const std::string size = "size=" + std::to_string(megabytes) + "m";
    mounted = mount("tmpfs", path.c_str(), "tmpfs", 0, size.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted) umount2(path.c_str(), MNT_DETACH);
  }
  // Fills all but about `free_mb` MiB with a file of its own, which Free() removes.
  void Fill(int total_mb, int free_mb) {
    std::ofstream out(path + "/ballast", std::ios::binary);
    const std::string mb(1 << 20, 'x');
    for (int i = 0; i < total_mb - free_mb; ++i) out.write(mb.data(), std::streamsize(mb.size()));
  }
  void Free() { fs::remove(path + "/ballast"); }

  std::string path;
  bool mounted = false;
};

void SeedWide(TestDatabase& source) {
  source.Exec(
      "CREATE TABLE wide (id integer PRIMARY KEY, v text NOT NULL);\n"
      "INSERT INTO wide SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 30000) g");
}

std::string Ends(const std::string& source, const std::string& dest) {
  return " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest);
}

std::string RunStatus(const std::string& dest) {
  FerryResult status = RunFerry("status --json --dest " + ShellQuote(dest));
  INFO(status.output);
  REQUIRE(status.exit_code == 0);
  return nlohmann::json::parse(status.output)["run"]["status"];
}

// The copy meets the full disk, stops with exit 8, and resumes exact once there is room.
void CopyOntoFullDisk(TestDatabase& source, TestDatabase& dest, SmallDisk& disk,
                      const std::string& what_is_full) {
  const std::string args =
      "run" + Ends(source.Url(), dest.Url()) + " --partitions 12 --writers 1 --batch-rows 1000";
  FerryResult full = RunFerry(args);
  INFO(full.output);
  REQUIRE(full.exit_code == kExitDiskFull);
  CHECK(full.output.find(what_is_full) != std::string::npos);
  CHECK(full.output.find("--resume") != std::string::npos);
  CHECK(RunStatus(dest.Url()) == "interrupted");
  disk.Free();
  FerryResult resumed = RunFerry(args + " --resume");
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CheckTablesSame(source, dest, {"wide"});
  CHECK(RunStatus(dest.Url()) == "done");
}

}  // namespace

TEST_CASE(
    "a SQLite destination whose disk fills up stops the run with exit code 8, and --resume ends "
    "exact once there is room",
    "[full][sqlite]") {
  TempDir temp;
  SmallDisk disk(temp.path() + "/disk", 16);
  if (!disk.mounted) {
    MarkSkipped("cannot mount a tmpfs here (needs root)");
    return;
  }
  // The test's SQLite files go to TMPDIR: this one onto the small disk.
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string saved = tmpdir ? tmpdir : "";
  setenv("TMPDIR", disk.path.c_str(), 1);
  TestDatabase dest(Db::kSQLite, "full_dst");
  if (saved.empty()) {
    unsetenv("TMPDIR");
  } else {
    setenv("TMPDIR", saved.c_str(), 1);
  }
  TestDatabase source(Db::kPostgres, "full_src");
  SeedWide(source);  // about 7 MiB in SQLite
  disk.Fill(16, 3);
  CopyOntoFullDisk(source, dest, disk, "is full");
}

TEST_CASE(
    "a PostgreSQL destination whose tablespace's disk fills up stops the run with exit code 8, "
    "and --resume ends exact once there is room",
    "[full][postgresql]") {
  TempDir temp;
  SmallDisk disk(temp.path() + "/disk", 16);
  if (!disk.mounted) {
    MarkSkipped("cannot mount a tmpfs here (needs root)");
    return;
  }
  TestDatabase source(Db::kPostgres, "full_pg_src");
  // The server must run on this host, as the owner of its data directory, for a tablespace of
  // ours to be its.
  struct stat data {};
  const std::string data_directory = source.QueryValue("SHOW data_directory");
  if (stat(data_directory.c_str(), &data) != 0 ||
      chown(disk.path.c_str(), data.st_uid, data.st_gid) != 0) {
    MarkSkipped("the PostgreSQL test server does not run on this host");
    return;
  }
  const std::string space = "ferry_full_" + std::to_string(getpid());
  source.Exec("CREATE TABLESPACE " + space + " LOCATION '" + disk.path + "'");
  struct DropSpace {
    TestDatabase& db;
    std::string name;
    ~DropSpace() {
      try {
        db.Exec("DROP TABLESPACE IF EXISTS " + name);
      } catch (...) {
      }
    }
  } drop{source, space};
  {
    TestDatabase dest(Db::kPostgres, "full_pg_dst");
    // Every table ferry makes there (the run state's too) goes onto the small disk.
    dest.Exec("ALTER DATABASE " + dest.name() + " SET default_tablespace = " + space);
    SeedWide(source);
    disk.Fill(16, 3);
    CopyOntoFullDisk(source, dest, disk, "disk is full");
  }
}
