#include "drivers/files/large_objects_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "copier/error.hpp"
#include "drivers/files/chunk_format.hpp"
#include "drivers/files/disk.hpp"
#include "drivers/files/imported.hpp"

namespace ferry::staging {

namespace {

constexpr size_t kPiece = 1 << 20;  // read back a MiB at a time, as the PostgreSQL side writes

std::vector<LargeObjectDigest> DigestsOf(const std::vector<LargeObjectEntry>& objects) {
  std::vector<LargeObjectDigest> out;
  for (const LargeObjectEntry& e : objects) out.push_back({e.object.oid, e.bytes, e.sha256});
  return out;
}

std::vector<LargeObject> ObjectsOf(const std::vector<LargeObjectEntry>& objects) {
  std::vector<LargeObject> out;
  for (const LargeObjectEntry& e : objects) out.push_back(e.object);
  return out;
}

[[noreturn]] void ReadOnly() {
  throw Error(ErrorCode::kUsage, "a staging directory read as a source takes no large objects");
}

class LargeObjectWriter final : public LargeObjectStore {
 public:
  explicit LargeObjectWriter(std::shared_ptr<Directory> dir) : dir_(std::move(dir)) {}
  ~LargeObjectWriter() override { Rollback(); }

  // The export begins carrying them: the manifest says so from now on (an empty list is "none
  // at the source", not "not carried").
  std::vector<LargeObject> List() override {
    dir_->Journal([](const Manifest& m) -> std::optional<JournalEntry> {
      if (m.large_objects) return std::nullopt;
      JournalEntry entry;
      entry.kind = JournalEntry::Kind::kLargeObjects;
      return entry;
    });
    return dir_->With([](const Manifest& m) { return ObjectsOf(*m.large_objects); });
  }
  std::vector<LargeObjectDigest> Digests() override {
    return dir_->With([](const Manifest& m) {
      return m.large_objects ? DigestsOf(*m.large_objects) : std::vector<LargeObjectDigest>{};
    });
  }
  void Read(uint32_t, const std::function<void(std::string_view)>&) override {
    throw Error(ErrorCode::kUsage, "a staging directory being exported into is not read back");
  }

  void Begin() override { Rollback(); }
  void Create(const LargeObject& object) override {
    Close();
    dir_->Prepare();
    const std::string folder = dir_->path() + "/" + kLargeObjectFolder;
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) ThrowIo("cannot create", folder, ec.value());
    LargeObjectEntry e;
    e.object = object;
    e.codec = "zstd";
    e.file = fmt::format("{}/o{:010}-{:08x}.lob.zst", kLargeObjectFolder, object.oid, getpid());
    path_ = dir_->path() + "/" + e.file;
    fd_ = open(TempName(path_).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) ThrowIo("cannot create", TempName(path_), errno);
    ZSTD_CCtx_reset(cctx_.get(), ZSTD_reset_session_only);
    hash_ = std::make_unique<Sha256>();
    file_hash_ = std::make_unique<Sha256>();
    pending_.push_back(std::move(e));
  }
  void Append(std::string_view bytes) override {
    hash_->Update(bytes);
    pending_.back().bytes += int64_t(bytes.size());
    Compress(bytes, ZSTD_e_continue);
  }
  // Each file whole and durable under its own name before one journal entry names the batch:
  // a kill before it leaves files no manifest names, which the next export removes.
  void Commit() override {
    Close();
    if (pending_.empty()) return;
    SyncFolder(dir_->path() + "/" + kLargeObjectFolder);
    JournalEntry entry;
    entry.kind = JournalEntry::Kind::kLargeObjects;
    entry.large_objects = std::move(pending_);
    pending_.clear();
    try {
      dir_->Journal(entry);
    } catch (...) {
      pending_ = std::move(entry.large_objects);
      Rollback();
      throw;
    }
    dir_->Release(claimed_);  // counted in the manifest now
    claimed_ = 0;
  }
  void Rollback() noexcept override {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
      unlink(TempName(path_).c_str());
    }
    for (const LargeObjectEntry& e : pending_) unlink((dir_->path() + "/" + e.file).c_str());
    pending_.clear();
    dir_->Release(claimed_);
    claimed_ = 0;
  }
  std::vector<std::string> TakeNotes() override { return {}; }

 private:
  // Compresses `bytes` as the chunks' blocks are (kZstdLevel, with zstd's content checksum)
  // into the file, the output counted against --max-disk before it is written.
  void Compress(std::string_view bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    size_t left = 0;
    do {
      out_.resize(ZSTD_CStreamOutSize());
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      left = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
      if (ZSTD_isError(left)) {
        throw Error(ErrorCode::kInternal, std::string("zstd: ") + ZSTD_getErrorName(left));
      }
      if (out.pos == 0) continue;
      const std::string_view piece(out_.data(), out.pos);
      dir_->CheckFreeSpace(piece.size());
      dir_->Claim(piece.size());
      claimed_ += piece.size();
      WriteAll(fd_, piece, TempName(path_));
      file_hash_->Update(piece);
      pending_.back().file_bytes += int64_t(piece.size());
    } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
  }
  // The object being written, whole: its frame ended, fsynced and renamed to its final name.
  void Close() {
    if (fd_ < 0) return;
    Compress({}, ZSTD_e_end);
    const std::string temp = TempName(path_);
    if (fsync(fd_) != 0) ThrowIo("cannot flush", temp, errno);
    close(fd_);
    fd_ = -1;
    if (rename(temp.c_str(), path_.c_str()) != 0) ThrowIo("cannot rename", temp, errno);
    pending_.back().sha256 = hash_->Hex();
    pending_.back().file_sha256 = file_hash_->Hex();
  }
  static ZSTD_CCtx* NewContext() {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, kZstdLevel);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    return c;
  }

  std::shared_ptr<Directory> dir_;
  std::vector<LargeObjectEntry> pending_;  // this transaction's, the last one being written
  std::string path_;
  int fd_ = -1;
  std::unique_ptr<Sha256> hash_, file_hash_;  // of the object's bytes, of the file's
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx_{NewContext(), ZSTD_freeCCtx};
  std::string out_;
  uint64_t claimed_ = 0;  // Directory::Claim'ed for this transaction's files
};

class LargeObjectReader final : public LargeObjectStore {
 public:
  LargeObjectReader(std::function<std::shared_ptr<const IndexedManifest>()> finished,
                    std::string folder, std::function<void(const LargeObjectEntry&)> drain)
      : finished_(std::move(finished)), folder_(std::move(folder)), drain_(std::move(drain)) {}

  std::vector<LargeObject> List() override { return ObjectsOf(Objects()); }
  std::vector<LargeObjectDigest> Digests() override { return DigestsOf(Objects()); }
  // In pieces, its file's and its bytes' SHA-256 checked at the end: a damaged file fails the
  // object (and the destination's transaction with it) rather than arriving.
  void Read(uint32_t oid, const std::function<void(std::string_view)>& piece) override {
    const LargeObjectEntry* e = Find(oid);
    if (!e) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("large object {} is not in the staging directory", oid));
    }
    const std::string path = folder_ + "/" + e->file;
    if (access(path.c_str(), F_OK) != 0) {
      const auto removed = RemovedChunks(folder_);
      const auto record = removed.find(e->file);
      if (record != removed.end()) {
        throw Error(ErrorCode::kNotFound,
                    fmt::format("{}: large object {} was taken away by an import into {} "
                                "(--remove-imported, {}): read it from there",
                                path, oid, record->second.into, record->second.removed_at));
      }
    }
    const std::string problem = ReadLargeObjectFile(folder_, *e, piece);
    if (!problem.empty()) {
      throw Error(ErrorCode::kIo, fmt::format("{}: large object {}: {}", path, oid, problem));
    }
  }
  // --remove-imported: their files, recorded as imported and removed (imported.hpp).
  void Delivered(const std::vector<uint32_t>& oids) override {
    if (!drain_) return;
    for (uint32_t oid : oids) {
      if (const LargeObjectEntry* e = Find(oid)) drain_(*e);
    }
  }
  void Begin() override { ReadOnly(); }
  void Create(const LargeObject&) override { ReadOnly(); }
  void Append(std::string_view) override { ReadOnly(); }
  void Commit() override { ReadOnly(); }
  void Rollback() noexcept override {}
  std::vector<std::string> TakeNotes() override { return {}; }

 private:
  const std::vector<LargeObjectEntry>& Objects() {
    if (!manifest_) manifest_ = finished_();
    if (!manifest_->manifest().large_objects) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("the export into {} did not carry the source's large objects (a "
                              "ferry older than manifest version 5 made it): copy them with "
                              "pg_dump -b",
                              folder_));
    }
    return *manifest_->manifest().large_objects;
  }
  const LargeObjectEntry* Find(uint32_t oid) {
    const std::vector<LargeObjectEntry>& list = Objects();
    auto at =
        std::lower_bound(list.begin(), list.end(), oid,
                         [](const LargeObjectEntry& x, uint32_t o) { return x.object.oid < o; });
    return at != list.end() && at->object.oid == oid ? &*at : nullptr;
  }

  std::function<std::shared_ptr<const IndexedManifest>()> finished_;
  std::shared_ptr<const IndexedManifest> manifest_;
  std::string folder_;
  std::function<void(const LargeObjectEntry&)> drain_;
};

}  // namespace

std::unique_ptr<LargeObjectStore> MakeLargeObjectWriter(std::shared_ptr<Directory> directory) {
  return std::make_unique<LargeObjectWriter>(std::move(directory));
}

std::unique_ptr<LargeObjectStore> MakeLargeObjectReader(
    std::function<std::shared_ptr<const IndexedManifest>()> finished, std::string folder,
    std::function<void(const LargeObjectEntry&)> drain) {
  return std::make_unique<LargeObjectReader>(std::move(finished), std::move(folder),
                                             std::move(drain));
}

std::string ReadLargeObjectFile(const std::string& folder, const LargeObjectEntry& e,
                                const std::function<void(std::string_view)>& piece) {
  const std::string path = folder + "/" + e.file;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ThrowIo(fmt::format("cannot read large object {} from", e.object.oid), path, errno);
  }
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(
      e.codec.empty() ? nullptr : ZSTD_createDCtx(), ZSTD_freeDCtx);
  Sha256 file_hash, hash;
  int64_t stored = 0, total = 0;
  std::string broken;     // why the file stopped decompressing
  size_t frame_left = 1;  // zstd's hint: 0 once the frame is whole
  auto give = [&](std::string_view bytes) {
    hash.Update(bytes);
    total += int64_t(bytes.size());
    if (piece) piece(bytes);
  };
  std::string buffer(kPiece, '\0'), out;
  try {
    for (;;) {
      const ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n < 0) ThrowIo("cannot read", path, errno);
      if (n == 0) break;
      const std::string_view bytes(buffer.data(), size_t(n));
      file_hash.Update(bytes);
      stored += n;
      if (!dctx) {
        give(bytes);
        continue;
      }
      ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
      while (broken.empty() && in.pos < in.size) {
        out.resize(ZSTD_DStreamOutSize());
        ZSTD_outBuffer o{out.data(), out.size(), 0};
        frame_left = ZSTD_decompressStream(dctx.get(), &o, &in);
        if (ZSTD_isError(frame_left)) broken = ZSTD_getErrorName(frame_left);
        if (o.pos > 0 && broken.empty()) give(std::string_view(out.data(), o.pos));
      }
    }
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  if (dctx && broken.empty() && frame_left != 0) broken = "the frame is cut short";
  if (stored != e.file_bytes) {
    return fmt::format("{} bytes, the manifest says {} ({})", stored, e.file_bytes,
                       stored < e.file_bytes ? "truncated" : "grown");
  }
  const std::string file_sha = file_hash.Hex();
  if (file_sha != e.file_sha256) {
    return fmt::format("its SHA-256 is {}, the manifest says {}: the file is damaged", file_sha,
                       e.file_sha256);
  }
  if (!broken.empty()) return fmt::format("it does not decompress (zstd: {})", broken);
  const std::string sha = hash.Hex();
  if (total != e.bytes || sha != e.sha256) {
    return fmt::format("it holds {} bytes of SHA-256 {}, the manifest says {} bytes of SHA-256 {}",
                       total, sha, e.bytes, e.sha256);
  }
  return "";
}

std::vector<std::string> LargeObjectColumns(const Manifest& m, const std::string& schema) {
  std::vector<std::string> out;
  if (!m.large_objects || m.large_objects->empty()) return out;
  for (const TableEntry& t : m.tables) {
    if (t.shape.name.schema != schema) continue;
    for (const Column& c : t.shape.columns) {
      const std::string& n = c.type.native;
      if (n == "oid" || n == "lo" || (n.size() > 3 && n.substr(n.size() - 3) == ".lo")) {
        out.push_back(schema + "." + t.shape.name.name + "." + c.name);
      }
    }
  }
  return out;
}

}  // namespace ferry::staging
