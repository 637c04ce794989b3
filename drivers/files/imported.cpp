#include "drivers/files/imported.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "copier/error.hpp"
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

// The chunk or large-object file a record's name stands for, or "" for anything else in the
// folder.
std::string FileOfRecord(const std::string& name) {
  const std::string suffix = kRecordSuffix;
  if (IsTempName(name) || name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "";
  }
  const std::string file = name.substr(0, name.size() - suffix.size());
  const bool object = file.find(".lob") != std::string::npos;
  return std::string(object ? kLargeObjectFolder : kChunkFolder) + "/" + file;
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
      r.into = j.value("into", "");
      r.into_identity = j.value("into_identity", "");
      if (r.file == file) out.emplace(file, std::move(r));
    } catch (const std::exception&) {
      // Unreadable: its chunk is judged by the file alone.
    }
  }
  return out;
}

namespace {

void RemoveImportedFile(const std::string& folder, const RemovedChunk& removed,
                        const ImportTarget& into) {
  const std::string records = folder + "/" + kImportedFolder;
  std::error_code ec;
  fs::create_directories(records, ec);
  if (ec) ThrowIo("cannot create", records, ec.value());
  const nlohmann::json j = {{"file", removed.file},
                            {"sha256", removed.sha256},
                            {"rows", removed.rows},
                            {"bytes", removed.bytes},
                            {"removed_at", UtcTimestamp()},
                            {"by", fmt::format("pid {} on host {}", getpid(), HostName())},
                            {"into", into.display},
                            {"into_identity", into.identity}};
  const std::string path = RecordPath(folder, removed.file);
  if (!fs::exists(path)) WriteFileAtomically(path, j.dump(2) + "\n");
  const std::string file = folder + "/" + removed.file;
  if (unlink(file.c_str()) != 0 && errno != ENOENT) ThrowIo("cannot remove", file, errno);
}

}  // namespace

void RemoveImportedChunk(const std::string& folder, const ChunkEntry& chunk,
                         const ImportTarget& into) {
  RemovedChunk removed;
  removed.file = chunk.file;
  removed.sha256 = chunk.sha256;
  removed.rows = chunk.rows;
  removed.bytes = chunk.bytes;
  RemoveImportedFile(folder, removed, into);
}

void RemoveImportedLargeObject(const std::string& folder, const LargeObjectEntry& object,
                               const ImportTarget& into) {
  RemovedChunk removed;
  removed.file = object.file;
  removed.sha256 = object.file_sha256;
  removed.bytes = uint64_t(object.file_bytes);
  RemoveImportedFile(folder, removed, into);
}

ReadersLock::ReadersLock(const std::string& folder, bool removes, const std::string& display) {
  const std::string path = folder + "/.ferry.readers";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 && !removes) return;  // read-only media: nobody can drain it
  if (fd_ < 0) ThrowIo("cannot open", path, errno);
  if (flock(fd_, (removes ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) return;
  const int error = errno;
  close(fd_);
  fd_ = -1;
  if (error != EWOULDBLOCK) ThrowIo("cannot lock", path, error);
  throw Error(ErrorCode::kBusy,
              removes ? fmt::format("another ferry process is reading {} (an import, a verify or a "
                                    "check): --remove-imported takes files away only while no "
                                    "other process reads the directory; run it once that one "
                                    "has ended",
                                    display)
                      : fmt::format("an import with --remove-imported is taking {}'s files away "
                                    "as it commits them: read the directory once it has ended "
                                    "(what it took away is then recorded in imported/)",
                                    display));
}

ReadersLock::~ReadersLock() {
  if (fd_ >= 0) close(fd_);  // releases the lock
}

namespace {

struct GoneGroup {
  std::set<std::pair<std::string, int>> units;  // (table, part)
  std::set<std::string> tables;
  uint64_t chunks = 0;
  uint64_t rows = 0;
  std::string first_removed_at, by;
};

std::string Plural(uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string TablesText(const std::set<std::string>& tables) {
  std::string out;
  size_t n = 0;
  for (const std::string& t : tables) {
    if (n++ == 3) return out + ", ...";
    out += (out.empty() ? "" : ", ") + t;
  }
  return out;
}

bool SameTarget(const ImportTarget& a, const std::string& display, const std::string& identity) {
  if (!a.identity.empty() && !identity.empty()) return a.identity == identity;
  return !display.empty() && a.display == display;
}

}  // namespace

std::string GoneChunksProblem(const std::string& folder, const std::string& display,
                              const std::vector<UnitChunks>& units, const ImportTarget& into) {
  std::optional<std::map<std::string, RemovedChunk>> removed;       // read at the first gone chunk
  std::map<std::pair<std::string, std::string>, GoneGroup> groups;  // by (into, identity)
  std::vector<std::string> lost;
  for (const UnitChunks& unit : units) {
    for (const ChunkEntry& chunk : unit.chunks) {
      if (access((folder + "/" + chunk.file).c_str(), F_OK) == 0) continue;
      if (!removed) removed = RemovedChunks(folder);
      auto r = removed->find(chunk.file);
      if (r == removed->end() || r->second.sha256 != chunk.sha256) {
        lost.push_back(fmt::format("{} ({} unit {} of {})", chunk.file, unit.table, unit.part + 1,
                                   unit.parts));
        continue;
      }
      GoneGroup& g = groups[{r->second.into, r->second.into_identity}];
      g.units.insert({unit.table, unit.part});
      g.tables.insert(unit.table);
      ++g.chunks;
      g.rows += chunk.rows;
      if (g.first_removed_at.empty() || r->second.removed_at < g.first_removed_at) {
        g.first_removed_at = r->second.removed_at;
        g.by = r->second.by;
      }
    }
  }
  std::string out;
  for (const auto& [where, g] : groups) {
    const auto& [to, identity] = where;
    out += fmt::format(
        "{}{} it would read of {} ({} rows in {}) {} imported {} and removed (--remove-imported; "
        "{}, from {}): the directory no longer holds their rows",
        out.empty() ? "" : "; ", Plural(g.units.size(), "unit", "units"), TablesText(g.tables),
        g.rows, Plural(g.chunks, "chunk file", "chunk files"), g.units.size() == 1 ? "was" : "were",
        to.empty() ? "(the record of an older ferry does not say where)" : "into " + to, g.by,
        g.first_removed_at);
    if (SameTarget(into, to, identity)) {
      out +=
          ". That import wrote into this destination: continue it with `ferry run --resume` "
          "(the same --source and --dest), which reads only the units it has not committed "
          "(after a `ferry reset` of that run, export the source again instead)";
    } else {
      out += fmt::format(
          ". Copy those rows from {} instead, or export the source again into a "
          "new directory",
          to.empty() ? "where that import wrote them" : to);
    }
  }
  if (!lost.empty()) {
    out += fmt::format(
        "{}{} that {} names {} missing, and no record in {}/ says an import "
        "removed {}: {}{}; the directory is damaged (`ferry verify --files {}` "
        "lists every problem)",
        out.empty() ? "" : "; ", Plural(lost.size(), "chunk file", "chunk files"), kManifestName,
        lost.size() == 1 ? "is" : "are", kImportedFolder, lost.size() == 1 ? "it" : "them",
        lost.front(), lost.size() > 1 ? ", ..." : "", folder);
  }
  if (out.empty()) return out;
  return fmt::format("cannot import from {} (nothing was written): {}", display, out);
}

}  // namespace ferry::staging
