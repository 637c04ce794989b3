#include "drivers/files/large_objects_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "copier/error.hpp"
#include "drivers/files/chunk_format.hpp"
#include "drivers/files/disk.hpp"

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
    e.file = fmt::format("{}/o{:010}-{:08x}.lob", kLargeObjectFolder, object.oid, getpid());
    path_ = dir_->path() + "/" + e.file;
    fd_ = open(TempName(path_).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) ThrowIo("cannot create", TempName(path_), errno);
    hash_ = std::make_unique<Sha256>();
    pending_.push_back(std::move(e));
  }
  void Append(std::string_view bytes) override {
    dir_->CheckFreeSpace(bytes.size());
    WriteAll(fd_, bytes, TempName(path_));
    hash_->Update(bytes);
    pending_.back().bytes += int64_t(bytes.size());
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
  }
  void Rollback() noexcept override {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
      unlink(TempName(path_).c_str());
    }
    for (const LargeObjectEntry& e : pending_) unlink((dir_->path() + "/" + e.file).c_str());
    pending_.clear();
  }
  std::vector<std::string> TakeNotes() override { return {}; }

 private:
  // The object being written, whole: fsynced and renamed to its final name.
  void Close() {
    if (fd_ < 0) return;
    const std::string temp = TempName(path_);
    if (fsync(fd_) != 0) ThrowIo("cannot flush", temp, errno);
    close(fd_);
    fd_ = -1;
    if (rename(temp.c_str(), path_.c_str()) != 0) ThrowIo("cannot rename", temp, errno);
    pending_.back().sha256 = hash_->Hex();
  }

  std::shared_ptr<Directory> dir_;
  std::vector<LargeObjectEntry> pending_;  // this transaction's, the last one being written
  std::string path_;
  int fd_ = -1;
  std::unique_ptr<Sha256> hash_;
};

class LargeObjectReader final : public LargeObjectStore {
 public:
  LargeObjectReader(std::function<std::shared_ptr<const IndexedManifest>()> finished,
                    std::string folder)
      : finished_(std::move(finished)), folder_(std::move(folder)) {}

  std::vector<LargeObject> List() override { return ObjectsOf(Objects()); }
  std::vector<LargeObjectDigest> Digests() override { return DigestsOf(Objects()); }
  // In pieces, its SHA-256 checked at the end: a damaged file fails the object (and the
  // destination's transaction with it) rather than arriving.
  void Read(uint32_t oid, const std::function<void(std::string_view)>& piece) override {
    const LargeObjectEntry* e = Find(oid);
    if (!e) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("large object {} is not in the staging directory", oid));
    }
    const std::string path = folder_ + "/" + e->file;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ThrowIo("cannot read large object " + std::to_string(oid) + " from", path, errno);
    Sha256 hash;
    int64_t total = 0;
    std::string buffer(kPiece, '\0');
    try {
      for (;;) {
        const ssize_t n = read(fd, buffer.data(), buffer.size());
        if (n < 0) ThrowIo("cannot read", path, errno);
        if (n == 0) break;
        const std::string_view bytes(buffer.data(), size_t(n));
        hash.Update(bytes);
        total += n;
        piece(bytes);
      }
    } catch (...) {
      close(fd);
      throw;
    }
    close(fd);
    const std::string sha = hash.Hex();
    if (total != e->bytes || sha != e->sha256) {
      throw Error(ErrorCode::kIo,
                  fmt::format("{}: large object {} has {} bytes of SHA-256 {}, the manifest says "
                              "{} bytes of SHA-256 {}: the file is damaged",
                              path, oid, total, sha, e->bytes, e->sha256));
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
};

}  // namespace

std::unique_ptr<LargeObjectStore> MakeLargeObjectWriter(std::shared_ptr<Directory> directory) {
  return std::make_unique<LargeObjectWriter>(std::move(directory));
}

std::unique_ptr<LargeObjectStore> MakeLargeObjectReader(
    std::function<std::shared_ptr<const IndexedManifest>()> finished, std::string folder) {
  return std::make_unique<LargeObjectReader>(std::move(finished), std::move(folder));
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
