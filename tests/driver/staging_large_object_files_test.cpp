// A staging directory's large-object files without a server (drivers/files/large_objects_dir.hpp,
// docs/staging-format.md "Large objects"): compressed as the chunks are, with the file's size and
// SHA-256 and the object's in the manifest, counted towards --max-disk once committed, and free
// again once an import took them away (--remove-imported).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/files/imported.hpp"
#include "drivers/files/large_objects_dir.hpp"
#include "drivers/files/staging_dir.hpp"
#include "drivers/open.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::staging;
namespace fs = std::filesystem;

namespace {

// `n` bytes zstd cannot shrink.
std::string Incompressible(size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(n, '\0');
  for (char& c : out) c = char(random() & 0xff);
  return out;
}

// Writes one object of `bytes` into the directory `objects` writes, in pieces of 64 KiB.
void WriteObject(LargeObjectStore& objects, uint32_t oid, const std::string& bytes) {
  objects.Begin();
  objects.Create({oid, "alice", {}});
  for (size_t at = 0; at < bytes.size(); at += 65536) {
    objects.Append(std::string_view(bytes).substr(at, 65536));
  }
  objects.Commit();
}

// An export into `folder` begun as a run does (its run recorded under the directory's lock),
// carrying large objects.
struct ObjectExport {
  ObjectExport(const std::string& folder, const EndpointOptions& options)
      : dest(OpenEndpoint("dir:" + folder, EndpointRole::kDestination, options)) {
    store = dest->OpenRunStore("");
    lock = store->TryLock();
    REQUIRE(lock);
    RunRecord run;
    run.id = "20261207T000000Z-test";
    run.status = RunStatus::kRunning;
    store->StartRun(run, {}, {});
    objects = dest->OpenLargeObjects();
    REQUIRE(objects);
    objects->List();
  }
  std::unique_ptr<Endpoint> dest;
  std::unique_ptr<RunStore> store;
  std::unique_ptr<ScopeLock> lock;
  std::unique_ptr<LargeObjectStore> objects;
};

LargeObjectEntry EntryOf(const std::string& folder, uint32_t oid) {
  std::optional<Manifest> m = LoadManifest(folder);
  REQUIRE(m);
  REQUIRE(m->large_objects);
  for (const LargeObjectEntry& e : *m->large_objects) {
    if (e.object.oid == oid) return e;
  }
  FAIL("no large object " << oid);
  return {};
}

}  // namespace

TEST_CASE(
    "a large object's file in a staging directory is compressed, with the file's and the "
    "object's size and SHA-256 in the manifest, and reads back as the object's bytes",
    "[staging][large_objects]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  ObjectExport e0(folder, EndpointOptions{});
  LargeObjectStore* objects = e0.objects.get();
  const std::string text(1 << 20, 'x');
  WriteObject(*objects, 16401, text);

  const LargeObjectEntry e = EntryOf(folder, 16401);
  CHECK(e.codec == "zstd");
  CHECK(e.bytes == int64_t(text.size()));
  CHECK(e.file_bytes == int64_t(fs::file_size(folder + "/" + e.file)));
  CHECK(e.file_bytes < e.bytes / 100);
  std::string read;
  CHECK(ReadLargeObjectFile(folder, e, [&](std::string_view b) { read += b; }).empty());
  CHECK(read == text);

  // A byte of the stored file changed: named by the file's own hash, before any decompression.
  {
    std::fstream f(folder + "/" + e.file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(e.file_bytes / 2);
    f.put('\x7f');
  }
  CHECK_THAT(ReadLargeObjectFile(folder, e, {}), Catch::StartsWith("its SHA-256 is "));
}

TEST_CASE(
    "large-object files count towards --max-disk once committed, and free their bytes once an "
    "import took them away",
    "[staging][large_objects][max_disk]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  EndpointOptions options;
  options.staging_max_bytes = 600 << 10;  // room for one object of 400 KiB, not for two
  ObjectExport e0(folder, options);
  LargeObjectStore* objects = e0.objects.get();
  WriteObject(*objects, 16401, Incompressible(400 << 10, 1));
  CHECK(EntryOf(folder, 16401).file_bytes > 400 << 10);

  // No import drains the directory (and no wait was asked for): the second one stops the
  // export, and none of it stays.
  try {
    WriteObject(*objects, 16402, Incompressible(400 << 10, 2));
    FAIL("the second object was written beyond --max-disk");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kDiskFull);
    CHECK_THAT(e.what(), Catch::Contains("reached --max-disk"));
  }
  objects->Rollback();
  CHECK(std::distance(fs::directory_iterator(folder + "/" + kLargeObjectFolder),
                      fs::directory_iterator()) == 1);

  // Once an import took the first one away, the second fits.
  RemoveImportedLargeObject(folder, EntryOf(folder, 16401), {"postgresql://db2/x", ""});
  WriteObject(*objects, 16402, Incompressible(400 << 10, 2));
  CHECK(EntryOf(folder, 16402).file_bytes > 400 << 10);
}

TEST_CASE(
    "a large object's file of a version 5 directory, its bytes as they are, is still read and "
    "checked",
    "[staging][large_objects]") {
  test::TempDir temp;
  const std::string folder = temp.path();
  fs::create_directories(folder + "/" + kLargeObjectFolder);
  const std::string file = std::string(kLargeObjectFolder) + "/o0000016401-00001a2b.lob";
  std::ofstream(folder + "/" + file, std::ios::binary) << "hello, world";
  // As a version 5 manifest lists it: no codec, no file size or hash of its own.
  const LargeObjectEntry e = LargeObjectEntryFrom(nlohmann::json{
      {"oid", 16401},
      {"owner", "alice"},
      {"grants", nlohmann::json::array()},
      {"file", file},
      {"bytes", 12},
      {"sha256", "09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b"}});
  CHECK(e.codec.empty());
  CHECK(e.file_bytes == 12);
  std::string read;
  CHECK(ReadLargeObjectFile(folder, e, [&](std::string_view b) { read += b; }).empty());
  CHECK(read == "hello, world");
  std::ofstream(folder + "/" + file, std::ios::binary) << "hello, World";
  CHECK_THAT(ReadLargeObjectFile(folder, e, {}), Catch::StartsWith("its SHA-256 is "));
}
