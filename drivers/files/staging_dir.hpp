// One staging directory as a process sees it: its manifest in memory (the copy on disk is
// replaced atomically at every change), the chunk files beside it, and the export's run state
// kept in the manifest (a RunStore). Shared by the endpoint, its write sessions and its run
// store; every change goes through Update, under one mutex.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "copier/run_state.hpp"
#include "drivers/files/manifest.hpp"

namespace ferry::staging {

// Bytes kept free on the staging disk: a chunk is refused before the disk is this full, so
// the manifest (rewritten at every commit) always has room.
inline constexpr uint64_t kReserveBytes = uint64_t(16) << 20;

class Directory {
 public:
  // Reads the manifest when there is one. `create`: makes the folder (and chunks/) when missing.
  Directory(std::string path, bool create);

  const std::string& path() const { return path_; }
  std::string ManifestPath() const { return path_ + "/" + kManifestName; }
  bool has_manifest() const;
  Manifest Copy() const;
  // Applies `change` to the manifest and writes it (atomically); files `change` names in
  // `remove` are deleted once the new manifest is on disk.
  void Update(const std::function<void(Manifest&, std::vector<std::string>& remove)>& change);

  // A new chunk file's path for a unit of table `table` (its index in the manifest).
  std::string NewChunkPath(size_t table, int part, int chunk);
  // Removes temporary files and chunk files no manifest entry names (a unit written but not
  // committed when a process died). Called with the run lock held.
  void RemoveStrays();
  // Throws Error(kDiskFull) when the disk holding the directory has less than `needed` bytes
  // beyond the reserve.
  void CheckFreeSpace(uint64_t needed) const;

  // A unit's chunks committed, with its run-state "done" marks (RunStore::UnitDoneSql), in one
  // manifest write. Throws Error(kBusy) when the run was taken over by another process.
  void CommitUnit(const TableName& table, UnitEntry unit, const std::vector<std::string>& marks);

 private:
  void Save();
  std::string path_;
  mutable std::mutex mutex_;
  Manifest manifest_;
  bool has_manifest_ = false;
  uint32_t nonce_;
  int next_chunk_ = 0;
};

std::unique_ptr<RunStore> MakeFileRunStore(std::shared_ptr<Directory> directory);

}  // namespace ferry::staging
