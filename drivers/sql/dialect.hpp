// A dialect is what ferry knows about one database engine's SQL: identifier quoting, catalog
// queries, how its native types map to ferry's logical types and back, the DDL it accepts,
// session settings and key-range predicates; what is a plain yes or no about the engine is its
// quirks (DialectQuirks, data). Each engine's dialect lives in its folder (drivers/postgres,
// drivers/mariadb, drivers/sqlite). Internal to drivers/; the copier sees only Endpoint.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/work_unit.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

class ChangeLogEngine;

// How an engine's ODBC driver wants values bound and fetched (drivers/odbc/codec.cpp), as
// plain data, so that no ODBC type reaches a dialect.
struct OdbcQuirks {
  // Whether SQLSetPos + SQLGetData on a row of a multi-row rowset returns that row's value;
  // drivers that claim SQL_GD_BLOCK but answer with another row say false.
  bool positions_in_rowset = true;
  // REAL columns are fetched as doubles (SelectExpression widens them on the server).
  bool reals_as_double = false;
  // Which values are bound as text for the server to parse itself, the others in their own
  // form: none, all but integers and bytes, or all but numbers, booleans and bytes.
  enum class TextWrites { kNone, kAllButIntegersAndBytes, kAllButNumbersAndBytes };
  TextWrites text_writes = TextWrites::kNone;
  // Every bytes value bound as a long binary (psqlODBC's bytea).
  bool bytes_as_long_binary = false;
  // A boolean sent as text, and whether timestamps with time zone sent as text carry "+00".
  const char* true_text = "1";
  const char* false_text = "0";
  bool utc_offset = false;
};

// The yes-or-no facts of an engine's SQL, as data.
struct DialectQuirks {
  char quote = '"';
  // What the layers above read about the engine (EndpointInfo::traits); its
  // max_identifier_length also cuts the index and constraint names ferry derives (in bytes).
  EngineTraits traits;
  // Column names equal but for case are one column (everywhere but PostgreSQL).
  bool fold_column_names = true;
  // Foreign keys can only be declared by CREATE TABLE (SQLite): CreateTableSql declares
  // table.foreign_keys, ForeignKeySql is not used, and a key the table was created without is
  // added by RebuildWithForeignKey, which makes the table again with it.
  bool foreign_keys_at_creation = false;
  // CHECK constraints of a table ferry makes are added once its rows are in (PostgreSQL: NOT
  // VALID, then validated), not declared by CREATE TABLE; elsewhere CREATE TABLE declares them
  // and the load does not enforce them (CheckEnforcementSql).
  bool checks_after_data = false;
  // Whether a list of composite keys (KeyRange::keys) is matched as `(a, b) IN (VALUES ...)`
  // rather than `(a, b) IN ((...), ...)`: PostgreSQL plans the latter as one OR arm per key
  // (150 ms for 5,000 keys, out of stack before 20,000) and the former as a join.
  bool composite_keys_as_values = false;
  // The statement that starts a transaction.
  const char* begin_sql = "BEGIN";
  // Planning samples a one-column integer key by index dives (drivers/sql/key_dives.hpp)
  // before reading every row for a sample: an engine without block sampling (MariaDB).
  bool sample_by_key_dives = false;
  OdbcQuirks odbc;
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual Engine engine() const = 0;

  // Attributes added to the connection string when the user did not set them.
  virtual std::vector<std::pair<std::string, std::string>> ConnectionAttributes(
      bool is_source) const = 0;
  // Session settings run on every new connection (time zone, strictness, encoding), and the
  // tag naming this ferry process (ThisSessionTag), by which a later run finds the sessions a
  // dead one left.
  virtual void SetUpSession(SqlSession& connection, bool is_source) const = 0;

  // Consistent reads. ExportSnapshot runs on a coordinator session that stays open for the
  // run and returns a snapshot others can import, or nullopt where the engine cannot share one;
  // StartSnapshotRead begins a reader's read-only transaction, in `snapshot` when given.
  virtual std::optional<std::string> ExportSnapshot(SqlSession& /*coordinator*/) const {
    return std::nullopt;
  }
  virtual void StartSnapshotRead(SqlSession& /*reader*/,
                                 const std::optional<std::string>& /*snapshot*/) const {}
  // Endpoint::SnapshotPosition on `session`: the session holding the exported snapshot where
  // there is one (`in_snapshot`), else any.
  virtual std::vector<std::pair<std::string, std::string>> SnapshotPosition(
      SqlSession& /*session*/, bool /*in_snapshot*/) const {
    return {};
  }
  // What BeginSnapshot reports for this engine.
  virtual std::string SnapshotGuarantee(bool exported) const {
    return exported ? "one snapshot shared by every reader" : "none";
  }

  std::string Quote(const std::string& identifier) const;
  // A string literal, quotes doubled (sessions run with standard strings: PostgreSQL's
  // standard_conforming_strings, MariaDB's NO_BACKSLASH_ESCAPES); NUL characters dropped.
  std::string TextLiteral(const std::string& text) const;
  // A comment as a text literal, cut to the engine's longest (EngineTraits: table or column).
  std::string CommentLiteral(const std::string& comment, bool of_table) const;
  // A query returning one value that is true ('t' or '1') when this session took the run
  // lock named by `name` for the current database; the lock lives as long as the session.
  // "" where the engine has no session locks.
  virtual std::string TryLockSql(const std::string& /*name*/) const { return ""; }
  // Who holds the run lock `name` of the current database, as the server tells it ("" when
  // nobody does, or the engine cannot tell): named when a run is refused for it.
  virtual std::string RunLockHolder(SqlSession& /*connection*/, const std::string& /*name*/) const {
    return "";
  }
  // ALTER TABLE adding `table`'s column `column` (run state of an older ferry).
  std::string AddColumnSql(const Table& table, size_t column) const;
  // Where ferry keeps its run state when the DBA chose no place (FERRY_STATE_SCHEMA), given
  // the destination's default schema, and the statement creating such a place.
  virtual std::string DefaultStateSchema(const std::string& default_schema) const {
    return default_schema;
  }
  virtual std::string CreateSchemaSql(const std::string& schema) const {
    return "CREATE SCHEMA IF NOT EXISTS " + Quote(schema);
  }
  // A statement creating the schema a new table goes into where it does not exist yet ("" where
  // the engine's tables need none made: MariaDB's database is the connection's, SQLite's main).
  // Unlike CreateSchemaSql it asks nothing of a schema that exists (IF NOT EXISTS still needs
  // the privilege to create schemas).
  virtual std::string CreateMissingSchemaSql(const std::string& /*schema*/) const { return ""; }
  // Run ownership, checked inside a unit's transaction. A statement that fails with `sqlstate`
  // and `message` unless `condition` (an SQL boolean expression) is true.
  virtual std::string AssertSql(const std::string& condition, const std::string& sqlstate,
                                const std::string& message) const = 0;
  // A query returning this session's server id ("" where there are no session locks), and a
  // condition true while session `holder` still holds the run lock `name` (TryLockSql).
  virtual std::string SessionIdSql() const { return ""; }
  // A query returning the server's version as the server spells it ("15.18 (Debian
  // 15.18-0+deb12u1)"); "" to keep the ODBC driver's SQL_DBMS_VER, which drivers re-pad
  // ("15.0.18", "10.11.000019").
  virtual std::string ServerVersionSql() const { return ""; }
  // What makes a subquery's read take a shared lock on the rows it reads ("" where a
  // transaction locks the whole database anyway, as SQLite's writers do).
  virtual std::string SharedLockClause() const { return ""; }
  virtual std::string LockHeldCondition(const std::string& /*name*/,
                                        const std::string& /*holder*/) const {
    return "";
  }
  // Shared runs (ferry run --join): the destination's clock in milliseconds since the epoch
  // ("" where ferry cannot share a run through this engine), by which every lease expires, so
  // workers' clocks never matter; the statement that starts a transaction which will write
  // (SQLite takes its write lock at once, so two claims never interleave); and what makes a
  // read lock the row it reads and pass over rows another claim has locked.
  virtual std::string NowMillisSql() const { return ""; }
  virtual std::string BeginWriteSql() const { return "START TRANSACTION"; }
  virtual std::string ClaimLockClause() const { return ""; }
  // Sessions tagged with a ferry process's SessionTag (see SetUpSession), other than
  // `session`: their ids, ending one, and whether one is still open (rolling back, say).
  virtual std::vector<std::string> TaggedSessions(SqlSession& /*session*/,
                                                  const std::string& /*tag*/) const {
    return {};
  }
  virtual void EndSession(SqlSession& /*session*/, const std::string& /*id*/) const {}
  virtual bool SessionOpen(SqlSession& /*session*/, const std::string& /*id*/) const {
    return false;
  }
  virtual std::string QualifiedName(const TableName& name) const;
  // The table as reads, digests and range deletes name it: an inheritance parent ONLY itself,
  // so each row is read (and replaced) once, with the child table it belongs to.
  std::string RowsOf(const Table& table) const {
    return (table.inheritance_parent ? "ONLY " : "") + QualifiedName(table.name);
  }

  virtual std::string DefaultSchema(SqlSession& connection) const = 0;
  // Which database this session is connected to, by what the server says about itself rather
  // than by how the connection was spelled (EndpointInfo::database_identity); "" where the
  // engine cannot tell.
  virtual std::string DatabaseIdentity(SqlSession& /*connection*/) const { return ""; }
  // Why a table, schema or column cannot be named `name` here ("" when it can); see
  // Endpoint::NameProblem.
  virtual std::string NameProblem(const std::string& /*name*/) const { return ""; }
  virtual std::vector<TableName> ListTables(SqlSession& connection) const = 0;
  virtual std::optional<Table> DescribeTable(SqlSession& connection,
                                             const TableName& name) const = 0;
  // Each of `names` described (nullopt where it does not exist), together where the engine can;
  // by default one after another.
  virtual std::vector<std::optional<Table>> DescribeTables(
      SqlSession& connection, const std::vector<TableName>& names) const {
    std::vector<std::optional<Table>> out;
    out.reserve(names.size());
    for (const TableName& name : names) out.push_back(DescribeTable(connection, name));
    return out;
  }
  virtual ColumnType MapType(const ColumnType& type, Engine source_engine) const = 0;
  // See Endpoint::FitKeys.
  virtual Table FitKeys(const Table& table) const { return table; }
  // CREATE TABLE with the columns (identity columns spelled the engine's way), the primary key,
  // and what the engine can only declare at creation (SQLite: foreign keys).
  virtual std::string CreateTableSql(const Table& table) const;
  // CreateTableSql, and what is made with the table (PostgreSQL: its partitions, attached).
  virtual std::vector<std::string> CreateTableStatements(const Table& table) const {
    return {CreateTableSql(table)};
  }
  std::string AddPrimaryKeySql(const Table& table) const;
  // Statements that create `table` and `indexes` and leave nothing behind, for
  // Endpoint::TryCreateTable: {before..., create, index..., after...}; the last statement is
  // also run when one before it fails. Transactional DDL by default (BEGIN ... ROLLBACK).
  virtual std::vector<std::string> TrialCreateSql(const Table& table,
                                                  const std::vector<Index>& indexes) const;

  // Secondary structure, built once the rows are in. Each statement names the index or
  // constraint `index.name` / `fk.name` (see IndexName, ForeignKeyName). An index carrying a
  // native definition is rebuilt from it where the definition is in this engine's own form;
  // one that only its definition describes (no columns) cannot be built elsewhere: Error(kSchema).
  virtual std::string CreateIndexSql(const Table& table, const Index& index) const;
  virtual std::string ForeignKeySql(const Table& table, const ForeignKey& fk) const;
  // The statement that turns the session's enforcement of CHECK constraints on or off
  // (WriteRequest::defer_checks); "" where the engine cannot (then checks_after_data).
  virtual std::string CheckEnforcementSql(bool /*enforce*/) const { return ""; }
  // A query returning the foreign key columns of one row of `table` whose key is set and has no
  // match in the referenced table; "" where adding the constraint checks the rows itself.
  // `exact_case` (a SQLite source, for another engine): a reference that finds its parent only
  // ignoring case (a NOCASE parent) counts as none, as another engine's key would not find it.
  virtual std::string ForeignKeyOrphanSql(const Table& table, const ForeignKey& fk,
                                          bool exact_case = false) const;
  virtual void RebuildWithForeignKey(SqlSession& /*session*/, const Table& table,
                                     const ForeignKey& /*fk*/) const {
    throw Error(ErrorCode::kInternal, "this engine adds foreign keys with ALTER TABLE",
                ErrorContext{DisplayName(table.name), "", "", ""});
  }
  // Statements (queries start with SELECT) that move identity / serial / auto-increment
  // counters past the column's largest value, and at least to `next` (the source counter's
  // next value, by column name), only ever forwards; none where there is nothing to move.
  virtual std::vector<std::string> SyncIdentitySql(
      SqlSession& /*session*/, const Table& /*table*/,
      const std::vector<IdentityNext>& /*next*/) const {
    return {};
  }
  // The next value each counter of `table` gives an insert, as the database stands.
  virtual std::vector<IdentityNext> IdentityCounters(SqlSession& /*session*/,
                                                     const Table& /*table*/) const {
    return {};
  }

  // The name to try at `attempt` (0, 1, ...) for an index or foreign key of `table`: first the
  // source's own name where this engine accepts it, then one derived from the table and columns
  // (orders_customer_id_idx, _key for unique, _fkey), then that with 1, 2... appended; cut to
  // the engine's identifier length. Index names are per schema in PostgreSQL, per database in
  // SQLite, per table in MariaDB (whose foreign key names are per database), so a source name
  // can be taken at the destination.
  std::string IndexName(const Table& table, const Index& index, int attempt) const;
  std::string ForeignKeyName(const Table& table, const ForeignKey& fk, int attempt) const;
  // Whether a failed CREATE or ALTER says the name is taken, so the next name is tried.
  virtual bool NameTaken(const Error& error) const = 0;
  // Short lock waits for destructive and DDL statements (TRUNCATE, DROP, ADD PRIMARY KEY): a
  // session statement making the next ones give up after `seconds` instead of queueing behind
  // a reader (and making every later session queue behind them); none where the engine has no
  // such setting. IsLockTimeout tells that error from others.
  virtual std::vector<std::string> LockTimeoutSql(int /*seconds*/) const { return {}; }
  virtual bool IsLockTimeout(const Error& /*error*/) const { return false; }
  // The other sessions holding a lock on `table`, one line each (process id, user, application
  // or client, since when), as far as the server tells; empty when it cannot.
  virtual std::vector<std::string> LockHolders(SqlSession& /*session*/,
                                               const TableName& /*table*/) const {
    return {};
  }
  // A condition true for a value of `column` that breaks `scan`'s rule (Endpoint::ScanValues),
  // or "" where this engine cannot test it.
  virtual std::string ScanCondition(const Column& column, const ValueScan& scan) const;
  // A query of (kind, name) rows for Endpoint::OtherObjects, each ? the schema; "" for none.
  virtual std::string OtherObjectsSql() const { return ""; }
  // Statements inserting `rows` rows of defaults (and computed columns) into `table`.
  virtual std::vector<std::string> DefaultRowsSql(const Table& table, int64_t rows) const;
  virtual std::string TruncateSql(const TableName& name) const {
    return "TRUNCATE TABLE " + QualifiedName(name);
  }
  virtual ValueLimits limits() const = 0;
  const DialectQuirks& quirks() const { return quirks_; }
  // Whether table names equal ignoring case are one table on this server (see EndpointInfo).
  virtual bool FoldsTableNames(SqlSession& /*connection*/) const { return false; }
  // The engine's change log statements (drivers/sql/change_log.hpp); null where it has none.
  virtual std::unique_ptr<ChangeLogEngine> ChangeLog() const;
  // Whether the session's user holds `privilege` on `table` (kCreate: in its schema); nullopt
  // where the engine's catalog cannot say.
  virtual std::optional<bool> HasPrivilege(SqlSession& /*connection*/, const TableName& /*table*/,
                                           Privilege /*privilege*/) const {
    return std::nullopt;
  }

  // "WHERE ..." for a work unit, or "" for the whole table.
  std::string RangePredicate(const Table& table, const KeyRange& range) const;
  // DELETE of the rows of one work unit (WriteRequest::replace_range); "" for none.
  std::string ReplaceRangeSql(const Table& table, const std::optional<KeyRange>& range) const;
  // A query returning about `fraction` of the table's rows' key columns, sorted by key, each as
  // canonical text (bytes as lower-case hex).
  std::string SampleSql(const Table& table, const std::vector<int>& key, double fraction) const;
  // SELECT of the `key` columns as canonical text (as SampleSql gives them) FROM the table,
  // followed by `rest` (WHERE, ORDER BY...): keys that KeyRange::keys can name again.
  std::string KeyTextSql(const Table& table, const std::vector<int>& key,
                         const std::string& rest) const;
  // SELECT of `columns` (through SelectExpression) for one work unit.
  std::string SelectSql(const Table& table, const std::vector<int>& columns,
                        const KeyRange& range) const;
  // Server-side hashing for `ferry verify`: what EndpointInfo::server_row_hash says for this
  // server ("" where the engine cannot hash rows itself, or this version cannot), and a query
  // returning one row with the number of rows of `range` and the exact sum of their row hashes
  // over `columns` (NULL for no rows).
  virtual std::string ServerRowHash(SqlSession& /*connection*/) const { return ""; }
  std::string DigestSql(const Table& table, const std::vector<int>& columns,
                        const KeyRange& range) const;
  // INSERT of `columns` with one parameter marker each.
  std::string InsertSql(const Table& table, const std::vector<int>& columns) const;
  // InsertSql followed by UpsertClause: rows whose `key` exists are updated.
  std::string UpsertSql(const Table& table, const std::vector<int>& columns,
                        const std::vector<int>& key) const;
  // What follows an INSERT of `columns` (a VALUES list or a SELECT) so that a row whose `key`
  // (destination column indices, a primary or unique key) already exists takes the new values
  // of every non-key column instead of failing: ON CONFLICT (PostgreSQL, SQLite) here.
  virtual std::string UpsertClause(const Table& table, const std::vector<int>& columns,
                                   const std::vector<int>& key) const;

  // The select-list expression that reads a column exactly.
  virtual std::string SelectExpression(const Column& column) const { return Quote(column.name); }

 protected:
  explicit Dialect(DialectQuirks quirks) : quirks_(std::move(quirks)) {}
  // FROM/WHERE text that keeps about `fraction` of the rows of `table` (a random sample).
  // Deterministic, so the same table plans the same units again (plans are diffed).
  virtual std::string SampleFrom(const Table& table, const std::vector<int>& key,
                                 double fraction) const = 0;
  // A key column as canonical text in a sample (hex for bytes).
  virtual std::string SampleExpression(const Column& column) const;
  // One row's hash over `columns` as an integer expression whose SUM the engine computes exactly
  // (DigestSql); NULL-aware, and sensitive to which column holds which value.
  virtual std::string RowHashExpression(const Table& table, const std::vector<int>& columns) const;
  // The predicate for a physical-location range; "" where the engine has none.
  virtual std::string LocationPredicate(const KeyRange& /*range*/) const { return ""; }
  // The predicate matching a one-column key against `keys` (canonical text), where the engine
  // has a cheaper form than "column IN (a, b, ...)"; "" for that.
  virtual std::string KeyListPredicate(
      const Column& /*column*/, const std::vector<std::vector<std::string>>& /*keys*/) const {
    return "";
  }
  // Renders canonical text of a key value as a literal of this dialect.
  virtual std::string Literal(const ColumnType& type, const std::string& text) const;

  // Pieces of CreateTableSql: one column's definition, and what follows the columns (", PRIMARY
  // KEY (...)" by default).
  virtual std::string ColumnDefinition(const Table& table, size_t column) const;
  // " CHECK (column IN ('a', 'b'))" for an enumeration's column made of a text type, and
  // " CHECK (...)" for a domain's portable conditions (Column::domain_check); else "".
  std::string LabelCheck(const Column& column) const;
  // COMMENT ON TABLE and COMMENT ON COLUMN for the comments of a table ferry creates.
  std::vector<std::string> CommentStatements(const Table& table) const;
  virtual std::string TableConstraints(const Table& table) const;
  // How a key over Column::case_insensitive columns stays case-insensitive: the collation such a
  // column is declared with ("" where the engine has none for a column: PostgreSQL), else the
  // constraint named `name`, to follow ADD or a comma, that keeps `columns` unique ignoring the
  // case of ASCII letters ("" where collations do it).
  virtual std::string CaseInsensitiveCollation() const { return ""; }
  virtual std::string CaseInsensitiveKey(const Table&, const std::vector<int>&,
                                         const std::string&) const {
    return "";
  }
  // CaseInsensitiveKey for `columns` where one of them is case-insensitive, else "".
  std::string CaseInsensitiveKeyFor(const Table& table, const std::vector<int>& columns,
                                    const std::string& name) const;
  // " ON DELETE x ON UPDATE y" for a foreign key.
  virtual std::string ReferentialActions(const ForeignKey& fk) const;
  // "a", "b" for column positions of `table`.
  std::string ColumnList(const Table& table, const std::vector<int>& columns) const;
  // Whether a source's index name can be given to an object here.
  virtual bool AcceptsName(const std::string& name) const { return !name.empty(); }
  // The definition's identifiers end where this returns (npos: no identifier at `at`).
  virtual size_t IdentifierEnd(const std::string& text, size_t at) const;
  // An index or constraint definition in this engine's own form, split where the names go:
  // "CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name ON [ONLY] [schema.]table <tail>" or
  // "ALTER TABLE [ONLY] [schema.]table ADD CONSTRAINT name <tail>". nullopt when it is not.
  struct NativeIndex {
    bool constraint = false;  // the ALTER TABLE form
    std::string kind;         // "", "UNIQUE", "FULLTEXT" or "SPATIAL" (upper case)
    bool qualified = false;   // the table was named with its schema
    std::string tail;
  };
  std::optional<NativeIndex> ParseNativeIndex(const std::string& definition) const;
  // Error(kSchema) for an index only its source engine's definition describes.
  Error NotBuildableHere(const Index& index) const;

 private:
  DialectQuirks quirks_;
};

// Runs DigestSql on `session` (inside whatever transaction it is in) and reads its row.
ServerDigest RunDigest(SqlSession& session, const Dialect& dialect, const DigestRequest& request);

// Parses "name(a,b)" type spellings: the lower-cased base name and the numbers in
// parentheses. Shared by the dialects whose catalogs return type text.
struct TypeSpelling {
  std::string base;
  std::vector<int64_t> args;
  bool is_unsigned = false;
};
TypeSpelling ParseTypeSpelling(const std::string& text);

// How a locale or collation name changes case where that is not Unicode's mapping (C and
// POSIX: ASCII letters only; Turkish and Azeri: a dotted and a dotless i; a MariaDB collation of a
// character set that is not Unicode: only its letters), for Endpoint::CaseFolding; "" otherwise.
std::string CaseFoldingOf(const std::string& locale);

}  // namespace ferry
