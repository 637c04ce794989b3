// The manifest's journal (docs/staging-format.md, "The journal"): while an export runs, the
// changes made since manifest.json was last written, one JSON line each, fsynced before the
// change counts. Rewriting the manifest at every unit's commit costs every unit so far, an
// export of n units O(n^2); appending costs the unit. The directory rewrites the manifest (and
// begins a new journal) once the journal has grown as large as the manifest, so the rewrites
// add up to a few times the final manifest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drivers/files/manifest.hpp"

namespace ferry::staging {

// A unit record a unit's commit marks done (RunStore::UnitDoneSql's values).
struct DoneUnit {
  std::string run;
  int table = 0;
  int part = 0;
  int attempts = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
};

// One change: a unit's chunks committed with the unit records it marks done, a run's table
// record written (RunStore::UpdateTable), where the export registered with a source table's
// change log (SyncStateStore::RecordRegistration), a table event of the export (its table
// created, an index, a foreign key or its identity counters added, emptied, dropped), and
// (version 5) a unit record failed (RunStore::FailUnit), a table's unit records reset
// (RunStore::ResetUnits), a source type's statement kept (Manifest::types), or where an
// export attempt's snapshot stood (Manifest::snapshots), large objects committed
// (Manifest::large_objects).
struct JournalEntry {
  enum class Kind {
    kUnit,
    kTable,
    kChangeLog,
    kTableEntry,
    kUnitFailed,
    kUnitsReset,
    kType,
    kSnapshot,
    kLargeObjects
  };
  Kind kind = Kind::kUnit;
  TableName table;  // kUnit, kTableEntry: the manifest's table it changes
  UnitEntry unit;
  // kTableEntry: what the table's entry becomes, without units (it keeps its own, or loses them
  // with `clear_units`); appended when the manifest has no such table; nullopt: dropped.
  std::optional<TableEntry> entry;
  bool clear_units = false;
  std::vector<DoneUnit> done;
  std::string run;  // kTable, kUnitFailed, kUnitsReset
  TableRecord record;
  ChangeLogPosition position;  // kChangeLog
  // kUnitFailed: the unit record (`table` index in the run, `part`) and its attempts and error;
  // kUnitsReset: every unit record of the run's table `table` index back to pending.
  DoneUnit failed;
  std::string error;
  // kType: the statement kept (added unless the manifest holds it) and the session's setup.
  std::vector<std::string> type_setup;
  std::string type_sql;
  SnapshotRecord snapshot;  // kSnapshot: appended to Manifest::snapshots
  // kLargeObjects: large objects committed (each replaces one of its OID), their files whole.
  std::vector<LargeObjectEntry> large_objects;
};

// The entry as its line: {"entry": ..., "sha256": ...}, ending in '\n'.
std::string JournalLine(const JournalEntry& entry);

// Applies `entry` to `m` (a unit's table must be there: Error(kNotFound) otherwise), finding its
// table through `tables` (m's, kept up to date) when given. The chunk files of the units it
// replaces or removes are added to `replaced` when given.
void ApplyJournalEntry(Manifest& m, const JournalEntry& entry,
                       std::vector<std::string>* replaced = nullptr, TableLookup* tables = nullptr);

// A journal as read: its whole entries, in order, up to the first line that does not read.
struct JournalRead {
  std::vector<JournalEntry> entries;
  bool torn = false;      // its last line was an append its process never finished: left out
  int bad_line = 0;       // 1-based; 0: every line read (but a torn last one)
  std::string problem;    // the bad line: what it says it is, and what is wrong with it
  std::string bad_table;  // the table the bad line names (as shown to users), or ""
};
// A last line cut short or not matching its checksum is an append its process never finished
// (it died in it, or is writing it now): left out, `torn`. Any other line that does not read
// ends the reading there (`bad_line`, `problem`).
JournalRead ReadJournalLines(const std::string& path);
// The entries of the journal at `path`, as ReadJournalLines; a bad line is Error(kIo) naming the
// file, the line, what it says it is and what is wrong with it.
std::vector<JournalEntry> ReadJournal(const std::string& path);

// A new journal's file name: "manifest.journal-" and 16 hex digits.
std::string NewJournalName();
bool IsJournalName(const std::string& file_name);

// The manifest of `folder` with the entries of the journal it names applied (what the export has
// committed so far); nullopt when the folder has no manifest. `manifest_bytes` gets the size of
// manifest.json. A journal the manifest names but that is gone was folded into a newer manifest
// meanwhile: the manifest is read again.
std::optional<Manifest> LoadManifest(const std::string& folder, bool checked = true,
                                     uint64_t* manifest_bytes = nullptr);

}  // namespace ferry::staging
