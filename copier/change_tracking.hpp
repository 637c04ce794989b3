// Incremental sync's view of the two ends. At the source, a ChangeTracker keeps a change log per
// table (the keys of changed rows, each with a sequence number that only grows), filled by
// triggers, with a generation (new each time tracking is enabled) and the destinations that
// consume the log (each with the sequence it applied: the log is purged only below what every
// one of them applied); at the destination, a SyncStateStore remembers per table how far a sync
// got (the generation and last applied sequence, or the high-water mark of a watermark column),
// written by statements that commit in the same transaction as the changes they account for.
// drivers/ implements both, per engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/log_gaps.hpp"

namespace ferry {

// A destination registered with a table's change log.
struct LogConsumer {
  std::string id;           // the destination's stable identity (kept in its sync state)
  std::string destination;  // for people: the destination (without secrets) and its table
  int64_t generation = 0;   // of the tracking it applied from
  int64_t applied = 0;      // every entry up to it is at the destination
  std::string updated_at;   // its last sync
};

// Which tracking a change log belongs to: a new generation each time tracking is enabled, so a
// log enabled again (whose entries from the time it was off are missing) is never mistaken for
// the one a destination applied from. Entries below `purged_below` are gone.
struct TrackGeneration {
  int64_t generation = 0;
  int64_t purged_below = 0;
};

struct TrackStatus {
  bool enabled = false;
  TableName log;        // the change-log table
  int64_t backlog = 0;  // log entries (not yet purged)
  int64_t last_sequence = 0;
  TrackGeneration generation;
  std::vector<LogConsumer> consumers;
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
  // How far a sync that applied up to `after` may read now without waiting for writers in
  // flight, and the gaps above `after` it leaves pending (copier/log_gaps.hpp). Where the engine
  // waits for writers instead (or cannot see other sessions' transactions): StableSequence, no
  // gaps.
  virtual LogHorizon Horizon(const Table& table, int64_t /*after*/) {
    return {StableSequence(table), {}};
  }
  // Which of `writers` (LogGap::writers) are still open.
  virtual std::vector<std::string> OpenWriters(const std::vector<std::string>& /*writers*/) {
    return {};
  }
  // Entries after `after` up to `upto`, in sequence order, at most `limit` of them and no more
  // than about `max_key_bytes` of key text (at least one entry), which bounds the statements
  // that name the keys again.
  virtual ChangeBatch Changes(const Table& table, int64_t after, int64_t upto, size_t limit,
                              size_t max_key_bytes) = 0;
  // The table's tracking generation (tracking must be enabled).
  virtual TrackGeneration Generation(const Table& table) = 0;
  // Registers `consumer` (its id, generation and applied sequence) unless its generation is not
  // the current one or entries it still needs (above its applied sequence) were purged; false
  // then. Serialised with Purge, so no purge can slip between the check and the registration.
  // With `keep`, a registration of the current generation stays as it is (a copy registering
  // again never moves a consumer past what an earlier attempt of it needs).
  virtual bool Join(const Table& table, const LogConsumer& consumer, bool keep = false) = 0;
  // The consumer's registration with the table's log in the current generation, if any.
  virtual std::optional<LogConsumer> Registration(const Table& table, const std::string& id) = 0;
  // Records how far `consumer` applied (one row), then forgets entries below what every
  // registered consumer of the current generation applied; the entry at that sequence stays,
  // so an engine that numbers from the largest row never hands out a used number. Returns the
  // sequence purged below (0: nothing; the consumer's generation is no longer current).
  virtual int64_t Purge(const Table& table, const LogConsumer& consumer) = 0;
  // Forgets a consumer (a destination that is gone): the log no longer waits for it. Returns
  // whether it was registered.
  virtual bool Unregister(const Table& table, const std::string& consumer) = 0;
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
  // "tracked", "watermark", or "resync" (a tracked table refused after a gap in its change log:
  // it waits for a full copy of the table, then syncs on from `position`)
  std::string mode;
  // tracked and resync: "<generation>/<applied sequence>"; watermark: the high-water mark
  // (canonical text)
  std::string position;
  std::string updated_at;  // when it was written (UTC, ISO 8601); filled by Get
  // The column pairs (names and declared types at both ends) the position was applied with, so
  // a later sync sees a column retyped at either end; "" when not recorded yet.
  std::string shape;
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
  // Records the shape of `destination`'s sync (no row yet: nothing).
  virtual void SetShape(const TableName& destination, const std::string& shape) = 0;
  // Writes `position` now, in a transaction of its own.
  virtual void Set(const TableName& destination, const SyncPosition& position) = 0;
  // This destination's identity as a consumer of change logs: random, made once and kept in
  // the state table, so it stays the same whatever URL reaches the database.
  virtual std::string Identity() = 0;
  // Schema changes ferry applies at the destination when the DBA opts in (sync
  // --apply-schema-changes): a column the source gained (`table`'s column `column`, its type
  // already mapped to this engine), and a column the source no longer has.
  virtual void AddColumn(const Table& table, size_t column) = 0;
  virtual void DropColumn(const TableName& table, const std::string& column) = 0;
  // A copy registered this destination with source table `source`'s change log, as
  // `registered` (generation and sequence). A database needs nothing more (its first sync
  // reads the registration back from the log); a staging directory records it, for an import
  // to hand to the destination it fills.
  virtual void RecordRegistration(const TableName& /*source*/, const LogConsumer& /*registered*/) {}
};

}  // namespace ferry
