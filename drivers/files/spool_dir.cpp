#include "drivers/files/spool_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "copier/error.hpp"
#include "drivers/files/chunk_format.hpp"
#include "drivers/files/disk.hpp"
#include "drivers/files/staging_dir.hpp"

namespace ferry::staging {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFolderPrefix = "ferry-spool-";
constexpr const char* kLockName = "lock";
// The disk's free space is asked again after this many bytes were spooled.
constexpr uint64_t kSpaceCheckBytes = uint64_t(8) << 20;
// A new unit starts into the spool only while this much more fits (a quarter of a smaller cap):
// a unit that fills the spool at once would only be handed on in memory.
constexpr uint64_t kRoomForUnit = uint64_t(8) << 20;

// An flock'ed file: the lock goes when the process does, however it ends.
int LockFile(const std::string& path, bool wait) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Folders of spools whose process is gone: a run killed with units in its spool.
void RemoveDeadSpools(const std::string& folder) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kFolderPrefix, 0) != 0 || !e.is_directory(ec)) continue;
    const int fd = LockFile((e.path() / kLockName).string(), false);
    if (fd < 0) continue;  // alive: another run's spool
    fs::remove_all(e.path(), ec);
    close(fd);
  }
}

class SpoolFolder;

class SpoolFileImpl final : public SpoolFile {
 public:
  SpoolFileImpl(SpoolFolder& spool, std::string path) : spool_(spool), path_(std::move(path)) {}
  ~SpoolFileImpl() override;
  bool Append(const Batch& batch) override;
  void Finish() override;
  std::unique_ptr<RowReader> Replay() override;
  uint64_t bytes() const override { return claimed_; }

 private:
  SpoolFolder& spool_;
  std::string path_;
  std::vector<Storage> storages_;
  std::unique_ptr<ChunkWriter> writer_;
  bool finished_ = false;
  uint64_t claimed_ = 0;
};

class SpoolFolder final : public Spool {
 public:
  SpoolFolder(std::string parent, uint64_t max_bytes) : max_(max_bytes) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec || !fs::is_directory(parent)) {
      throw Error(ErrorCode::kIo, fmt::format("--spool {}: cannot make the folder ({})", parent,
                                              ec ? ec.message() : "not a folder"));
    }
    RemoveDeadSpools(parent);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    path_ = fmt::format("{}/{}{}-{}", parent, kFolderPrefix, getpid(),
                        std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    fs::create_directory(path_, ec);
    if (ec) throw Error(ErrorCode::kIo, fmt::format("--spool {}: {}", path_, ec.message()));
    lock_fd_ = LockFile(path_ + "/" + kLockName, true);
    if (lock_fd_ < 0) ThrowIo("cannot lock", path_ + "/" + kLockName, errno);
    free_ = FreeBytes(path_);
  }

  ~SpoolFolder() override {
    std::error_code ec;
    fs::remove_all(path_, ec);
    close(lock_fd_);
  }

  void Encode(Batch& batch) const override {
    EncodeBlock(batch, batch.wire());
    batch.set_wire_rows(batch.num_rows());
  }

  std::unique_ptr<SpoolFile> Create() override {
    return std::make_unique<SpoolFileImpl>(*this, fmt::format("{}/{}.chunk", path_, ++files_));
  }

  bool HasRoom() const override {
    std::lock_guard lock(mutex_);
    const uint64_t room = max_ > 0 ? std::min(kRoomForUnit, max_ / 4) : kRoomForUnit;
    return (max_ == 0 || used_ + room <= max_) && free_ >= kReserveBytes + room;
  }

  const std::string& path() const override { return path_; }
  uint64_t peak_bytes() const override {
    std::lock_guard lock(mutex_);
    return peak_;
  }

  // Takes room for `bytes` more; false when the cap or the disk's reserve would be passed.
  bool Claim(uint64_t bytes) {
    std::lock_guard lock(mutex_);
    if (max_ > 0 && used_ + bytes > max_) return false;
    if (since_check_ >= kSpaceCheckBytes || free_ < kReserveBytes + bytes) {
      free_ = FreeBytes(path_);
      since_check_ = 0;
    }
    if (free_ < kReserveBytes + bytes) return false;
    free_ -= bytes;
    since_check_ += bytes;
    used_ += bytes;
    peak_ = std::max(peak_, used_);
    return true;
  }

  void Release(uint64_t bytes) {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
    free_ += bytes;
  }

 private:
  std::string path_;
  uint64_t max_;
  int lock_fd_ = -1;
  std::atomic<uint64_t> files_{0};
  mutable std::mutex mutex_;
  uint64_t used_ = 0;
  uint64_t peak_ = 0;
  uint64_t free_ = 0;  // as last asked, less what was claimed since
  uint64_t since_check_ = 0;
};

SpoolFileImpl::~SpoolFileImpl() {
  writer_.reset();  // an unfinished file's temporary goes with it
  if (finished_) std::remove(path_.c_str());
  spool_.Release(claimed_);
}

bool SpoolFileImpl::Append(const Batch& batch) {
  const std::string& block = batch.wire();
  // The chunk's header and trailer come with its first block; long values follow their block
  // (zstd's bound for incompressible bytes, and each piece's header).
  uint64_t need = block.size() + (writer_ ? 0 : 48 + batch.num_columns());
  std::vector<const LongValue*> longs;
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const ColumnVector& col = batch.column(c);
    for (size_t r = 0; col.has_long() && r < col.size(); ++r) {
      if (const LongValue* value = col.Long(r)) {
        longs.push_back(value);
        need += value->size() + value->size() / 128 + 64 * 1024;
      }
    }
  }
  if (!spool_.Claim(need)) return false;
  claimed_ += need;
  if (!writer_) {
    for (size_t c = 0; c < batch.num_columns(); ++c) storages_.push_back(batch.column(c).storage());
    writer_ = std::make_unique<ChunkWriter>(path_, storages_, /*durable=*/false);
  }
  writer_->AppendBlock(block, uint32_t(batch.num_rows()));
  for (const LongValue* value : longs) writer_->AppendLong(*value);
  return true;
}

void SpoolFileImpl::Finish() {
  if (writer_) writer_->Finish();
  writer_.reset();
  finished_ = true;
}

// A finished spool file's batches; none for a file no block went into.
class ReplayReader final : public RowReader {
 public:
  ReplayReader(const std::string& path, std::vector<Storage> storages, bool empty) {
    if (!empty) chunk_ = std::make_unique<ChunkReader>(path, std::move(storages));
  }
  bool Next(Batch& batch) override { return chunk_ && chunk_->Next(batch); }
  std::string Method() const override { return "spool"; }

 private:
  std::unique_ptr<ChunkReader> chunk_;
};

std::unique_ptr<RowReader> SpoolFileImpl::Replay() {
  if (!finished_) throw Error(ErrorCode::kInternal, "a spool file replayed before it was finished");
  return std::make_unique<ReplayReader>(path_, storages_, storages_.empty());
}

}  // namespace

std::shared_ptr<Spool> OpenSpool(const std::string& folder, uint64_t max_bytes) {
  return std::make_shared<SpoolFolder>(folder, max_bytes);
}

}  // namespace ferry::staging
