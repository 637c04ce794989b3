#include "drivers/long_values.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "copier/error.hpp"

namespace ferry {

namespace {

std::string TempDirectory() {
  const char* dir = std::getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

Error IoError(const std::string& what) {
  return Error(ErrorCode::kIo, what + " (a value longer than the long-value threshold is kept in " +
                                   TempDirectory() + "): " + std::strerror(errno));
}

}  // namespace

SpillFile::SpillFile() {
  const std::string dir = TempDirectory();
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    // File systems without O_TMPFILE: make a named file and unlink it at once.
    std::string path = dir + "/ferry-long-value.XXXXXX";
    fd_ = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd_ < 0) throw IoError("cannot create a temporary file");
    ::unlink(path.c_str());
  }
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
}

void SpillFile::Append(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd_, data.data(), data.size(), off_t(size_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError("cannot write a temporary file");
    size_ += size_t(n);
    data.remove_prefix(size_t(n));
  }
}

void SpillFile::Read(size_t offset, char* out, size_t length) const {
  while (length > 0) {
    ssize_t n = ::pread(fd_, out, length, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError("cannot read a temporary file");
    out += n;
    offset += size_t(n);
    length -= size_t(n);
  }
}

WholeLongValue::WholeLongValue(const LongValue& value) : size_(value.size()) {
  if (const auto* file = dynamic_cast<const SpillFile*>(&value); file && size_ > 0) {
    void* at = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, file->fd(), 0);
    if (at != MAP_FAILED) {
      // Read once from start to end: read ahead, and the pages behind go first.
      ::madvise(at, size_, MADV_SEQUENTIAL);
      mapping_ = at;
      data_ = static_cast<const char*>(at);
      return;
    }
  }
  copy_.resize(size_);
  value.Read(0, copy_.data(), size_);
  data_ = copy_.data();
}

WholeLongValue::~WholeLongValue() {
  if (mapping_) ::munmap(mapping_, size_);
}

void ForEachPiece(const LongValue& value, const std::function<void(std::string_view)>& piece) {
  std::vector<char> buffer(std::min(value.size(), kLongValuePiece));
  for (size_t at = 0; at < value.size();) {
    const size_t n = std::min(buffer.size(), value.size() - at);
    value.Read(at, buffer.data(), n);
    piece(std::string_view(buffer.data(), n));
    at += n;
  }
}

}  // namespace ferry
