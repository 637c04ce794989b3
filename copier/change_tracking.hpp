// Incremental sync's view of the two ends. At the source, a ChangeTracker keeps a change log per
// table (the keys of changed rows, each with a sequence number that only grows), filled by
// triggers; at the destination, a SyncStateStore remembers per table how far a sync got (the
// last applied sequence, or the high-water mark of a watermark column), written by statements
// that commit in the same transaction as the changes they account for. drivers/ implements
// both, per engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"

namespace ferry {

struct TrackStatus {
  bool enabled = false;
  TableName log;        // the change-log table
  int64_t backlog = 0;  // log entries (not yet purged)
  int64_t last_sequence = 0;
};

// A key changed in one stretch of a change log, with the first and last operation logged for
// it there ('I', 'U' or 'D'): the first says whether its row existed before the stretch (not
// after an 'I'), the last whether it exists after it (not after a 'D').
struct ChangedKey {
  std::vector<std::string> key;  // canonical text, the table's RowKey order
  char first = 'U';
  char last = 'U';
};

// The keys changed in one stretch of a table's change log, each key once, sorted.
struct ChangeBatch {
  int64_t last_sequence = 0;  // the highest sequence read; the next read starts after it
  int64_t entries = 0;        // log entries read (a key changed twice counts twice)
  std::vector<ChangedKey> keys;
};

class ChangeTracker {
 public:
  virtual ~ChangeTracker() = default;

  virtual TrackStatus Status(const Table& table) = 0;
  // Whether the table is tracked: Status without counting the backlog.
  virtual bool Enabled(const Table& table) = 0;
  // Creates the change log and its triggers in one step (where the engine's DDL is
  // transactional) and does nothing when they exist. Throws Error(kSchema) for a table
  // without a row key.
  virtual void Enable(const Table& table) = 0;
  // Drops the triggers, their function and the change log; nothing of ferry's stays.
  virtual void Disable(const Table& table) = 0;
  // The sequence up to which every change-log entry is committed: later readers never see an
  // entry at or below it appear (a writer still in flight took a lower number than one already
  // committed). Waits briefly for such writers.
  virtual int64_t StableSequence(const Table& table) = 0;
  // Entries after `after` up to `upto`, in sequence order, at most `limit` of them and no more
  // than about `max_key_bytes` of key text (at least one entry), which bounds the statements
  // that name the keys again.
  virtual ChangeBatch Changes(const Table& table, int64_t after, int64_t upto, size_t limit,
                              size_t max_key_bytes) = 0;
  // Forgets entries below `applied` (they are at the destination). The entry at `applied`
  // stays, so an engine that numbers from the largest row never hands out a used number.
  virtual void Purge(const Table& table, int64_t applied) = 0;
  // Whether the source refuses writes from new sessions now (a read-only database or server, a
  // standby); nullopt where the engine cannot tell (SQLite).
  virtual std::optional<bool> RefusesWrites() = 0;
  // Makes the source refuse writes where the engine allows it (ending the sessions that could
  // still write, this tracker's own included: open a new endpoint afterwards) and returns how to
  // undo it. Throws Error(kUsage) where the engine has no such switch.
  virtual std::string Fence() = 0;
  // The largest value of `column` as canonical text (nullopt for an empty table): a watermark.
  virtual std::optional<std::string> MaxValue(const Table& table, int column) = 0;
};

struct SyncPosition {
  std::string mode;      // "tracked" or "watermark"
  std::string position;  // the applied sequence, or the high-water mark (canonical text)
};

class SyncStateStore {
 public:
  virtual ~SyncStateStore() = default;
  // Creates the state table when it is missing.
  virtual void Prepare() = 0;
  virtual std::optional<SyncPosition> Get(const TableName& destination) = 0;
  // Statements recording `position` for `destination`, to run inside the unit's transaction.
  virtual std::vector<std::string> SetSql(const TableName& destination,
                                          const SyncPosition& position) = 0;
  virtual void Forget(const TableName& destination) = 0;
};

}  // namespace ferry
