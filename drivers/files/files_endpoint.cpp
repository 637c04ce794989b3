// A staging directory as an endpoint (`dir:/path`): the destination of an export, the source of
// an import. As a destination it takes the source's tables as they are (every logical type
// keeps its type, its native spelling, its keys and indexes), so that read back it is, to the
// destination, the source it was exported from: it reports that source's engine, and a value
// arrives exactly as a direct copy would bring it.
#include "drivers/files/files_endpoint.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <type_traits>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "copier/text.hpp"
#include "drivers/files/files_io.hpp"
#include "drivers/files/follow.hpp"
#include "drivers/files/imported.hpp"
#include "drivers/files/kept_dump.hpp"
#include "drivers/files/kept_schema.hpp"
#include "drivers/files/large_objects_dir.hpp"
#include "drivers/files/staging_dir.hpp"

namespace ferry {

namespace {

using staging::Directory;
using staging::IndexedManifest;
using staging::Manifest;
using staging::TableEntry;

Engine EngineNamed(const std::string& name) {
  for (Engine e : {Engine::kPostgres, Engine::kMariaDB, Engine::kSQLite, Engine::kSqlServer}) {
    if (name == EngineName(e)) return e;
  }
  return Engine::kOther;
}

// Any value of any type: the files hold what the source held.
ValueLimits AnyValue() {
  ValueLimits limits;
  limits.requires_utf8 = false;
  limits.min_year = -1'000'000;
  limits.max_year = 1'000'000;
  limits.max_decimal_precision = INT_MAX;
  limits.decimal_nan = true;
  limits.unbounded_dates = true;
  limits.zero_dates = true;
  limits.times_beyond_day = true;
  limits.declared_types_hold = false;
  return limits;
}

// Keeps the statements a schema session is given in the manifest (each once), one journal
// entry each.
class TypeKeeper final : public SchemaSession {
 public:
  TypeKeeper(std::shared_ptr<Directory> dir, std::vector<std::string> setup)
      : dir_(std::move(dir)), setup_(std::move(setup)) {}
  void Run(const std::string& sql) override {
    dir_->Journal([&](const Manifest& m) -> std::optional<staging::JournalEntry> {
      if (m.type_setup == setup_ && std::find(m.types.begin(), m.types.end(), sql) != m.types.end())
        return std::nullopt;
      staging::JournalEntry entry;
      entry.kind = staging::JournalEntry::Kind::kType;
      entry.type_setup = setup_;
      entry.type_sql = sql;
      return entry;
    });
  }
  void Begin() override {}
  void Commit() override {}
  void Rollback() noexcept override {}

 private:
  std::shared_ptr<Directory> dir_;
  std::vector<std::string> setup_;
};

class FilesEndpoint final : public Endpoint {
 public:
  FilesEndpoint(std::shared_ptr<Directory> dir, bool is_source, std::string display,
                const EndpointOptions& options)
      : dir_(std::move(dir)),
        is_source_(is_source),
        remove_imported_(options.staging_remove_imported) {
    info_.display = std::move(display);
    info_.product = "ferry staging directory";
    info_.version = std::to_string(staging::kManifestVersion);
    info_.limits = AnyValue();
    info_.traits.copies = true;
    info_.traits.object_names_fold_case = false;
    struct stat st {};
    if (stat(dir_->path().c_str(), &st) == 0) {
      info_.database_identity = fmt::format("dir:{}:{}", st.st_dev, st.st_ino);
    }
    Manifest m = dir_->Copy();
    if (!is_source_) {
      info_.engine = Engine::kFiles;
      dir_->set_drain_wait(options.wait, options.staging_drain_patience,
                           [this](const std::string& text) { NoticeWait(text); });
      return;
    }
    if (!dir_->has_manifest()) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("{} holds no manifest.json: it is not a staging directory ferry "
                              "exported into",
                              info_.display));
    }
    readers_lock_ =
        std::make_unique<staging::ReadersLock>(dir_->path(), remove_imported_, info_.display);
    if (m.status != "complete") {
      // An export still running is followed as it writes its units.
      if (!staging::ExportRunning(dir_->path())) {
        throw Error(ErrorCode::kUsage,
                    fmt::format("the export into {} is not finished (its manifest says '{}') and "
                                "no ferry process is exporting into it; finish it with `ferry "
                                "run --resume` before importing from it",
                                info_.display, m.status));
      }
      if (!options.wait) {
        throw Error(ErrorCode::kUsage,
                    fmt::format("the export into {} is still running; this command does not "
                                "follow one: wait for it to finish",
                                info_.display));
      }
      staging::FollowHooks hooks{[this](const std::string& text) { NoticeWait(text); },
                                 options.wait};
      follower_ = std::make_shared<staging::ExportFollower>(dir_->path(), info_.display, m,
                                                            std::move(hooks));
      const auto now = follower_->Latest();
      info_.engine = EngineNamed(now->manifest().source_engine);
      if (!now->manifest().tables.empty()) {
        info_.default_schema = now->manifest().tables.front().shape.name.schema;
      }
      ActAsSource(now->manifest());
      return;
    }
    info_.engine = EngineNamed(m.source_engine);
    if (!m.tables.empty()) info_.default_schema = m.tables.front().shape.name.schema;
    ActAsSource(m);
    snapshot_ = std::make_shared<const IndexedManifest>(std::move(m));
  }

  const EndpointInfo& info() const override { return info_; }

  std::vector<TableName> ListTables() override {
    auto names = [](const Manifest& m) {
      std::vector<TableName> out;
      for (const TableEntry& t : m.tables) out.push_back(t.shape.name);
      return out;
    };
    if (!snapshot_ && !follower_) return dir_->With(names);
    return names(Current()->manifest());
  }

  std::optional<Table> DescribeTable(const TableName& name) override {
    std::shared_ptr<const IndexedManifest> m;
    if (snapshot_ || follower_) m = Current();
    return LookUp(
        name,
        [&](const TableEntry* t) -> std::optional<Table> {
          if (!t) return std::nullopt;
          Table table = t->shape;
          table.estimated_rows = int64_t(t->rows());
          if (follower_ && m->manifest().status != "complete") {
            follower_->AddPlannedObjects(table);
            table.estimated_rows = std::max(table.estimated_rows, follower_->PlannedRows(name));
          }
          int64_t bytes = 0;
          for (const auto& u : t->units) {
            for (const auto& c : u.chunks) bytes += int64_t(c.bytes);
          }
          if (is_source_) table.estimated_bytes = bytes;
          return table;
        },
        m);
  }

  std::vector<std::vector<std::string>> SampleKeys(const Table&, const std::vector<int>&,
                                                   size_t) override {
    return {};
  }

  std::vector<KeyRange> StoredUnits(const Table& table) override {
    if (!is_source_) return {};
    if (follower_) {
      // The units the export's plan cuts the table into, each read once it is written.
      const auto m = follower_->Latest();
      const TableEntry* t = m->Find(table.name);
      if (!t) return {};
      std::vector<KeyRange> planned = follower_->PlannedUnits(*t);
      if (planned.empty()) planned.emplace_back();  // the whole table, one unit
      return planned;
    }
    const TableEntry* t = snapshot_->Find(table.name);
    std::vector<KeyRange> out;
    if (!t) return out;
    for (const auto& u : t->units) out.push_back(staging::RangeOf(u, t->shape));
    return out;
  }

  TableName DestinationName(const TableName& source, Engine engine) const override {
    source_engine_ = engine;
    return source;
  }

  // Every type as it is; one with no portable form (PostgreSQL's arrays, ranges, composites)
  // is kept in the source's own text, which only that engine reads back, as in a direct copy.
  ColumnType MapType(const ColumnType& type, Engine engine) const override {
    source_engine_ = engine;
    return type;
  }

  // Read from the chunks (a block is compressed whole, so the table's rows are read): check
  // promises that every value fits a key column narrowed for the destination, and the files
  // are the source's values.
  std::vector<int64_t> LongestValues(const Table& table, const std::vector<int>& columns) override {
    std::vector<int64_t> longest(columns.size(), 0);
    if (!is_source_ || columns.empty()) return longest;
    std::unique_ptr<ReadSession> session = OpenReadSession();
    ReadRequest request;
    request.table = &table;
    request.columns = columns;
    request.unit.table = table.name;
    std::unique_ptr<RowReader> reader = session->Read(request);
    Batch batch;
    while (reader->Next(batch)) {
      for (size_t c = 0; c < columns.size(); ++c) {
        const bool bytes = StorageOf(table.columns.at(size_t(columns[c])).type) == Storage::kBytes;
        const ColumnVector& values = batch.column(c);
        for (size_t r = 0; r < batch.num_rows(); ++r) {
          if (values.IsNull(r)) continue;
          if (const LongValue* long_value = values.Long(r)) {
            // Its bytes: for text more than its characters, but a long value (megabytes) is
            // past any key's length either way.
            longest[c] = std::max(longest[c], int64_t(long_value->size()));
            continue;
          }
          const std::string_view v = values.Bytes(r);
          longest[c] = std::max(longest[c], bytes ? int64_t(v.size()) : Utf8Characters(v));
        }
      }
    }
    return longest;
  }

  void CreateTable(const Table& table) override {
    dir_->CheckFreeSpace(0);
    const std::string engine = EngineName(source_engine_);
    auto stale = [&](const Manifest& m) {
      return m.source_engine != engine ||
             (!source_identity_.empty() && m.source_identity != source_identity_);
    };
    if (dir_->With(stale)) {
      // Once per export (its first table): the rest are journaled.
      dir_->Update([&](Manifest& m, std::vector<std::string>&) {
        m.source_engine = engine;
        if (!source_identity_.empty()) m.source_identity = source_identity_;
      });
    }
    dir_->ChangeTable(table.name, [&](std::optional<TableEntry>& entry) {
      if (entry) return false;
      entry.emplace();
      entry->shape = table;
      entry->shape.estimated_rows = -1;
      for (CanonicalForm f : staging::FormsOf(table)) {
        entry->forms.push_back(CanonicalFormName(f));
      }
      return true;
    });
  }
  void AddPrimaryKey(const Table&) override {}  // part of the recorded shape
  void CreateIndex(const Table& table, const Index& index) override {
    WithTable(table.name, [&](TableEntry& t) {
      auto& list = index.unique ? t.shape.unique_indexes : t.shape.indexes;
      if (std::none_of(list.begin(), list.end(),
                       [&](const Index& i) { return i.name == index.name; }))
        list.push_back(index);
    });
  }
  void CreateForeignKey(const Table& table, const ForeignKey& fk) override {
    WithTable(table.name, [&](TableEntry& t) {
      auto& list = t.shape.foreign_keys;
      if (std::none_of(list.begin(), list.end(),
                       [&](const ForeignKey& f) { return f.name == fk.name; }))
        list.push_back(fk);
    });
  }
  void SyncIdentity(const Table& table, const std::vector<IdentityNext>& next) override {
    WithTable(table.name, [&](TableEntry& t) { t.identity = next; });
  }
  std::vector<IdentityNext> IdentityCounters(const Table& table) override {
    Final("the identity counters of " + DisplayName(table.name));
    const TableEntry* t = snapshot_ ? snapshot_->Find(table.name) : nullptr;
    return t ? t->identity : std::vector<IdentityNext>{};
  }

  void DropTable(const TableName& name) override {
    dir_->ChangeTable(name, [](std::optional<TableEntry>& entry) {
      if (!entry) return false;
      entry.reset();
      return true;
    });
  }
  void TruncateTable(const TableName& name) override {
    WithTable(
        name, [&](TableEntry& t) { t.default_rows = 0; },
        /*remove_chunks=*/true);
  }
  bool HasRows(const TableName& name) override {
    return LookUp(name,
                  [](const TableEntry* t) { return t && (t->rows() > 0 || t->default_rows > 0); });
  }
  // As an import's source: what the export's source held besides tables (KeptSchema).
  std::vector<std::pair<std::string, std::string>> OtherObjects(
      const std::string& schema) override {
    if (!is_source_) return {};
    const auto now = Current();
    const std::optional<KeptSchema>& kept = now->manifest().schema;
    return kept ? staging::KeptOtherObjects(*kept, schema)
                : std::vector<std::pair<std::string, std::string>>{};
  }
  // As an import's source: the columns of large-object oids, where the export carried objects
  // (or, in an older ferry's directory, as its kept schema lists them), so the import carries
  // them too (or says it cannot).
  std::vector<std::string> LargeObjectColumns(const std::string& schema) override {
    if (!is_source_) return {};
    const auto now = Current();
    std::vector<std::string> out = staging::LargeObjectColumns(now->manifest(), schema);
    const std::optional<KeptSchema>& kept = now->manifest().schema;
    if (out.empty() && kept) out = staging::KeptLargeObjectColumns(*kept, schema);
    return out;
  }
  std::vector<ValueScanResult> ScanValues(const Table&,
                                          const std::vector<ValueScan>& scans) override {
    return std::vector<ValueScanResult>(scans.size(), ValueScanResult{-1, {}});
  }
  int64_t CountRows(const Table& table) override {
    Final("the row count of " + DisplayName(table.name));
    return LookUp(table.name,
                  [](const TableEntry* t) { return t ? int64_t(t->rows()) + t->default_rows : 0; });
  }
  void InsertDefaultRows(const Table& table, int64_t rows) override {
    WithTable(table.name, [&](TableEntry& t) { t.default_rows += rows; });
  }
  std::optional<bool> HasPrivilege(const TableName&, Privilege privilege) override {
    if (privilege == Privilege::kSelect) return access(dir_->path().c_str(), R_OK) == 0;
    // A directory not made yet: whether it can be made where it would be.
    return access(dir_->ExistingFolder().c_str(), W_OK) == 0;
  }

  std::string BeginSnapshot(Consistency) override {
    if (follower_) return "the files of a running export, each unit read once it is written";
    return is_source_ ? "the files of a finished export (they do not change)" : "none";
  }
  std::unique_ptr<ReadSession> OpenReadSession() override {
    auto manifest = snapshot_ ? snapshot_ : std::make_shared<const IndexedManifest>(dir_->Copy());
    return staging::MakeReadSession(manifest, dir_->path(), snapshot_ ? nullptr : follower_);
  }
  std::unique_ptr<WriteSession> OpenWriteSession() override {
    if (is_source_) throw Error(ErrorCode::kUsage, info_.display + " was opened for reading");
    return staging::MakeWriteSession(dir_);
  }
  // --remove-imported: the unit's chunks, recorded as imported and removed
  // (drivers/files/imported.hpp); a range the manifest's units do not have is a whole-table
  // read (a table the export cut otherwise than the import reads it): all of its units.
  void UnitCopied(const WorkUnit& unit) override {
    if (!is_source_ || !remove_imported_) return;
    const auto m = Current();
    const TableEntry* t = m->Find(unit.table);
    if (!t) return;
    std::vector<const staging::UnitEntry*> units = m->UnitsWithBounds(*t, unit.range);
    if (units.empty()) {
      for (const auto& u : t->units) units.push_back(&u);
    }
    for (const auto* u : units) {
      for (const auto& c : u->chunks) staging::RemoveImportedChunk(dir_->path(), c, into_);
    }
  }
  // An import refuses, before it writes anything, units whose chunks are gone: taken away by an
  // earlier import (--remove-imported; its records say where their rows went) or lost.
  void PrepareToRead(const std::vector<WorkUnit>& units, const EndpointInfo& destination) override {
    into_ = {destination.display, destination.database_identity};
    if (!is_source_) return;
    std::vector<staging::UnitChunks> wanted;
    const auto m = Current();
    for (const WorkUnit& unit : units) {
      const TableEntry* t = m->Find(unit.table);
      if (!t) continue;
      const std::vector<const staging::UnitEntry*> found = m->UnitsWithBounds(*t, unit.range);
      for (const auto* u : found) {
        wanted.push_back({DisplayName(t->shape.name), u->part, u->parts, u->chunks});
      }
      // A unit a running export has not written yet is read once it is; a range the export
      // did not cut is read from all of the table's units.
      if (!found.empty() || (follower_ && m->manifest().status != "complete")) continue;
      for (const auto& u : t->units) {
        wanted.push_back({DisplayName(t->shape.name), u.part, u.parts, u.chunks});
      }
    }
    const std::string problem =
        staging::GoneChunksProblem(dir_->path(), info_.display, wanted, into_);
    if (!problem.empty()) throw Error(ErrorCode::kNotFound, problem);
  }
  std::unique_ptr<RunStore> OpenRunStore(const std::string&) override {
    return staging::MakeFileRunStore(dir_);
  }
  bool KeepsSourcePosition() const override { return !is_source_; }
  void KeepSourcePosition(const std::vector<std::pair<std::string, std::string>>& at) override {
    dir_->Journal([&](const Manifest& m) -> std::optional<staging::JournalEntry> {
      // The run under way: the newest running one. A resumed run adds a record of its own:
      // the units it commits now come from this later snapshot.
      std::string run;
      for (const RunRecord& r : m.runs) {
        if (r.status == RunStatus::kRunning || run.empty()) run = r.id;
      }
      staging::JournalEntry entry;
      entry.kind = staging::JournalEntry::Kind::kSnapshot;
      entry.snapshot = {run, UtcTimestamp(), at};
      return entry;
    });
  }
  std::unique_ptr<SyncStateStore> OpenSyncState(const std::string& prefix) override {
    if (is_source_) return Endpoint::OpenSyncState(prefix);
    return staging::MakeExportSyncState(dir_);
  }
  // As an export's destination: the statements that create the source's own types
  // (Manifest::types), "run" by keeping them. As an import's source: those statements, for
  // the destination to create what it lacks before the tables (never a whole schema clone).
  std::unique_ptr<SchemaSession> OpenSchemaSession(const SchemaDump& dump) override {
    if (is_source_) return Endpoint::OpenSchemaSession(dump);
    return std::make_unique<TypeKeeper>(dir_, dump.session_setup);
  }
  // As an import's source, the export's kept dump (Manifest::schema) for a clone into the
  // source's engine, when the import takes every table the dump was read for.
  std::optional<SchemaDump> DumpSchema(const SchemaRequest& request) override {
    if (!is_source_) return std::nullopt;
    return staging::KeptDumpFor(Current()->manifest().schema, request);
  }
  // As an import's source: the DEFINERs the export's kept dump names (ferry check
  // --keep-definers names those the destination lacks).
  std::vector<std::pair<std::string, std::string>> Definers(const std::string& schema) override {
    if (!is_source_) return {};
    const auto now = Current();
    const std::optional<KeptSchema>& kept = now->manifest().schema;
    if (!kept || (kept->unqualified && schema != kept->default_schema)) return {};
    return staging::DumpDefiners(kept->dump, schema);
  }
  std::string WhyNoSchemaDump(const SchemaRequest& request) override {
    if (!is_source_) return "";
    return staging::WhyNoKeptDump(Current()->manifest().schema, request, info_.display);
  }
  std::optional<SchemaDump> ColumnTypes(const std::vector<TableName>& tables) override {
    if (!is_source_) return std::nullopt;
    const auto now = Current();  // kept before the export's first table was made
    const Manifest& m = now->manifest();
    if (m.types.empty()) return std::nullopt;
    SchemaDump kept;
    kept.tool = "the staging directory's manifest";
    kept.session_setup = m.type_setup;
    // Not kept per table: every table needs them.
    for (const std::string& sql : m.types) kept.before_data.push_back({"TYPE", "", {}, sql});
    for (SchemaObject& o : kept.before_data) o.used_by = tables;
    return kept;
  }
  bool KeepsSchema() const override { return !is_source_; }
  void KeepSchema(const KeptSchema& schema) override {
    dir_->Update([&](Manifest& m, std::vector<std::string>&) { m.schema = schema; });
  }
  void KeepSequences(const std::vector<SequenceState>& states) override {
    dir_->Update([&](Manifest& m, std::vector<std::string>&) { m.sequences = states; });
  }
  // As an import's source: the sequences the export kept (Manifest::sequences).
  std::vector<TableName> ListSequences(const std::vector<std::string>& schemas) override {
    std::vector<TableName> out;
    if (!is_source_) return out;
    if (!FinalUnlessStopped("the source's sequences")) return out;  // kept after the rows
    for (const SequenceState& s : Current()->manifest().sequences) {
      if (std::find(schemas.begin(), schemas.end(), s.name.schema) != schemas.end()) {
        out.push_back(s.name);
      }
    }
    return out;
  }
  std::vector<SequenceState> ReadSequences(const std::vector<TableName>& names) override {
    std::vector<SequenceState> out;
    if (!is_source_) return out;
    if (!FinalUnlessStopped("the source's sequences")) return out;
    for (const SequenceState& s : Current()->manifest().sequences) {
      if (std::find(names.begin(), names.end(), s.name) != names.end()) out.push_back(s);
    }
    return out;
  }
  // A second export into the directory from another database would mix two sources' tables.
  void RefuseOtherSource(const EndpointInfo& source) const override {
    if (is_source_) return;
    source_identity_ = source.database_identity;
    // The directory itself is refused as the same database (RefuseSelfCopy), naming that.
    if (!dir_->has_manifest() || source.database_identity.empty() || SameDatabase(source, info_)) {
      return;
    }
    const auto [from, identity] =
        dir_->With([](const Manifest& m) { return std::make_pair(m.source, m.source_identity); });
    if (identity.empty() || identity == source.database_identity) return;
    throw Error(
        ErrorCode::kUsage,
        fmt::format("{} holds an export of {} (database {}), and the source {} is another "
                    "database ({}): a second export would mix two sources in one "
                    "directory; export into another directory",
                    info_.display, from, identity, source.display, source.database_identity));
  }
  // PostgreSQL's large objects: kept by an export (docs/staging-format.md, "Large objects");
  // read back by an import of a directory whose export carried them (an older ferry's did not,
  // and an import then says they are not copied).
  std::unique_ptr<LargeObjectStore> OpenLargeObjects() override {
    if (!is_source_) return staging::MakeLargeObjectWriter(dir_);
    if (info_.engine != Engine::kPostgres) return nullptr;
    // A running export's are asked for once it has ended (an import reads them after its rows).
    if (snapshot_ && !snapshot_->manifest().large_objects) return nullptr;
    std::function<void(const staging::LargeObjectEntry&)> drain;
    if (remove_imported_) {
      drain = [this](const staging::LargeObjectEntry& e) {
        staging::RemoveImportedLargeObject(dir_->path(), e, into_);
      };
    }
    return staging::MakeLargeObjectReader(
        [this] {
          Final("the source's large objects");
          return snapshot_;
        },
        dir_->path(), std::move(drain));
  }
  std::vector<CarriedLogPosition> CarriedLogPositions() override {
    // Asked once the import is done: it ends when the export it follows has ended. An import
    // stopped with its export carries them when it is resumed.
    try {
      Final("its position in the source's change logs");
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kInterrupted) throw;
      return {};
    }
    std::vector<CarriedLogPosition> out;
    if (!snapshot_) return out;
    for (const staging::ChangeLogPosition& p : snapshot_->manifest().change_logs) {
      if (snapshot_->Find(p.table)) {
        out.push_back({p.table, p.generation, p.applied, snapshot_->manifest().log_consumer});
      }
    }
    return out;
  }

 private:
  // The manifest as this endpoint reads it: a finished export's (read once), a running one's as
  // last read, else the directory's now (copied and indexed at every call: LookUp asks of one
  // table without a copy).
  std::shared_ptr<const IndexedManifest> Current() const {
    if (snapshot_) return snapshot_;
    if (follower_) return follower_->Latest();
    return std::make_shared<const IndexedManifest>(dir_->Copy());
  }
  // What `read` returns of the entry of table `name` (nullptr: none) as Current() has it, or
  // `m` when given; an export's destination is looked up in the directory with no copy.
  template <class Read>
  auto LookUp(const TableName& name, Read&& read,
              std::shared_ptr<const IndexedManifest> m = nullptr) const
      -> std::invoke_result_t<Read&, const TableEntry*> {
    if (!snapshot_ && !follower_) return dir_->WithTable(name, read);
    if (!m) m = Current();
    return read(m->Find(name));
  }
  // Read back, the directory clones as its source would where the export kept its schema dump.
  void ActAsSource(const Manifest& m) {
    for (const EngineFactory& e : Engines()) {
      if (e.engine == info_.engine) info_.exported_from = e.product;
    }
    // The files hold what the source's columns held: values of their declared types, except
    // SQLite's, which holds any value of a column's storage.
    info_.limits.declared_types_hold = info_.engine != Engine::kSQLite;
    if (!m.schema) return;
    info_.traits.schema_clone = true;
    info_.traits.schema_dump_unqualified = m.schema->unqualified;
    info_.default_schema = m.schema->default_schema;
  }
  // As Final, but false where the export stopped unfinished: the import's units say so (exit 9),
  // and its resume, once the export is finished, asks again.
  bool FinalUnlessStopped(const std::string& why) {
    try {
      Final(why);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kInterrupted) throw;
      return false;
    }
    return true;
  }
  // Following a running export: waits until it is complete, then reads it as a finished one.
  void Final(const std::string& why) {
    if (!follower_ || snapshot_) return;
    snapshot_ = follower_->WaitForComplete(why);
  }

  // A table event, journaled (Directory::ChangeTable); `fn` is given the table's entry without
  // its units.
  void WithTable(const TableName& name, const std::function<void(TableEntry&)>& fn,
                 bool remove_chunks = false) {
    dir_->ChangeTable(
        name,
        [&](std::optional<TableEntry>& entry) {
          if (!entry) {
            throw Error(ErrorCode::kNotFound, "the staging directory holds no such table",
                        ErrorContext{DisplayName(name), "", "", ""});
          }
          fn(*entry);
          return true;
        },
        remove_chunks);
  }

  std::shared_ptr<Directory> dir_;
  bool is_source_;
  bool remove_imported_;
  staging::ImportTarget into_;                          // where the import writes (PrepareToRead)
  std::unique_ptr<staging::ReadersLock> readers_lock_;  // as a source
  EndpointInfo info_;
  std::shared_ptr<const IndexedManifest> snapshot_;
  // An import that started while its export still runs (set, with no snapshot_, until the
  // export is complete).
  std::shared_ptr<staging::ExportFollower> follower_;
  mutable Engine source_engine_ = Engine::kOther;
  mutable std::string source_identity_;  // the exporting source's (RefuseOtherSource)
};

std::unique_ptr<Endpoint> OpenFiles(EngineTarget target) {
  const bool is_source = target.role != EndpointRole::kDestination;
  auto dir = std::make_shared<Directory>(target.file, !is_source);
  dir->set_max_bytes(target.options.staging_max_bytes);
  return std::make_unique<FilesEndpoint>(std::move(dir), is_source, target.display, target.options);
}

}  // namespace

EngineFactory FilesEngine() {
  EngineFactory factory;
  factory.engine = Engine::kFiles;
  factory.product = "staging directory";
  factory.schemes = {{"dir", "", "", true}};
  factory.open = OpenFiles;
  return factory;
}

}  // namespace ferry
