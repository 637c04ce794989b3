// What the copier needs from a database at either end of a copy. drivers/ implements it
// (ODBC for every engine, native bulk paths where they are faster); everything above
// drivers/ sees only this interface, so readers and writers can be swapped per table.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "copier/schema_clone.hpp"
#include "copier/work_unit.hpp"

namespace ferry {

enum class Engine { kPostgres, kMariaDB, kSQLite, kSqlServer, kOther };
const char* EngineName(Engine engine);

// Values an engine cannot store whatever the column type says; the converter refuses them
// with an error naming the row instead of letting the server mangle them.
struct ValueLimits {
  bool float_nan = true;
  bool float_infinity = true;
  bool float_negative_zero = true;
  bool nul_in_text = true;    // PostgreSQL text cannot hold U+0000
  bool requires_utf8 = true;  // text must be valid UTF-8
  int min_year = 1;
  int max_year = 9999;
  int max_decimal_precision = 1000;
};

// What a copy needs the connected user to be allowed to do with a table.
enum class Privilege {
  kSelect,    // read the source table
  kInsert,    // write rows into an existing destination table
  kTruncate,  // empty it first (write mode truncate)
  kCreate,    // create the destination table in its schema
};
const char* PrivilegeName(Privilege privilege);  // "SELECT", "INSERT", ...

struct EndpointInfo {
  Engine engine = Engine::kOther;
  std::string product;         // as the server reports it, e.g. "PostgreSQL"
  std::string version;         // e.g. "15.18"
  std::string default_schema;  // where bare table names live
  std::string display;         // the connection with secrets removed, for messages
  ValueLimits limits;
  // Reads and writes PostgreSQL binary COPY streams undecoded (ReadRequest::pass_through).
  bool binary_copy_pass_through = false;
  // Write sessions that can work at once (0 = no limit): SQLite has one writer at a time.
  int max_write_sessions = 0;
  // Loading a table is faster without its primary key, built once the rows are in
  // (PostgreSQL: 22.6 s against 14.3 + 2.2 s for lineitem). Not so where the key is the
  // table's storage order (InnoDB) or cannot be added later (SQLite).
  bool keys_after_load = false;
  // Names that differ only in case name the same table (SQLite; MariaDB with
  // lower_case_table_names) or column (everywhere but PostgreSQL): two source tables or columns
  // whose names fold together cannot both land here.
  bool table_names_fold_case = false;
  bool column_names_fold_case = false;
  // The row hash this server computes itself for `ferry verify` (ReadSession::Digest) and what
  // its result depends on (engine, the versions whose output it relies on, the server encoding);
  // "" where it has none. Two ends whose names are equal hash equal rows of identically typed
  // columns equally, so their sums can be compared without reading the rows.
  std::string server_row_hash;
  // Whether that is faster than reading the rows and hashing them in ferry (verify's --hash
  // auto): PostgreSQL's hash functions are (the reference workload: 18.5 s against 26.8 s);
  // MariaDB's MD5 over every value's text is not (lineitem: 34.2 s against 21.3 s).
  bool server_row_hash_faster = false;
};

class RowReader {
 public:
  virtual ~RowReader() = default;
  // Clears `batch` and fills it with the next rows, up to the request's limits, in the
  // layout StorageOf(column type) gives for each requested column (or, for a pass-through
  // request, as wire bytes). False when done.
  virtual bool Next(Batch& batch) = 0;
  // How rows are read, for plans and profiles ("ODBC block cursor", "binary COPY").
  virtual std::string Method() const = 0;
};

struct ReadRequest {
  const Table* table = nullptr;
  std::vector<int> columns;  // source column indices, in batch order
  WorkUnit unit;
  BatchLimits limits;
  // Rows stay in the source's wire format (PostgreSQL binary COPY) for a destination of the
  // same engine and identical column types; no decoding, no conversion.
  bool pass_through = false;
};

class RowWriter {
 public:
  virtual ~RowWriter() = default;
  // CPU-only work on a converted batch before it is sent (binary COPY encoding, say), into
  // batch.wire(). Thread-safe: runs on worker threads while Write sends other batches.
  virtual void Prepare(Batch& /*batch*/) const {}
  // Sends the batch's rows (whose columns follow WriteRequest::columns, or prepared wire
  // bytes) inside the unit's transaction.
  virtual void Write(const Batch& batch) = 0;
  // Runs `finish_sql` inside the unit's transaction, then commits: the run state's "unit
  // done" mark commits with the unit's rows or not at all.
  virtual void Commit(const std::vector<std::string>& finish_sql) = 0;
  void Commit() { Commit({}); }
  virtual void Rollback() = 0;
  // How rows are written ("ODBC parameter arrays", "binary COPY", ...).
  virtual std::string Method() const = 0;
};

struct WriteRequest {
  const Table* table = nullptr;    // the destination table as it exists
  std::vector<int> columns;        // destination column indices, in batch order
  std::vector<int> key_positions;  // batch positions of the row key, to name failing rows
  bool pass_through = false;       // batches arrive as the source's wire bytes
  // Rows of the destination table in this range (key columns as destination column indices)
  // are deleted inside the unit's transaction before its first row: a retried or repaired
  // unit replaces what an earlier attempt or a damaged copy left there.
  std::optional<KeyRange> replace_range;
  // Write mode upsert: a row whose `upsert_key` (destination column indices of a primary key or
  // unique key the destination table has, all among `columns`) already exists is updated, every
  // written non-key column taking the new value; other rows are inserted. Off, writers insert
  // only, by their fastest path.
  bool upsert = false;
  std::vector<int> upsert_key;
};

// One key range reduced by the server: how many rows it holds and the exact sum of their row
// hashes (EndpointInfo::server_row_hash), as the server prints it. Meaningful only against a
// digest from a server with the same server_row_hash over columns of the same declared types.
struct ServerDigest {
  int64_t rows = 0;
  std::string sum;  // "0" for no rows
  bool operator==(const ServerDigest&) const = default;
};

struct DigestRequest {
  const Table* table = nullptr;
  std::vector<int> columns;  // table column indices, hashed in this order
  KeyRange range;
};

// One source connection, used by one thread, reading work units one after another inside the
// run's snapshot (see Endpoint::BeginSnapshot): a RowReader must be done (or destroyed) before
// the session's next Read.
class ReadSession {
 public:
  virtual ~ReadSession() = default;
  virtual std::unique_ptr<RowReader> Read(const ReadRequest& request) = 0;
  // The range's digest, computed by the server without sending its rows (inside the session's
  // snapshot, like Read). Only for endpoints whose info().server_row_hash is set.
  virtual ServerDigest Digest(const DigestRequest& request);
};

// One destination connection, used by one thread; each Write begins a unit's transaction,
// which the returned writer commits or rolls back.
class WriteSession {
 public:
  virtual ~WriteSession() = default;
  virtual std::unique_ptr<RowWriter> Write(const WriteRequest& request) = 0;
};

enum class Consistency {
  kSnapshot,  // every reader sees one snapshot where the engine can share it
  kNone,      // each reader reads what is committed when it reads (a stopped source)
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;

  virtual const EndpointInfo& info() const = 0;

  // Every user table (views and system tables excluded).
  virtual std::vector<TableName> ListTables() = 0;
  // The table's shape; nullopt when it does not exist.
  virtual std::optional<Table> DescribeTable(const TableName& name) = 0;
  // About `count` key tuples spread evenly over the table's rows, sorted in the engine's key
  // order, as canonical text (bytes as lower-case hex): the sample key ranges are cut from.
  virtual std::vector<std::vector<std::string>> SampleKeys(const Table& table,
                                                           const std::vector<int>& key,
                                                           size_t count) = 0;
  // Where a source table lands here when the user renames nothing: same schema name where
  // this engine has schemas that the source named, else this end's default schema.
  virtual TableName DestinationName(const TableName& source, Engine source_engine) const = 0;

  // The column type this engine would create for a source column of `type` from
  // `source_engine`; `native` holds its DDL spelling. Throws Error(kSchema) when this engine
  // cannot hold the type.
  virtual ColumnType MapType(const ColumnType& type, Engine source_engine) const = 0;
  // Creates `table` (column types already mapped, `native` set) with its primary key.
  virtual void CreateTable(const Table& table) = 0;
  // Adds `table`'s primary key to the existing table of that name. Opens its own connection,
  // so it may run on any thread while sessions work.
  virtual void AddPrimaryKey(const Table& table) = 0;
  // Builds an index or unique constraint on the existing table `table` (destination names and
  // column positions), and a foreign key referencing `fk.references` (already renamed to the
  // destination's table). Like AddPrimaryKey they open their own connection.
  virtual void CreateIndex(const Table& table, const Index& index) = 0;
  virtual void CreateForeignKey(const Table& table, const ForeignKey& fk) = 0;
  // Moves the table's identity, serial or auto-increment counter past the largest value in
  // its column, so new rows continue after the copied ones, and at least to `next` (by column
  // name: the next value the source's counter gives), so they continue where the source's do.
  virtual void SyncIdentity(const Table& table, const std::vector<IdentityNext>& next = {}) = 0;
  // What this (source) database's identity, serial or auto-increment counters of `table` give
  // the next insert; empty where the engine keeps none beyond the rows (SQLite's rowid).
  virtual std::vector<IdentityNext> IdentityCounters(const Table& /*table*/) { return {}; }

  // Same-engine schema clone (copier/schema_clone.hpp). DumpSchema reads this (source)
  // database's schema for `request` with the engine's own tools; nullopt where the endpoint
  // cannot. OpenSchemaSession opens a destination connection that creates its objects.
  virtual std::optional<SchemaDump> DumpSchema(const SchemaRequest& /*request*/) {
    return std::nullopt;
  }
  virtual std::unique_ptr<SchemaSession> OpenSchemaSession(const SchemaDump& dump);
  // The sequences named (owned by a column or standalone) as they stand here, and setting one
  // here to a state read there; none where the engine has no sequences.
  virtual std::vector<SequenceState> ReadSequences(const std::vector<TableName>& /*names*/) {
    return {};
  }
  virtual void SetSequence(const SequenceState& state);
  // Creates the sequence `state` describes (its name, start, increment, bounds, cycle) unless
  // one of that name exists; throws Error(kSchema) where the engine has no sequences.
  virtual void CreateSequence(const SequenceState& state);
  // The sequences of `schemas` (standalone or owned by a column); none where the engine has none.
  virtual std::vector<TableName> ListSequences(const std::vector<std::string>& /*schemas*/) {
    return {};
  }
  virtual void DropTable(const TableName& name) = 0;
  virtual void TruncateTable(const TableName& name) = 0;
  virtual bool HasRows(const TableName& name) = 0;
  // Whether the connected user may do `privilege` with `table` (kCreate: create it in its
  // schema), as the engine's privilege catalog says, so a missing grant is found before a run
  // fails half way; nullopt where the engine cannot tell.
  virtual std::optional<bool> HasPrivilege(const TableName& table, Privilege privilege) = 0;

  // Sets up what read sessions opened afterwards share; returns what that guarantees, for the
  // log ("one exported snapshot", "a consistent snapshot per reader", "none").
  virtual std::string BeginSnapshot(Consistency consistency) = 0;
  virtual std::unique_ptr<ReadSession> OpenReadSession() = 0;
  virtual std::unique_ptr<WriteSession> OpenWriteSession() = 0;
  // The run state kept in this (destination) database, in tables named with `prefix`, on a
  // connection of its own.
  virtual std::unique_ptr<class RunStore> OpenRunStore(const std::string& prefix) = 0;

  // Incremental sync (copier/change_tracking.hpp): the change logs of this (source) database,
  // and the sync positions kept in this (destination) database in a table named with `prefix`.
  // Engines without them throw Error(kUsage).
  virtual std::unique_ptr<class ChangeTracker> OpenChangeTracker();
  virtual std::unique_ptr<class SyncStateStore> OpenSyncState(const std::string& prefix);
};

}  // namespace ferry
