// MariaDB and MySQL through MariaDB Connector/ODBC. Catalog from information_schema; sessions
// in UTC, strict (a value that does not fit is an error, never a silent truncation), utf8mb4.
// Tables ferry creates use utf8mb4_nopad_bin (MySQL: utf8mb4_bin) so keys compare byte for byte,
// as in the source: utf8mb4_bin pads with spaces, so 'x' and 'x ' (two keys in PostgreSQL)
// were one key to it and the table failed on a duplicate after check had passed.
#include <fmt/format.h>

#include <xxhash.h>

#include <algorithm>
#include <atomic>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/mariadb/mariadb_catalog.hpp"
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
  t.foreign_key_types = KeyTypeMatch::kSame;
  t.longest_key_text = 768;
  t.max_columns = 1017;
  t.comments = true;
  t.longest_table_comment = 2048;
  t.longest_column_comment = 1024;
  t.case_insensitive_folds_beyond_ascii = true;
  // Connector/ODBC 3.1 claims SQL_GD_BLOCK, but SQLGetData after SQLSetPos returns the last
  // row of the rowset, not the positioned one (tests/integration/large_values_test.cpp).
  q.begin_sql = "START TRANSACTION";
  q.sample_by_key_dives = true;
  q.odbc.positions_in_rowset = false;
  // The text protocol prints FLOAT with 6 significant digits; SelectExpression widens it.
  q.odbc.reals_as_double = true;
  q.odbc.text_writes = OdbcQuirks::TextWrites::kAllButNumbersAndBytes;
  return q;
}

class MariaDbDialect final : public Dialect {
 public:
  MariaDbDialect() : Dialect(MariaDbQuirks()) {}

  // The collation of the tables ferry creates: bytes decide, trailing spaces included.
  const char* Collation() const { return no_pad_.load() ? "utf8mb4_nopad_bin" : "utf8mb4_bin"; }

  std::unique_ptr<ChangeLogEngine> ChangeLog() const override {
    return MakeMariaDbChangeLog(*this);
  }

  Engine engine() const override { return Engine::kMariaDB; }

  std::vector<std::pair<std::string, std::string>> ConnectionAttributes(bool) const override {
    return {{"CHARSET", "utf8mb4"}};
  }

  void SetUpSession(SqlSession& connection, bool is_source) const override {
    // (SET NAMES is refused by Connector/ODBC; CHARSET=utf8mb4 in the connection sets it.)
    // utf8mb4_nopad_bin is MariaDB's (10.2 on); a MySQL server has only the padding one. A
    // dialect serves one endpoint, so one server: asked by its first session (the catalog's, as
    // the endpoint connects), not again by every reader and writer. The case-insensitive
    // collation closest to SQLite's NOCASE: no padding, accents kept (MariaDB 10.10's UCA 14 or
    // MySQL 8's 0900; else MariaDB's older nopad Unicode one).
    if (!server_known_.load()) {
      auto rows = connection.Query(
          "SELECT VERSION() LIKE '%MariaDB%', (SELECT MIN(COLLATION_NAME) FROM "
          "information_schema.COLLATIONS WHERE COLLATION_NAME IN ('uca1400_nopad_as_ci', "
          "'utf8mb4_uca1400_nopad_as_ci', 'utf8mb4_0900_as_ci', 'utf8mb4_unicode_nopad_ci'))");
      no_pad_.store(!rows.empty() && rows[0][0] && *rows[0][0] == "1");
      if (!rows.empty() && rows[0][1]) {
        const std::string& ci = *rows[0][1];
        // MariaDB lists its UCA 14 collations without a character set (10.11: uca1400_...).
        const bool uca14 = ci.find("uca1400") != std::string::npos;
        case_insensitive_.store(ci == "utf8mb4_0900_as_ci" ? 1 : uca14 ? 2 : 3);
      }
      server_known_.store(true);
    }
    connection.Execute(std::string("SET collation_connection = ") + Collation());
    connection.Execute("SET time_zone = '+00:00'");
    // NO_AUTO_VALUE_ON_ZERO: a copied 0 in an auto-increment column stays 0.
    // NO_BACKSLASH_ESCAPES: key bounds are standard SQL literals, as in the other engines.
    connection.Execute(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,"
        "NO_AUTO_VALUE_ON_ZERO,ERROR_FOR_DIVISION_BY_ZERO,NO_BACKSLASH_ESCAPES'");
    if (!is_source) {
      // unique_checks stays on: off, with foreign_key_checks off, MariaDB 10.6+ loads an empty
      // table in bulk (table lock and undo, rows sorted at commit), which locks out the other
      // writers and measured twice the server's CPU on ordered rows (README, staging import).
      connection.Execute("SET SESSION unique_checks = 1, foreign_key_checks = 0");
    }
    TagSession(connection);
  }

  std::string AssertSql(const std::string& condition, const std::string& sqlstate,
                        const std::string& message) const override {
    return fmt::format("IF ({}) IS NOT TRUE THEN SIGNAL SQLSTATE {} SET MESSAGE_TEXT = {}; END IF",
                       condition, TextLiteral(sqlstate), TextLiteral(message));
  }

  // Adding a CHECK to a table with rows copies the table (ALGORITHM=COPY only): the load runs
  // without them instead, and its rows are checked after.
  std::string CheckEnforcementSql(bool enforce) const override {
    return enforce ? "SET SESSION check_constraint_checks = 1"
                   : "SET SESSION check_constraint_checks = 0";
  }

  std::string SessionIdSql() const override { return "SELECT CONNECTION_ID()"; }
  std::string ServerVersionSql() const override { return "SELECT VERSION()"; }
  std::string CreateSchemaSql(const std::string& schema) const override {
    return "CREATE DATABASE IF NOT EXISTS " + Quote(schema);
  }
  std::string SharedLockClause() const override { return " LOCK IN SHARE MODE"; }
  std::string NowMillisSql() const override {
    return "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";
  }
  // MariaDB 10.6 and MySQL 8.0 skip locked rows; older servers wait for them instead.
  std::string ClaimLockClause() const override { return " FOR UPDATE SKIP LOCKED"; }

  std::string LockHeldCondition(const std::string& name, const std::string& holder) const override {
    return fmt::format("IS_USED_LOCK({}) = {}", LockName(name), std::stoll(holder));
  }

  std::vector<std::string> TaggedSessions(SqlSession& session,
                                          const std::string& tag) const override {
    std::string sql = "SELECT CONNECTION_ID()";
    for (int k = 0; k < kTagSlots; ++k)
      sql += ", IS_USED_LOCK(" + TextLiteral(TagLock(tag, k)) + ")";
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

  // Asked before the first reader starts its snapshot: every transaction up to this GTID
  // position is in the copy (later ones may be too). Empty without a binary log.
  std::vector<std::pair<std::string, std::string>> SnapshotPosition(SqlSession& session,
                                                                    bool) const override {
    auto rows = session.Query("SELECT @@global.gtid_binlog_pos, @@global.log_bin");
    std::vector<std::pair<std::string, std::string>> out;
    if (rows.empty() || !rows[0][0] || rows[0][0]->empty()) return out;
    out.emplace_back("mariadb_gtid_binlog_pos", *rows[0][0]);
    return out;
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
  // The holder's connection, and its user and client where PROCESSLIST shows them (the same
  // user, or one with the PROCESS privilege).
  std::string RunLockHolder(SqlSession& session, const std::string& name) const override {
    auto rows = session.Query("SELECT IS_USED_LOCK(" + LockName(name) + ")");
    if (rows.empty() || !rows[0][0]) return "";
    const std::string id = *rows[0][0];
    auto who =
        session.Query("SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = " +
                      std::to_string(std::stoll(id)));
    if (who.empty()) return "MariaDB connection " + id;
    return fmt::format("MariaDB connection {} (user {} from {}, {} s in its state)", id,
                       who[0][0].value_or("?"), who[0][1].value_or("?"), who[0][2].value_or("?"));
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
    auto rows = mariadb::QueryWhole(
        connection,
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type IN ('BASE TABLE', 'SYSTEM VERSIONED') AND table_schema NOT IN "
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
    return mariadb::DescribeTable(connection, *this, name);
  }

  ColumnType MapType(const ColumnType& t, Engine source) const override {
    return mariadb::MapType(*this, t, source);
  }

  Table FitKeys(const Table& table) const override { return mariadb::FitKeys(table); }

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
    for (Column& c : adjusted.columns) {
      if (c.generated.empty()) c.type.native += mariadb::ColumnTail(*this, c);
    }
    return Dialect::CreateTableSql(adjusted) +
           " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=" + Collation() +
           (table.comment.empty() ? "" : " COMMENT=" + CommentLiteral(table.comment, true));
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
    int64_t budget = mariadb::kMaxKeyBytes - fixed;
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
           "table_schema = ? AND table_type = 'SEQUENCE' UNION ALL SELECT 'history', "
           "CONCAT(table_schema, '.', table_name) FROM information_schema.tables WHERE "
           "table_schema = ? AND table_type = 'SYSTEM VERSIONED' ORDER BY 1, 2";
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
    l.times_beyond_day = true;
    return l;
  }

  // The text protocol prints FLOAT with 6 significant digits, which loses bits; widened to
  // DOUBLE on the server it travels exactly and narrows back exactly. BIT comes as its number.
  std::string SelectExpression(const Column& column) const override {
    if (column.type.kind == TypeKind::kReal) return "CAST(" + Quote(column.name) + " AS DOUBLE)";
    if (mariadb::IsBitField(column.type)) return "CAST(" + Quote(column.name) + " AS UNSIGNED)";
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

  // MariaDB has no TABLESAMPLE: this reads every row once (the clustered key is the table), so
  // a key of one integer column is sampled by index dives first (drivers/sql/key_dives.hpp).
  std::string SampleFrom(const Table& table, const std::vector<int>&,
                         double fraction) const override {
    return fmt::format("FROM {} WHERE RAND(20261121) < {:.8f}", QualifiedName(table.name),
                       std::clamp(fraction, 0.0, 1.0));
  }
  std::string SampleExpression(const Column& column) const override {
    if (StorageOf(column.type) == Storage::kBytes) return "LOWER(HEX(" + Quote(column.name) + "))";
    if (mariadb::IsBitField(column.type)) return SelectExpression(column);  // not its raw bytes
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
             (c.generated_stored ? "STORED" : "VIRTUAL") +
             (c.comment.empty() ? "" : " COMMENT " + CommentLiteral(c.comment, false));
    }
    std::string out = Dialect::ColumnDefinition(table, column);
    if (!c.on_update.empty()) out += " ON UPDATE " + c.on_update;
    if (AutoIncrementColumn(table) == int(column)) out += " AUTO_INCREMENT";
    return out;
  }
  std::string CaseInsensitiveCollation() const override {
    static const char* const kNames[] = {"utf8mb4_unicode_ci", "utf8mb4_0900_as_ci",
                                         "utf8mb4_uca1400_nopad_as_ci", "utf8mb4_unicode_nopad_ci"};
    return kNames[case_insensitive_.load()];
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
      auto now = mariadb::QueryWhole(
          session,
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
    auto rows = mariadb::QueryWhole(
        session,
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
  // Whether `name` holds a character beyond U+FFFF (a 4-byte UTF-8 sequence), which MariaDB's
  // utf8mb3 catalog cannot hold.
  static bool BeyondBmp(const std::string& name) {
    return std::any_of(name.begin(), name.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0xF0; });
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

  // Set by the first session's setup (the server tells); MariaDB until it says otherwise.
  mutable std::atomic<bool> no_pad_{true};
  mutable std::atomic<bool> server_known_{false};
  mutable std::atomic<int> case_insensitive_{0};  // CaseInsensitiveCollation's, as found
};

}  // namespace

std::unique_ptr<Dialect> MakeMariaDbDialect() {
  return std::make_unique<MariaDbDialect>();
}

}  // namespace ferry
