// The chunk files of a staging directory (docs/staging-format.md): a unit's rows as blocks, one
// per batch, each block columnar and compressed with zstd, every number little-endian whatever
// the machine, the file written under a temporary name, fsynced and renamed only when whole, so
// a file with its final name is always complete.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "copier/batch.hpp"

namespace ferry::staging {

// Version 2 carries long values (copier/batch.hpp LongValue) in pieces after their block;
// version 1 files (every value inside its block) are still read.
inline constexpr uint32_t kChunkVersion = 2;
inline constexpr uint32_t kOldestChunkVersion = 1;

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

// One batch as a block's raw (uncompressed) payload, and back. A long value is only marked in
// the payload (its bytes follow the block, ChunkWriter::AppendLong); Decode asks `next_long` for
// each marked value in the order they were written (column by column, row by row), and throws
// Error(kIo) with `what` (the file) when the payload does not parse or marks a long value and
// there is no `next_long` (a version 1 file).
void EncodeColumns(const Batch& batch, std::string& out);
using NextLongValue = std::function<std::shared_ptr<const LongValue>()>;
void DecodeColumns(std::string_view raw, uint32_t rows, const std::vector<Storage>& storages,
                   Batch& batch, const std::string& what, const NextLongValue& next_long = {});

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
// The file is removed again when the writer is destroyed unfinished. A file that need not outlive
// the process (a run's spool, redone after a crash) is not `durable`: Finish skips the fsyncs.
class ChunkWriter {
 public:
  ChunkWriter(std::string final_path, const std::vector<Storage>& storages, bool durable = true);
  ~ChunkWriter();
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  // Appends a block EncodeBlock made for `rows` rows.
  void AppendBlock(std::string_view block, uint32_t rows);
  // Appends the bytes of the block's next long value, read and compressed a piece at a time
  // (kLongValuePiece); a block's long values follow it in the order EncodeColumns marked them.
  void AppendLong(const LongValue& value);
  void Finish();  // trailer, fsync, rename, fsync of the folder

  uint64_t rows() const { return rows_; }
  uint64_t bytes() const { return bytes_; }
  const std::string& sha256() const { return sha256_; }
  const std::string& final_path() const { return final_path_; }

 private:
  void Put(std::string_view bytes);
  std::string final_path_;
  std::string temp_path_;
  bool durable_ = true;
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
  // The next long value after the block, into a spill file a piece at a time.
  std::shared_ptr<const LongValue> ReadLong();
  [[noreturn]] void Fail(const std::string& problem) const;
  std::string path_;
  std::vector<Storage> storages_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint64_t rows_ = 0;
  uint64_t blocks_ = 0;
  bool done_ = false;
  uint32_t version_ = kChunkVersion;
  std::string compressed_, raw_;
  void* dctx_ = nullptr;
};

}  // namespace ferry::staging
