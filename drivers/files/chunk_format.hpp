// The chunk files of a staging directory (docs/staging-format.md): a unit's rows as blocks, one
// per batch, each block columnar and compressed with zstd, every number little-endian whatever
// the machine, the file written under a temporary name, fsynced and renamed only when whole, so
// a file with its final name is always complete.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "copier/batch.hpp"

namespace ferry::staging {

inline constexpr uint32_t kChunkVersion = 1;

// `v` from the host's byte order to little-endian, and back (the same swap).
template <typename T>
T LittleEndian(T v) {
  if constexpr (std::endian::native == std::endian::big) {
    if constexpr (sizeof(T) == 8) return T(__builtin_bswap64(uint64_t(v)));
    if constexpr (sizeof(T) == 4) return T(__builtin_bswap32(uint32_t(v)));
  }
  return v;
}
// The zstd level blocks are compressed at. lineitem's blocks from PostgreSQL (277 MB raw, one
// run, loaded machine): level 1 8.9x at 63 MB/s, level 3 10.1x at 50 MB/s, lz4 4.6x at 88 MB/s.
// Level 1 keeps the export's CPU lowest for files a third smaller than lz4's and well under
// pg_dump's (bench/e2e/staging_export.sh); level 3 would save another tenth for a fifth more CPU.
inline constexpr int kZstdLevel = 1;
// A unit's rows go to a new chunk file after this many compressed bytes, so no file grows
// beyond what a shipping medium or object store takes comfortably.
inline constexpr uint64_t kChunkRotateBytes = uint64_t(1) << 30;

// The storage codes written in a chunk's header (fixed here, independent of the enum's order).
uint8_t StorageCode(Storage storage);
std::optional<Storage> StorageFromCode(uint8_t code);

// One batch as a block's raw (uncompressed) payload, and back. Decode throws Error(kIo) with
// `what` (the file) when the payload does not parse.
void EncodeColumns(const Batch& batch, std::string& out);
void DecodeColumns(std::string_view raw, uint32_t rows, const std::vector<Storage>& storages,
                   Batch& batch, const std::string& what);

// A whole block (header and compressed payload) for `batch`, as the writer appends it. CPU only.
void EncodeBlock(const Batch& batch, std::string& out);

// SHA-256 as lower-case hex, fed in pieces.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view bytes);
  std::string Hex();  // ends the hash

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// SHA-256 of a whole file, read in pieces; throws Error(kIo) naming it when it cannot be read.
std::string FileSha256(const std::string& path, uint64_t* size = nullptr);

// Writes one chunk file: header, blocks, trailer; fsync and rename to `final_path` in Finish.
// The file is removed again when the writer is destroyed unfinished.
class ChunkWriter {
 public:
  ChunkWriter(std::string final_path, const std::vector<Storage>& storages);
  ~ChunkWriter();
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  // Appends a block EncodeBlock made for `rows` rows.
  void AppendBlock(std::string_view block, uint32_t rows);
  void Finish();  // trailer, fsync, rename, fsync of the folder

  uint64_t rows() const { return rows_; }
  uint64_t bytes() const { return bytes_; }
  const std::string& sha256() const { return sha256_; }
  const std::string& final_path() const { return final_path_; }

 private:
  void Put(std::string_view bytes);
  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t rows_ = 0;
  uint64_t blocks_ = 0;
  uint64_t bytes_ = 0;
  Sha256 hash_;
  std::string sha256_;
};

// Reads a chunk file's blocks in order. Every structural problem (bad magic, a version it does
// not read, a storage that differs from the table's, a block cut short, a missing trailer, a
// row count that does not add up) is Error(kIo) naming the file and the byte offset.
class ChunkReader {
 public:
  ChunkReader(std::string path, std::vector<Storage> expected);
  ~ChunkReader();
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;
  // The next block's rows into `batch` (reset to the storages); false after the last.
  bool Next(Batch& batch);
  uint64_t rows() const { return rows_; }

 private:
  void ReadExactly(char* out, size_t n, const char* what);
  [[noreturn]] void Fail(const std::string& problem) const;
  std::string path_;
  std::vector<Storage> storages_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t rows_ = 0;
  uint64_t blocks_ = 0;
  bool done_ = false;
  std::string compressed_, raw_;
  void* dctx_ = nullptr;
};

}  // namespace ferry::staging
