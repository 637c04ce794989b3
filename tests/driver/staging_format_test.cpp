// The staging directory's chunk format (drivers/files/chunk_format.hpp) without a server: every
// storage through a chunk file and back byte for byte, NULL apart from empty, and a file cut
// short or with a flipped byte refused by name.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "copier/error.hpp"
#include "drivers/files/chunk_format.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::staging;

namespace {

const std::vector<Storage> kStorages = {Storage::kBool,      Storage::kInt64,   Storage::kUInt64,
                                        Storage::kFloat64,   Storage::kDecimal, Storage::kText,
                                        Storage::kBytes,     Storage::kDate,    Storage::kTime,
                                        Storage::kTimestamp, Storage::kUuid};

Batch Sample() {
  Batch b(kStorages);
  for (int row = 0; row < 3; ++row) {
    for (size_t c = 0; c < kStorages.size(); ++c) {
      ColumnVector& col = b.column(c);
      if (row == 2) {
        col.AppendNull();
      } else if (col.variable_length()) {
        col.AppendBytes(row == 0 ? std::string_view() : std::string_view("\0\xff-x\xc3\xa9", 6));
      } else if (kStorages[c] == Storage::kBool) {
        col.AppendInt(row);
      } else {
        col.AppendInt(row == 0 ? INT64_MIN : -1);
      }
    }
  }
  return b;
}

std::string WriteChunk(const std::string& path, const Batch& batch) {
  ChunkWriter writer(path, kStorages);
  std::string block;
  EncodeBlock(batch, block);
  writer.AppendBlock(block, uint32_t(batch.num_rows()));
  writer.AppendBlock(block, uint32_t(batch.num_rows()));
  writer.Finish();
  return writer.sha256();
}

}  // namespace

TEST_CASE("every storage goes through a chunk file and back exactly, NULL apart from empty",
          "[staging]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/a.fch";
  const Batch in = Sample();
  const std::string sha = WriteChunk(path, in);
  CHECK(FileSha256(path) == sha);
  ChunkReader reader(path, kStorages);
  Batch out;
  int blocks = 0;
  while (reader.Next(out)) {
    ++blocks;
    REQUIRE(out.num_rows() == 3);
    for (size_t c = 0; c < kStorages.size(); ++c) {
      for (size_t r = 0; r < 3; ++r) {
        const ColumnVector& a = in.column(c);
        const ColumnVector& b = out.column(c);
        REQUIRE(a.IsNull(r) == b.IsNull(r));
        if (a.IsNull(r)) continue;
        if (a.variable_length()) {
          CHECK(a.Bytes(r) == b.Bytes(r));
        } else {
          CHECK(a.Int(r) == b.Int(r));
        }
      }
    }
  }
  CHECK(blocks == 2);
  CHECK(reader.rows() == 6);
}

TEST_CASE("a chunk cut short or with a flipped byte is refused naming the file", "[staging]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/a.fch";
  WriteChunk(path, Sample());
  auto read_all = [&] {
    ChunkReader reader(path, kStorages);
    Batch out;
    while (reader.Next(out)) {
    }
  };
  SECTION("cut short") {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 12);
    CHECK_THROWS_WITH(read_all(), Catch::Contains(path) && Catch::Contains("truncated"));
  }
  SECTION("a flipped byte in a block") {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(60);
    const char c = char(f.get() ^ 0x5a);
    f.seekp(60);
    f.put(c);
    f.close();
    CHECK_THROWS_WITH(read_all(), Catch::Contains(path));
  }
  SECTION("read as another table's columns") {
    std::vector<Storage> other = kStorages;
    other[1] = Storage::kText;
    CHECK_THROWS_WITH(ChunkReader(path, other), Catch::Contains("storage code"));
  }
}
