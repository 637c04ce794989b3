// A staging directory as the destination `ferry run` registers with a tracked source's change
// logs (scheduler RegisterCopyWithChangeLogs): the export is the log's consumer until an
// imported destination's first sync takes over, and the manifest keeps where it registered,
// for the import to carry. Nothing is ever synced into a directory.
#include <algorithm>
#include <functional>

#include "copier/change_tracking.hpp"
#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/files/staging_dir.hpp"
#include "drivers/run_store.hpp"

namespace ferry::staging {

namespace {

[[noreturn]] void NotSynced() {
  throw Error(ErrorCode::kUsage,
              "a staging directory is not synced into: import it into a database, then run "
              "`ferry sync` from the source into that database");
}

class ExportSyncState final : public SyncStateStore {
 public:
  explicit ExportSyncState(std::shared_ptr<Directory> directory) : dir_(std::move(directory)) {}

  void Prepare() override {}
  std::optional<SyncPosition> Get(const TableName&) override { return std::nullopt; }
  std::vector<std::string> SetSql(const TableName&, const SyncPosition&) override { NotSynced(); }
  void Forget(const TableName&) override { NotSynced(); }
  void SetShape(const TableName&, const std::string&) override { NotSynced(); }
  void Set(const TableName&, const SyncPosition&) override { NotSynced(); }
  void AddColumn(const Table&, size_t) override { NotSynced(); }
  void DropColumn(const TableName&, const std::string&) override { NotSynced(); }

  // Made once per directory and kept in its manifest, so a resumed export registers as the
  // same consumer (and keeps the position its first attempt registered at).
  std::string Identity() override {
    std::string id;
    Locked([&](Manifest& m) {
      if (m.log_consumer.empty()) m.log_consumer = "export-" + NewOwnerToken().substr(0, 16);
      id = m.log_consumer;
    });
    return id;
  }

  // One journal entry a table: a source with thousands of tracked tables registers each.
  void RecordRegistration(const TableName& source, const LogConsumer& registered) override {
    TakeLock();
    JournalEntry entry;
    entry.kind = JournalEntry::Kind::kChangeLog;
    entry.position = {source, registered.generation, registered.applied};
    dir_->Journal(entry);
  }

 private:
  void Locked(const std::function<void(Manifest&)>& change) {
    const bool held = lock_ != nullptr;
    TakeLock();
    dir_->Update([&](Manifest& m, std::vector<std::string>&) { change(m); });
    if (!held) lock_.reset();
  }

  // Registration comes before the run takes the directory's lock: the manifest is changed under
  // that lock, read once as the last writer left it, and the lock kept until the registrations
  // are done (this store is dropped before the run begins).
  void TakeLock() {
    if (lock_) return;
    dir_->Prepare();
    lock_ = TryFileLock(dir_->LockPath());
    if (!lock_) {
      throw Error(ErrorCode::kBusy, "another ferry process is exporting into " + dir_->path() +
                                        " (it holds " + dir_->LockPath() + ")");
    }
    dir_->Reload();
  }

  std::shared_ptr<Directory> dir_;
  std::unique_ptr<ScopeLock> lock_;
};

}  // namespace

std::unique_ptr<SyncStateStore> MakeExportSyncState(std::shared_ptr<Directory> directory) {
  return std::make_unique<ExportSyncState>(std::move(directory));
}

}  // namespace ferry::staging
