// File system calls of the staging directory, each failure one Error: a full disk (ENOSPC,
// EDQUOT) is ErrorCode::kDiskFull, anything else kIo, both naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::staging {

// Where a file is written before it is whole: "<name>.tmp-<pid>". Such a file is never taken
// for a finished one, and is removed by the next writer of the directory.
std::string TempName(const std::string& final_path);
bool IsTempName(const std::string& file_name);

[[noreturn]] void ThrowIo(const std::string& what, const std::string& path, int error_number);
void WriteAll(int fd, std::string_view bytes, const std::string& path);
void SyncFolder(const std::string& folder);
// Writes `content` to a temporary name, fsyncs it, renames it over `path` and fsyncs the folder:
// readers see the old file or the new one, never a mix.
void WriteFileAtomically(const std::string& path, std::string_view content);
std::string ReadWholeFile(const std::string& path);
// Bytes the file system holding `folder` has free for this user.
uint64_t FreeBytes(const std::string& folder);

}  // namespace ferry::staging
