// One staging directory as a process sees it: its manifest in memory (on disk: manifest.json,
// replaced atomically, and the journal of the changes since, manifest_journal.hpp), the chunk
// files beside it, and the export's run state kept in the manifest (a RunStore). Shared by the
// endpoint, its write sessions and its run store; every change goes through Update (the whole
// manifest written: a run started, claimed or finished, the export's schema and sequences kept)
// or Journal, ChangeTable, CommitUnit (one entry appended), under one mutex.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "copier/change_tracking.hpp"
#include "copier/run_state.hpp"
#include "copier/wait.hpp"
#include "drivers/files/manifest.hpp"
#include "drivers/files/manifest_journal.hpp"

namespace ferry::staging {

// Bytes kept free on the staging disk: a chunk is refused before the disk is this full, so
// the journal and the manifest (rewritten as the journal grows) always have room.
inline constexpr uint64_t kReserveBytes = uint64_t(16) << 20;

class Directory {
 public:
  // Reads the manifest when there is one. Without `create`, a missing folder is Error(kNotFound);
  // with it, the folder is made by Prepare, on the first write.
  Directory(std::string path, bool create);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

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
  // What `read` returns of the manifest as it is, looked at under the directory's lock with no
  // copy (a run store's question is of a few records of a manifest of every unit); `read` must
  // not call back into the directory.
  template <class Read>
  auto With(Read&& read) const {
    std::lock_guard lock(mutex_);
    return read(static_cast<const Manifest&>(manifest_));
  }
  // What `read` returns of `table`'s entry (nullptr: none), looked up by name under the
  // directory's lock with no copy (an export's destination is asked per table).
  template <class Read>
  auto WithTable(const TableName& table, Read&& read) const {
    std::lock_guard lock(mutex_);
    const std::optional<size_t> at = tables_.Find(table);
    return read(at ? static_cast<const TableEntry*>(&manifest_.tables[*at]) : nullptr);
  }
  // Where `table` stands in the manifest's tables, without copying the manifest (a write session
  // asks at every unit: a copy each would cost O(units^2) in all).
  std::optional<size_t> TableIndex(const TableName& table) const;
  // Applies `change` to the manifest and writes it (atomically); files `change` names in
  // `remove` are deleted once the new manifest is on disk.
  void Update(const std::function<void(Manifest&, std::vector<std::string>& remove)>& change);
  // Applies `entry` and appends it to the journal (fsynced before it returns); the chunk files
  // of a unit entry it replaces are deleted after.
  void Journal(const JournalEntry& entry);
  // As Journal, with the entry `make` makes of the manifest as it is (under the directory's
  // lock); nothing when it makes none (the manifest holds the change already).
  void Journal(const std::function<std::optional<JournalEntry>(const Manifest&)>& make);
  // A table event (created, an index or foreign key added, identity counters set, emptied,
  // dropped), journaled as one table_entry record, not a rewrite of the manifest: an export's
  // table events then cost each table's shape, not the whole manifest (every unit) each.
  // `change` is given the table's entry without its units (nullopt when the manifest has no such
  // table), edits it (nullopt: drop the table) and says whether it changed anything; with
  // `clear_units` the table's units go and their chunk files are deleted after.
  void ChangeTable(const TableName& table,
                   const std::function<bool(std::optional<TableEntry>& entry)>& change,
                   bool clear_units = false);

  // A new chunk file's path for a unit of table `table` (its index in the manifest).
  std::string NewChunkPath(size_t table, int part, int chunk);
  // Removes temporary files, and chunk and large-object files no manifest entry names (a unit or
  // a batch of objects written but not committed when a process died). Called with the run lock
  // held.
  void RemoveStrays();
  // Throws Error(kDiskFull) when the disk holding the directory has less than `needed` bytes
  // beyond the reserve.
  void CheckFreeSpace(uint64_t needed) const;

  // --max-disk: how many bytes the directory's files may take (0: no limit). Claim adds `bytes`
  // a chunk or large-object file being written is about to take; Release gives a writer's
  // claims back once its files are committed (counted in the manifest) or removed. Files an
  // import took away (drivers/files/imported.hpp) count as free. When the files would take more,
  // Claim waits (pacing its looks with `wait`, saying so through `notice`) for an import to take
  // some away, and throws Error(kDiskFull) when none is taken for `patience` seconds, when taking
  // every committed chunk away would not make room (the chunks being written alone are too large),
  // or at once without a wait policy.
  void set_max_bytes(uint64_t max) { max_bytes_ = max; }
  void set_drain_wait(WaitPolicy wait, double patience,
                      std::function<void(const std::string&)> notice) {
    wait_ = std::move(wait);
    patience_ = patience;
    notice_ = std::move(notice);
  }
  void Claim(uint64_t bytes);
  void Release(uint64_t bytes);

  // A unit's chunks committed, with its run-state "done" marks (RunStore::UnitDoneSql), in one
  // journal entry. Throws Error(kBusy) when the run was taken over by another process.
  void CommitUnit(const TableName& table, UnitEntry unit, const std::vector<std::string>& marks);

 private:
  // Writes the whole manifest, naming a new journal, and removes the old one.
  void Save();
  void Append(const JournalEntry& entry, std::vector<std::string>& replaced);
  void RemoveFiles(const std::vector<std::string>& files) const;  // relative to the directory
  std::string path_;
  mutable std::mutex mutex_;
  Manifest manifest_;
  TableLookup tables_;  // manifest_'s, kept up to date with it
  bool has_manifest_ = false;
  uint32_t nonce_;
  int next_chunk_ = 0;
  uint64_t max_bytes_ = 0;
  // With the mutex held: the bytes the directory's files take, and what to say when a claim of
  // `bytes` does not fit.
  uint64_t UsedBytes() const;
  void RefreshRemoved();
  std::string OverLimit(uint64_t bytes, const std::string& why) const;
  uint64_t manifest_bytes_ = 0;
  int journal_fd_ = -1;  // open in this process once it changed the directory
  uint64_t journal_bytes_ = 0;
  uint64_t chunk_bytes_ = 0;    // the manifest's chunks and large-object files
  uint64_t removed_bytes_ = 0;  // those of them an import took away
  uint64_t removed_files_ = 0;
  uint64_t claimed_bytes_ = 0;  // chunks being written
  WaitPolicy wait_;
  double patience_ = 0;
  std::function<void(const std::string&)> notice_;
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
