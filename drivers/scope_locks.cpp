// The run lock's two kinds: a server session kept open while it holds a session lock, and an
// exclusive flock beside (or instead of) the destination.
#include <fcntl.h>
#include <fmt/format.h>

#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "copier/error.hpp"
#include "drivers/run_store.hpp"

namespace ferry {

namespace {

class SessionLock final : public ScopeLock {
 public:
  SessionLock(std::unique_ptr<SqlSession> session, std::string holder)
      : session_(std::move(session)), holder_(std::move(holder)) {}

  bool Alive() override {
    try {
      session_->Query("SELECT 1");
      return true;
    } catch (const Error&) {
      return false;
    }
  }
  std::string holder() const override { return holder_; }

 private:
  std::unique_ptr<SqlSession> session_;
  std::string holder_;
};

class FileLock final : public ScopeLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock() override {
    flock(fd_, LOCK_UN);
    close(fd_);
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<ScopeLock> HoldSessionLock(std::unique_ptr<SqlSession> session,
                                           std::string holder) {
  return std::make_unique<SessionLock>(std::move(session), std::move(holder));
}

std::unique_ptr<ScopeLock> TryFileLock(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    // Beside the database file: a folder this user may not write to keeps it from being made.
    throw Error(ErrorCode::kIo,
                fmt::format("cannot open the lock file {}: {}", path, std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return nullptr;
  }
  // Who holds it, for a process refused by it (FileLockHolder); the lock holds without it.
  const std::string& tag = ThisSessionTag();
  if (ftruncate(fd, 0) == 0 && pwrite(fd, tag.data(), tag.size(), 0) != ssize_t(tag.size())) {
    static_cast<void>(ftruncate(fd, 0));
  }
  return std::make_unique<FileLock>(fd);
}

std::string FileLockHolder(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char text[128];
  const ssize_t n = pread(fd, text, sizeof text, 0);
  close(fd);
  return n > 0 ? std::string(text, size_t(n)) : "";
}

}  // namespace ferry
