#include "drivers/files/staging_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "copier/error.hpp"
#include "drivers/files/disk.hpp"
#include "drivers/files/imported.hpp"
#include "drivers/files/manifest_journal.hpp"
#include "drivers/run_store.hpp"

namespace ferry::staging {

namespace fs = std::filesystem;

namespace {

// A unit's "done" mark as the run store hands it to the writer's commit (RunStore::UnitDoneSql):
// not SQL, a line this file alone reads.
constexpr const char* kDoneMark = "ferry-staging-unit-done";

struct DoneMark {
  std::string run, token;
  int table = 0, part = 0, attempts = 0;
  int64_t rows = 0, bytes = 0;
};

std::string FormatMark(const DoneMark& m) {
  return fmt::format("{} {} {} {} {} {} {} {}", kDoneMark, m.run, m.table, m.part, m.rows, m.bytes,
                     m.attempts, m.token.empty() ? "-" : m.token);
}

std::optional<DoneMark> ParseMark(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  DoneMark m;
  if (!(in >> word) || word != kDoneMark) return std::nullopt;
  if (!(in >> m.run >> m.table >> m.part >> m.rows >> m.bytes >> m.attempts >> m.token)) {
    return std::nullopt;
  }
  if (m.token == "-") m.token.clear();
  return m;
}

constexpr const char* kAliveMark = ".ferry.exporting";

// The run lock, and the liveness mark beside it (ExportRunning) for as long as it is held.
class DirectoryLock final : public ScopeLock {
 public:
  DirectoryLock(std::unique_ptr<ScopeLock> lock, const std::string& folder)
      : lock_(std::move(lock)) {
    fd_ = open((folder + "/" + kAliveMark).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock mark {};
    mark.l_type = F_WRLCK;
    mark.l_whence = SEEK_SET;
    // Without the mark, an import following this export stops sooner than it should; the
    // export itself is fine, so a failure here is not one of the export's.
    if (fd_ >= 0 && fcntl(fd_, F_OFD_SETLK, &mark) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~DirectoryLock() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  std::unique_ptr<ScopeLock> lock_;
  int fd_ = -1;
};

uint64_t ChunkBytes(const UnitEntry& u) {
  uint64_t bytes = 0;
  for (const ChunkEntry& c : u.chunks) bytes += c.bytes;
  return bytes;
}

// The bytes of the manifest's chunk files and large-object files.
uint64_t ChunkBytes(const Manifest& m) {
  uint64_t bytes = 0;
  for (const TableEntry& t : m.tables) {
    for (const UnitEntry& u : t.units) bytes += ChunkBytes(u);
  }
  if (m.large_objects) {
    for (const LargeObjectEntry& o : *m.large_objects) bytes += uint64_t(o.file_bytes);
  }
  return bytes;
}

}  // namespace

Directory::Directory(std::string path, bool create) : path_(std::move(path)) {
  while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
  std::random_device random;
  nonce_ = random();
  // A directory to export into is made by the first write (Prepare), so `ferry check` and
  // `ferry plan` leave no folder behind.
  if (!create && !fs::is_directory(path_)) {
    throw Error(ErrorCode::kNotFound, fmt::format("staging directory {} does not exist", path_));
  }
  Reload();
}

void Directory::Prepare() {
  std::error_code ec;
  fs::create_directories(path_ + "/" + kChunkFolder, ec);
  if (ec) ThrowIo("cannot create the staging directory", path_, ec.value());
}

std::string Directory::ExistingFolder() const {
  fs::path at = fs::absolute(path_);
  std::error_code ec;
  while (!fs::is_directory(at, ec) && at.has_parent_path() && at.parent_path() != at) {
    at = at.parent_path();
  }
  return at.string();
}

Directory::~Directory() {
  if (journal_fd_ >= 0) close(journal_fd_);
}

void Directory::Reload() {
  std::lock_guard lock(mutex_);
  uint64_t bytes = 0;
  std::optional<Manifest> loaded = LoadManifest(path_, true, &bytes);
  if (!loaded) return;
  manifest_ = std::move(*loaded);
  tables_.Rebuild(manifest_);
  has_manifest_ = true;
  manifest_bytes_ = bytes;
  chunk_bytes_ = ChunkBytes(manifest_);
  // Another process may have appended to the journal since this one opened it: the next change
  // begins a journal of its own (Save).
  if (journal_fd_ >= 0) close(journal_fd_);
  journal_fd_ = -1;
  journal_bytes_ = 0;
  if (max_bytes_ > 0) RefreshRemoved();
}

bool Directory::has_manifest() const {
  std::lock_guard lock(mutex_);
  return has_manifest_;
}

Manifest Directory::Copy() const {
  std::lock_guard lock(mutex_);
  return manifest_;
}

std::optional<size_t> Directory::TableIndex(const TableName& table) const {
  std::lock_guard lock(mutex_);
  return tables_.Find(table);
}

void Directory::Save() {
  if (manifest_.created_at.empty()) manifest_.created_at = UtcTimestamp();
  Prepare();
  // The new manifest names a new, empty journal, made before it (the manifest's rename fsyncs
  // the folder, and with it the journal's name); a complete directory has none: nothing follows.
  const std::string old_journal = manifest_.journal;
  const std::string journal = manifest_.status == "complete" ? "" : NewJournalName();
  int fd = -1;
  if (!journal.empty()) {
    fd = open((path_ + "/" + journal).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
              0644);
    if (fd < 0) ThrowIo("cannot create", path_ + "/" + journal, errno);
  }
  manifest_.journal = journal;
  std::string text;
  try {
    text = ManifestToJson(manifest_);
    WriteFileAtomically(ManifestPath(), text);
  } catch (...) {
    manifest_.journal = old_journal;
    if (fd >= 0) {
      close(fd);
      unlink((path_ + "/" + journal).c_str());
    }
    throw;
  }
  if (journal_fd_ >= 0) close(journal_fd_);
  journal_fd_ = fd;
  journal_bytes_ = 0;
  if (!old_journal.empty()) {
    std::error_code ec;
    fs::remove(path_ + "/" + old_journal, ec);  // its entries are in the manifest now
  }
  has_manifest_ = true;
  manifest_bytes_ = text.size();
  chunk_bytes_ = ChunkBytes(manifest_);
}

void Directory::Append(const JournalEntry& entry, std::vector<std::string>& replaced) {
  if (manifest_.status == "complete") {
    // A complete directory keeps no journal (readers of a finished export read the manifest
    // alone): the manifest is written whole.
    Manifest before = manifest_;
    try {
      ApplyJournalEntry(manifest_, entry, &replaced, &tables_);
      Save();
    } catch (...) {
      manifest_ = std::move(before);
      tables_.Rebuild(manifest_);
      replaced.clear();
      throw;
    }
    return;
  }
  if (journal_fd_ < 0) Save();  // the first change of this process: a journal of its own
  const std::string path = path_ + "/" + manifest_.journal;
  const std::string line = JournalLine(entry);
  try {
    WriteAll(journal_fd_, line, path);
    if (fdatasync(journal_fd_) != 0) ThrowIo("cannot flush", path, errno);
  } catch (...) {
    // What was written of the line must not stand before the next entry: it goes, and the next
    // change begins a new journal whatever happens to it.
    if (ftruncate(journal_fd_, off_t(journal_bytes_)) != 0) {
      // The reader leaves out a last line cut short, and nothing follows it in this journal.
    }
    close(journal_fd_);
    journal_fd_ = -1;
    throw;
  }
  journal_bytes_ += line.size();
  if (entry.kind == JournalEntry::Kind::kUnit) {
    if (std::optional<size_t> t = tables_.Find(entry.table)) {
      if (const UnitEntry* u = manifest_.tables[*t].FindUnit(entry.unit.part)) {
        chunk_bytes_ -= std::min(chunk_bytes_, ChunkBytes(*u));
      }
    }
    chunk_bytes_ += ChunkBytes(entry.unit);
  }
  ApplyJournalEntry(manifest_, entry, &replaced, &tables_);
  if ((entry.kind == JournalEntry::Kind::kTableEntry && !replaced.empty()) ||
      entry.kind == JournalEntry::Kind::kLargeObjects) {
    chunk_bytes_ = ChunkBytes(manifest_);  // a table emptied or dropped, a batch of objects
  }
  // Folded once the journal is as large as the manifest: the rewrites then cost about twice the
  // last manifest in all. The entry is durable already; a fold that fails is tried again at the
  // next entry.
  if (journal_bytes_ >= manifest_bytes_) {
    try {
      Save();
    } catch (const std::exception&) {
    }
  }
}

void Directory::Journal(const JournalEntry& entry) {
  std::vector<std::string> replaced;
  {
    std::lock_guard lock(mutex_);
    Append(entry, replaced);
  }
  RemoveFiles(replaced);
}

void Directory::Journal(const std::function<std::optional<JournalEntry>(const Manifest&)>& make) {
  std::vector<std::string> replaced;
  {
    std::lock_guard lock(mutex_);
    std::optional<JournalEntry> entry = make(manifest_);
    if (!entry) return;
    Append(*entry, replaced);
  }
  RemoveFiles(replaced);
}

void Directory::ChangeTable(const TableName& table,
                            const std::function<bool(std::optional<TableEntry>& entry)>& change,
                            bool clear_units) {
  std::vector<std::string> replaced;
  {
    std::lock_guard lock(mutex_);
    JournalEntry entry;
    entry.kind = JournalEntry::Kind::kTableEntry;
    entry.table = table;
    entry.clear_units = clear_units;
    if (std::optional<size_t> at = tables_.Find(table)) {
      const TableEntry& t = manifest_.tables[*at];
      entry.entry = TableEntry{t.shape, t.forms, t.identity, t.default_rows, {}};
    }
    if (!change(entry.entry)) return;
    Append(entry, replaced);
  }
  RemoveFiles(replaced);
}

void Directory::RemoveFiles(const std::vector<std::string>& files) const {
  for (const std::string& file : files) {
    std::error_code ec;
    fs::remove(path_ + "/" + file, ec);
  }
}

uint64_t Directory::UsedBytes() const {
  return manifest_bytes_ + journal_bytes_ + chunk_bytes_ - std::min(removed_bytes_, chunk_bytes_) +
         claimed_bytes_;
}

void Directory::RefreshRemoved() {
  const std::set<std::string> removed = RemovedChunkNames(path_);
  removed_bytes_ = 0;
  removed_files_ = removed.size();
  for (const TableEntry& t : manifest_.tables) {
    for (const UnitEntry& u : t.units) {
      for (const ChunkEntry& c : u.chunks) {
        if (removed.count(c.file)) removed_bytes_ += c.bytes;
      }
    }
  }
  if (!manifest_.large_objects) return;
  for (const LargeObjectEntry& o : *manifest_.large_objects) {
    if (removed.count(o.file)) removed_bytes_ += uint64_t(o.file_bytes);
  }
}

std::string Directory::OverLimit(uint64_t bytes, const std::string& why) const {
  auto size = [](uint64_t n) {
    return n < (uint64_t(1) << 20) ? fmt::format("{:.1f} KiB", double(n) / 1024)
                                   : fmt::format("{:.1f} MiB", double(n) / (1 << 20));
  };
  return fmt::format(
      "the staging directory {} reached --max-disk {}: its files take {}, the "
      "next block needs {}; {}",
      path_, size(max_bytes_), size(UsedBytes()), size(bytes), why);
}

void Directory::Claim(uint64_t bytes) {
  if (max_bytes_ == 0) return;
  const std::string resume =
      "then run the same command with --resume (the units written so far are kept)";
  std::unique_ptr<Wait> wait;
  for (;;) {
    uint64_t removed_files = 0;
    {
      std::lock_guard lock(mutex_);
      if (UsedBytes() + bytes > max_bytes_) RefreshRemoved();
      if (UsedBytes() + bytes <= max_bytes_) {
        claimed_bytes_ += bytes;
        if (wait && notice_) {
          notice_(
              fmt::format("the staging directory {} has room again: the export goes on "
                          "after {:.1f} s at --max-disk",
                          path_, wait->Waited()));
        }
        return;
      }
      // What no import can take away: the manifest and the chunks being written.
      const uint64_t kept = UsedBytes() - (chunk_bytes_ - std::min(removed_bytes_, chunk_bytes_));
      if (kept + bytes > max_bytes_) {
        throw Error(ErrorCode::kDiskFull,
                    OverLimit(bytes,
                              "the units being written alone take more, so no import "
                              "can make room: raise --max-disk (or give fewer --writers "
                              "or a smaller --batch-bytes), " +
                                  resume));
      }
      if (!wait_) {
        throw Error(ErrorCode::kDiskFull,
                    OverLimit(bytes,
                              "raise --max-disk (or ship what is there to a larger "
                              "disk), " +
                                  resume));
      }
      removed_files = removed_files_;
    }
    if (!wait) {
      wait = wait_(patience_);
      if (notice_) {
        std::lock_guard lock(mutex_);
        notice_(OverLimit(bytes, fmt::format("the export waits for an import to take files "
                                             "away (`ferry run --source dir:{} --dest ... "
                                             "--remove-imported`), at most {:.0f} s without one",
                                             path_, patience_)));
      }
    }
    if (!wait->Next(removed_files)) {
      std::lock_guard lock(mutex_);
      throw Error(ErrorCode::kDiskFull,
                  OverLimit(bytes, fmt::format("no import took files away for {:.0f} s "
                                               "(--max-disk-wait; an import removes them with "
                                               "--remove-imported): start one, or raise "
                                               "--max-disk, {}",
                                               patience_, resume)));
    }
  }
}

void Directory::Release(uint64_t bytes) {
  if (max_bytes_ == 0) return;
  std::lock_guard lock(mutex_);
  claimed_bytes_ -= std::min(bytes, claimed_bytes_);
}

void Directory::Update(
    const std::function<void(Manifest&, std::vector<std::string>& remove)>& change) {
  std::vector<std::string> remove;
  {
    std::lock_guard lock(mutex_);
    Manifest before = manifest_;
    try {
      change(manifest_, remove);
      tables_.Rebuild(manifest_);
      Save();
    } catch (...) {
      manifest_ = std::move(before);
      tables_.Rebuild(manifest_);
      throw;
    }
  }
  RemoveFiles(remove);
}

std::string Directory::NewChunkPath(size_t table, int part, int chunk) {
  std::lock_guard lock(mutex_);
  return fmt::format("{}/{}/t{:04}-u{:05}-c{:03}-{:08x}{:04x}.fch", path_, kChunkFolder, table,
                     part, chunk, nonce_, next_chunk_++ & 0xffff);
}

void Directory::RemoveStrays() {
  std::set<std::string> named;
  std::string journal;
  {
    std::lock_guard lock(mutex_);
    journal = manifest_.journal;
    for (const TableEntry& t : manifest_.tables) {
      for (const UnitEntry& u : t.units) {
        for (const ChunkEntry& c : u.chunks) named.insert(c.file);
      }
    }
    // Large objects written but not committed when a process died.
    if (manifest_.large_objects) {
      for (const LargeObjectEntry& o : *manifest_.large_objects) named.insert(o.file);
    }
  }
  std::error_code ec;
  for (const char* folder : {kChunkFolder, kLargeObjectFolder}) {
    for (const auto& entry : fs::directory_iterator(path_ + "/" + folder, ec)) {
      const std::string name = entry.path().filename().string();
      if (IsTempName(name) || !named.count(std::string(folder) + "/" + name)) {
        fs::remove(entry.path(), ec);
      }
    }
  }
  for (const auto& entry : fs::directory_iterator(path_, ec)) {
    const std::string name = entry.path().filename().string();
    // A journal no manifest names: one made for a manifest whose rename never happened, or one
    // whose removal after a fold never happened.
    if (IsTempName(name) || (IsJournalName(name) && name != journal)) fs::remove(entry.path(), ec);
  }
}

void Directory::CheckFreeSpace(uint64_t needed) const {
  const uint64_t free = FreeBytes(ExistingFolder());
  if (free < needed + kReserveBytes) {
    throw Error(ErrorCode::kDiskFull,
                fmt::format("the staging disk of {} is full: {:.1f} MiB free, the next block "
                            "needs {:.1f} MiB and ferry keeps {} MiB in reserve; free space (or "
                            "give the directory more), then run the same command with --resume",
                            path_, double(free) / (1 << 20), double(needed) / (1 << 20),
                            kReserveBytes >> 20));
  }
}

void Directory::CommitUnit(const TableName& table, UnitEntry unit,
                           const std::vector<std::string>& marks) {
  JournalEntry entry;
  entry.table = table;
  std::vector<std::string> replaced;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& text : marks) {
      std::optional<DoneMark> mark = ParseMark(text);
      if (!mark) continue;
      unit.run = mark->run;
      auto run = std::find_if(manifest_.runs.begin(), manifest_.runs.end(),
                              [&](const RunRecord& r) { return r.id == mark->run; });
      if (run == manifest_.runs.end() ||
          (!mark->token.empty() && run->owner_token != mark->token)) {
        Diagnostic d{kRunTakenOver, 0, "run taken over"};
        throw Error(ErrorCode::kBusy,
                    fmt::format("ferry: run {} is no longer owned by this process (another ferry "
                                "process resumed it); this process stops without committing more",
                                mark->run),
                    ErrorContext{}, {d});
      }
      if (auto units = manifest_.run_units.find(mark->run); units != manifest_.run_units.end()) {
        const UnitRecord* u = FindUnitRecord(units->second, mark->table, mark->part);
        if (u && u->state == UnitRecordState::kDone) {
          throw Error(ErrorCode::kInternal, fmt::format("unit {} of table {} is already done",
                                                        mark->part + 1, mark->table + 1));
        }
      }
      entry.done.push_back(
          {mark->run, mark->table, mark->part, mark->attempts, mark->rows, mark->bytes});
    }
    if (!tables_.Find(table)) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("{} is not in the staging directory's manifest", DisplayName(table)));
    }
    entry.unit = std::move(unit);
    Append(entry, replaced);
  }
  RemoveFiles(replaced);
}

namespace {

template <class Record>
std::vector<Record> RecordsOf(const std::map<std::string, std::vector<Record>>& by_run,
                              const std::string& run) {
  auto it = by_run.find(run);
  return it == by_run.end() ? std::vector<Record>{} : it->second;
}

class FileRunStore final : public RunStore {
 public:
  explicit FileRunStore(std::shared_ptr<Directory> directory) : dir_(std::move(directory)) {}

  void Prepare() override {}

  std::unique_ptr<ScopeLock> TryLock() override {
    dir_->Prepare();
    auto lock = TryFileLock(dir_->LockPath());
    if (!lock) return nullptr;
    dir_->Reload();  // as the last writer left it
    dir_->RemoveStrays();
    return std::make_unique<DirectoryLock>(std::move(lock), dir_->path());
  }

  void StartRun(const RunRecord& run, const std::vector<TableRecord>& tables,
                const std::vector<UnitRecord>& units) override {
    {
      std::lock_guard lock(mutex_);
      owned_run_ = run.id;
      token_ = run.owner_token;
    }
    dir_->Update([&](Manifest& m, std::vector<std::string>&) {
      m.status = "exporting";
      m.source = run.source;
      for (const RunRecord& r : m.runs) {
        if (r.id == run.id) return;
      }
      m.runs.push_back(run);
      m.run_tables[run.id] = tables;
      m.run_units[run.id] = units;
    });
  }

  void ClaimRun(const RunRecord& run) override {
    {
      std::lock_guard lock(mutex_);
      owned_run_ = run.id;
      token_ = run.owner_token;
    }
    WithRun(run.id, [&](RunRecord& r) {
      r.owner_token = run.owner_token;
      r.host = run.host;
      r.pid = run.pid;
      r.status = RunStatus::kRunning;
    });
  }

  void FinishRun(const std::string& run, RunStatus status, const std::string& summary) override {
    dir_->Update([&](Manifest& m, std::vector<std::string>&) {
      for (RunRecord& r : m.runs) {
        if (r.id != run) continue;
        r.status = status;
        r.summary = summary;
        r.finished_at = UtcTimestamp();
      }
      // The directory is complete when its newest export ended well.
      if (!m.runs.empty() && m.runs.back().id == run) {
        m.status = status == RunStatus::kDone ? "complete" : "exporting";
        m.finished_at = status == RunStatus::kDone ? UtcTimestamp() : "";
      }
    });
  }

  void UpdateTable(const std::string& run, const TableRecord& table) override {
    JournalEntry entry;
    entry.kind = JournalEntry::Kind::kTable;
    entry.run = run;
    entry.record = table;
    dir_->Journal(entry);
  }

  // Journaled, as a unit's commit is: an export whose units fail (and are reset by a resume)
  // must not rewrite a manifest of every unit each time.
  void FailUnit(const std::string& run, int table, int part, int attempts,
                const std::string& error) override {
    JournalEntry entry;
    entry.kind = JournalEntry::Kind::kUnitFailed;
    entry.run = run;
    entry.failed = {run, table, part, attempts, 0, 0};
    entry.error = error;
    dir_->Journal(entry);
  }

  void ResetUnits(const std::string& run, int table) override {
    JournalEntry entry;
    entry.kind = JournalEntry::Kind::kUnitsReset;
    entry.run = run;
    entry.failed = {run, table, 0, 0, 0, 0};
    dir_->Journal(entry);
  }

  std::vector<std::string> UnitDoneSql(const std::string& run, int table, int part, int64_t rows,
                                       int64_t bytes, int attempts,
                                       const UnitTiming& = {}) override {
    std::lock_guard lock(mutex_);
    return {FormatMark({run, run == owned_run_ ? token_ : "", table, part, attempts, rows, bytes})};
  }

  bool UnitCommitted(const std::string& run, int table, int part) override {
    return dir_->With([&](const Manifest& m) {
      auto units = m.run_units.find(run);
      if (units == m.run_units.end()) return false;
      const UnitRecord* u = FindUnitRecord(units->second, table, part);
      return u && u->state == UnitRecordState::kDone;
    });
  }

  int EndSessionsOf(const std::string&, int64_t) override { return 0; }

  // Only the records asked for are copied, not the manifest (every unit's chunks).
  std::vector<RunRecord> Runs() override {
    return dir_->With(
        [](const Manifest& m) { return std::vector<RunRecord>(m.runs.rbegin(), m.runs.rend()); });
  }
  std::vector<TableRecord> Tables(const std::string& run) override {
    return dir_->With([&](const Manifest& m) { return RecordsOf(m.run_tables, run); });
  }
  std::vector<UnitRecord> Units(const std::string& run) override {
    return dir_->With([&](const Manifest& m) { return RecordsOf(m.run_units, run); });
  }
  void DeleteRun(const std::string& run) override {
    dir_->Update([&](Manifest& m, std::vector<std::string>&) {
      std::erase_if(m.runs, [&](const RunRecord& r) { return r.id == run; });
      m.run_tables.erase(run);
      m.run_units.erase(run);
    });
  }

 private:
  void WithRun(const std::string& run, const std::function<void(RunRecord&)>& fn) {
    dir_->Update([&](Manifest& m, std::vector<std::string>&) {
      for (RunRecord& r : m.runs) {
        if (r.id == run) fn(r);
      }
    });
  }

  std::shared_ptr<Directory> dir_;
  std::mutex mutex_;
  std::string owned_run_, token_;
};

}  // namespace

std::unique_ptr<RunStore> MakeFileRunStore(std::shared_ptr<Directory> directory) {
  return std::make_unique<FileRunStore>(std::move(directory));
}

bool ExportRunning(const std::string& folder) {
  const int fd = open((folder + "/" + kAliveMark).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no process ever took the lock
  struct flock probe {};
  probe.l_type = F_RDLCK;
  probe.l_whence = SEEK_SET;
  const int rc = fcntl(fd, F_OFD_GETLK, &probe);
  close(fd);
  return rc == 0 && probe.l_type != F_UNLCK;
}

}  // namespace ferry::staging
