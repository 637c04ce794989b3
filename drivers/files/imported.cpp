#include "drivers/files/imported.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "copier/run_state.hpp"
#include "drivers/files/disk.hpp"

namespace ferry::staging {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecordSuffix = ".json";

std::string RecordPath(const std::string& folder, const std::string& file) {
  return fmt::format("{}/{}/{}{}", folder, kImportedFolder, fs::path(file).filename().string(),
                     kRecordSuffix);
}

// The chunk file a record's name stands for, or "" for anything else in the folder.
std::string FileOfRecord(const std::string& name) {
  const std::string suffix = kRecordSuffix;
  if (IsTempName(name) || name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "";
  }
  return std::string(kChunkFolder) + "/" + name.substr(0, name.size() - suffix.size());
}

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "?";
  return host;
}

}  // namespace

std::set<std::string> RemovedChunkNames(const std::string& folder) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder + "/" + kImportedFolder, ec)) {
    std::string file = FileOfRecord(entry.path().filename().string());
    if (!file.empty()) out.insert(std::move(file));
  }
  return out;
}

std::map<std::string, RemovedChunk> RemovedChunks(const std::string& folder) {
  std::map<std::string, RemovedChunk> out;
  for (const std::string& file : RemovedChunkNames(folder)) {
    try {
      const nlohmann::json j = nlohmann::json::parse(ReadWholeFile(RecordPath(folder, file)));
      RemovedChunk r;
      r.file = j.at("file").get<std::string>();
      r.sha256 = j.at("sha256").get<std::string>();
      r.rows = j.at("rows").get<uint64_t>();
      r.bytes = j.at("bytes").get<uint64_t>();
      r.removed_at = j.value("removed_at", "");
      r.by = j.value("by", "");
      if (r.file == file) out.emplace(file, std::move(r));
    } catch (const std::exception&) {
      // Unreadable: its chunk is judged by the file alone.
    }
  }
  return out;
}

void RemoveImportedChunk(const std::string& folder, const ChunkEntry& chunk) {
  const std::string records = folder + "/" + kImportedFolder;
  std::error_code ec;
  fs::create_directories(records, ec);
  if (ec) ThrowIo("cannot create", records, ec.value());
  const nlohmann::json j = {{"file", chunk.file},
                            {"sha256", chunk.sha256},
                            {"rows", chunk.rows},
                            {"bytes", chunk.bytes},
                            {"removed_at", UtcTimestamp()},
                            {"by", fmt::format("pid {} on host {}", getpid(), HostName())}};
  const std::string path = RecordPath(folder, chunk.file);
  if (!fs::exists(path)) WriteFileAtomically(path, j.dump(2) + "\n");
  const std::string file = folder + "/" + chunk.file;
  if (unlink(file.c_str()) != 0 && errno != ENOENT) ThrowIo("cannot remove", file, errno);
}

}  // namespace ferry::staging
