// MariaDB and MySQL through MariaDB Connector/ODBC. Catalog from information_schema; sessions
// in UTC, strict (a value that does not fit is an error, never a silent truncation), utf8mb4.
// Tables ferry creates use utf8mb4_bin so keys compare byte for byte, as in the source.
#include <fmt/format.h>

#include <xxhash.h>

#include <algorithm>
#include <atomic>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/mariadb/mariadb_dialect.hpp"
#include "drivers/sql/change_log.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry {

namespace {

DialectQuirks MariaDbQuirks() {
  DialectQuirks q;
  q.quote = '`';
  EngineTraits& t = q.traits;
  t.copies = true;
  t.max_identifier_length = 64;
  t.identifier_length_in_characters = true;
  t.index_name_scope = NameScope::kTable;
  t.foreign_key_name_scope = NameScope::kSchema;  // a schema is a database here
  t.table_case_folding_is_setting = true;         // lower_case_table_names
  t.change_tracking = true;
  t.schema_clone = true;
  t.schema_dump_unqualified = true;
  t.sequences = true;
  // Connector/ODBC 3.1 claims SQL_GD_BLOCK, but SQLGetData after SQLSetPos returns the last
  // row of the rowset, not the positioned one (tests/integration/large_values_test.cpp).
  q.begin_sql = "START TRANSACTION";
  q.odbc.positions_in_rowset = false;
  // The text protocol prints FLOAT with 6 significant digits; SelectExpression widens it.
  q.odbc.reals_as_double = true;
  q.odbc.text_writes = OdbcQuirks::TextWrites::kAllButNumbersAndBytes;
  return q;
}

class MariaDbDialect final : public Dialect {
 public:
  MariaDbDialect() : Dialect(MariaDbQuirks()) {}

  std::unique_ptr<ChangeLogEngine> ChangeLog() const override { return MakeMariaDbChangeLog(*this); }

  Engine engine() const override { return Engine::kMariaDB; }

  std::vector<std::pair<std::string, std::string>> ConnectionAttributes(bool) const override {
    return {{"CHARSET", "utf8mb4"}};
  }

  void SetUpSession(SqlSession& connection, bool is_source) const override {
    // (SET NAMES is refused by Connector/ODBC; CHARSET=utf8mb4 in the connection sets it.)
    connection.Execute("SET collation_connection = utf8mb4_bin");
    connection.Execute("SET time_zone = '+00:00'");
    // NO_AUTO_VALUE_ON_ZERO: a copied 0 in an auto-increment column stays 0.
    // NO_BACKSLASH_ESCAPES: key bounds are standard SQL literals, as in the other engines.
    connection.Execute(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,"
        "NO_AUTO_VALUE_ON_ZERO,ERROR_FOR_DIVISION_BY_ZERO,NO_BACKSLASH_ESCAPES'");
    if (!is_source) {
      connection.Execute("SET SESSION unique_checks = 1, foreign_key_checks = 0");
    }
    TagSession(connection);
  }

  std::string AssertSql(const std::string& condition, const std::string& sqlstate,
                        const std::string& message) const override {
    return fmt::format("IF ({}) IS NOT TRUE THEN SIGNAL SQLSTATE {} SET MESSAGE_TEXT = {}; END IF",
                       condition, TextLiteral(sqlstate), TextLiteral(message));
  }

  std::string SessionIdSql() const override { return "SELECT CONNECTION_ID()"; }
  std::string CreateSchemaSql(const std::string& schema) const override {
    return "CREATE DATABASE IF NOT EXISTS " + Quote(schema);
  }
  std::string SharedLockClause() const override { return " LOCK IN SHARE MODE"; }

  std::string LockHeldCondition(const std::string& name,
                                const std::string& holder) const override {
    return fmt::format("IS_USED_LOCK({}) = {}", LockName(name), std::stoll(holder));
  }

  std::vector<std::string> TaggedSessions(SqlSession& session,
                                          const std::string& tag) const override {
    std::string sql = "SELECT CONNECTION_ID()";
    for (int k = 0; k < kTagSlots; ++k) sql += ", IS_USED_LOCK(" + TextLiteral(TagLock(tag, k)) + ")";
    std::vector<std::string> out;
    for (auto& row : session.Query(sql)) {
      for (size_t i = 1; i < row.size(); ++i) {
        if (row[i] && row[i] != row[0]) out.push_back(*row[i]);
      }
    }
    return out;
  }

  void EndSession(SqlSession& session, const std::string& id) const override {
    try {
      session.Execute("KILL CONNECTION " + std::to_string(std::stoll(id)));
    } catch (const Error& e) {
      // 1094 unknown thread: it ended by itself in the meantime.
      for (const Diagnostic& d : e.diagnostics()) {
        if (d.native_code == 1094) return;
      }
      throw;
    }
  }

  bool SessionOpen(SqlSession& session, const std::string& id) const override {
    return !session
                .Query("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = " +
                       std::to_string(std::stoll(id)))
                .empty();
  }

  // MariaDB cannot share a snapshot between connections: each reader starts its own when its
  // session opens, so rows committed between two readers' starts may be seen by one only.
  void StartSnapshotRead(SqlSession& reader, const std::optional<std::string>&) const override {
    reader.Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    reader.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
  }
  std::string SnapshotGuarantee(bool) const override {
    return "a consistent snapshot per reader, taken when the reader starts (MariaDB cannot "
           "share one across connections)";
  }

  // GET_LOCK names are server-wide and at most 64 characters: the database goes in, hashed.
  std::string TryLockSql(const std::string& name) const override {
    return "SELECT GET_LOCK(" + LockName(name) + ", 0)";
  }
  std::string LockName(const std::string& name) const {
    return "CONCAT('ferry:', MD5(CONCAT(DATABASE(), ':', " + TextLiteral(name) + ")))";
  }

  // MariaDB shows other sessions no tag of a session's own choosing without the performance
  // schema (often off), but it names who holds a user lock: each session takes one of a
  // process's kTagSlots tag locks, so IS_USED_LOCK finds a dead process's sessions by its tag.
  static constexpr int kTagSlots = 128;
  static std::string TagLock(const std::string& tag, int slot) {
    return fmt::format("ferry-session:{:016x}:{}", XXH64(tag.data(), tag.size(), 0), slot);
  }
  void TagSession(SqlSession& connection) const {
    static std::atomic<int> next{0};
    for (int tries = 0; tries < kTagSlots; ++tries) {
      const int slot = next.fetch_add(1) % kTagSlots;
      auto rows = connection.Query("SELECT GET_LOCK(" +
                                   TextLiteral(TagLock(ThisSessionTag(), slot)) + ", 0)");
      if (!rows.empty() && rows[0][0] && *rows[0][0] == "1") return;
    }
    // More sessions open than slots: this one goes untagged (a resume may then wait for it).
  }

  // lock_wait_timeout bounds waits for metadata locks (TRUNCATE and ALTER behind a reader's
  // open transaction), innodb_lock_wait_timeout those for row locks.
  std::vector<std::string> LockTimeoutSql(int seconds) const override {
    return {fmt::format("SET SESSION lock_wait_timeout = {}", seconds),
            fmt::format("SET SESSION innodb_lock_wait_timeout = {}", seconds)};
  }
  bool IsLockTimeout(const Error& error) const override {
    for (const Diagnostic& d : error.diagnostics()) {
      if (d.native_code == 1205) return true;
    }
    return false;
  }
  // metadata_lock_info (a plugin) names the sessions holding a lock on the table; without it,
  // the sessions with an open transaction in the table's database are the suspects.
  std::vector<std::string> LockHolders(SqlSession& session, const TableName& table) const override {
    std::vector<SqlSession::Row> rows;
    std::string how = "holds a metadata lock on it";
    try {
      rows = session.Query(
          "SELECT p.ID, p.USER, p.HOST, p.TIME, COALESCE(p.STATE, ''), "
          "GROUP_CONCAT(DISTINCT m.LOCK_MODE) "
          "FROM information_schema.METADATA_LOCK_INFO m "
          "JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID "
          "WHERE m.TABLE_SCHEMA = ? AND m.TABLE_NAME = ? AND p.ID <> CONNECTION_ID() "
          "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1",
          {table.schema, table.name});
    } catch (const Error&) {
      how =
          "has a transaction open in its database (metadata_lock_info, which would tell, is "
          "not installed)";
      rows = session.Query(
          "SELECT p.ID, p.USER, p.HOST, p.TIME, COALESCE(p.STATE, ''), "
          "DATE_FORMAT(t.trx_started, '%Y-%m-%d %H:%i:%s') "
          "FROM information_schema.INNODB_TRX t "
          "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
          "WHERE p.ID <> CONNECTION_ID() AND p.DB = ? ORDER BY 1",
          {table.schema});
    }
    const bool exact = how.starts_with("holds");
    std::vector<std::string> out;
    for (const auto& r : rows) {
      const std::string who = fmt::format(
          "connection {} (user {} from {}, in state '{}' for {} s)", r[0].value_or("?"),
          r[1].value_or("?"), r[2].value_or("?"), r[4].value_or("?"), r[3].value_or("?"));
      out.push_back(
          exact ? fmt::format("{} holds a metadata lock on it ({})", who, r[5].value_or("?"))
                : fmt::format("{} has had a transaction open in its database since {} "
                              "(metadata_lock_info, which would tell exactly, is not "
                              "installed)",
                              who, r[5].value_or("?")));
    }
    return out;
  }

  // @@server_id is a replication setting, often left at 1 everywhere; host name, port and data
  // directory together name one server process, whatever address reached it.
  std::string DatabaseIdentity(SqlSession& connection) const override {
    auto rows = connection.Query("SELECT @@hostname, @@port, @@datadir, DATABASE()");
    if (rows.empty() || !rows[0][0] || !rows[0][1] || !rows[0][2] || !rows[0][3]) return "";
    return fmt::format("MariaDB server {} port {} (data directory {}), database {}", *rows[0][0],
                       *rows[0][1], *rows[0][2], *rows[0][3]);
  }

  std::string NameProblem(const std::string& name) const override {
    if (!BeyondBmp(name)) return "";
    return fmt::format(
        "MariaDB cannot name anything '{}': its names hold only characters of "
        "Unicode's Basic Multilingual Plane (no emoji or other characters beyond "
        "U+FFFF)",
        name);
  }

  std::string DefaultSchema(SqlSession& connection) const override {
    auto rows = connection.Query("SELECT DATABASE()");
    if (rows.empty() || !rows[0][0]) {
      throw Error(ErrorCode::kUsage,
                  "the MariaDB connection selects no database: add it to the URL "
                  "(mysql://user@host:port/DATABASE) or set Database= in the connection string");
    }
    return *rows[0][0];
  }

  std::vector<TableName> ListTables(SqlSession& connection) const override {
    auto rows = connection.Query(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN "
        "('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1, 2");
    std::vector<TableName> out;
    for (auto& r : rows) out.push_back({*r[0], *r[1]});
    return out;
  }

  std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name) const override {
    // MariaDB names hold characters of Unicode's Basic Multilingual Plane only (its catalog is
    // utf8mb3): such a table cannot exist here nor be created, and comparing the name with the
    // catalog's columns fails with "Illegal mix of collations". Said as what it is, before
    // anything is written.
    for (const std::string* part : {&name.schema, &name.name}) {
      if (std::string problem = NameProblem(*part); !problem.empty()) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("{}; rename the table in a job file (rename: tables: - from: "
                                "... to: ...)",
                                problem),
                    ErrorContext{DisplayName(name), "", "", ""});
      }
    }
    auto found = connection.Query(
        "SELECT table_rows, data_length FROM information_schema.tables "
        "WHERE table_schema = ? AND table_name = ? AND table_type = 'BASE TABLE'",
        {name.schema, name.name});
    if (found.empty()) return std::nullopt;
    Table table;
    table.name = name;
    table.estimated_rows = found[0][0] ? std::stoll(*found[0][0]) : -1;
    table.estimated_bytes = found[0][1] ? std::stoll(*found[0][1]) : -1;
    auto json_checks = connection.Query(
        "SELECT check_clause FROM information_schema.check_constraints "
        "WHERE constraint_schema = ? AND table_name = ?",
        {name.schema, name.name});
    auto columns = connection.Query(
        "SELECT column_name, column_type, data_type, character_maximum_length, "
        "character_octet_length, numeric_precision, numeric_scale, datetime_precision, "
        "is_nullable, extra, NULLIF(generation_expression, '') "
        "FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        {name.schema, name.name});
    for (auto& r : columns) {
      Column c;
      c.name = *r[0];
      c.type = ParseType(r);
      std::string json_check = "json_valid(`" + c.name + "`)";
      for (auto& check : json_checks) {
        if (check[0] && check[0]->find(json_check) != std::string::npos &&
            c.type.kind == TypeKind::kText) {
          // MariaDB reports JSON as longtext with a json_valid check; "json" recreates both.
          c.type.kind = TypeKind::kJson;
          c.type.native = "json";
        }
      }
      c.nullable = *r[8] == "YES";
      c.identity = r[9] && r[9]->find("auto_increment") != std::string::npos;
      if (r[10]) {
        c.generated = *r[10];
        c.generated_stored = r[9] && r[9]->find("STORED") != std::string::npos;
      }
      table.columns.push_back(std::move(c));
    }
    DescribeIndexes(connection, table);
    DescribeForeignKeys(connection, table);
    return table;
  }

  ColumnType MapType(const ColumnType& t, Engine source) const override {
    ColumnType out = t;
    out.max_bytes = -1;
    if (source == Engine::kMariaDB) {
      out.max_bytes = t.max_bytes;
      out.labels.clear();  // the ENUM itself allows only its labels
      return out;
    }
    if (!t.labels.empty()) {
      // An enumeration of another engine: a MariaDB ENUM of the same labels, in their order.
      out.native = "enum(";
      for (size_t i = 0; i < t.labels.size(); ++i) {
        out.native += (i > 0 ? "," : "") + TextLiteral(t.labels[i]);
      }
      out.native += ")";
      out.kind = TypeKind::kVarchar;
      out.length = 0;
      for (const std::string& label : t.labels) {
        out.length = std::max<int64_t>(out.length, int64_t(label.size()));
      }
      out.labels.clear();
      return out;
    }
    switch (t.kind) {
      case TypeKind::kBoolean:
        out.native = "tinyint(1)";
        break;
      case TypeKind::kInteger: {
        int bits = t.width_bits;
        const char* name = bits <= 8    ? "tinyint"
                           : bits <= 16 ? "smallint"
                           : bits <= 24 ? "mediumint"
                           : bits <= 32 ? "int"
                                        : "bigint";
        out.native = std::string(name) + (t.is_unsigned ? " unsigned" : "");
        break;
      }
      case TypeKind::kDecimal:
        if (t.precision == 0) {
          // Unconstrained numeric: the widest MariaDB decimal; a value beyond it is refused
          // row by row with its key.
          out.native = "decimal(65,30)";
          out.precision = 65;
          out.scale = 30;
        } else if (t.precision > 65 || t.scale > 38) {
          throw Unmappable(t, "MariaDB decimals hold at most 65 digits, 38 after the point");
        } else {
          out.native = fmt::format("decimal({},{})", t.precision, t.scale);
        }
        break;
      case TypeKind::kReal:
        out.native = "float";
        break;
      case TypeKind::kDouble:
        out.native = "double";
        break;
      case TypeKind::kChar:
        out.native = t.length <= 255 ? fmt::format("char({})", std::max<int64_t>(t.length, 1))
                                     : fmt::format("varchar({})", t.length);
        if (t.length > 255) out.kind = TypeKind::kVarchar;
        break;
      case TypeKind::kVarchar:
        if (t.length <= kLongestVarchar) {
          out.native = fmt::format("varchar({})", t.length);
        } else {
          out.native = "longtext";
          out.kind = TypeKind::kText;
        }
        break;
      case TypeKind::kText:
        out.native = "longtext";
        break;
      case TypeKind::kBinary:
        out.native = t.length <= 255 ? fmt::format("binary({})", std::max<int64_t>(t.length, 1))
                                     : fmt::format("varbinary({})", t.length);
        break;
      case TypeKind::kVarbinary:
        out.native =
            t.length <= kLongestVarchar * 4 ? fmt::format("varbinary({})", t.length) : "longblob";
        break;
      case TypeKind::kBlob:
        out.native = "longblob";
        break;
      case TypeKind::kDate:
        out.native = "date";
        break;
      case TypeKind::kTime:
        out.native = fmt::format("time({})", Fraction(t));
        break;
      // MariaDB TIMESTAMP stops in 2038; instants are kept as UTC in DATETIME.
      case TypeKind::kTimestamp:
      case TypeKind::kTimestampTz:
        out.native = fmt::format("datetime({})", Fraction(t));
        break;
      case TypeKind::kUuid:
        out.native = "uuid";
        break;
      case TypeKind::kJson:
        out.native = "json";
        break;
      case TypeKind::kUnsupported:
        throw Unmappable(t, "ferry has no mapping for it");
    }
    return out;
  }

  // A primary key must fit InnoDB's 3072 bytes whole (no prefixes, no hash): its TEXT and BLOB
  // columns become varchar/varbinary, and with its declared-length columns they share what the
  // fixed-width columns leave, shortest first (a declared length that fits is kept). utf8mb4
  // takes 4 bytes a character. A source value longer than its column is refused with its key;
  // ferry check measures the source's longest values first.
  Table FitKeys(const Table& table) const override {
    Table out = table;
    struct Part {
      int column;
      int64_t bytes;  // declared, or -1 for unbounded
      int bytes_per_unit;
    };
    std::vector<Part> variable;
    int64_t fixed = 0;
    for (int k : out.primary_key) {
      const ColumnType& t = out.columns[size_t(k)].type;
      switch (t.kind) {
        case TypeKind::kChar:
        case TypeKind::kVarchar:
          variable.push_back({k, t.length * 4, 4});
          break;
        case TypeKind::kText:
        case TypeKind::kJson:
          variable.push_back({k, -1, 4});
          break;
        case TypeKind::kBinary:
        case TypeKind::kVarbinary:
          variable.push_back({k, t.length, 1});
          break;
        case TypeKind::kBlob:
          variable.push_back({k, -1, 1});
          break;
        default:
          fixed += KeyBytes(t);
      }
    }
    std::stable_sort(variable.begin(), variable.end(), [](const Part& a, const Part& b) {
      return (a.bytes < 0 ? INT64_MAX : a.bytes) < (b.bytes < 0 ? INT64_MAX : b.bytes);
    });
    int64_t budget = kMaxKeyBytes - fixed;
    for (size_t v = 0; v < variable.size(); ++v) {
      const Part& part = variable[v];
      const int64_t share = std::max<int64_t>(budget / int64_t(variable.size() - v), 4);
      ColumnType& t = out.columns[size_t(part.column)].type;
      const bool text = part.bytes_per_unit == 4;
      const int64_t units = part.bytes >= 0 && part.bytes <= share
                                ? part.bytes / part.bytes_per_unit
                                : share / part.bytes_per_unit;
      budget -= units * part.bytes_per_unit;
      if (part.bytes >= 0 && part.bytes <= share && t.kind != TypeKind::kText &&
          t.kind != TypeKind::kBlob && t.kind != TypeKind::kJson) {
        continue;  // its declared length fits
      }
      if (t.kind == TypeKind::kChar || t.kind == TypeKind::kBinary) {
        t.native = fmt::format("{}({})", text ? "char" : "binary", std::min<int64_t>(units, 255));
        t.length = std::min<int64_t>(units, 255);
      } else {
        t.kind = text ? TypeKind::kVarchar : TypeKind::kVarbinary;
        t.native = fmt::format("{}({})", text ? "varchar" : "varbinary", units);
        t.length = units;
      }
      t.max_bytes = -1;
    }
    return out;
  }

  std::string CreateTableSql(const Table& table) const override {
    Table adjusted = table;
    // A key column cannot be a TEXT type in MariaDB; the longest indexable varchar stands in
    // (3072 bytes of utf8mb4), and longer values are refused with their key.
    for (int k : adjusted.primary_key) {
      Column& c = adjusted.columns[size_t(k)];
      if (c.type.kind == TypeKind::kText || c.type.kind == TypeKind::kJson) {
        c.type.native = "varchar(768)";
      } else if (c.type.kind == TypeKind::kBlob) {
        c.type.native = "varbinary(3072)";
      }
    }
    return Dialect::CreateTableSql(adjusted) +
           " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
  }

  // DDL commits implicitly here: the trial is a temporary table, which only this session sees
  // and whose name shadows nothing (the table to create does not exist yet).
  std::vector<std::string> TrialCreateSql(const Table& table,
                                          const std::vector<Index>& indexes) const override {
    std::string create = CreateTableSql(table);
    create.replace(0, std::string("CREATE TABLE").size(), "CREATE TEMPORARY TABLE");
    std::vector<std::string> sql = {create};
    for (const Index& index : indexes) sql.push_back(CreateIndexSql(table, index));
    sql.push_back("DROP TEMPORARY TABLE IF EXISTS " + QualifiedName(table.name));
    return sql;
  }

  // A non-unique index longer than InnoDB's 3072-byte key gets column prefixes that fit (a
  // prefix only makes the index less selective); a unique one MariaDB builds as a hash itself.
  std::string CreateIndexSql(const Table& table, const Index& index) const override {
    if (!index.native_definition.empty()) {
      auto native = ParseNativeIndex(index.native_definition);
      if (native && native->qualified && !native->constraint && !native->tail.empty() &&
          native->tail[0] == '(') {
        return "CREATE " + (native->kind.empty() ? "" : native->kind + " ") + "INDEX " +
               Quote(index.name) + " ON " + QualifiedName(table.name) + " " + native->tail;
      }
    }
    if (index.unique || index.columns.empty()) return Dialect::CreateIndexSql(table, index);
    // Widths in bytes; variable-length columns are shortened, shortest first, to fit.
    struct Part {
      size_t position;
      int64_t bytes;  // -1: unbounded (TEXT, BLOB)
      int bytes_per_unit;
    };
    std::vector<Part> variable;
    int64_t fixed = 0;
    for (size_t i = 0; i < index.columns.size(); ++i) {
      const ColumnType& t = table.columns[size_t(index.columns[i])].type;
      switch (t.kind) {
        case TypeKind::kChar:
        case TypeKind::kVarchar:
          variable.push_back({i, t.length * 4, 4});
          break;
        case TypeKind::kText:
        case TypeKind::kJson:
          variable.push_back({i, -1, 4});
          break;
        case TypeKind::kBinary:
        case TypeKind::kVarbinary:
          variable.push_back({i, t.length, 1});
          break;
        case TypeKind::kBlob:
          variable.push_back({i, -1, 1});
          break;
        default:
          fixed += 16;
      }
    }
    std::sort(variable.begin(), variable.end(), [](const Part& a, const Part& b) {
      return (a.bytes < 0 ? INT64_MAX : a.bytes) < (b.bytes < 0 ? INT64_MAX : b.bytes);
    });
    std::vector<int64_t> prefix(index.columns.size(), 0);  // in characters or bytes; 0 = whole
    int64_t budget = kMaxKeyBytes - fixed;
    for (size_t v = 0; v < variable.size(); ++v) {
      int64_t share = std::max<int64_t>(budget / int64_t(variable.size() - v), 4);
      const Part& part = variable[v];
      if (part.bytes >= 0 && part.bytes <= share) {
        budget -= part.bytes;
      } else {
        prefix[part.position] = std::max<int64_t>(share / part.bytes_per_unit, 1);
        budget -= share;
      }
    }
    std::string columns;
    for (size_t i = 0; i < index.columns.size(); ++i) {
      if (i > 0) columns += ", ";
      columns += Quote(table.columns[size_t(index.columns[i])].name);
      if (prefix[i] > 0) columns += fmt::format("({})", prefix[i]);
    }
    return "CREATE INDEX " + Quote(index.name) + " ON " + QualifiedName(table.name) + " (" +
           columns + ")";
  }

  std::string OtherObjectsSql() const override {
    return "SELECT 'view', CONCAT(table_schema, '.', table_name) FROM information_schema.views "
           "WHERE table_schema = ? UNION ALL SELECT LOWER(routine_type), CONCAT(routine_schema, "
           "'.', routine_name) FROM information_schema.routines WHERE routine_schema = ? "
           "UNION ALL SELECT 'trigger', CONCAT(trigger_name, ' on ', event_object_schema, '.', "
           "event_object_table) FROM information_schema.triggers WHERE trigger_schema = ? "
           "UNION ALL SELECT 'event', CONCAT(event_schema, '.', event_name) FROM "
           "information_schema.events WHERE event_schema = ? UNION ALL SELECT 'sequence', "
           "CONCAT(table_schema, '.', table_name) FROM information_schema.tables WHERE "
           "table_schema = ? AND table_type = 'SEQUENCE' ORDER BY 1, 2";
  }

  // lower_case_table_names 1 or 2 (Windows, macOS) stores or compares table names in lower case.
  bool FoldsTableNames(SqlSession& connection) const override {
    auto rows = connection.Query("SELECT @@lower_case_table_names");
    return !rows.empty() && rows[0][0] && *rows[0][0] != "0";
  }

  // The grants of the current account (and its active role) at the global, database and table
  // levels, as information_schema lists them; database-level grants may name LIKE patterns.
  // TRUNCATE needs the DROP privilege in MariaDB. Column-level grants are not counted.
  std::optional<bool> HasPrivilege(SqlSession& connection, const TableName& table,
                                   Privilege privilege) const override {
    // Such a name cannot be compared with the catalog's (see DescribeTable), nor exist here.
    if (BeyondBmp(table.schema) || BeyondBmp(table.name)) return std::nullopt;
    const std::string name = privilege == Privilege::kTruncate ? "DROP" : PrivilegeName(privilege);
    const std::string grantees =
        "(CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
        "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''), CONCAT('''', CURRENT_ROLE(), ''''), "
        "CONCAT('''', CURRENT_ROLE(), '''@'''''))";
    auto rows = connection.Query(
        "SELECT EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = ? "
        "AND GRANTEE IN " +
            grantees +
            ") OR EXISTS (SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES WHERE PRIVILEGE_TYPE "
            "= ? AND GRANTEE IN " +
            grantees +
            " AND ? LIKE TABLE_SCHEMA ESCAPE '\\') OR EXISTS (SELECT 1 FROM "
            "information_schema.TABLE_PRIVILEGES WHERE PRIVILEGE_TYPE = ? AND GRANTEE IN " +
            grantees + " AND TABLE_SCHEMA = ? AND TABLE_NAME = ?)",
        {name, name, table.schema, name, table.schema, table.name});
    if (rows.empty() || !rows[0][0]) return std::nullopt;
    return *rows[0][0] == "1";
  }

  bool NameTaken(const Error& error) const override {
    for (const Diagnostic& d : error.diagnostics()) {
      // 1061: duplicate key name in the table; 1826: duplicate foreign key name in the
      // database, which InnoDB reports as 1005 with errno 121 when it copies the table, and as
      // 1823 ("failed to add the foreign key constraint to system tables") when it adds the key
      // in place (foreign_key_checks off, as in ferry's sessions).
      if (d.native_code == 1061 || d.native_code == 1826 || d.native_code == 1823) return true;
      if (d.native_code == 1005 && d.message.find("errno: 121") != std::string::npos) return true;
    }
    return false;
  }

  ValueLimits limits() const override {
    ValueLimits l;
    l.float_nan = false;
    l.float_infinity = false;
    l.float_negative_zero = false;  // stored as 0
    l.max_decimal_precision = 65;
    l.zero_dates = true;
    return l;
  }

  // The text protocol prints FLOAT with 6 significant digits, which loses bits; widened to
  // DOUBLE on the server it travels exactly and narrows back exactly.
  std::string SelectExpression(const Column& column) const override {
    if (column.type.kind == TypeKind::kReal) return "CAST(" + Quote(column.name) + " AS DOUBLE)";
    return Quote(column.name);
  }

  // MD5 over the values' text, whose forms (DOUBLE's digits, temporal formats) a server
  // version keeps: the same major.minor version of the same product at both ends. TIMESTAMP
  // values print in the session's time zone, which SetUpSession pins to UTC.
  std::string ServerRowHash(SqlSession& connection) const override {
    auto rows = connection.Query("SELECT VERSION()");
    if (rows.empty() || !rows[0][0]) return "";
    const std::string& version = *rows[0][0];
    const size_t first = version.find('.');
    const size_t second = first == std::string::npos ? first : version.find('.', first + 1);
    if (second == std::string::npos) return "";
    const bool mariadb = version.find("MariaDB") != std::string::npos;
    return fmt::format("{} {} MD5 of quoted values", mariadb ? "MariaDB" : "MySQL",
                       version.substr(0, second));
  }

 protected:
  // The first 64 bits of the MD5 of the row's values, each as QUOTE gives it (NULL as the bare
  // word, every string quoted and escaped, so no two rows spell alike) in the form ferry reads it
  // (FLOAT widened to DOUBLE), as bytes (no collation to mix), joined by commas; DigestSql sums
  // them as DECIMAL, exactly.
  std::string RowHashExpression(const Table& table,
                                const std::vector<int>& columns) const override {
    std::string values;
    for (size_t i = 0; i < columns.size(); ++i) {
      const Column& c = table.columns[size_t(columns[i])];
      values += (i > 0 ? ", " : "") + ("QUOTE(CAST(" + SelectExpression(c) + " AS BINARY))");
    }
    return "CAST(CONV(LEFT(MD5(CONCAT_WS(',', " + values + ")), 16), 16, 10) AS UNSIGNED)";
  }

  // MariaDB has no TABLESAMPLE: this reads every row once (the clustered key is the table).
  std::string SampleFrom(const Table& table, const std::vector<int>&,
                         double fraction) const override {
    return fmt::format("FROM {} WHERE RAND(20261121) < {:.8f}", QualifiedName(table.name),
                       std::clamp(fraction, 0.0, 1.0));
  }
  std::string SampleExpression(const Column& column) const override {
    if (StorageOf(column.type) == Storage::kBytes) return "LOWER(HEX(" + Quote(column.name) + "))";
    return Quote(column.name);
  }

  // One AUTO_INCREMENT column per table, and it must lead an index: the first identity column
  // of an integer type (the primary key's first column if it is one) gets it, with a key of
  // its own when it does not lead the primary key. Copied values go in as they are
  // (NO_AUTO_VALUE_ON_ZERO), and InnoDB moves the counter past every value inserted.
  std::string ColumnDefinition(const Table& table, size_t column) const override {
    const Column& c = table.columns[column];
    if (!c.generated.empty()) {
      // MariaDB takes no NOT NULL on a generated column; the expression decides.
      return Quote(c.name) + " " + c.type.native + " AS (" + c.generated + ") " +
             (c.generated_stored ? "STORED" : "VIRTUAL");
    }
    std::string out = Dialect::ColumnDefinition(table, column);
    if (AutoIncrementColumn(table) == int(column)) out += " AUTO_INCREMENT";
    return out;
  }
  std::string TableConstraints(const Table& table) const override {
    std::string out = Dialect::TableConstraints(table);
    int column = AutoIncrementColumn(table);
    if (column >= 0 && (table.primary_key.empty() || table.primary_key[0] != column)) {
      out += ", KEY (" + Quote(table.columns[size_t(column)].name) + ")";
    }
    return out;
  }
  // InnoDB moves the counter past every value inserted, so only the source's own counter can
  // be ahead of the rows: AUTO_INCREMENT is raised to it, never lowered (GREATEST with its
  // value now; InnoDB itself refuses one below the largest value).
  std::vector<std::string> SyncIdentitySql(SqlSession& session, const Table& table,
                                           const std::vector<IdentityNext>& next) const override {
    int column = AutoIncrementColumn(table);
    if (column < 0) return {};
    for (const IdentityNext& n : next) {
      if (n.column != table.columns[size_t(column)].name) continue;
      auto now = session.Query(
          "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND "
          "TABLE_NAME = ?",
          {table.name.schema, table.name.name});
      if (!now.empty() && now[0][0] && std::stoll(*now[0][0]) >= n.next) return {};
      return {fmt::format("ALTER TABLE {} AUTO_INCREMENT = {}", QualifiedName(table.name), n.next)};
    }
    return {};
  }
  std::vector<IdentityNext> IdentityCounters(SqlSession& session,
                                             const Table& table) const override {
    int column = AutoIncrementColumn(table);
    if (column < 0) return {};
    auto rows = session.Query(
        "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND "
        "TABLE_NAME = ?",
        {table.name.schema, table.name.name});
    if (rows.empty() || !rows[0][0]) return {};
    return {{table.columns[size_t(column)].name, std::stoll(*rows[0][0])}};
  }

  // RESTRICT is spelled by leaving the clause out: MariaDB 10.11 stores an explicit RESTRICT as
  // NO ACTION when it adds the key in place (foreign_key_checks off), and the default as
  // RESTRICT. (InnoDB enforces both alike.)
  std::string ReferentialActions(const ForeignKey& fk) const override {
    std::string out;
    if (fk.on_delete != "RESTRICT") out += " ON DELETE " + fk.on_delete;
    if (fk.on_update != "RESTRICT") out += " ON UPDATE " + fk.on_update;
    return out;
  }
  // ON DUPLICATE KEY fires on any unique key the row collides with, not only `key`; ferry's
  // destination key is the one the plan checked. VALUES(c) is the value the row would have
  // inserted (MariaDB keeps it; MySQL 8.0.20 deprecates it for an alias).
  std::string UpsertClause(const Table& table, const std::vector<int>& columns,
                           const std::vector<int>& key) const override {
    std::string set;
    for (int c : columns) {
      if (std::find(key.begin(), key.end(), c) != key.end()) continue;
      const std::string name = Quote(table.columns[size_t(c)].name);
      set += (set.empty() ? "" : ", ") + name + " = VALUES(" + name + ")";
    }
    // Nothing but key columns: setting the key to itself leaves the row as it is, where INSERT
    // IGNORE would also swallow real errors.
    if (set.empty() && !key.empty()) {
      const std::string name = Quote(table.columns[size_t(key.front())].name);
      set = name + " = " + name;
    }
    return " ON DUPLICATE KEY UPDATE " + set;
  }

  bool AcceptsName(const std::string& name) const override {
    return !name.empty() && name != "PRIMARY" && name != "primary";
  }

 private:
  // Longer varchars risk MariaDB's 65,535-byte row limit; they become longtext.
  static constexpr int64_t kLongestVarchar = 4096;
  // InnoDB's longest key (innodb_large_prefix, DYNAMIC rows: the default since 10.2).
  static constexpr int64_t kMaxKeyBytes = 3072;

  // Bytes a fixed-width key column takes in an InnoDB key (storage sizes from MariaDB's manual;
  // a NULL flag byte counted for nullable ones is left out: key columns are NOT NULL).
  static int64_t KeyBytes(const ColumnType& t) {
    switch (t.kind) {
      case TypeKind::kBoolean:
        return 1;
      case TypeKind::kInteger:
        return std::max(t.width_bits / 8, 1);
      case TypeKind::kDecimal: {
        const int precision = t.precision > 0 ? t.precision : 65;
        auto digits = [](int d) { return d / 9 * 4 + (d % 9 + 1) / 2; };
        return digits(precision - t.scale) + digits(t.scale);
      }
      case TypeKind::kReal:
        return 4;
      case TypeKind::kDouble:
        return 8;
      case TypeKind::kDate:
        return 3;
      case TypeKind::kTime:
        return 3 + (Fraction(t) + 1) / 2;
      case TypeKind::kTimestamp:
      case TypeKind::kTimestampTz:
        return 5 + (Fraction(t) + 1) / 2;
      case TypeKind::kUuid:
        return 16;
      default:
        return 16;
    }
  }

  static int Fraction(const ColumnType& t) { return std::clamp(t.precision, 0, 6); }

  // Whether `name` holds a character beyond U+FFFF (a 4-byte UTF-8 sequence), which MariaDB's
  // utf8mb3 catalog cannot hold.
  static bool BeyondBmp(const std::string& name) {
    return std::any_of(name.begin(), name.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0xF0; });
  }

  static Error Unmappable(const ColumnType& t, const std::string& why) {
    return Error(ErrorCode::kSchema,
                 fmt::format("type {} cannot be created in MariaDB: {}", DescribeType(t), why));
  }

  static int AutoIncrementColumn(const Table& table) {
    auto eligible = [&](int c) {
      const Column& column = table.columns[size_t(c)];
      return column.identity && column.type.kind == TypeKind::kInteger;
    };
    if (!table.primary_key.empty() && eligible(table.primary_key[0])) return table.primary_key[0];
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (eligible(int(c))) return int(c);
    }
    return -1;
  }

  // Unique indexes (constraints are indexes in MariaDB) and other indexes. FULLTEXT and SPATIAL
  // indexes, and unique indexes on column prefixes (unique on the first n characters), keep a
  // definition and no columns: only MariaDB can rebuild them. Non-unique prefixes are dropped
  // (MariaDB shortens long columns itself); descending order is not carried.
  void DescribeIndexes(SqlSession& connection, Table& table) const {
    auto rows = connection.Query(
        "SELECT index_name, non_unique, column_name, sub_part, index_type "
        "FROM information_schema.statistics WHERE table_schema = ? AND table_name = ? "
        "ORDER BY index_name = 'PRIMARY' DESC, index_name, seq_in_index",
        {table.name.schema, table.name.name});
    for (size_t r = 0; r < rows.size();) {
      const std::string name = *rows[r][0];
      Index index{name, {}, rows[r][1] && *rows[r][1] == "0", ""};
      const std::string type = rows[r][4].value_or("BTREE");
      bool special = type == "FULLTEXT" || type == "SPATIAL";
      bool prefixed = false, unknown_column = false;
      std::string columns;
      for (; r < rows.size() && *rows[r][0] == name; ++r) {
        auto column = rows[r][2] ? table.FindColumn(*rows[r][2]) : std::nullopt;
        if (!column) {
          unknown_column = true;  // an expression (MySQL 8) or a column ferry does not read
          continue;
        }
        index.columns.push_back(*column);
        columns += (columns.empty() ? "" : ", ") + Quote(*rows[r][2]);
        if (rows[r][3]) {
          prefixed = true;
          columns += "(" + *rows[r][3] + ")";
        }
      }
      if (unknown_column) continue;
      if (name == "PRIMARY") {
        if (!prefixed) table.primary_key = index.columns;
        continue;
      }
      if (special || (index.unique && prefixed)) {
        index.native_definition = "CREATE " + std::string(special ? type + " " : "UNIQUE ") +
                                  "INDEX " + Quote(name) + " ON " + QualifiedName(table.name) +
                                  " (" + columns + ")";
        index.columns.clear();
      }
      (index.unique ? table.unique_indexes : table.indexes).push_back(std::move(index));
    }
  }

  static void DescribeForeignKeys(SqlSession& connection, Table& table) {
    auto rows = connection.Query(
        "SELECT k.constraint_name, k.column_name, k.referenced_table_schema, "
        "k.referenced_table_name, k.referenced_column_name, r.delete_rule, r.update_rule "
        "FROM information_schema.key_column_usage k "
        "JOIN information_schema.referential_constraints r "
        "ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name "
        "AND r.table_name = k.table_name "
        "WHERE k.table_schema = ? AND k.table_name = ? AND k.referenced_table_name IS NOT NULL "
        "ORDER BY k.constraint_name, k.ordinal_position",
        {table.name.schema, table.name.name});
    for (size_t r = 0; r < rows.size();) {
      ForeignKey fk;
      fk.name = *rows[r][0];
      fk.references = {*rows[r][2], *rows[r][3]};
      fk.on_delete = rows[r][5].value_or("NO ACTION");
      fk.on_update = rows[r][6].value_or("NO ACTION");
      bool unknown_column = false;
      for (; r < rows.size() && *rows[r][0] == fk.name; ++r) {
        auto column = table.FindColumn(*rows[r][1]);
        if (!column) unknown_column = true;
        if (column) fk.columns.push_back(*column);
        fk.referenced_columns.push_back(*rows[r][4]);
      }
      if (!unknown_column) table.foreign_keys.push_back(std::move(fk));
    }
  }

  // The labels of "enum('a','it''s')" as information_schema spells the type.
  static std::vector<std::string> EnumLabels(const std::string& type) {
    std::vector<std::string> out;
    size_t at = type.find('(');
    while (at != std::string::npos && at < type.size()) {
      at = type.find('\'', at);
      if (at == std::string::npos) break;
      std::string label;
      size_t i = at + 1;
      for (; i < type.size(); ++i) {
        if (type[i] == '\'') {
          if (i + 1 < type.size() && type[i + 1] == '\'') {
            label += '\'';
            ++i;
            continue;
          }
          break;
        }
        label += type[i];
      }
      out.push_back(std::move(label));
      at = i + 1;
    }
    return out;
  }

  static ColumnType ParseType(const SqlSession::Row& r) {
    ColumnType t;
    t.native = *r[1];
    TypeSpelling s = ParseTypeSpelling(*r[1]);
    const std::string& data_type = *r[2];
    auto number = [&](size_t i) { return r[i] ? std::stoll(*r[i]) : int64_t(-1); };
    auto integer = [&](int bits) {
      t.kind = TypeKind::kInteger;
      t.width_bits = bits;
      t.is_unsigned = s.is_unsigned;
    };
    if (data_type == "tinyint") {
      if (s.base == "tinyint" && s.args.size() == 1 && s.args[0] == 1 && !s.is_unsigned) {
        t.kind = TypeKind::kBoolean;
      } else {
        integer(8);
      }
    } else if (data_type == "smallint") {
      integer(16);
    } else if (data_type == "mediumint") {
      integer(24);
    } else if (data_type == "int") {
      integer(32);
    } else if (data_type == "bigint") {
      integer(64);
    } else if (data_type == "year") {
      integer(16);
    } else if (data_type == "decimal") {
      t.kind = TypeKind::kDecimal;
      t.precision = int(number(5));
      t.scale = int(number(6));
    } else if (data_type == "float") {
      t.kind = TypeKind::kReal;
    } else if (data_type == "double") {
      t.kind = TypeKind::kDouble;
    } else if (data_type == "char") {
      t.kind = TypeKind::kChar;
      t.length = number(3);
    } else if (data_type == "varchar") {
      t.kind = TypeKind::kVarchar;
      t.length = number(3);
    } else if (data_type == "tinytext" || data_type == "text" || data_type == "mediumtext" ||
               data_type == "longtext") {
      t.kind = TypeKind::kText;
      t.max_bytes = number(4);
    } else if (data_type == "enum" || data_type == "set") {
      t.kind = TypeKind::kVarchar;
      t.length = number(3);
      if (data_type == "enum") t.labels = EnumLabels(*r[1]);
    } else if (data_type == "binary") {
      t.kind = TypeKind::kBinary;
      t.length = number(4);
    } else if (data_type == "varbinary") {
      t.kind = TypeKind::kVarbinary;
      t.length = number(4);
    } else if (data_type == "tinyblob" || data_type == "blob" || data_type == "mediumblob" ||
               data_type == "longblob") {
      t.kind = TypeKind::kBlob;
      t.max_bytes = number(4);
    } else if (data_type == "date") {
      t.kind = TypeKind::kDate;
    } else if (data_type == "time") {
      t.kind = TypeKind::kTime;
      t.precision = int(std::max<int64_t>(number(7), 0));
    } else if (data_type == "datetime") {
      t.kind = TypeKind::kTimestamp;
      t.precision = int(std::max<int64_t>(number(7), 0));
    } else if (data_type == "timestamp") {
      t.kind = TypeKind::kTimestampTz;
      t.precision = int(std::max<int64_t>(number(7), 0));
    } else if (data_type == "uuid") {
      t.kind = TypeKind::kUuid;
    } else if (data_type == "json") {
      t.kind = TypeKind::kJson;
    } else {
      t.kind = TypeKind::kUnsupported;
    }
    return t;
  }
};

}  // namespace

std::unique_ptr<Dialect> MakeMariaDbDialect() {
  return std::make_unique<MariaDbDialect>();
}

}  // namespace ferry
