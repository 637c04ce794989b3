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

#include "copier/change_tracking.hpp"
#include "copier/run_state.hpp"
#include "drivers/files/manifest.hpp"

namespace ferry::staging {

// Bytes kept free on the staging disk: a chunk is refused before the disk is this full, so
// the manifest (rewritten at every commit) always has room.
inline constexpr uint64_t kReserveBytes = uint64_t(16) << 20;

class Directory {
 public:
  // Reads the manifest when there is one. Without `create`, a missing folder is Error(kNotFound);
  // with it, the folder is made by Prepare, on the first write.
  Directory(std::string path, bool create);

  const std::string& path() const { return path_; }
  std::string ManifestPath() const { return path_ + "/" + kManifestName; }
  bool has_manifest() const;
  // Makes the folder and its chunks/ when missing (the first write of an export).
  void Prepare();
  // The directory, or the nearest folder above it that exists (where it would be made).
  std::string ExistingFolder() const;
  // Reads the manifest again from disk (another process may have written it since this one
  // opened the directory); called with the directory's lock held.
  void Reload();
  // The directory's lock file, taken (flock) by whoever writes the manifest.
  std::string LockPath() const { return path_ + "/.ferry.lock"; }
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

  // --max-disk: how many bytes the directory's files may take (0: no limit). Claim adds `bytes`
  // a chunk being written is about to take, or throws Error(kDiskFull) when the files (the
  // manifest, committed chunks and those being written) would then take more; Release gives
  // a writer's claims back once its chunks are committed (counted in the manifest) or removed.
  void set_max_bytes(uint64_t max) { max_bytes_ = max; }
  void Claim(uint64_t bytes);
  void Release(uint64_t bytes);

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
  uint64_t max_bytes_ = 0;
  uint64_t committed_bytes_ = 0;  // the manifest's chunks and the manifest itself
  uint64_t claimed_bytes_ = 0;    // chunks being written
};

std::unique_ptr<RunStore> MakeFileRunStore(std::shared_ptr<Directory> directory);

// Whether a process holds the run lock of the staging directory `folder` (an export writing
// into it). Whoever takes the lock also takes an open-file-description lock on
// `.ferry.exporting`, which another process can test without taking it (a test that took the
// run lock itself could make a starting export find it busy); the kernel releases both when
// that process ends, however it ends.
bool ExportRunning(const std::string& folder);
// The export's side of change tracking (drivers/files/files_sync_state.cpp).
std::unique_ptr<SyncStateStore> MakeExportSyncState(std::shared_ptr<Directory> directory);

}  // namespace ferry::staging
