// A staging directory's manifest (docs/staging-format.md): what the directory holds and how to
// check it. Written when the export starts (the tables' shapes, the plan); each unit's chunks
// are then appended to its journal (manifest_journal.hpp), folded into an atomic rewrite now and
// then, and the manifest is marked complete by a last atomic rewrite when the export run ends
// well. It also keeps the export's run state (ferry status, --resume), so a unit's chunk entries
// and its "done" mark are one journal entry: both there, or neither.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "copier/catalog.hpp"
#include "copier/large_objects.hpp"
#include "copier/run_state.hpp"
#include "copier/schema_clone.hpp"
#include "copier/work_unit.hpp"

namespace ferry::staging {

// Version 2 added where the export stood in the source's change logs (`change_logs`,
// `log_consumer`); version 3 the journal's `table_entry` records (a table event appended, not a
// rewrite of the manifest); version 4 the source's identity, schema dump and sequences
// (`source_identity`, `schema`, `sequences`); version 5 the journal's `unit_failed`, `units_reset`,
// `type` and `snapshot` records (those changes rewrote the manifest). Versions 1 to 4 are still
// read (without them).
inline constexpr int kManifestVersion = 6;
inline constexpr int kOldestManifestVersion = 1;
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kChunkFolder = "chunks";
inline constexpr const char* kLargeObjectFolder = "large_objects";

struct ChunkEntry {
  std::string file;  // relative to the directory: "chunks/t0003-u0007-c000.fch"
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::string sha256;
  // The sum modulo 2^64 of the rows' hashes (copier/row_hash.hpp), each column in the form
  // TableEntry::forms names: what `ferry verify` adds up for these rows.
  uint64_t row_sum = 0;
};

// A work unit of the export: a range of the table's key (column names, canonical text bounds),
// as the source was cut.
struct UnitEntry {
  int part = 0;
  int parts = 1;
  std::vector<std::string> key;
  std::optional<std::vector<std::string>> lo, hi;
  bool null_keys = false;
  bool by_location = false;
  std::string run;  // the run that wrote it
  std::vector<ChunkEntry> chunks;
  uint64_t rows() const;
};

struct TableEntry {
  Table shape;  // as the export created it: the source's columns and types, keys, indexes
  std::vector<std::string> forms;  // the row hash's canonical form per column (by name)
  std::vector<IdentityNext> identity;
  int64_t default_rows = 0;      // a table with no column to copy: rows to make at import
  std::vector<UnitEntry> units;  // in part order
  uint64_t rows() const;
  // The first unit whose part is not below `part` (bisection): where unit `part` is, or goes.
  std::vector<UnitEntry>::iterator UnitAt(int part);
  // Unit `part`, or nullptr.
  const UnitEntry* FindUnit(int part) const;
};

// Where the export stood in one tracked table's change log at the source (ferry track): the
// tracking generation and the sequence up to which every logged change is in the files. A
// later change may be too; applying it again at the destination is harmless.
struct ChangeLogPosition {
  TableName table;  // the source's
  int64_t generation = 0;
  int64_t applied = 0;
};

// Where one export attempt's snapshot stood in the source server's own logs (Endpoint::
// SnapshotPosition), one record per attempt (a resume adds one): the first record holds for
// every unit, the units a run wrote (UnitEntry::run) for that run's first record.
struct SnapshotRecord {
  std::string run;
  std::string taken_at;
  std::vector<std::pair<std::string, std::string>> position;
};

// A PostgreSQL large object the export carried (version 5): its OID, owner and grants, and its
// bytes (`bytes` of them, of that SHA-256) in a file of their own (`file`, relative to the
// directory). Version 6 compresses the file (`codec` "zstd": one zstd frame), of `file_bytes`
// bytes and `file_sha256`; an older entry's file is the bytes as they are (`codec` "", its
// file_bytes and file_sha256 those of the object).
struct LargeObjectEntry {
  LargeObject object;
  std::string file;
  int64_t bytes = 0;
  std::string sha256;
  std::string codec;
  int64_t file_bytes = 0;
  std::string file_sha256;
};

struct Manifest {
  std::string status = "exporting";  // "exporting" until the export run ends well: "complete"
  std::string created_at;
  std::string finished_at;
  std::string source;         // the export's source, without secrets
  std::string source_engine;  // EngineName of the source ("PostgreSQL")
  // The source database as its server identifies it (EndpointInfo::database_identity): a second
  // export into the directory from another database is refused. "" where unknown (version < 4).
  std::string source_identity;
  // The source's schema dump for the export's scope, for an import into the source's engine to
  // clone (none where the source's engine has no dump, or the export could not clone), and every
  // sequence of the exported schemas as it stood after the data.
  std::optional<KeptSchema> schema;
  std::vector<SequenceState> sequences;
  std::vector<TableEntry> tables;
  // The consumer the export registered with the source's change logs (it keeps the entries
  // after `change_logs` until an imported destination's first sync takes over), and where it
  // registered, per tracked table.
  std::string log_consumer;
  std::vector<ChangeLogPosition> change_logs;
  std::vector<SnapshotRecord> snapshots;  // one per export attempt, oldest first
  // Types only the source database defines that the tables' columns use (PostgreSQL's
  // composites, and the types they are made of), as the source's schema dump creates them:
  // the statements, and what a session runs before them. An import into the source's engine
  // creates those it does not have before its tables.
  std::vector<std::string> type_setup;
  std::vector<std::string> types;
  // The source's large objects, by OID (version 5): none (nullopt) where the export did not
  // carry them (an older ferry's, a source whose tables point at none); present, and complete
  // once the manifest is, from when the export began copying them.
  std::optional<std::vector<LargeObjectEntry>> large_objects;
  // The export's run state (copier/run_state.hpp), newest run last.
  std::vector<RunRecord> runs;
  std::map<std::string, std::vector<TableRecord>> run_tables;
  std::map<std::string, std::vector<UnitRecord>> run_units;
  // The file beside the manifest (manifest_journal.hpp) holding the changes made since it was
  // written; "" when none follow it.
  std::string journal;

  TableEntry* Find(const TableName& name);
  const TableEntry* Find(const TableName& name) const;
};

// The positions of a manifest's tables by name (the first of each name), kept beside a manifest
// that changes: every unit's commit and every journal entry looks its table up, and a look
// through the tables each time made an export of n one-unit tables O(n^2).
class TableLookup {
 public:
  TableLookup() = default;
  explicit TableLookup(const Manifest& m) { Rebuild(m); }
  void Rebuild(const Manifest& m);
  void Added(const Manifest& m);  // after m.tables.push_back
  std::optional<size_t> Find(const TableName& name) const;

 private:
  std::map<TableName, size_t> at_;
};

// A manifest that no longer changes (a finished export's, or one reading of a running one's),
// with its tables by name and each table's units by range, indexed once (O(n log n)): an import
// looks up every one of its n units, and a look through the tables and their units each time
// made its start O(n^2).
class IndexedManifest {
 public:
  explicit IndexedManifest(Manifest manifest);
  IndexedManifest(const IndexedManifest&) = delete;
  IndexedManifest& operator=(const IndexedManifest&) = delete;

  const Manifest& manifest() const { return manifest_; }
  // As Manifest::Find: the first table of that name, or nullptr.
  const TableEntry* Find(const TableName& name) const;
  // The units of `table` (one of this manifest's tables) with the bounds of `range` (its lo, hi,
  // null_keys and by_location; not its key columns), in part order.
  std::vector<const UnitEntry*> UnitsWithBounds(const TableEntry& table,
                                                const KeyRange& range) const;

 private:
  using Bounds = std::tuple<std::optional<std::vector<std::string>>,
                            std::optional<std::vector<std::string>>, bool, bool>;
  Manifest manifest_;
  std::map<TableName, size_t> tables_;                // the first of each name
  std::vector<std::multimap<Bounds, size_t>> units_;  // per table: its units' positions
};

// The manifest as JSON text, with its own SHA-256 ("checksum") over everything else, so an edit
// by hand is found.
std::string ManifestToJson(const Manifest& manifest);
// Throws Error(kIo) naming `path` when the text is not a manifest this ferry reads, and when
// `checked` and its checksum does not match its content (edited by hand).
Manifest ManifestFromJson(const std::string& text, const std::string& path, bool checked = true);

// Pieces of the manifest's JSON, which the journal's entries use too; Checksum is the SHA-256
// of `body.dump()`, lower-case hex.
nlohmann::json NameJson(const TableName& n);
TableName NameFrom(const nlohmann::json& j);
nlohmann::json TableRecordJson(const TableRecord& t);
TableRecord TableRecordFrom(const nlohmann::json& j);
nlohmann::json UnitEntryJson(const UnitEntry& u);
UnitEntry UnitEntryFrom(const nlohmann::json& j);
// A `tables[]` entry; without units, what a journal's table record holds (no `rows`, `units`).
nlohmann::json TableEntryJson(const TableEntry& t, bool with_units);
TableEntry TableEntryFrom(const nlohmann::json& j, const std::string& path, bool with_units);
std::string Checksum(const nlohmann::json& body);
nlohmann::json LargeObjectEntryJson(const LargeObjectEntry& e);
LargeObjectEntry LargeObjectEntryFrom(const nlohmann::json& j);

KeyRange RangeOf(const UnitEntry& unit, const Table& table);
std::string DescribeUnit(const UnitEntry& unit);

}  // namespace ferry::staging
