// SQLite (opened natively, see drivers/sqlite/). SQLite stores any value in any column, so the
// declared type is what ferry reads and writes by; where SQLite's own numbers would lose
// digits (decimals wider than 15) or its affinity would rewrite text (JSON), ferry declares
// types with TEXT affinity (DECIMAL_TEXT, JSON_TEXT) and keeps the value's exact text.
#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>

#include "copier/error.hpp"
#include "copier/text.hpp"
#include "drivers/sql/change_log.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sqlite/sqlite_create_text.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"
#include "drivers/sqlite/sqlite_sample.hpp"

namespace ferry {

namespace {

DialectQuirks SqliteQuirks() {
  DialectQuirks q;
  q.quote = '"';
  EngineTraits& t = q.traits;
  t.copies = true;
  t.index_name_scope = NameScope::kDatabase;
  t.foreign_key_name_scope = NameScope::kTable;
  t.deferrable_keys = true;
  t.enforces_declared_types = false;
  t.foreign_key_types = KeyTypeMatch::kAny;
  t.change_tracking = true;
  t.schema_clone = true;
  t.schema_dump_unqualified = true;
  q.foreign_keys_at_creation = true;
  return q;
}

constexpr const char* kNowMillis = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
class SqliteDialect final : public Dialect {
 public:
  SqliteDialect() : Dialect(SqliteQuirks()) {}

  std::unique_ptr<ChangeLogEngine> ChangeLog() const override { return MakeSqliteChangeLog(*this); }

  Engine engine() const override { return Engine::kSQLite; }

  // ferry opens SQLite with its own library (drivers/sqlite/), never through ODBC.
  std::vector<std::pair<std::string, std::string>> ConnectionAttributes(bool) const override {
    return {};
  }

  // One read transaction per reader: each sees the database as it was when it started.
  void StartSnapshotRead(SqlSession& reader, const std::optional<std::string>&) const override {
    reader.Execute("BEGIN");
  }
  std::string SnapshotGuarantee(bool) const override {
    return "a consistent snapshot per reader, taken when the reader starts";
  }

  // ferry_fail() is registered on every SQLite session ferry opens (sqlite/sqlite_session.cpp).
  std::string AssertSql(const std::string& condition, const std::string& sqlstate,
                        const std::string& message) const override {
    return fmt::format("SELECT CASE WHEN ({}) THEN 1 ELSE ferry_fail({}) END", condition,
                       TextLiteral(fmt::format("[{}] {}", sqlstate, message)));
  }

  std::string NowMillisSql() const override { return kNowMillis; }
  std::string BeginWriteSql() const override { return "BEGIN IMMEDIATE"; }
  // SQLite adds no CHECK to an existing table: CREATE TABLE declares them, the load runs
  // without them, and its rows are checked after.
  std::string CheckEnforcementSql(bool enforce) const override {
    return enforce ? "PRAGMA ignore_check_constraints = 0" : "PRAGMA ignore_check_constraints = 1";
  }
  void SetUpSession(SqlSession& connection, bool is_source) const override {
    // 16 MiB of page cache per connection (SQLite's default is 2): the pages of a b-tree being
    // filled stay in memory instead of being read back for every few inserts.
    connection.Execute("PRAGMA cache_size = -16384");
    if (!is_source) {
      connection.Execute("PRAGMA synchronous = NORMAL");
      // Declared foreign keys are not enforced while tables load in any order (nor do they turn
      // dropping a failed table into a cascade of deletes); ferry checks them once all is in.
      connection.Execute("PRAGMA foreign_keys = OFF");
    }
  }

  std::string QualifiedName(const TableName& name) const override {
    return name.schema.empty() || name.schema == "main" ? Quote(name.name)
                                                        : Dialect::QualifiedName(name);
  }

  std::string DefaultSchema(SqlSession&) const override { return "main"; }

  // The file's device and inode: one file however its path is spelled (relative, absolute,
  // through a symlink or a hard link). An in-memory or temporary database has none.
  std::string DatabaseIdentity(SqlSession& connection) const override {
    for (const auto& row : connection.Query("PRAGMA database_list")) {
      if (row.size() < 3 || !row[1] || *row[1] != "main" || !row[2] || row[2]->empty()) continue;
      struct stat st {};
      if (stat(row[2]->c_str(), &st) != 0) return "";
      return fmt::format("SQLite file on device {} with inode {}", uint64_t(st.st_dev),
                         uint64_t(st.st_ino));
    }
    return "";
  }

  std::string OtherObjectsSql() const override {
    return "SELECT type, CASE type WHEN 'trigger' THEN name || ' on ' || tbl_name ELSE name END "
           "FROM sqlite_schema WHERE type IN ('view', 'trigger') AND ? IN ('main', '') "
           "ORDER BY 1, 2";
  }

  std::vector<std::string> DefaultRowsSql(const Table& table, int64_t rows) const override {
    return std::vector<std::string>(size_t(rows),
                                    "INSERT INTO " + QualifiedName(table.name) + " DEFAULT VALUES");
  }

  std::string TruncateSql(const TableName& name) const override {
    return "DELETE FROM " + QualifiedName(name);
  }

  std::vector<TableName> ListTables(SqlSession& connection) const override {
    auto rows = connection.Query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name");
    std::vector<TableName> out;
    for (auto& r : rows) out.push_back({"main", *r[0]});
    return out;
  }

  std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name) const override {
    if (name.schema != "main" && !name.schema.empty()) return std::nullopt;
    auto found = connection.Query(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name = ?", {name.name});
    if (found.empty()) return std::nullopt;
    Table table;
    table.name = {"main", name.name};
    // table_xinfo lists generated columns too (hidden 2: virtual, 3: stored); table_info does not.
    auto columns = connection.Query(
        "SELECT name, type, \"notnull\", pk, hidden, dflt_value FROM pragma_table_xinfo(?) "
        "WHERE hidden IN (0, 2, 3) ORDER BY cid",
        {name.name});
    std::vector<std::pair<int, int>> pk;  // (position in key, column)
    for (auto& r : columns) {
      Column c;
      c.name = *r[0];
      c.type = ParseType(r[1].value_or(""));
      c.nullable = *r[2] == "0";
      if (r[4] && (*r[4] == "2" || *r[4] == "3")) {
        c.generated = GeneratedExpression(found[0][1].value_or(""), c.name);
        c.generated_stored = *r[4] == "3";
        if (c.generated.empty()) {
          throw Error(ErrorCode::kSchema,
                      "cannot read the expression of generated column " + c.name +
                          " from the table's CREATE TABLE statement",
                      ErrorContext{DisplayName(name), c.name, "", ""});
        }
      }
      c.default_value = c.generated.empty() ? r[5].value_or("") : "";
      c.case_insensitive = ColumnCollation(found[0][1].value_or(""), c.name) == "nocase";
      int pk_position = std::stoi(*r[3]);
      if (pk_position > 0) pk.emplace_back(pk_position, int(table.columns.size()));
      table.columns.push_back(std::move(c));
    }
    std::sort(pk.begin(), pk.end());
    for (auto& [position, column] : pk) table.primary_key.push_back(column);
    if (pk.size() == 1 && !WithoutRowid(found[0][1].value_or(""))) {
      Column& c = table.columns[size_t(pk[0].second)];
      // INTEGER PRIMARY KEY is the rowid: never NULL, and it numbers new rows (max + 1, or past
      // every number ever used with AUTOINCREMENT).
      if (ParseTypeSpelling(c.type.native).base == "integer") {
        c.nullable = false;
        c.identity = true;
      }
    }
    DescribeIndexes(connection, table);
    DescribeForeignKeys(connection, table, found[0][1].value_or(""));
    table.checks = CheckConstraints(found[0][1].value_or(""));
    // count(*) walks the smallest b-tree: tens of milliseconds per million rows, and exact
    // (max(rowid) is instant but wrong wherever the key is sparse).
    auto count = connection.Query("SELECT count(*) FROM " + QualifiedName(table.name));
    table.estimated_rows = count.empty() || !count[0][0] ? 0 : std::stoll(*count[0][0]);
    // SQLite keeps no per-table size (dbstat is not compiled in everywhere): bytes unknown.
    return table;
  }

  // SQLite has no ALTER TABLE ... ADD CONSTRAINT: foreign keys are declared with the table, and
  // cost nothing while it is loaded, because ferry's sessions keep PRAGMA foreign_keys off.

  // SQLite's own procedure for a change ALTER TABLE cannot make: the table is renamed aside,
  // created again from its own CREATE TABLE text with the foreign key added, refilled, and its
  // indexes and triggers made again; all in one transaction. It costs a copy of the table, which
  // declaring the key when the table is created does not.
  void RebuildWithForeignKey(SqlSession& session, const Table& table,
                             const ForeignKey& fk) const override {
    auto found = session.Query("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
                               {table.name.name});
    if (found.empty() || !found[0][0]) {
      throw Error(ErrorCode::kNotFound, "the table is missing",
                  ErrorContext{DisplayName(table.name), "", "", ""});
    }
    const std::string& create = *found[0][0];
    size_t close = create.rfind(')');
    if (close == std::string::npos) {
      throw Error(ErrorCode::kSchema, "cannot read the table's CREATE TABLE statement: " + create,
                  ErrorContext{DisplayName(table.name), "", "", ""});
    }
    const std::string rebuilt =
        create.substr(0, close) + ForeignKeyClause(table, fk) + create.substr(close);
    auto dependents = session.Query(
        "SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type = 'trigger', name",
        {table.name.name});
    const std::string aside = Quote("ferry_rebuild_" + table.name.name);
    // Legacy renaming leaves other tables' references to this one as they are.
    session.Execute("PRAGMA legacy_alter_table = ON");
    session.Execute("BEGIN IMMEDIATE");
    try {
      session.Execute("ALTER TABLE " + QualifiedName(table.name) + " RENAME TO " + aside);
      session.Execute(rebuilt);
      session.Execute("INSERT INTO " + QualifiedName(table.name) + " SELECT * FROM " + aside);
      session.Execute("DROP TABLE " + aside);
      for (auto& row : dependents) session.Execute(*row[0]);
      session.Execute("COMMIT");
    } catch (...) {
      session.Execute("ROLLBACK");
      session.Execute("PRAGMA legacy_alter_table = OFF");
      throw;
    }
    session.Execute("PRAGMA legacy_alter_table = OFF");
  }

  std::string CreateIndexSql(const Table& table, const Index& index) const override {
    if (!index.native_definition.empty()) {
      // SQLite's own text from another SQLite database (never schema-qualified).
      auto native = ParseNativeIndex(index.native_definition);
      if (native && !native->qualified && !native->constraint &&
          (native->kind.empty() || native->kind == "UNIQUE") && !native->tail.empty() &&
          native->tail[0] == '(') {
        return "CREATE " + (native->kind.empty() ? "" : native->kind + " ") + "INDEX " +
               Quote(index.name) + " ON " + QualifiedName(table.name) + " " + native->tail;
      }
    }
    return Dialect::CreateIndexSql(table, index);
  }

  // SQLite compares table and column names ignoring (ASCII) case.
  bool FoldsTableNames(SqlSession&) const override { return true; }

  bool NameTaken(const Error& error) const override {
    for (const Diagnostic& d : error.diagnostics()) {
      if (d.message.find("already exists") != std::string::npos ||
          d.message.find("there is already") != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  ColumnType MapType(const ColumnType& t, Engine source) const override {
    ColumnType out = t;
    out.max_bytes = -1;
    if (source == Engine::kSQLite) return out;
    // An enumeration keeps its labels: its text column gets a CHECK allowing only them.
    switch (t.kind) {
      case TypeKind::kBoolean:
        out.native = "BOOLEAN";
        break;
      case TypeKind::kInteger:
        if (t.is_unsigned && t.width_bits >= 64) {
          // Beyond SQLite's signed 64-bit integers: exact text.
          out = DecimalText(20, 0);
        } else {
          int bits = t.width_bits + (t.is_unsigned ? 1 : 0);
          out.native = bits <= 8    ? "TINYINT"
                       : bits <= 16 ? "SMALLINT"
                       : bits <= 24 ? "MEDIUMINT"
                       : bits <= 32 ? "INT"
                                    : "BIGINT";
          out.width_bits = bits <= 8 ? 8 : bits <= 16 ? 16 : bits <= 24 ? 24 : bits <= 32 ? 32 : 64;
          out.is_unsigned = false;
        }
        break;
      case TypeKind::kDecimal:
        // SQLite keeps 15 significant digits of a number; wider decimals stay exact as text.
        if (t.precision > 0 && t.precision <= 15) {
          out.native = fmt::format("NUMERIC({},{})", t.precision, t.scale);
        } else {
          out = DecimalText(t.precision, t.scale);
        }
        break;
      case TypeKind::kReal:
        out.native = "FLOAT4";
        break;
      case TypeKind::kDouble:
        out.native = "DOUBLE";
        break;
      case TypeKind::kChar:
        out.native = fmt::format("CHAR({})", t.length);
        break;
      case TypeKind::kVarchar:
        out.native = fmt::format("VARCHAR({})", t.length);
        break;
      case TypeKind::kText:
        out.native = "TEXT";
        break;
      case TypeKind::kBinary:
      case TypeKind::kVarbinary:
      case TypeKind::kBlob:
        out.native = "BLOB";
        // A spatial value lands as its EWKB (copier/spatial.hpp).
        out.ForgetSpatial();
        break;
      case TypeKind::kDate:
        out.native = "DATE";
        break;
      case TypeKind::kTime:
        out.native = fmt::format("TIME({})", t.precision);
        break;
      case TypeKind::kTimestamp:
        out.native = fmt::format("TIMESTAMP({})", t.precision);
        break;
      case TypeKind::kTimestampTz:
        out.native = fmt::format("TIMESTAMPTZ({})", t.precision);
        break;
      case TypeKind::kUuid:
        out.native = "UUID";
        break;
      case TypeKind::kJson:
        out.native = t.binary_json ? "JSONB_TEXT" : "JSON_TEXT";
        break;
      case TypeKind::kUnsupported:
        if (t.text_form) return TextForm("TEXT");  // SQLite has no such types
        [[fallthrough]];
      case TypeKind::kAny:
        throw Error(ErrorCode::kSchema,
                    fmt::format("type {} cannot be created in SQLite: ferry has no mapping for it",
                                DescribeType(t)));
    }
    return out;
  }

  ValueLimits limits() const override {
    ValueLimits l;
    l.float_nan = false;            // SQLite turns NaN into NULL
    l.float_negative_zero = false;  // and -0.0 into 0
    l.requires_utf8 = false;
    l.declared_types_hold = false;
    return l;
  }

 protected:
  std::string SampleFrom(const Table& table, const std::vector<int>& key,
                         double fraction) const override {
    std::vector<std::string> keys;
    for (int k : key) keys.push_back(Quote(table.columns[size_t(k)].name));
    return SqliteSampleFrom(keys, QualifiedName(table.name),
                            fraction >= 1 ? 1 : int64_t(1 / std::max(fraction, 1e-9)));
  }
  std::string SampleExpression(const Column& column) const override {
    if (StorageOf(Declared(column.type)) == Storage::kBytes) {
      return "lower(hex(" + Quote(column.name) + "))";
    }
    return Quote(column.name);
  }
  // A key column copied with each value's own class (TypeKind::kAny, KeepValueTypes) is cut
  // into units, and its keys logged and found, by its declared type, as before: its bounds and
  // keys are that type's text, whichever table (the source's as described, the copy's) made them.
  std::string Literal(const ColumnType& type, const std::string& text) const override {
    return Dialect::Literal(Declared(type), text);
  }

  // An identity column that is the whole primary key becomes INTEGER PRIMARY KEY, the rowid:
  // copied values are kept, and new rows get the largest + 1. Elsewhere SQLite has no counter.
  std::string ColumnDefinition(const Table& table, size_t column) const override {
    const Column& g = table.columns[column];
    if (!g.generated.empty()) {
      return Quote(g.name) + " " + g.type.native + " GENERATED ALWAYS AS (" + g.generated + ") " +
             (g.generated_stored ? "STORED" : "VIRTUAL") + (g.nullable ? "" : " NOT NULL");
    }
    if (!IsRowid(table, column)) return Dialect::ColumnDefinition(table, column);
    const Column& c = table.columns[column];
    return Quote(c.name) + " INTEGER" + (c.nullable ? "" : " NOT NULL") + " PRIMARY KEY";
  }
  std::string TableConstraints(const Table& table) const override {
    std::string out;
    if (table.primary_key.size() != 1 || !IsRowid(table, size_t(table.primary_key[0]))) {
      out = Dialect::TableConstraints(table);
    }
    for (const ForeignKey& fk : table.foreign_keys) out += ForeignKeyClause(table, fk);
    return out;
  }
  bool AcceptsName(const std::string& name) const override {
    return !name.empty() && name.rfind("sqlite_", 0) != 0;  // reserved for SQLite itself
  }
  std::string CaseInsensitiveCollation() const override { return "NOCASE"; }
  // SQLite also reads [name], `name` and 'name' as identifiers.
  size_t IdentifierEnd(const std::string& text, size_t at) const override {
    if (at < text.size() && (text[at] == '`' || text[at] == '\'' || text[at] == '[')) {
      const char close = text[at] == '[' ? ']' : text[at];
      for (size_t i = at + 1; i < text.size(); ++i) {
        if (text[i] != close) continue;
        if (close != ']' && i + 1 < text.size() && text[i + 1] == close) {
          ++i;
          continue;
        }
        return i + 1;
      }
      return std::string::npos;
    }
    return Dialect::IdentifierEnd(text, at);
  }

 private:
  static ColumnType DecimalText(int precision, int scale) {
    ColumnType t;
    t.kind = TypeKind::kDecimal;
    t.precision = precision;
    t.scale = scale;
    t.native =
        precision == 0 ? "DECIMAL_TEXT" : fmt::format("DECIMAL_TEXT({},{})", precision, scale);
    return t;
  }

  // ", CONSTRAINT name FOREIGN KEY (...) REFERENCES parent (...) ON ...", for CREATE TABLE. The
  // referenced table is named without its schema: SQLite allows no other.
  std::string ForeignKeyClause(const Table& table, const ForeignKey& fk) const {
    std::string referenced;
    for (size_t i = 0; i < fk.referenced_columns.size(); ++i) {
      referenced += (i > 0 ? ", " : "") + Quote(fk.referenced_columns[i]);
    }
    return (fk.name.empty() ? std::string(", ") : ", CONSTRAINT " + Quote(fk.name) + " ") +
           "FOREIGN KEY (" + ColumnList(table, fk.columns) + ") REFERENCES " +
           Quote(fk.references.name) + " (" + referenced + ")" + ReferentialActions(fk);
  }

  // An AUTOINCREMENT table keeps the largest number it ever gave in sqlite_sequence (which
  // exists once such a table does); a plain rowid has no counter beyond the rows.
  static bool HasSequenceRow(SqlSession& session, const Table& table) {
    return !session
                .Query(
                    "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = "
                    "'sqlite_sequence'")
                .empty() &&
           !session
                .Query(
                    "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ? AND "
                    "upper(sql) LIKE '%AUTOINCREMENT%'",
                    {table.name.name})
                .empty();
  }
  std::vector<std::string> SyncIdentitySql(SqlSession& session, const Table& table,
                                           const std::vector<IdentityNext>& next) const override {
    if (table.primary_key.size() != 1 || next.empty()) return {};
    const Column& key = table.columns[size_t(table.primary_key[0])];
    if (!key.identity || !HasSequenceRow(session, table)) return {};
    for (const IdentityNext& n : next) {
      if (n.column != key.name) continue;
      std::string name = TextLiteral(table.name.name);
      return {fmt::format("UPDATE sqlite_sequence SET seq = max(seq, {1}) WHERE name = {0}", name,
                          n.next - 1),
              fmt::format("INSERT INTO sqlite_sequence (name, seq) SELECT {0}, {1} WHERE NOT "
                          "EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {0})",
                          name, n.next - 1)};
    }
    return {};
  }
  std::vector<IdentityNext> IdentityCounters(SqlSession& session,
                                             const Table& table) const override {
    if (table.primary_key.size() != 1) return {};
    const Column& key = table.columns[size_t(table.primary_key[0])];
    if (!key.identity || !HasSequenceRow(session, table)) return {};
    auto rows =
        session.Query("SELECT seq + 1 FROM sqlite_sequence WHERE name = ?", {table.name.name});
    if (rows.empty() || !rows[0][0]) return {};
    return {{key.name, std::stoll(*rows[0][0])}};
  }

  static bool IsRowid(const Table& table, size_t column) {
    const Column& c = table.columns[column];
    if (!c.identity || table.primary_key.size() != 1 || size_t(table.primary_key[0]) != column) {
      return false;
    }
    return c.type.kind == TypeKind::kInteger ||
           (c.type.kind == TypeKind::kDecimal && c.type.precision == 20 && c.type.scale == 0);
  }

  // A WITHOUT ROWID table has no rowid, so its INTEGER PRIMARY KEY numbers nothing.
  static bool WithoutRowid(const std::string& create_sql) {
    size_t close = create_sql.rfind(')');
    std::string options;
    for (size_t i = close == std::string::npos ? 0 : close; i < create_sql.size(); ++i) {
      options += char(std::tolower(static_cast<unsigned char>(create_sql[i])));
    }
    return options.find("without") != std::string::npos;
  }

  // Unique indexes (UNIQUE constraints are indexes in SQLite) and other indexes. A partial or
  // expression index keeps its CREATE INDEX text and no columns: only SQLite can rebuild it.
  // The indexes SQLite makes for UNIQUE constraints are named for SQLite only
  // (sqlite_autoindex_...), so they are described by a name derived from table and columns.
  void DescribeIndexes(SqlSession& connection, Table& table) const {
    auto rows = connection.Query(
        "SELECT il.name, il.\"unique\", il.partial, ii.cid, ii.name, s.sql, ii.coll "
        "FROM pragma_index_list(?) il JOIN pragma_index_xinfo(il.name) ii "
        "LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = il.name "
        "WHERE il.origin <> 'pk' AND ii.key = 1 ORDER BY il.name, ii.seqno",
        {table.name.name});
    for (size_t r = 0; r < rows.size();) {
      const std::string name = *rows[r][0];
      Index index{name, {}, rows[r][1] && *rows[r][1] == "1", ""};
      bool native_only = rows[r][2] && *rows[r][2] == "1";
      bool unknown_column = false;
      const std::optional<std::string> sql = rows[r][5];
      for (; r < rows.size() && *rows[r][0] == name; ++r) {
        if (rows[r][3] && *rows[r][3] == "-2") {  // an expression
          native_only = true;
          continue;
        }
        auto column = rows[r][4] ? table.FindColumn(*rows[r][4]) : std::nullopt;
        if (!column) {
          unknown_column = true;  // the rowid itself
          continue;
        }
        index.columns.push_back(*column);
        // A unique index that ignores case keeps its column's values apart ignoring case.
        if (index.unique && Lower(rows[r][6].value_or("")) == "nocase") {
          table.columns[size_t(*column)].case_insensitive = true;
        }
      }
      if (unknown_column) continue;
      if (native_only) {
        if (!sql) continue;
        index.native_definition = *sql;
        index.columns.clear();
      }
      if (!AcceptsName(index.name)) index.name = IndexName(table, index, 1);
      (index.unique ? table.unique_indexes : table.indexes).push_back(std::move(index));
    }
  }

  // pragma_foreign_key_list gives no constraint names: they are derived (child_columns_fkey).
  void DescribeForeignKeys(SqlSession& connection, Table& table, const std::string& create) const {
    auto rows = connection.Query(
        "SELECT id, \"table\", \"from\", \"to\", on_delete, on_update "
        "FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        {table.name.name});
    for (size_t r = 0; r < rows.size();) {
      const std::string id = *rows[r][0];
      ForeignKey fk;
      fk.references = {"main", *rows[r][1]};
      fk.on_delete = rows[r][4].value_or("NO ACTION");
      fk.on_update = rows[r][5].value_or("NO ACTION");
      bool unknown_column = false, implicit_parent_key = false;
      for (; r < rows.size() && *rows[r][0] == id; ++r) {
        auto column = table.FindColumn(*rows[r][2]);
        if (!column) unknown_column = true;
        if (column) fk.columns.push_back(*column);
        if (rows[r][3]) {
          fk.referenced_columns.push_back(*rows[r][3]);
        } else {
          implicit_parent_key = true;
        }
      }
      if (implicit_parent_key) {
        // REFERENCES parent with no columns: the parent's primary key.
        fk.referenced_columns.clear();
        for (auto& k :
             connection.Query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
                              {fk.references.name})) {
          fk.referenced_columns.push_back(*k[0]);
        }
      }
      if (unknown_column || fk.referenced_columns.size() != fk.columns.size()) continue;
      // A key finds its parent by the parent column's collation: one that ignores case is
      // matched ignoring case, and a destination comparing by collation needs both alike.
      auto parent =
          connection.Query("SELECT sql FROM sqlite_schema WHERE name = ?", {fk.references.name});
      for (size_t i = 0; i < fk.columns.size() && !parent.empty(); ++i) {
        if (ColumnCollation(parent[0][0].value_or(""), fk.referenced_columns[i]) == "nocase") {
          table.columns[size_t(fk.columns[i])].case_insensitive = true;
        }
      }
      fk.deferrable = ForeignKeyDeferrable(create, table.columns[size_t(fk.columns[0])].name);
      fk.name = ForeignKeyName(table, fk, 1);
      table.foreign_keys.push_back(std::move(fk));
    }
  }

  static ColumnType Declared(const ColumnType& type) {
    return type.kind == TypeKind::kAny ? ParseType(type.native) : type;
  }

  static ColumnType ParseType(const std::string& declared) {
    ColumnType t;
    t.native = declared;
    TypeSpelling s = ParseTypeSpelling(declared);
    const std::string& b = s.base;
    auto arg = [&](size_t i, int64_t fallback) { return i < s.args.size() ? s.args[i] : fallback; };
    auto integer = [&](int bits) {
      t.kind = TypeKind::kInteger;
      t.width_bits = bits;
      // "smallint unsigned" (Django's PositiveSmallIntegerField): up to 65535 in a column that
      // maps to a wider integer elsewhere. SQLite's integers are signed 64-bit, so no wider.
      t.is_unsigned = s.is_unsigned && bits < 64;
    };
    auto has = [&](const char* word) { return b.find(word) != std::string::npos; };
    if (b == "integer" || b == "bigint" || b == "int8" || b == "unsigned big int") {
      integer(64);
    } else if (b == "int" || b == "int4") {
      integer(32);
    } else if (b == "mediumint") {
      integer(24);
    } else if (b == "smallint" || b == "int2") {
      integer(16);
    } else if (b == "tinyint") {
      integer(8);
    } else if (b == "boolean" || b == "bool") {
      t.kind = TypeKind::kBoolean;
    } else if (b == "decimal_text" || b == "decimal" || b == "numeric") {
      t.kind = TypeKind::kDecimal;
      t.precision = int(arg(0, 0));
      t.scale = int(arg(1, 0));
    } else if (b == "float4") {
      t.kind = TypeKind::kReal;
    } else if (b == "real" || b == "double" || b == "double precision" || b == "float" ||
               b == "float8") {
      t.kind = TypeKind::kDouble;
    } else if (b == "char" || b == "character" || b == "nchar" || b == "native character") {
      t.kind = TypeKind::kChar;
      t.length = arg(0, 1);
    } else if (b == "varchar" || b == "nvarchar" || b == "character varying" ||
               b == "varying character") {
      t.kind = s.args.empty() ? TypeKind::kText : TypeKind::kVarchar;
      t.length = arg(0, -1);
    } else if (b == "text" || b == "clob" || b.empty()) {
      t.kind = TypeKind::kText;
    } else if (b == "blob" || b == "binary" || b == "varbinary" || b == "bytea") {
      t.kind = TypeKind::kBlob;
    } else if (b == "date") {
      t.kind = TypeKind::kDate;
    } else if (b == "time") {
      t.kind = TypeKind::kTime;
      t.precision = int(arg(0, 6));
    } else if (b == "datetime" || b == "timestamp") {
      t.kind = TypeKind::kTimestamp;
      t.precision = int(arg(0, 6));
    } else if (b == "timestamptz" || b == "timestamp with time zone") {
      t.kind = TypeKind::kTimestampTz;
      t.precision = int(arg(0, 6));
    } else if (b == "uuid") {
      t.kind = TypeKind::kUuid;
    } else if (b == "json" || b == "json_text" || b == "jsonb" || b == "jsonb_text") {
      t.kind = TypeKind::kJson;
      t.binary_json = b == "jsonb" || b == "jsonb_text";
    } else if (has("int")) {  // SQLite's affinity rules, in their order
      integer(64);
    } else if (has("char") || has("clob") || has("text")) {
      t.kind = TypeKind::kText;
    } else if (has("blob")) {
      t.kind = TypeKind::kBlob;
    } else if (has("real") || has("floa") || has("doub")) {
      t.kind = TypeKind::kDouble;
    } else {
      t.kind = TypeKind::kDecimal;  // NUMERIC affinity
    }
    return t;
  }
};

}  // namespace

std::unique_ptr<Dialect> MakeSqliteDialect() {
  return std::make_unique<SqliteDialect>();
}

}  // namespace ferry
