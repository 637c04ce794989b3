#include "drivers/files/disk.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "copier/error.hpp"

namespace ferry::staging {

std::string TempName(const std::string& final_path) {
  return fmt::format("{}.tmp-{}", final_path, getpid());
}

bool IsTempName(const std::string& file_name) {
  return file_name.find(".tmp-") != std::string::npos;
}

void ThrowIo(const std::string& what, const std::string& path, int error_number) {
  if (error_number == ENOSPC || error_number == EDQUOT) {
    throw Error(ErrorCode::kDiskFull,
                fmt::format("{} {}: the staging disk is full ({}); free space (or give the "
                            "directory more), then run the same command with --resume",
                            what, path, std::strerror(error_number)));
  }
  throw Error(ErrorCode::kIo, fmt::format("{} {}: {}", what, path, std::strerror(error_number)));
}

void WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowIo("cannot write", path, errno);
    bytes.remove_prefix(size_t(n));
  }
}

void SyncFolder(const std::string& folder) {
  const int fd = open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowIo("cannot open the folder", folder, errno);
  const int rc = fsync(fd);
  const int e = errno;
  close(fd);
  if (rc != 0) ThrowIo("cannot flush the folder", folder, e);
}

void WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string temp = TempName(path);
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ThrowIo("cannot create", temp, errno);
  try {
    WriteAll(fd, content, temp);
    if (fsync(fd) != 0) ThrowIo("cannot flush", temp, errno);
  } catch (...) {
    close(fd);
    unlink(temp.c_str());
    throw;
  }
  close(fd);
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    unlink(temp.c_str());
    ThrowIo("cannot rename into place", path, e);
  }
  SyncFolder(std::filesystem::path(path).parent_path().string());
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowIo("cannot read", path, errno);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

uint64_t FreeBytes(const std::string& folder) {
  struct statvfs st {};
  if (statvfs(folder.c_str(), &st) != 0) ThrowIo("cannot measure free space of", folder, errno);
  return uint64_t(st.f_bavail) * uint64_t(st.f_frsize);
}

}  // namespace ferry::staging
