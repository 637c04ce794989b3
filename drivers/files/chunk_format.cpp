#include "drivers/files/chunk_format.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "copier/error.hpp"
#include "drivers/files/disk.hpp"
#include "drivers/long_values.hpp"

namespace ferry::staging {

namespace {

constexpr char kMagic[8] = {'F', 'E', 'R', 'R', 'Y', 'C', 'H', 'K'};
constexpr char kEndMagic[8] = {'F', 'E', 'R', 'R', 'Y', 'E', 'N', 'D'};
constexpr uint32_t kCodecZstd = 1;
constexpr size_t kBlockHeader = 4 + 4 + 8 + 8;  // rows, codec, raw size, stored size

// Little-endian whatever the host: byte swaps on a big-endian machine, plain copies here.
template <typename T>
void PutLe(std::string& out, T v) {
  v = LittleEndian(v);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
T GetLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  v = LittleEndian(v);
  return v;
}

// A long value's piece as one zstd frame (with its checksum), into `out`. One context per
// thread, kept for the process: blocks are compressed on the pipeline's worker threads.
void Compress(std::string_view raw, std::string& out) {
  thread_local ZSTD_CCtx* cctx = [] {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, kZstdLevel);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    return c;
  }();
  const size_t at = out.size();
  const size_t bound = ZSTD_compressBound(raw.size());
  out.resize(at + bound);
  const size_t n = ZSTD_compress2(cctx, out.data() + at, bound, raw.data(), raw.size());
  if (ZSTD_isError(n)) {
    throw Error(ErrorCode::kInternal, std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  out.resize(at + n);
}

// The marks of a column's rows: 0 a value in the block, 1 NULL, 2 a long value after the block.
constexpr char kValueInBlock = 0, kNullValue = 1, kLongValueAfter = 2;

bool IsFixed8(Storage s) {
  return s == Storage::kInt64 || s == Storage::kUInt64 || s == Storage::kFloat64 ||
         s == Storage::kDate || s == Storage::kTime || s == Storage::kTimestamp;
}

}  // namespace

uint8_t StorageCode(Storage storage) {
  switch (storage) {
    case Storage::kBool:
      return 1;
    case Storage::kInt64:
      return 2;
    case Storage::kUInt64:
      return 3;
    case Storage::kFloat64:
      return 4;
    case Storage::kDecimal:
      return 5;
    case Storage::kText:
      return 6;
    case Storage::kBytes:
      return 7;
    case Storage::kDate:
      return 8;
    case Storage::kTime:
      return 9;
    case Storage::kTimestamp:
      return 10;
    case Storage::kUuid:
      return 11;
  }
  return 0;
}

std::optional<Storage> StorageFromCode(uint8_t code) {
  static constexpr Storage kAll[] = {Storage::kBool,      Storage::kInt64,   Storage::kUInt64,
                                     Storage::kFloat64,   Storage::kDecimal, Storage::kText,
                                     Storage::kBytes,     Storage::kDate,    Storage::kTime,
                                     Storage::kTimestamp, Storage::kUuid};
  for (Storage s : kAll) {
    if (StorageCode(s) == code) return s;
  }
  return std::nullopt;
}

void EncodeColumns(const Batch& batch, std::string& out) {
  const size_t rows = batch.num_rows();
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const ColumnVector& col = batch.column(c);
    const size_t nulls_at = out.size();
    out.resize(nulls_at + rows);
    for (size_t r = 0; r < rows; ++r) {
      out[nulls_at + r] = col.IsNull(r)                   ? kNullValue
                          : col.has_long() && col.Long(r) ? kLongValueAfter
                                                          : kValueInBlock;
    }
    const Storage s = col.storage();
    if (s == Storage::kBool) {
      for (size_t r = 0; r < rows; ++r) out.push_back(col.IsNull(r) ? 0 : char(col.Int(r) != 0));
    } else if (IsFixed8(s)) {
      for (size_t r = 0; r < rows; ++r) PutLe<uint64_t>(out, col.IsNull(r) ? 0 : col.UInt(r));
    } else {
      for (size_t r = 0; r < rows; ++r) {
        PutLe<uint32_t>(out, col.IsNull(r) ? 0 : uint32_t(col.Bytes(r).size()));
      }
      for (size_t r = 0; r < rows; ++r) {
        if (!col.IsNull(r)) out.append(col.Bytes(r));
      }
    }
  }
}

void DecodeColumns(std::string_view raw, uint32_t rows, const std::vector<Storage>& storages,
                   Batch& batch, const std::string& what, const NextLongValue& next_long) {
  batch.Reset(storages);
  size_t at = 0;
  auto need = [&](size_t n) {
    if (raw.size() - at < n) {
      throw Error(ErrorCode::kIo, fmt::format("{}: a block's columns end early", what));
    }
  };
  for (size_t c = 0; c < storages.size(); ++c) {
    ColumnVector& col = batch.column(c);
    col.Reserve(rows);
    need(rows);
    const char* nulls = raw.data() + at;
    at += rows;
    const Storage s = storages[c];
    for (size_t r = 0; r < rows; ++r) {
      if (nulls[r] == kValueInBlock || nulls[r] == kNullValue) continue;
      if (nulls[r] != kLongValueAfter || !next_long || !IsVariableLength(s)) {
        throw Error(ErrorCode::kIo,
                    fmt::format("{}: column {} marks a row {}", what, c + 1,
                                nulls[r] == kLongValueAfter ? "as a long value it cannot hold"
                                                            : "with an unknown mark"));
      }
    }
    if (s == Storage::kBool || IsFixed8(s)) {
      const size_t width = s == Storage::kBool ? 1 : 8;
      need(rows * width);
      for (size_t r = 0; r < rows; ++r) {
        const char* p = raw.data() + at + r * width;
        if (nulls[r]) {
          col.AppendNull();
        } else {
          col.AppendInt(width == 1 ? int64_t(*p != 0) : int64_t(GetLe<uint64_t>(p)));
        }
      }
      at += rows * width;
      continue;
    }
    need(size_t(rows) * 4);
    const char* lengths = raw.data() + at;
    at += size_t(rows) * 4;
    for (size_t r = 0; r < rows; ++r) {
      if (nulls[r] == kNullValue) {
        col.AppendNull();
        continue;
      }
      const uint32_t n = GetLe<uint32_t>(lengths + r * 4);
      if (nulls[r] == kLongValueAfter) {
        col.AppendLong(next_long());
        continue;
      }
      need(n);
      col.AppendBytes(raw.substr(at, n));
      at += n;
    }
  }
  if (at != raw.size()) {
    throw Error(ErrorCode::kIo, fmt::format("{}: a block holds bytes beyond its columns", what));
  }
}

void EncodeBlock(const Batch& batch, std::string& out) {
  thread_local std::string raw;
  raw.clear();
  EncodeColumns(batch, raw);
  out.clear();
  PutLe<uint32_t>(out, uint32_t(batch.num_rows()));
  PutLe<uint32_t>(out, kCodecZstd);
  PutLe<uint64_t>(out, raw.size());
  PutLe<uint64_t>(out, 0);  // stored size, set below
  // zstd's own checksum of each frame finds a damaged block at import.
  Compress(raw, out);
  std::string size;
  PutLe<uint64_t>(size, out.size() - kBlockHeader);
  std::memcpy(out.data() + 16, size.data(), 8);
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;

void Sha256::Update(std::string_view bytes) {
  EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size());
}

std::string Sha256::Hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(state_->ctx, digest, &n);
  std::string out;
  for (unsigned int i = 0; i < n; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

std::string FileSha256(const std::string& path, uint64_t* size) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ErrorCode::kIo, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  Sha256 hash;
  std::string buffer(1 << 20, '\0');
  uint64_t total = 0;
  for (;;) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      throw Error(ErrorCode::kIo, fmt::format("cannot read {}: {}", path, std::strerror(e)));
    }
    if (n == 0) break;
    hash.Update(std::string_view(buffer.data(), size_t(n)));
    total += uint64_t(n);
  }
  close(fd);
  if (size) *size = total;
  return hash.Hex();
}

ChunkWriter::ChunkWriter(std::string final_path, const std::vector<Storage>& storages, bool durable)
    : final_path_(std::move(final_path)), temp_path_(TempName(final_path_)), durable_(durable) {
  fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) ThrowIo("cannot create", temp_path_, errno);
  std::string header(kMagic, sizeof kMagic);
  PutLe<uint32_t>(header, kChunkVersion);
  PutLe<uint32_t>(header, uint32_t(storages.size()));
  for (Storage s : storages) header.push_back(char(StorageCode(s)));
  Put(header);
}

ChunkWriter::~ChunkWriter() {
  if (fd_ >= 0) {
    close(fd_);
    unlink(temp_path_.c_str());
  }
}

void ChunkWriter::Put(std::string_view bytes) {
  WriteAll(fd_, bytes, temp_path_);
  hash_.Update(bytes);
  bytes_ += bytes.size();
}

void ChunkWriter::AppendBlock(std::string_view block, uint32_t rows) {
  Put(block);
  rows_ += rows;
  ++blocks_;
}

void ChunkWriter::AppendLong(const LongValue& value) {
  std::string head;
  PutLe<uint64_t>(head, value.size());
  Put(head);
  std::string piece;
  ForEachPiece(value, [&](std::string_view raw) {
    piece.clear();
    PutLe<uint32_t>(piece, uint32_t(raw.size()));
    PutLe<uint32_t>(piece, 0);  // stored size, set below
    Compress(raw, piece);
    std::string size;
    PutLe<uint32_t>(size, uint32_t(piece.size() - 8));
    std::memcpy(piece.data() + 4, size.data(), 4);
    Put(piece);
  });
}

void ChunkWriter::Finish() {
  std::string trailer;
  PutLe<uint32_t>(trailer, 0);
  PutLe<uint32_t>(trailer, 0);
  PutLe<uint64_t>(trailer, rows_);
  PutLe<uint64_t>(trailer, blocks_);
  trailer.append(kEndMagic, sizeof kEndMagic);
  Put(trailer);
  if (durable_ && fsync(fd_) != 0) ThrowIo("cannot flush", temp_path_, errno);
  close(fd_);
  fd_ = -1;
  if (rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    const int e = errno;
    unlink(temp_path_.c_str());
    ThrowIo("cannot rename into place", final_path_, e);
  }
  if (durable_) SyncFolder(std::filesystem::path(final_path_).parent_path().string());
  sha256_ = hash_.Hex();
}

ChunkReader::ChunkReader(std::string path, std::vector<Storage> expected)
    : path_(std::move(path)), storages_(std::move(expected)) {
  fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) ThrowIo("cannot open", path_, errno);
  posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  char head[16];
  ReadExactly(head, sizeof head, "header");
  if (std::memcmp(head, kMagic, sizeof kMagic) != 0) Fail("not a ferry chunk file (bad magic)");
  version_ = GetLe<uint32_t>(head + 8);
  if (version_ < kOldestChunkVersion || version_ > kChunkVersion) {
    Fail(fmt::format("chunk format version {}; this ferry reads versions {} to {}", version_,
                     kOldestChunkVersion, kChunkVersion));
  }
  const uint32_t columns = GetLe<uint32_t>(head + 12);
  if (columns != storages_.size()) {
    Fail(fmt::format("{} columns, the table has {}", columns, storages_.size()));
  }
  std::string codes(columns, '\0');
  ReadExactly(codes.data(), columns, "header");
  for (uint32_t c = 0; c < columns; ++c) {
    if (StorageFromCode(uint8_t(codes[c])) != storages_[c]) {
      Fail(fmt::format("column {} has storage code {}, the table's type needs {}", c + 1,
                       int(uint8_t(codes[c])), int(StorageCode(storages_[c]))));
    }
  }
  dctx_ = ZSTD_createDCtx();
}

ChunkReader::~ChunkReader() {
  if (fd_ >= 0) close(fd_);
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
}

void ChunkReader::Fail(const std::string& problem) const {
  throw Error(ErrorCode::kIo, fmt::format("{}: {} (at byte {})", path_, problem, offset_));
}

void ChunkReader::ReadExactly(char* out, size_t n, const char* what) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd_, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) ThrowIo("cannot read", path_, errno);
    if (r == 0) Fail(fmt::format("the file ends inside a {} (truncated)", what));
    got += size_t(r);
  }
  offset_ += n;
}

bool ChunkReader::Next(Batch& batch) {
  if (done_) return false;
  char head[kBlockHeader];
  ReadExactly(head, sizeof head, "block header");
  const uint32_t rows = GetLe<uint32_t>(head);
  if (rows == 0) {
    char end[8];
    ReadExactly(end, sizeof end, "trailer");
    const uint64_t total = GetLe<uint64_t>(head + 8);
    const uint64_t blocks = GetLe<uint64_t>(head + 16);
    if (std::memcmp(end, kEndMagic, sizeof end) != 0) Fail("bad end marker");
    if (total != rows_ || blocks != blocks_) {
      Fail(fmt::format("the trailer counts {} rows in {} blocks, the file holds {} in {}", total,
                       blocks, rows_, blocks_));
    }
    char extra;
    if (read(fd_, &extra, 1) != 0) Fail("bytes after the end marker");
    done_ = true;
    return false;
  }
  const uint32_t codec = GetLe<uint32_t>(head + 4);
  const uint64_t raw_size = GetLe<uint64_t>(head + 8);
  const uint64_t stored = GetLe<uint64_t>(head + 16);
  if (codec != kCodecZstd) Fail(fmt::format("unknown codec {}", codec));
  if (stored > (uint64_t(4) << 30) || raw_size > (uint64_t(16) << 30))
    Fail("implausible block size");
  compressed_.resize(stored);
  ReadExactly(compressed_.data(), stored, "block");
  raw_.resize(raw_size);
  const size_t n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), raw_.data(), raw_.size(),
                                       compressed_.data(), compressed_.size());
  if (ZSTD_isError(n) || n != raw_size) {
    Fail(fmt::format("a block does not decompress ({})",
                     ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size"));
  }
  // Version 1 has no long values: a block that marks one is damaged.
  NextLongValue next_long;
  if (version_ >= 2) next_long = [this] { return ReadLong(); };
  DecodeColumns(raw_, rows, storages_, batch, path_, next_long);
  rows_ += rows;
  ++blocks_;
  return true;
}

}  // namespace ferry::staging

namespace ferry::staging {

std::shared_ptr<const LongValue> ChunkReader::ReadLong() {
  char head[8];
  ReadExactly(head, sizeof head, "long value");
  const uint64_t size = GetLe<uint64_t>(head);
  auto value = std::make_shared<SpillFile>();
  std::string compressed, raw;
  while (value->size() < size) {
    char piece[8];
    ReadExactly(piece, sizeof piece, "long value's piece");
    const uint32_t raw_size = GetLe<uint32_t>(piece);
    const uint32_t stored = GetLe<uint32_t>(piece + 4);
    if (raw_size == 0 || raw_size > size - value->size() || raw_size > (64u << 20) ||
        stored > ZSTD_compressBound(raw_size)) {
      Fail("implausible long value piece");
    }
    compressed.resize(stored);
    ReadExactly(compressed.data(), stored, "long value's piece");
    raw.resize(raw_size);
    const size_t n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), raw.data(), raw.size(),
                                         compressed.data(), compressed.size());
    if (ZSTD_isError(n) || n != raw_size) {
      Fail(fmt::format("a long value's piece does not decompress ({})",
                       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size"));
    }
    value->Append(raw);
  }
  return value;
}

}  // namespace ferry::staging
