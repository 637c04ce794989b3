// What the copier needs from a database at either end of a copy. drivers/ implements it
// (ODBC for every engine, native bulk paths where they are faster); everything above
// drivers/ sees only this interface, so readers and writers can be swapped per table.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "copier/held_foreign_key.hpp"
#include "copier/large_objects.hpp"
#include "copier/row_hash.hpp"
#include "copier/schema_clone.hpp"
#include "copier/work_unit.hpp"

namespace ferry {

// kFiles: a staging directory (drivers/files/) as an export's destination; read back, it
// reports the engine the rows were exported from.
enum class Engine { kPostgres, kMariaDB, kSQLite, kSqlServer, kOther, kFiles };
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
  // Decimal NaN (PostgreSQL numeric); dates outside any year limit: BC years, years past 9999
  // and infinity (PostgreSQL, whatever min_year and max_year say); MariaDB's zero dates
  // (0000-00-00, a zero month or day).
  bool decimal_nan = false;
  bool unbounded_dates = false;
  bool zero_dates = false;
  // TIME values outside 00:00:00..24:00:00 (MariaDB's span -838:59:59..838:59:59).
  bool times_beyond_day = false;
  // Whether every value fits its column's declared type: width, length, precision (SQLite's
  // smallint or varchar(5) column holds any integer or text, so only the storage is known).
  bool declared_types_hold = true;
};

// Where an index or constraint name must be unique.
enum class NameScope { kTable, kSchema, kDatabase };

// What a foreign key asks of its columns' types: nothing (SQLite), values that compare
// (PostgreSQL: an integer may reference a bigint, never a text), or one type (MariaDB: integers
// of one width and signedness, text short enough to index).
enum class KeyTypeMatch { kAny, kComparable, kSame };

// What the layers above need to know about an engine, as data, so they never ask its name.
struct EngineTraits {
  // An engine ferry copies between (every engine drivers/ opens).
  bool copies = false;
  // The longest identifier kept (0: no limit), counted in characters or bytes: PostgreSQL cuts
  // longer ones to 63 bytes, MariaDB refuses more than 64 characters.
  size_t max_identifier_length = 0;
  bool identifier_length_in_characters = false;
  // Where index and foreign key names must be unique (PostgreSQL: indexes per schema, keys per
  // table; MariaDB: indexes per table, keys per database; SQLite: indexes per database, keys
  // per table), and whether names there are compared ignoring case.
  NameScope index_name_scope = NameScope::kSchema;
  NameScope foreign_key_name_scope = NameScope::kTable;
  bool object_names_fold_case = true;
  // Whether table name case folding is a server setting (MariaDB's lower_case_table_names), so
  // names equal but for case may collide on another server of the same engine.
  bool table_case_folding_is_setting = false;
  // Whether declared types and lengths are enforced (SQLite stores any value in any column).
  bool enforces_declared_types = true;
  // A table without a key is split into ranges of heap pages (PostgreSQL's ctid), else read
  // as one stream.
  bool keyless_by_pages = false;
  // ferry track / sync can keep change logs with triggers here.
  bool change_tracking = false;
  // The schema can be dumped and made again by the engine's own means (pg_dump, SHOW CREATE,
  // sqlite_master) for a destination of the same engine; the dump's objects are created
  // unqualified, in the connection's default schema (MariaDB's database, SQLite's main).
  bool schema_clone = false;
  bool schema_dump_unqualified = false;
  // Sequences exist as objects of their own (PostgreSQL, MariaDB).
  bool sequences = false;
  KeyTypeMatch foreign_key_types = KeyTypeMatch::kComparable;
  // Foreign keys may be DEFERRABLE (INITIALLY DEFERRED): checked at commit (PostgreSQL, SQLite).
  bool deferrable_keys = false;
  // The longest text, in characters, a one-column key indexes whole (MariaDB: 768 characters
  // of utf8mb4 in InnoDB's 3072 bytes); 0: no limit.
  int64_t longest_key_text = 0;
  // The most columns a table ferry creates may have (0: as many as any source has): InnoDB
  // refuses more than 1017 ("Too many columns"), where PostgreSQL allows 1600.
  size_t max_columns = 0;
  // Table and column comments are kept (PostgreSQL, MariaDB), and the longest kept in
  // characters (0: no limit; MariaDB refuses longer ones, so ferry cuts them there).
  bool comments = false;
  size_t longest_table_comment = 0;
  size_t longest_column_comment = 0;
  // Whether the collations that ignore case also fold letters beyond ASCII (MariaDB: É and é,
  // ß and ss), which SQLite's NOCASE keeps apart: a key over such a column would refuse source
  // values, so ferry gives NOCASE key columns the exact default collation there instead.
  bool case_insensitive_folds_beyond_ascii = false;
};

// Why long values are held whole at one end (Endpoint::LongValuesHeldWhole).
struct HeldWhole {
  std::string reason;      // "" when they travel in pieces
  bool avoidable = false;  // another way of connecting to the same database reads them in pieces
};

// Where an export's rows stood in a tracked source table's change log (ferry track), carried
// by a staging directory to the destination it is imported into: that destination's first
// `ferry sync` from the live source applies the changes logged after `applied`, then takes
// over from the export's registration with the log (`consumer`).
struct CarriedLogPosition {
  TableName table;  // the source's
  int64_t generation = 0;
  int64_t applied = 0;
  std::string consumer;
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
  // A staging directory read as a source: the product its rows were exported from
  // ("PostgreSQL"), by which ferry check names what another engine does not carry; else "".
  std::string exported_from;
  // Where ferry keeps its run state here, as the user chose it (--state-schema): a schema, or a
  // database on MariaDB; "" for the engine's own place.
  std::string state_schema;
  // The database itself, as its server identifies it ("" when unknown): PostgreSQL's cluster
  // system identifier and the database's oid, MariaDB's host, port and data directory and the
  // database, a SQLite file's device and inode. Equal at both ends means one database, however
  // differently the two connections were spelled (localhost and 127.0.0.1, a DSN and a URL, a
  // symlink), so a copy would read the tables it writes.
  std::string database_identity;
  ValueLimits limits;
  EngineTraits traits;
  // Reads and writes PostgreSQL binary COPY streams undecoded (ReadRequest::pass_through).
  bool binary_copy_pass_through = false;
  // Write sessions that can work at once (0 = no limit): SQLite has one writer at a time.
  int max_write_sessions = 0;
  // Writers a sync may apply its batches with side by side, each batch changing keys the one
  // before it does not (1: one at a time). PostgreSQL's row locks are the changed keys' own;
  // MariaDB's writers take gap locks (REPEATABLE READ), so a later batch could hold a lock the
  // one before it needs, which would cost a wait for the turn's patience.
  int sync_writers = 1;
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

// Whether two ends are the same database (both identities known and equal).
bool SameDatabase(const EndpointInfo& a, const EndpointInfo& b);

// Throws Error(kUsage) when `source` and `destination` are one database and a table would be
// read and written by the same copy (`tables`: source and destination names), naming it: with
// --truncate that empties the source before reading it. Copies between two tables of one
// database (renamed, or into another schema) stay allowed.
void RefuseSelfCopy(const EndpointInfo& source, const EndpointInfo& destination,
                    const std::vector<std::pair<TableName, TableName>>& tables);

// `ferry check --scan`: values of one column the destination would refuse, counted by the source
// server in one aggregate query per table.
enum class ValueRule {
  kNaN,              // a float (or PostgreSQL numeric) NaN
  kInfinity,         // +/-Infinity
  kNul,              // text containing U+0000
  kLongerThan,       // text longer than `limit` characters (bytes: longer than `limit` bytes)
  kBytesLongerThan,  // text or bytes longer than `limit` bytes
  kYearOutside,      // a date or timestamp outside the years `limit`..`limit2` (or infinite)
  kZeroDate,         // MariaDB's zero dates: a zero year, month or day
  kNegativeZero,     // a float -0 (MariaDB and SQLite store 0)
  kInvalidUtf8,      // text whose bytes are not valid UTF-8 (SQLite stores any bytes as text)
  kTimeBeyondDay,    // a TIME negative or past 24:00:00 (MariaDB's durations)
  kOtherKind,        // a value ferry cannot read as its column's type (SQLite: text in an
                     // INTEGER column, say); `limit` is the column's Storage
};
struct ValueScan {
  int column = 0;  // index into the table's columns
  ValueRule rule = ValueRule::kNaN;
  int64_t limit = 0;
  int64_t limit2 = 0;
};
struct ValueScanResult {
  int64_t count = 0;                  // -1: the source cannot test this rule
  std::vector<std::string> examples;  // a few row keys (the key's first column), as text
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
  // The unit these rows are (its range in destination column indices), for destinations that
  // file rows by unit: a staging directory records each unit's range with its chunk files.
  std::optional<WorkUnit> unit;
  // Write mode upsert: a row whose `upsert_key` (destination column indices of a primary key or
  // unique key the destination table has, all among `columns`) already exists is updated, every
  // written non-key column taking the new value; other rows are inserted. Off, writers insert
  // only, by their fastest path.
  bool upsert = false;
  std::vector<int> upsert_key;
  // The table's CHECK constraints are not enforced on these rows: ferry made the table and
  // checks its rows once they are in (Endpoint::AddChecks), so a row the source held against a
  // check translated from another engine is named there instead of failing its unit.
  bool defer_checks = false;
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
  // The range's digest as this end has it on record, without reading a row: a staging
  // directory's manifest keeps every unit's rows and row-hash sum. nullopt unless it holds one
  // for exactly this range, hashed over these columns in these canonical forms.
  virtual std::optional<RangeDigest> StoredDigest(const DigestRequest& /*request*/,
                                                  const std::vector<CanonicalForm>& /*forms*/) {
    return std::nullopt;
  }
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
// Copies and comparisons both start from it (tools/option_table.cpp says why).
inline constexpr Consistency kDefaultConsistency = Consistency::kSnapshot;

class Endpoint {
 public:
  virtual ~Endpoint() = default;

  virtual const EndpointInfo& info() const = 0;

  // Every user table (views and system tables excluded).
  virtual std::vector<TableName> ListTables() = 0;
  // The table's shape; nullopt when it does not exist.
  virtual std::optional<Table> DescribeTable(const TableName& name) = 0;
  // Describes `names` together where the engine can (a catalog query per kind for all of them,
  // where one by one costs several round trips per table: most of a run's planning and of a
  // verify on schemas of hundreds of small tables), and answers DescribeTable for them from
  // that until ForgetDescriptions, or until a table is created, altered or dropped through this
  // endpoint. Only for phases that change no table's shape (DescriptionsAhead below).
  virtual void DescribeAhead(const std::vector<TableName>& /*names*/) {}
  virtual void ForgetDescriptions(const std::vector<TableName>& /*names*/) {}
  // About `count` key tuples spread evenly over the table's rows, sorted in the engine's key
  // order, as canonical text (bytes as lower-case hex): the sample key ranges are cut from.
  virtual std::vector<std::vector<std::string>> SampleKeys(const Table& table,
                                                           const std::vector<int>& key,
                                                           size_t count) = 0;
  // The units a source's rows are already cut into, in part order (a staging directory: the
  // export's units, one or more chunk files each); the planner takes them as they are, so each
  // is read whole. Empty where the planner cuts the table itself.
  virtual std::vector<KeyRange> StoredUnits(const Table& /*table*/) { return {}; }
  // Where a source table lands here when the user renames nothing: same schema name where
  // this engine has schemas that the source named, else this end's default schema.
  virtual TableName DestinationName(const TableName& source, Engine source_engine) const = 0;

  // Why this engine cannot name a table, schema or column `name` ("" when it can): MariaDB's
  // catalog holds no characters beyond U+FFFF, such as emoji.
  virtual std::string NameProblem(const std::string& /*name*/) const { return ""; }
  // Why a value of `column` of `table` longer than the long-value threshold (LongValueThreshold)
  // is held whole in memory when this end reads it (`as_source`) or writes it, whatever
  // --memory-limit says; an empty reason where such values travel in pieces. check and run warn
  // with it (engines whose own design leaves no other way are documented in the README).
  virtual HeldWhole LongValuesHeldWhole(const Table& /*table*/, int /*column*/,
                                        bool /*as_source*/) {
    return {};
  }
  // The column type this engine would create for a source column of `type` from
  // `source_engine`; `native` holds its DDL spelling. Throws Error(kSchema) when this engine
  // cannot hold the type.
  virtual ColumnType MapType(const ColumnType& type, Engine source_engine) const = 0;
  // `table` (types mapped) with the types of its key columns fitted to what this engine can
  // key: MariaDB's 3072-byte InnoDB key takes no TEXT column, so a primary key's text columns
  // become varchars sized to share it. Unchanged elsewhere.
  virtual Table FitKeys(const Table& table) const { return table; }
  // The longest value of each of `columns`, text or bytes (characters, or bytes; 0 for none),
  // all measured in one pass over the table: whether columns fitted by FitKeys hold a value that
  // will not fit.
  virtual std::vector<int64_t> LongestValues(const Table& table,
                                             const std::vector<int>& columns) = 0;
  // Creates `table` (column types already mapped, `native` set) with its primary key.
  virtual void CreateTable(const Table& table) = 0;
  // Checks that `table` (with its primary key) and `indexes` on it can be created here, by
  // creating them where nothing is left behind (a transaction rolled back; MariaDB: a temporary
  // table). Throws Error(kSchema) naming the table and what the server refused (a type it does
  // not know, a duplicate column, a key too long). Does nothing where the engine cannot try.
  virtual void TryCreateTable(const Table& /*table*/, const std::vector<Index>& /*indexes*/) {}
  // Adds `table`'s primary key to the existing table of that name. Opens its own connection,
  // so it may run on any thread while sessions work; waits for locks like DropTable.
  virtual void AddPrimaryKey(const Table& table) = 0;
  // Builds an index or unique constraint on the existing table `table` (destination names and
  // column positions), and a foreign key referencing `fk.references` (already renamed to the
  // destination's table). Like AddPrimaryKey they open their own connection.
  virtual void CreateIndex(const Table& table, const Index& index) = 0;
  virtual void CreateForeignKey(const Table& table, const ForeignKey& fk) = 0;
  // Once the rows of `table` (a table ferry made) are in: its CHECK constraints (Table::checks)
  // added where the engine adds them to a table with rows (PostgreSQL: NOT VALID, then
  // validated), or, where they came with CREATE TABLE and were not enforced on the load
  // (WriteRequest::defer_checks), its rows checked against them. Returns a note for each check
  // rows do not satisfy (left in place for new rows); throws for what failed otherwise.
  virtual std::vector<std::string> AddChecks(const Table& /*table*/) { return {}; }
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
  // Why DumpSchema gives nothing for `request` where this end could otherwise give a dump ("" for
  // the general reason): a staging directory's kept dump holds tables an import leaves out.
  virtual std::string WhyNoSchemaDump(const SchemaRequest& /*request*/) { return ""; }
  // An export's destination (a staging directory) keeps the source's schema dump for the export's
  // scope and, once the rows are in, the source's sequence states, so that read back as a source
  // it gives them to an import into the source's engine (DumpSchema, ReadSequences), which then
  // clones the schema as a direct copy would.
  virtual bool KeepsSchema() const { return false; }
  virtual void KeepSchema(const KeptSchema& /*schema*/) {}
  virtual void KeepSequences(const std::vector<SequenceState>& /*states*/) {}
  // What the columns of `tables` need at a database of this (source) engine that this database
  // defines itself (PostgreSQL's domains, enums, composite and range types, the functions they
  // call, the extensions that provide types), as statements in creation order, each naming the
  // tables that need it (SchemaObject::used_by), read without the engine's own tools (ferry's
  // own DDL needs no pg_dump); a staging directory's kept statements. nullopt where none.
  virtual std::optional<SchemaDump> ColumnTypes(const std::vector<TableName>& /*tables*/) {
    return std::nullopt;
  }
  // For each need of a clone's objects (copier/schema_clone.hpp), "" where this (destination)
  // end meets it, else what is missing ("the destination user x is not a superuser"); every
  // need met where the engine has no such rights (SQLite) or a clone asks none.
  virtual std::vector<std::string> UnmetNeeds(const std::vector<CloneNeed>& needs) {
    return std::vector<std::string>(needs.size());
  }
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
  // Drops the sequence (nothing when it is not there). Waits for locks like DropTable.
  virtual void DropSequence(const TableName& name);
  // Dropping and emptying wait a short while for locks other sessions hold on the table, again
  // with growing pauses, telling the wait notice (below) who holds them; after the last try
  // they throw Error(kBusy) naming those sessions, instead of queueing for as long as a reader
  // keeps its transaction open (with every later session queued behind).
  virtual void DropTable(const TableName& name) = 0;
  virtual void TruncateTable(const TableName& name) = 0;
  // Foreign keys this (destination) end enforces on ferry's writes into `tables`: declared by
  // one of them or referencing one (copier/held_foreign_key.hpp). None where ferry's sessions
  // do not enforce them (MariaDB's foreign_key_checks = 0, SQLite's foreign_keys = OFF).
  virtual std::vector<HeldForeignKey> ForeignKeysOn(const std::vector<TableName>& /*tables*/) {
    return {};
  }
  // Drops the key (nothing when it is not there). Waits for locks like DropTable.
  virtual void DropForeignKey(const HeldForeignKey& /*key*/) {}
  // Adds the key back with its own name and definition, NOT VALID where it was (nothing when
  // a key of that name is there). When rows violate it, it is added NOT VALID and
  // Error(kData) names the key, both tables and a violating key (values only with
  // --show-values). Waits for locks like DropTable.
  virtual void RestoreForeignKey(const HeldForeignKey& /*key*/) {}
  // Where this end says what it is waiting for while it waits (a lock another session holds).
  // Called on the thread that waits.
  void SetWaitNotice(std::function<void(const std::string&)> notice) {
    wait_notice_ = std::move(notice);
  }
  virtual bool HasRows(const TableName& name) = 0;
  // Whether the server answers a new connection (log in, a trivial query) within `timeout`.
  // When it does not, it or the network to it has gone silent without closing anything (a
  // firewall dropping packets, a hung proxy), which no TCP keepalive of a connection the peer's
  // kernel still acknowledges can tell from a long statement: every connection this process
  // holds to that server is then cut, so each call waiting on one fails as a lost connection
  // (and is retried as one) instead of waiting for good. May run on a thread of its own beside
  // the end's other work. An end that holds no network connection always answers.
  virtual bool ServerAnswers(std::chrono::milliseconds /*timeout*/) { return true; }
  // A row of `table` (as a source) whose foreign key `fk` finds no parent: "(a, b)=(1, 2)", or
  // "" when every row has its parent. Only where the engine lets such rows in (SQLite, whose
  // foreign_keys pragma is off unless a connection turns it on); elsewhere always "".
  virtual std::string DanglingReference(const Table& /*table*/, const ForeignKey& /*fk*/) {
    return "";
  }
  // What a schema holds besides tables (views, materialized views, functions, procedures,
  // triggers, standalone sequences, events), as (kind, name) pairs, ferry's own objects left out:
  // what a copy to another engine does not carry, for ferry check to list.
  virtual std::vector<std::pair<std::string, std::string>> OtherObjects(
      const std::string& schema) = 0;
  // The DEFINER accounts of a schema's views, routines, triggers and events, as (object,
  // "user@host") pairs ("view sakila.customer_list"); none where the engine has no definers.
  virtual std::vector<std::pair<std::string, std::string>> Definers(const std::string& /*schema*/) {
    return {};
  }
  // How LOWER and UPPER change the case of text in `table`'s columns (nullptr: in the columns of
  // tables ferry creates here) when that is not Unicode's mapping ("ASCII letters only (LC_CTYPE
  // C)"), so ferry check can say that a generated column translated with lower/upper computes
  // other values at the other end; "" for Unicode's mapping, or where this end cannot tell.
  virtual std::string CaseFolding(const TableName* /*table*/) { return ""; }
  // Whether an account ("user@host", as Definers gives it) exists here; nullopt where this end
  // cannot tell (no such accounts, or no right to read them).
  virtual std::optional<bool> HasAccount(const std::string& /*account*/) { return std::nullopt; }
  // Counts, for each scan, the table's rows whose value breaks its rule, in one pass over the
  // table on the server (results in the order of `scans`).
  virtual std::vector<ValueScanResult> ScanValues(const Table& table,
                                                  const std::vector<ValueScan>& scans) = 0;
  // A table none of whose columns is copied (it has none, or only generated ones) keeps its row
  // count: the source's rows are counted (in the run's snapshot, once BeginSnapshot has begun
  // one) and as many rows are made at the destination, each column at its default or computed.
  virtual int64_t CountRows(const Table& table) = 0;
  virtual void InsertDefaultRows(const Table& table, int64_t rows) = 0;
  // Whether the connected user may do `privilege` with `table` (kCreate: create it in its
  // schema), as the engine's privilege catalog says, so a missing grant is found before a run
  // fails half way; nullopt where the engine cannot tell.
  virtual std::optional<bool> HasPrivilege(const TableName& table, Privilege privilege) = 0;
  // How many more sessions the connected user may open now: the least of what its role's, its
  // database's and the server's connection limits leave (sessions open counted, this end's own
  // included); nullopt where nothing limits it or the engine cannot tell.
  virtual std::optional<int64_t> SessionHeadroom() { return std::nullopt; }

  // Sets up what read sessions opened afterwards share; returns what that guarantees, for the
  // log ("one exported snapshot", "a consistent snapshot per reader", "none").
  virtual std::string BeginSnapshot(Consistency consistency) = 0;
  // Where the run's snapshot stands in this (source) server's own logs, as (name, value) pairs:
  // PostgreSQL's WAL position and the snapshot's transaction horizon, MariaDB's binlog GTID
  // position (docs/staging-format.md says exactly what each means); empty where there is none.
  // Asked only by a destination that keeps it (KeepsSourcePosition), after BeginSnapshot.
  virtual std::vector<std::pair<std::string, std::string>> SnapshotPosition() { return {}; }
  virtual bool KeepsSourcePosition() const { return false; }
  // Throws Error(kUsage), naming both sources, when this (destination) end holds what another
  // database than `source` wrote into it: a staging directory exported from another source,
  // which a second export would mix with the first. A destination that cannot tell accepts.
  virtual void RefuseOtherSource(const EndpointInfo& /*source*/) const {}
  virtual void KeepSourcePosition(const std::vector<std::pair<std::string, std::string>>&) {}
  virtual std::unique_ptr<ReadSession> OpenReadSession() = 0;
  virtual std::unique_ptr<WriteSession> OpenWriteSession() = 0;
  // Called (on a writer thread) once the destination committed `unit`, read from this source,
  // and for each unit a resumed run finds committed already: a staging directory imported
  // with --remove-imported takes the unit's files away. The copy stands whatever this throws.
  virtual void UnitCopied(const WorkUnit& /*unit*/) {}
  // Told, before the run writes anything, the units it will read from this source (those a
  // resumed run committed already left out) and where they go: throws (kNotFound) when it can
  // no longer give some of them (a staging directory whose chunks an earlier import removed).
  virtual void PrepareToRead(const std::vector<WorkUnit>& /*units*/,
                             const EndpointInfo& /*destination*/) {}
  // The run state kept in this (destination) database, in tables named with `prefix`, on a
  // connection of its own.
  virtual std::unique_ptr<class RunStore> OpenRunStore(const std::string& prefix) = 0;

  // Incremental sync (copier/change_tracking.hpp): the change logs of this (source) database,
  // and the sync positions kept in this (destination) database in a table named with `prefix`.
  // Engines without them throw Error(kUsage).
  virtual std::unique_ptr<class ChangeTracker> OpenChangeTracker();
  virtual std::unique_ptr<class SyncStateStore> OpenSyncState(const std::string& prefix);
  // A staging directory read back: where its export stood in the source's change logs; none
  // elsewhere.
  virtual std::vector<CarriedLogPosition> CarriedLogPositions() { return {}; }
  // This database's large objects (PostgreSQL), on a session of their own; nullptr where the
  // engine has none.
  virtual std::unique_ptr<LargeObjectStore> OpenLargeObjects() { return nullptr; }
  // The columns of `schema`'s tables that hold large-object oids ("schema.table.column":
  // PostgreSQL's oid and lo columns, where the database holds large objects; a staging
  // directory's, where its export carried them); none where the engine has no large objects.
  virtual std::vector<std::string> LargeObjectColumns(const std::string& /*schema*/) { return {}; }

 protected:
  void NoticeWait(const std::string& text) const {
    if (wait_notice_) wait_notice_(text);
  }

 private:
  std::function<void(const std::string&)> wait_notice_;
};

// Endpoint::DescribeAhead for a phase that changes no table's shape: the tables are described
// together now, and forgotten when the phase ends, so a later phase sees them afresh.
class DescriptionsAhead {
 public:
  DescriptionsAhead(Endpoint& endpoint, std::vector<TableName> names)
      : endpoint_(endpoint), names_(std::move(names)) {
    endpoint_.DescribeAhead(names_);
  }
  ~DescriptionsAhead() { endpoint_.ForgetDescriptions(names_); }
  DescriptionsAhead(const DescriptionsAhead&) = delete;
  DescriptionsAhead& operator=(const DescriptionsAhead&) = delete;

 private:
  Endpoint& endpoint_;
  std::vector<TableName> names_;
};

}  // namespace ferry
