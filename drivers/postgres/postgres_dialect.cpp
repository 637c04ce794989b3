// PostgreSQL through psqlODBC. Catalog from pg_catalog (exact type modifiers, cheap
// estimates from pg_class), sessions in UTC with ISO dates, declare/fetch cursors so a large
// result never sits whole in the client.
#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "copier/sql_tokens.hpp"
#include "drivers/postgres/libpq_params.hpp"
#include "drivers/postgres/pg_clone_needs.hpp"
#include "drivers/postgres/postgres_catalog.hpp"
#include "drivers/postgres/postgres_dialect.hpp"
#include "drivers/sql/change_log.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry {

namespace {

using sql_tokens::StringLiteral;

DialectQuirks PostgresQuirks() {
  DialectQuirks q;
  q.quote = '"';
  EngineTraits& t = q.traits;
  t.copies = true;
  t.max_identifier_length = 63;             // NAMEDATALEN - 1
  t.index_name_scope = NameScope::kSchema;  // indexes share the namespace of tables
  t.foreign_key_name_scope = NameScope::kTable;
  t.deferrable_keys = true;
  t.object_names_fold_case = false;
  t.keyless_by_pages = true;
  t.change_tracking = true;
  t.schema_clone = true;
  t.sequences = true;
  t.comments = true;
  q.fold_column_names = false;
  q.composite_keys_as_values = true;
  q.checks_after_data = true;
  // psqlODBC inlines parameters as literals; text lets PostgreSQL parse every type itself
  // (booleans as 't'/'f', NaN and Infinity, timestamps with zone) exactly.
  q.odbc.text_writes = OdbcQuirks::TextWrites::kAllButIntegersAndBytes;
  q.odbc.bytes_as_long_binary = true;
  q.odbc.true_text = "t";
  q.odbc.false_text = "f";
  q.odbc.utc_offset = true;
  return q;
}

class PostgresDialect final : public Dialect {
 public:
  explicit PostgresDialect(std::string toast_compression)
      : Dialect(PostgresQuirks()), toast_compression_(std::move(toast_compression)) {}

  std::unique_ptr<ChangeLogEngine> ChangeLog() const override {
    return MakePostgresChangeLog(*this);
  }

  Engine engine() const override { return Engine::kPostgres; }

  std::vector<std::pair<std::string, std::string>> ConnectionAttributes(bool) const override {
    return {
        // No server-side cursor: this session reads only the catalog and planning samples
        // (rows move through libpq), whose results are small, and a cursor cost two round
        // trips a query (DECLARE and FETCH, then CLOSE and COMMIT) where one does; a planning
        // or sync on a busy machine made over a hundred of them.
        {"UseDeclareFetch", "0"},
        // Booleans as SQL_BIT rather than 'true'/'false' strings.
        {"BoolsAsChar", "0"},
        // An error rolls back the transaction (a unit is all or nothing anyway) instead of the
        // default savepoint around every statement, which costs a round trip and makes
        // pg_export_snapshot refuse to run ("from a subtransaction").
        {"Protocol", "7.4-1"},
        {"ByteaAsLongVarBinary", "1"},
    };
  }

  // One round trip for all of them: a sync opens a dozen sessions, and on a busy machine each
  // round trip waits for the server process to be scheduled (8 SETs took 0.1-0.2 s a session).
  // bytea_output and IntervalStyle are pinned to their defaults: text COPY and verify's server
  // digests depend on them.
  void SetUpSession(SqlSession& connection, bool is_source) const override {
    const std::string setup =
        "SET TimeZone='UTC'; SET DateStyle='ISO, YMD'; SET extra_float_digits=3; "
        "SET client_encoding='UTF8'; SET bytea_output='hex'; SET IntervalStyle='postgres'; "
        "SET application_name = " +
        TextLiteral(ThisSessionTag());
    // A source read that row-level security would filter fails (as pg_dump's does) instead of
    // missing the rows the policies hide; check names such tables (Table::row_security).
    const std::string read = is_source ? "; SET row_security = off" : "";
    // The planner estimates ferry's catalog queries (recursive walks of pg_depend) far above
    // jit_above_cost although they read a few hundred rows: compiling the clone's schema walk
    // took 2 s of server CPU where running it took 2 ms, in every check and run. A unit's range
    // read gained nothing from it either (2M rows in binary COPY: 1.9-2.4 s with, 1.7-1.9 off).
    const std::string jit = "; SET jit = off";
    const std::string toast = is_source ? "" : pq::ToastCompressionSql(toast_compression_);
    try {
      connection.Execute(setup + read + jit + (toast.empty() ? "" : "; " + toast));
    } catch (const Error&) {
      // The statements of one round trip are one transaction: servers before 11 know no jit,
      // those before 14 or built without lz4 refuse the toast setting; the others again alone.
      connection.Execute(setup + read);
    }
  }

  std::string AssertSql(const std::string& condition, const std::string& sqlstate,
                        const std::string& message) const override {
    return fmt::format(
        "DO $ferry$ BEGIN IF ({}) IS NOT TRUE THEN RAISE EXCEPTION USING ERRCODE = {}, "
        "MESSAGE = {}; END IF; END $ferry$",
        condition, TextLiteral(sqlstate), TextLiteral(message));
  }

  std::string SessionIdSql() const override { return "SELECT pg_backend_pid()"; }
  std::string ServerVersionSql() const override {
    return "SELECT current_setting('server_version')";
  }
  // Not "ferry": PostgreSQL's default search_path starts with "$user", and a schema named
  // like ferry's login role would take the application's tables.
  std::string DefaultStateSchema(const std::string&) const override { return kStateSchema; }
  std::string SharedLockClause() const override { return " FOR SHARE"; }
  std::string NowMillisSql() const override {
    return "(extract(epoch from clock_timestamp()) * 1000)::bigint";
  }
  std::string ClaimLockClause() const override { return " FOR UPDATE SKIP LOCKED"; }

  // The lock session holds one advisory lock: the run lock.
  std::string LockHeldCondition(const std::string&, const std::string& holder) const override {
    return "EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted "
           "AND pid = " +
           std::to_string(std::stoll(holder)) + ")";
  }

  std::vector<std::string> TaggedSessions(SqlSession& session,
                                          const std::string& tag) const override {
    std::vector<std::string> out;
    for (auto& row :
         session.Query("SELECT pid FROM pg_catalog.pg_stat_activity WHERE application_name = " +
                       TextLiteral(tag) + " AND pid <> pg_backend_pid()")) {
      if (row[0]) out.push_back(*row[0]);
    }
    return out;
  }

  void EndSession(SqlSession& session, const std::string& id) const override {
    session.Query("SELECT pg_terminate_backend(" + std::to_string(std::stoll(id)) + ")");
  }

  bool SessionOpen(SqlSession& session, const std::string& id) const override {
    return !session
                .Query("SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = " +
                       std::to_string(std::stoll(id)))
                .empty();
  }

  // The extended (64-bit, seeded) hash functions hash partitioning uses, which pg_upgrade keeps
  // stable across versions: from PostgreSQL 11. Values hashed as text (floats, dates, anything
  // without a hash function named below) rely on its output form, which for floats changed in
  // 12 (shortest exact digits) and is otherwise pinned by SetUpSession; the server encoding
  // decides the bytes of text.
  std::string ServerRowHash(SqlSession& connection) const override {
    auto rows = connection.Query(
        "SELECT current_setting('server_version_num'), current_setting('server_encoding')");
    if (rows.empty() || !rows[0][0] || !rows[0][1]) return "";
    const int version = std::stoi(*rows[0][0]);
    if (version < 110000) return "";
    return fmt::format("PostgreSQL {} extended hash functions, server encoding {}",
                       version >= 120000 ? "12+" : "11", *rows[0][1]);
  }

  std::optional<std::string> ExportSnapshot(SqlSession& coordinator) const override {
    coordinator.Execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    auto rows = coordinator.Query("SELECT pg_export_snapshot()");
    return *rows.at(0).at(0);
  }

  std::vector<std::pair<std::string, std::string>> SnapshotPosition(
      SqlSession& session, bool in_snapshot) const override {
    return PostgresSnapshotPosition(session, in_snapshot);
  }
  void StartSnapshotRead(SqlSession& reader,
                         const std::optional<std::string>& snapshot) const override {
    reader.Execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (snapshot) reader.Execute("SET TRANSACTION SNAPSHOT '" + *snapshot + "'");
  }

  // Advisory locks are cluster-wide: the database's name goes into the key.
  std::string TryLockSql(const std::string& name) const override {
    return "SELECT pg_try_advisory_lock(hashtext('ferry:' || current_database() || ':' || " +
           TextLiteral(name) + "))";
  }

  std::string RunLockHolder(SqlSession& session, const std::string& name) const override {
    return pg::RunLockHolder(session,
                             "'ferry:' || current_database() || ':' || " + TextLiteral(name));
  }

  std::vector<std::string> LockTimeoutSql(int seconds) const override {
    return {fmt::format("SET lock_timeout = '{}s'", seconds)};
  }
  bool IsLockTimeout(const Error& error) const override { return error.sqlstate() == "55P03"; }
  std::vector<std::string> LockHolders(SqlSession& session, const TableName& table) const override {
    auto rows = session.Query(
        "SELECT a.pid::text, coalesce(a.usename, '?'), coalesce(nullif(a.application_name, ''), "
        "'no application name'), coalesce(host(a.client_addr), 'a local socket'), "
        "coalesce(to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '?'), "
        "coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '?'), "
        "coalesce(a.state, '?'), string_agg(DISTINCT l.mode, ', ') "
        "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid() "
        "AND l.relation = to_regclass(" +
        TextLiteral(QualifiedName(table)) +
        ") "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1");
    std::vector<std::string> out;
    for (const auto& r : rows) {
      out.push_back(fmt::format(
          "pid {} (user {}, {}, from {}; transaction open since {} UTC, "
          "its last query started {} UTC, now {}; holds {})",
          r[0].value_or("?"), r[1].value_or("?"), r[2].value_or("?"), r[3].value_or("?"),
          r[4].value_or("?"), r[5].value_or("?"), r[6].value_or("?"), r[7].value_or("?")));
    }
    return out;
  }

  std::string DatabaseIdentity(SqlSession& connection) const override {
    return pg::DatabaseIdentity(connection);
  }

  std::string DefaultSchema(SqlSession& connection) const override {
    auto rows = connection.Query("SELECT current_schema()");
    if (rows.empty() || !rows[0][0]) {
      throw Error(ErrorCode::kSchema, "the PostgreSQL search_path names no existing schema");
    }
    return *rows[0][0];
  }

  std::vector<TableName> ListTables(SqlSession& connection) const override {
    auto rows = connection.Query(
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
        "ORDER BY 1, 2");
    std::vector<TableName> out;
    for (auto& r : rows) out.push_back({*r[0], *r[1]});
    return out;
  }

  std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name) const override {
    return pg::DescribeTable(connection, name);
  }
  std::vector<std::optional<Table>> DescribeTables(
      SqlSession& connection, const std::vector<TableName>& names) const override {
    return pg::DescribeTables(connection, names);
  }

  ColumnType MapType(const ColumnType& t, Engine source) const override {
    ColumnType out = t;
    if (source == Engine::kPostgres) {
      out.labels.clear();  // the enum type itself allows only its labels
      return out;          // same engine: the source's own spelling
    }
    switch (t.kind) {
      case TypeKind::kBoolean:
        out.native = "boolean";
        break;
      case TypeKind::kInteger:
        if (t.is_unsigned && t.width_bits >= 64) {
          out.native = "numeric(20,0)";
          out.kind = TypeKind::kDecimal;
          out.precision = 20;
          out.scale = 0;
          out.width_bits = 0;
          out.is_unsigned = false;
        } else {
          int bits = t.width_bits + (t.is_unsigned ? 1 : 0);
          out.native = bits <= 16 ? "smallint" : bits <= 32 ? "integer" : "bigint";
          out.width_bits = bits <= 16 ? 16 : bits <= 32 ? 32 : 64;
          out.is_unsigned = false;
        }
        break;
      case TypeKind::kDecimal:
        if (t.precision > 1000) throw Unmappable(t, "PostgreSQL numeric holds 1000 digits");
        out.native =
            t.precision == 0 ? "numeric" : fmt::format("numeric({},{})", t.precision, t.scale);
        break;
      case TypeKind::kReal:
        out.native = "real";
        break;
      case TypeKind::kDouble:
        out.native = "double precision";
        break;
      case TypeKind::kChar:
        out.native = t.length > 0 ? fmt::format("character({})", t.length) : "character(1)";
        break;
      case TypeKind::kVarchar:
        out.native = t.length > 0 && t.length <= 10485760
                         ? fmt::format("character varying({})", t.length)
                         : "text";
        if (out.native == "text") out.kind = TypeKind::kText;
        break;
      case TypeKind::kText:
        out.native = "text";
        break;
      case TypeKind::kBinary:
      case TypeKind::kVarbinary:
      case TypeKind::kBlob:
        out.native = "bytea";
        // A spatial value lands as its EWKB, which ST_GeomFromEWKB reads (copier/spatial.hpp).
        out.ForgetSpatial();
        break;
      case TypeKind::kDate:
        out.native = "date";
        break;
      case TypeKind::kTime:
        out.native = fmt::format("time({}) without time zone", Fraction(t));
        break;
      case TypeKind::kTimestamp:
        out.native = fmt::format("timestamp({}) without time zone", Fraction(t));
        break;
      case TypeKind::kTimestampTz:
        out.native = fmt::format("timestamp({}) with time zone", Fraction(t));
        break;
      case TypeKind::kUuid:
        out.native = "uuid";
        break;
      case TypeKind::kJson:
        out.native = t.binary_json ? "jsonb" : "json";
        break;
      case TypeKind::kUnsupported:
        if (t.text_form) return TextForm("text");
        throw Unmappable(t, "ferry has no mapping for it");
      case TypeKind::kAny:
        throw Unmappable(t, "ferry has no mapping for it");
    }
    out.max_bytes = -1;
    return out;
  }

  // Unique indexes become unique constraints: what a DBA declares, and what
  // INSERT ... ON CONFLICT ON CONSTRAINT and information_schema see.
  std::string CreateIndexSql(const Table& table, const Index& index) const override {
    if (!index.native_definition.empty()) {
      // A definition from another PostgreSQL database: its own text, with this table and name.
      auto native = ParseNativeIndex(index.native_definition);
      if (native && native->qualified &&
          (native->constraint || native->tail.rfind("USING ", 0) == 0)) {
        if (native->constraint) {
          return "ALTER TABLE " + QualifiedName(table.name) + " ADD CONSTRAINT " +
                 Quote(index.name) + " " + native->tail;
        }
        return "CREATE " + (native->kind.empty() ? "" : native->kind + " ") + "INDEX " +
               Quote(index.name) + " ON " + QualifiedName(table.name) + " " + native->tail;
      }
    }
    if (index.unique && !index.columns.empty()) {
      const std::string nocase =
          CaseInsensitiveKeyFor(table, index.columns, index.name + "_nocase");
      return "ALTER TABLE " + QualifiedName(table.name) + " ADD CONSTRAINT " + Quote(index.name) +
             " UNIQUE (" + ColumnList(table, index.columns) + ")" +
             (nocase.empty() ? "" : ", ADD " + nocase);
    }
    return Dialect::CreateIndexSql(table, index);
  }

  // No collation ignores case for a column without ICU: the key stays as written (a foreign key
  // may need it) beside an exclusion on lower() in collation "C", which folds ASCII letters only,
  // as SQLite's NOCASE does. A name cut to 63 bytes must not become its unique key's name.
  std::string CaseInsensitiveKey(const Table& table, const std::vector<int>& columns,
                                 const std::string& name) const override {
    size_t keep = std::min<size_t>(name.size(), 56);
    while (keep < name.size() && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
    std::string parts;
    for (int k : columns) {
      const Column& c = table.columns[size_t(k)];
      parts += (parts.empty() ? "" : ", ") +
               (c.case_insensitive ? "lower((" + Quote(c.name) + ")::text COLLATE \"C\")"
                                   : Quote(c.name)) +
               " WITH =";
    }
    return "CONSTRAINT " + Quote(name.size() > 63 ? name.substr(0, keep) + "_nocase" : name) +
           " EXCLUDE USING btree (" + parts + ")";
  }

  std::string ScanCondition(const Column& column, const ValueScan& scan) const override {
    const std::string c = Quote(column.name);
    const bool numeric = column.type.kind == TypeKind::kDecimal;
    switch (scan.rule) {
      case ValueRule::kNaN:
        return c + (numeric ? " = 'NaN'::numeric" : " = 'NaN'::float8");
      case ValueRule::kInfinity:
        return numeric ? "" : c + " IN ('Infinity'::float8, '-Infinity'::float8)";
      case ValueRule::kLongerThan:
        return "char_length(" + c + "::text) > " + std::to_string(scan.limit);
      case ValueRule::kBytesLongerThan:
        return "octet_length(" + c + ") > " + std::to_string(scan.limit);
      case ValueRule::kYearOutside:
        return "(NOT isfinite(" + c + ") OR EXTRACT(YEAR FROM " + c + ") NOT BETWEEN " +
               std::to_string(scan.limit) + " AND " + std::to_string(scan.limit2) + ")";
      case ValueRule::kNegativeZero:  // -0 = 0, but prints with its sign
        return numeric ? "" : "(" + c + " = 0 AND " + c + "::text LIKE '-%')";
      case ValueRule::kNul:            // PostgreSQL text holds no NUL
      case ValueRule::kInvalidUtf8:    // the server's encoding checks every value
      case ValueRule::kZeroDate:       // neither zero dates
      case ValueRule::kTimeBeyondDay:  // nor times beyond a day
      case ValueRule::kOtherKind:      // and every value is of its column's type
        return "";
    }
    return "";
  }

  std::string OtherObjectsSql() const override { return pg::OtherObjectsQuery(); }

  // A SELECT of no columns fills every column with its default, or computes it.
  std::vector<std::string> DefaultRowsSql(const Table& table, int64_t rows) const override {
    return {fmt::format("INSERT INTO {} SELECT FROM pg_catalog.generate_series(1, {})",
                        QualifiedName(table.name), rows)};
  }

  // TRUNCATE of an inheritance parent would empty its children too (tables of their own);
  // a partitioned table's rows are its partitions', which go with it.
  std::string TruncateSql(const TableName& name) const override {
    const std::string table = QualifiedName(name);
    return "DO $ferry$ BEGIN IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = " +
           StringLiteral(table) + "::regclass) = 'p' THEN TRUNCATE TABLE " + table +
           "; ELSE TRUNCATE TABLE ONLY " + table + "; END IF; END $ferry$";
  }

  // Adding a foreign key checks every row: no query of ferry's own is needed.
  std::string ForeignKeyOrphanSql(const Table&, const ForeignKey&, bool) const override {
    return "";
  }

  // Serial and identity columns both draw from a sequence (pg_get_serial_sequence finds either).
  // It is moved only forwards, past the largest value and to the source counter's next value:
  // an empty table, or a sequence already beyond both (an appended table), keeps its place.
  std::vector<std::string> SyncIdentitySql(SqlSession&, const Table& table,
                                           const std::vector<IdentityNext>& next) const override {
    std::vector<std::string> out;
    for (const Column& c : table.columns) {
      if (!c.identity) continue;
      std::string source_next = "NULL::numeric";
      for (const IdentityNext& n : next) {
        if (n.column == c.name) source_next = fmt::format("{}::numeric", n.next);
      }
      out.push_back(
          fmt::format("SELECT pg_catalog.setval(s.seq, s.target::bigint) FROM (SELECT q.seq, "
                      "GREATEST(q.top::numeric, {} - sq.seqincrement) AS target, "
                      "sq.seqincrement AS step, sq.seqstart AS start, sq.seqmax AS maxv, "
                      "pg_catalog.pg_sequence_last_value(q.seq) AS last FROM (SELECT "
                      "pg_catalog.pg_get_serial_sequence({}, {})::regclass AS seq, "
                      "(SELECT max({}) FROM {}) AS top) q "
                      "JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = q.seq) s "
                      "WHERE s.target IS NOT NULL AND s.step > 0 AND s.target <= s.maxv "
                      "AND s.target >= COALESCE(s.last + s.step, s.start)",
                      source_next, StringLiteral(QualifiedName(table.name)), StringLiteral(c.name),
                      Quote(c.name), QualifiedName(table.name)));
    }
    return out;
  }

  // pg_sequence_last_value cannot tell a sequence set with is_called = false from a fresh one:
  // the sequence itself is read, through query_to_xml, in the same statement.
  std::vector<IdentityNext> IdentityCounters(SqlSession& session,
                                             const Table& table) const override {
    std::vector<IdentityNext> out;
    for (const Column& c : table.columns) {
      if (!c.identity) continue;
      auto rows = session.Query(fmt::format(
          "SELECT (pg_catalog.xpath('/row/n/text()', pg_catalog.query_to_xml(pg_catalog.format("
          "'SELECT CASE WHEN is_called THEN last_value + %s ELSE last_value END AS n FROM %s', "
          "sq.seqincrement, q.seq), false, true, '')))[1]::text "
          "FROM (SELECT pg_catalog.pg_get_serial_sequence({}, {})::regclass AS seq) q "
          "JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = q.seq",
          StringLiteral(QualifiedName(table.name)), StringLiteral(c.name)));
      if (rows.empty() || !rows[0][0]) continue;
      out.push_back({c.name, std::stoll(*rows[0][0])});
    }
    return out;
  }

  // Quoted identifiers keep their case: "Users" and users are two tables, and two columns.

  std::string CreateMissingSchemaSql(const std::string& schema) const override {
    return fmt::format(
        "DO $ferry$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = "
        "{}) THEN EXECUTE {}; END IF; END $ferry$",
        TextLiteral(schema), TextLiteral("CREATE SCHEMA IF NOT EXISTS " + Quote(schema)));
  }

  // The privilege functions count grants through roles and PUBLIC, as the server will.
  std::optional<bool> HasPrivilege(SqlSession& connection, const TableName& table,
                                   Privilege privilege) const override {
    std::vector<SqlSession::Row> rows;
    if (privilege == Privilege::kCreate) {
      // A schema that does not exist is created with the table (CreateMissingSchemaSql, or the
      // clone's CREATE SCHEMA): that needs CREATE on the database.
      rows = connection.Query(
          "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = "
          "?::text) THEN pg_catalog.has_schema_privilege(?::text, 'CREATE') ELSE "
          "pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') END",
          {table.schema, table.schema});
    } else {
      rows = connection.Query(
          "SELECT pg_catalog.has_schema_privilege(?::text, 'USAGE') AND "
          "pg_catalog.has_table_privilege(pg_catalog.format('%I.%I', ?::text, ?::text), ?::text)",
          {table.schema, table.schema, table.name, PrivilegeName(privilege)});
    }
    if (rows.empty() || !rows[0][0]) return std::nullopt;
    return *rows[0][0] == "1" || *rows[0][0] == "t";
  }

  bool NameTaken(const Error& error) const override {
    // 42P07: a relation (table, index, sequence) of the schema has the name; 42710: a constraint
    // of the table has it.
    // 23505 on the catalog's own unique index: another session was creating an object of the
    // same name at the same moment (index builds run in parallel).
    if (error.sqlstate() == "23505") {
      for (const Diagnostic& d : error.diagnostics()) {
        if (d.message.find("pg_class_relname_nsp_index") != std::string::npos) return true;
      }
    }
    return error.sqlstate() == "42P07" || error.sqlstate() == "42710";
  }

  ValueLimits limits() const override {
    ValueLimits l;
    l.nul_in_text = false;
    l.max_decimal_precision = 1000;
    l.decimal_nan = true;
    l.unbounded_dates = true;
    return l;
  }

 protected:
  // Page sampling reads only the chosen pages: cheap on big tables. Rows of a page are
  // neighbours in key order when keys grow with inserts, so at least kSamplePages pages are
  // drawn: quantiles then rest on thousands of places in the table, not on a handful. With
  // 1,000 pages lineitem's 13 units ranged from 372k to 550k rows (the slowest unit sets the
  // end of the table); with 6,000, from 432k to 475k, for 0.3 s more planning.
  // The server sorts the sampled keys and sends every n-th, about as many as were asked for:
  // 6,000 pages of lineitem are ~300,000 keys, and fetching them all through the catalog
  // session took 1.7 s of a busy machine's planning for 13 units; the quantiles of every n-th
  // key differ from those of all by at most n of 300,000 keys.
  std::string SampleFrom(const Table& table, const std::vector<int>& key,
                         double fraction) const override {
    constexpr double kSamplePages = 6000;
    double percent = fraction * 100.0;
    if (table.pages > 0) percent = std::max(percent, kSamplePages * 100.0 / double(table.pages));
    std::string order;
    for (int k : key) order += (order.empty() ? "" : ", ") + Quote(table.columns[size_t(k)].name);
    const double rows = table.estimated_rows > 0 ? double(table.estimated_rows) : 1e6;
    const int64_t wanted = std::max<int64_t>(1, int64_t(fraction * rows));
    return fmt::format(
        "FROM (SELECT {0}, row_number() OVER (ORDER BY {0}) AS ferry_row, count(*) OVER () AS "
        "ferry_rows FROM {1} TABLESAMPLE SYSTEM ({2:.6f}) REPEATABLE (20261121)) AS ferry_sample "
        "WHERE ferry_row % GREATEST(ferry_rows / {3}, 1) = 0",
        order, RowsOf(table), std::clamp(percent, 0.0001, 100.0), wanted);
  }
  std::string SampleExpression(const Column& column) const override {
    if (StorageOf(column.type) == Storage::kBytes)
      return "encode(" + Quote(column.name) + ", 'hex')";
    return Quote(column.name) + "::text";
  }
  std::string LocationPredicate(const KeyRange& range) const override {
    std::string out;
    if (range.lo) out = "ctid >= '(" + range.lo->at(0) + ",0)'::tid";
    if (range.hi)
      out += std::string(out.empty() ? "" : " AND ") + "ctid < '(" + range.hi->at(0) + ",0)'::tid";
    return out.empty() ? "true" : out;
  }
  // One array constant instead of an IN list: the planner coerces each element of an IN list
  // on its own, 65 ms for 20,000 keys against 9 ms for the array. The array goes in through
  // ARRAY(SELECT unnest(...)), a value the planner cannot see into: it plans an index scan
  // with the keys sorted, which returns its first row at once, where a visible constant led
  // it to estimate every element (15-25 ms of planning for 20,000 keys) and then to a bitmap
  // scan that returns nothing before it has probed every key. A sync's writer starts merging
  // that much sooner, and its deletes find the keys in key order too.
  std::string KeyListPredicate(const Column& column,
                               const std::vector<std::vector<std::string>>& keys) const override {
    if (column.type.native.empty() || StorageOf(column.type) == Storage::kBytes) return "";
    std::string array = "{";
    for (size_t k = 0; k < keys.size(); ++k) {
      if (k > 0) array += ',';
      array += '"';
      for (char c : keys[k].at(0)) {
        if (c == '"' || c == '\\') array += '\\';
        array += c;
      }
      array += '"';
    }
    array += '}';
    return Quote(column.name) + " = ANY(ARRAY(SELECT unnest(" + StringLiteral(array) +
           "::" + column.type.native + "[])))";
  }
  std::string Literal(const ColumnType& type, const std::string& text) const override {
    if (StorageOf(type) == Storage::kBytes) return "'\\x" + text + "'::bytea";
    return Dialect::Literal(type, text);
  }

  // A partitioned table made partitioned, then its partitions attached; its comments.
  std::vector<std::string> CreateTableStatements(const Table& table) const override {
    std::vector<std::string> sql = pg::WithPartitions(*this, CreateTableSql(table), table);
    for (std::string& comment : CommentStatements(table)) sql.push_back(std::move(comment));
    return sql;
  }

  // Identity columns are created GENERATED BY DEFAULT, so copied values go in as they are;
  // serial, identity and auto-increment sources alike. A uint64 key mapped to numeric(20,0)
  // becomes bigint there (a value beyond it is refused by key, as for any bigint).
  std::string ColumnDefinition(const Table& table, size_t column) const override {
    const Column& c = table.columns[column];
    if (!c.generated.empty()) {
      return Quote(c.name) + " " + c.type.native + " GENERATED ALWAYS AS (" + c.generated +
             ") STORED" + (c.nullable ? "" : " NOT NULL");
    }
    std::string type = IdentityType(c);
    if (type.empty()) return Dialect::ColumnDefinition(table, column);
    return Quote(c.name) + " " + type + " GENERATED BY DEFAULT AS IDENTITY";
  }

  // Each column hashed with its position as seed (so swapped values change the row's hash), a
  // NULL as a constant of its own per position, the column hashes combined with XOR; DigestSql
  // sums the rows' hashes as numeric, exactly. Types with a hash function of their own use it
  // (no text output: half the server's time on lineitem); numeric's hashes by value (1.5 =
  // 1.50), as ferry's canonical form does. Floats go through their exact text, so -0 stays apart
  // from 0 as in ferry's canonical form; text with collation "C", so bytes decide.
  std::string RowHashExpression(const Table& table,
                                const std::vector<int>& columns) const override {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i) {
      const Column& c = table.columns[size_t(columns[i])];
      const std::string& n = c.type.native;
      const std::string q = Quote(c.name);
      const int seed = int(i) + 1;
      std::string h;
      if (n == "smallint" || n == "integer") {
        h = fmt::format("hashint4extended({}, {})", q, seed);
      } else if (n == "bigint") {
        h = fmt::format("hashint8extended({}, {})", q, seed);
      } else if (n == "boolean") {
        h = fmt::format("hashint4extended({}::integer, {})", q, seed);
      } else if (n == "numeric" || n.starts_with("numeric(")) {
        h = fmt::format("hash_numeric_extended({}, {})", q, seed);
      } else if (n == "uuid") {
        h = fmt::format("uuid_hash_extended({}, {})", q, seed);
      } else if (n == "jsonb") {
        h = fmt::format("jsonb_hash_extended({}, {})", q, seed);
      } else if (n == "text" || n.starts_with("character varying")) {
        h = fmt::format("hashtextextended({} COLLATE \"C\", {})", q, seed);
      } else if (n.starts_with("character(")) {
        h = fmt::format("hashbpcharextended({} COLLATE \"C\", {})", q, seed);
      } else {
        h = fmt::format("hashtextextended(({}::text) COLLATE \"C\", {})", q, seed);
      }
      // A constant per position stands for NULL: distinct from '' and from any other column's.
      const int64_t null_mark = int64_t(0x2545f4914f6cdd1dULL * uint64_t(seed) >> 1);
      out += fmt::format("{}COALESCE({}, {})", i > 0 ? " # " : "", h, null_mark);
    }
    return out;
  }

 private:
  static int Fraction(const ColumnType& t) { return std::clamp(t.precision, 0, 6); }

  std::string toast_compression_;  // destination sessions' (EndpointOptions)

  static Error Unmappable(const ColumnType& t, const std::string& why) {
    return Error(ErrorCode::kSchema,
                 fmt::format("type {} cannot be created in PostgreSQL: {}", DescribeType(t), why));
  }

  // The type an identity column of `c` is created with, or "" when it cannot be one.
  static std::string IdentityType(const Column& c) {
    if (!c.identity) return "";
    const ColumnType& t = c.type;
    if (t.kind == TypeKind::kInteger) {
      if (t.native == "smallint" || t.native == "integer" || t.native == "bigint") return t.native;
      return "";  // a domain over an integer cannot be an identity
    }
    if (t.kind == TypeKind::kDecimal && t.precision == 20 && t.scale == 0) return "bigint";
    return "";
  }
};

}  // namespace

std::unique_ptr<Dialect> MakePostgresDialect(const std::string& toast_compression) {
  return std::make_unique<PostgresDialect>(toast_compression);
}

}  // namespace ferry
