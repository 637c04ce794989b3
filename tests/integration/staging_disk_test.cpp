// A staging disk that another process fills to the last byte while an export waits on it: the
// export cannot even record that it stopped, and still ends with exit code 8 (a full disk), not
// as an interruption, and resumes exact once there is room.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"
#include "tests/support/worker_process.hpp"
#include "tools/exit_codes.hpp"

using namespace ferry;
using namespace ferry::test;
namespace fs = std::filesystem;

TEST_CASE(
    "an export whose staging disk another process fills completely ends with exit code 8 even "
    "when it cannot record its stop, and resumes exact once there is room",
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
  TestDatabase source(Db::kSQLite, "stage_filled");
  source.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
  source.Exec(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 16000) INSERT "
      "INTO t SELECT x, randomblob(1000) FROM c");  // 16 MB that do not compress
  const std::string dir = mount_point + "/stage";
  const std::string args = "run --writers 1 --partitions 8 --source " + ShellQuote(source.Url()) +
                           " --dest " + ShellQuote("dir:" + dir);
  // Paused at --max-disk, it waits on the disk while the disk fills.
  WorkerProcess exporter(
      "exec " + ShellQuote(FerryBinary()) + " " + args + " --max-disk 6MiB --max-disk-wait 3",
      temp.path() + "/export.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (exporter.Output().find("the export waits for an import") == std::string::npos) {
    REQUIRE(!exporter.Finished());
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string ballast = mount_point + "/ballast";
  for (size_t piece : {size_t(1) << 20, size_t(4096), size_t(1)}) {
    std::ofstream out(ballast, std::ios::binary | std::ios::app);
    out.rdbuf()->pubsetbuf(nullptr, 0);
    const std::string bytes(piece, 'x');
    while (out.write(bytes.data(), std::streamsize(bytes.size()))) {
    }
  }
  const int code = exporter.Wait();
  INFO(exporter.Output());
  CHECK(code == kExitDiskFull);
  CHECK(exporter.Output().find("the disk is full for it too") != std::string::npos);

  fs::remove(ballast);
  FerryResult resumed = RunFerry(args + " --resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  FerryResult files = RunFerry("verify --files " + ShellQuote(dir));
  INFO(files.output);
  CHECK(files.exit_code == 0);
  CHECK(files.output.find("16,000 rows") != std::string::npos);
}
