// PostgreSQL large objects through a staging directory, as a direct PostgreSQL→PostgreSQL copy
// carries them: an export keeps each object's bytes in a file of its own with its size and
// SHA-256 in the manifest (an export killed inside them resumes with those not there yet), the
// files-only verify checks them and names a damaged one, an import creates them with their
// OIDs (the oid column stays valid), which verify then compares with the manifest, and an import
// with --remove-imported takes their files away once they are in.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/ferry_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace ferry::test;
namespace fs = std::filesystem;

namespace {

FerryResult Ferry(const std::string& command, const std::string& source, const std::string& dest) {
  return RunFerry(command + " --source " + ShellQuote(source) + " --dest " + ShellQuote(dest));
}

// Objects and the rows pointing at them, with each object's size and hash.
const char* const kObjects =
    "SELECT m.oid, octet_length(lo_get(m.oid)), encode(sha256(lo_get(m.oid)), 'hex') FROM "
    "pg_largeobject_metadata m ORDER BY m.oid";
const char* const kRows =
    "SELECT d.id, d.body, octet_length(lo_get(d.body)) FROM document d ORDER BY d.id";

}  // namespace

TEST_CASE(
    "PostgreSQL large objects travel through a staging directory with their OIDs and bytes, "
    "checked by the files-only verify, and an export killed inside them resumes",
    "[staging][large_objects][postgresql]") {
  TempDir temp;
  TestDatabase source(Db::kPostgres, "stlo_src");
  TestDatabase dest(Db::kPostgres, "stlo_dst");
  // Several MiB (more than a batch of the copy), then two small ones, and an empty one.
  source.Exec(
      "CREATE TABLE document (id int PRIMARY KEY, body oid);\n"
      "INSERT INTO document VALUES (1, lo_from_bytea(0, decode(repeat('00112233445566778899aabb"
      "ccddeeff', 393216), 'hex')));\n"
      "INSERT INTO document VALUES (2, lo_from_bytea(0, 'second'::bytea));\n"
      "INSERT INTO document VALUES (3, lo_from_bytea(0, 'third'::bytea));\n"
      "INSERT INTO document VALUES (4, lo_from_bytea(0, ''::bytea))");
  const std::string folder = temp.path() + "/stage";
  const std::string dir = "dir:" + folder;

  FerryResult check = Ferry("check", source.Url(), dir);
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(!Has(check, "large objects (pg_largeobject) are not copied"));

  // Killed inside the third object: the first batch (the 6 MiB one, past the batch's 4 MiB)
  // is in the manifest, the second is not, and no file of it is taken for a finished one.
  setenv("FERRY_TEST_CRASH", "in-large-object:3", 1);
  FerryResult killed = Ferry("run", source.Url(), dir);
  unsetenv("FERRY_TEST_CRASH");
  INFO(killed.output);
  REQUIRE(killed.exit_code == 86);
  FerryResult resumed = Ferry("run --resume", source.Url(), dir);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(Has(resumed, "4 large objects (3 copied, 1 already there"));

  FerryResult files = RunFerry("verify --files " + ShellQuote(folder) + " --json");
  INFO(files.output);
  CHECK(files.exit_code == 0);
  const nlohmann::json found = nlohmann::json::parse(files.output);
  CHECK(found.at("large_objects") == 4);
  CHECK(found.at("large_object_bytes") == 6291456 + 6 + 5);

  FerryResult imported = Ferry("run", dir, dest.Url());
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  CHECK(Has(imported, "4 large objects (4 copied, 0 already there"));
  CHECK(RowLines(dest, kObjects) == RowLines(source, kObjects));
  CHECK(RowLines(dest, kRows) == RowLines(source, kRows));
  FerryResult verify = Ferry("verify", dir, dest.Url());
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  CHECK(Has(verify, "large objects: identical, 4"));

  // One byte of the big object's file flipped: the files-only verify names the file and object.
  const std::string big = source.QueryValue("SELECT body FROM document WHERE id = 1");
  std::string file;
  for (const auto& e : fs::directory_iterator(folder + "/large_objects")) {
    if (e.path().filename().string().find(std::string(10 - big.size(), '0') + big) == 1) {
      file = e.path().string();
    }
  }
  REQUIRE(!file.empty());
  CHECK(file.size() > 8);
  CHECK(file.substr(file.size() - 8) == ".lob.zst");  // compressed, as the chunks are
  CHECK(fs::file_size(file) < 6291456 / 100);
  const auto middle = std::streamoff(fs::file_size(file) / 2);
  char was = 0;
  auto put = [&](char c) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(middle);
    f.get(was);
    f.seekp(middle);
    f.put(c);
  };
  put('\x7f');
  const char original = was;
  FerryResult damaged = RunFerry("verify --files " + ShellQuote(folder));
  INFO(damaged.output);
  CHECK(damaged.exit_code != 0);
  CHECK(Has(damaged, "large object " + big + ": its SHA-256 is"));
  put(original);

  // An import that takes the files away leaves none of the objects' files, each recorded as
  // imported and removed, which the files-only verify counts as such.
  TestDatabase drained(Db::kPostgres, "stlo_drn");
  FerryResult removing = Ferry("run --remove-imported", dir, drained.Url());
  INFO(removing.output);
  REQUIRE(removing.exit_code == 0);
  CHECK(Has(removing, "4 large objects (4 copied, 0 already there"));
  CHECK(RowLines(drained, kObjects) == RowLines(source, kObjects));
  CHECK(fs::is_empty(folder + "/large_objects"));
  FerryResult after = RunFerry("verify --files " + ShellQuote(folder) + " --json");
  INFO(after.output);
  CHECK(after.exit_code == 0);
  const nlohmann::json left = nlohmann::json::parse(after.output);
  CHECK(left.at("large_objects") == 4);
  CHECK(left.at("removed_large_objects") == 4);
}
