// PostgreSQL's change logs: one PL/pgSQL trigger function per table, transactional DDL, and
// the database-wide default_transaction_read_only as the write fence.
#include <fmt/format.h>

#include "copier/error.hpp"
#include "drivers/postgres/postgres_dialect.hpp"
#include "drivers/sql/change_log.hpp"

namespace ferry {

namespace {

class PostgresChangeLog final : public ChangeLogEngine {
 public:
  explicit PostgresChangeLog(const Dialect& dialect) : dialect_(dialect) {}

  std::string StartNumberingSql(const ChangeLog& log, int64_t first) const override {
    return fmt::format("ALTER TABLE {} ALTER COLUMN {} RESTART WITH {}", log.log, log.seq, first);
  }

  std::vector<std::string> TriggerSql(const ChangeLog& log) const override {
    const Table& table = *log.table;
    const std::string fn = Function(log);
    std::string key_changed;
    for (int k : table.RowKey()) {
      const std::string n = dialect_.Quote(table.columns[size_t(k)].name);
      if (!key_changed.empty()) key_changed += " OR ";
      key_changed += fmt::format("OLD.{0} IS DISTINCT FROM NEW.{0}", n);
    }
    return {fmt::format("CREATE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $ferry$\n"
                        "BEGIN\n"
                        "  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({1})) THEN\n"
                        "    {2};\n"
                        "  END IF;\n"
                        "  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND ({1})) THEN\n"
                        "    {3};\n"
                        "  ELSIF TG_OP = 'UPDATE' THEN\n    {4};\n"
                        "  END IF;\n"
                        "  RETURN NULL;\n"
                        "END\n$ferry$",
                        fn, key_changed, LogInsertSql(dialect_, log, log.log, 'D', "OLD"),
                        LogInsertSql(dialect_, log, log.log, 'I', "NEW"),
                        LogInsertSql(dialect_, log, log.log, 'U', "NEW")),
            fmt::format("CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW "
                        "EXECUTE FUNCTION {}()",
                        dialect_.Quote(log.base), dialect_.QualifiedName(table.name), fn)};
  }

  std::vector<std::string> DropTriggersSql(const ChangeLog& log) const override {
    return {fmt::format("DROP TRIGGER IF EXISTS {} ON {}", dialect_.Quote(log.base),
                        dialect_.QualifiedName(log.table->name)),
            fmt::format("DROP FUNCTION IF EXISTS {}()", Function(log))};
  }

  // READ WRITE: a fenced database makes transactions read-only by default.
  std::string BeginWriteSql() const override { return "BEGIN READ WRITE"; }
  std::string BeginBookkeepingSql() const override {
    return "BEGIN READ WRITE; SET LOCAL synchronous_commit = off";
  }

  std::vector<std::string> DdlLockWaitSql(int seconds, bool in_transaction) const override {
    if (!in_transaction) return {};
    return {fmt::format("SET LOCAL lock_timeout = '{}s'", seconds)};
  }

  // A log entry's number (an identity column) is taken when the trigger writes it and seen when
  // its transaction commits, so numbers are seen out of order, as on MariaDB. The transactions
  // that may hold one: those in progress now, as a snapshot lists them (every transaction that
  // holds a transaction id; one that writes a log entry has one, as its row was written first),
  // named by their 64-bit ids, which are never reused. Needs no privilege. Servers before 13 lack
  // pg_current_snapshot(): nullopt, and StableSequence waits for writers instead.
  std::optional<std::vector<std::string>> OpenTransactions(SqlSession& s) const override {
    std::vector<SqlSession::Row> rows;
    try {
      rows = s.Query("SELECT pg_snapshot_xip(pg_current_snapshot())::text");
    } catch (const Error& e) {
      if (IsTransient(e)) throw;
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& row : rows) {
      if (row[0]) out.push_back(*row[0]);
    }
    return out;
  }

  // Only where OpenTransactions cannot list the transactions (a server before 13).
  int64_t StableSequence(SqlSession& s, const ChangeLog& log, const std::string& max_sql,
                         int lock_wait_seconds) const override {
    // SHARE conflicts with the ROW EXCLUSIVE lock every trigger's INSERT holds until its
    // transaction ends, so taking it waits for writers in flight: no entry below the max
    // read here can still appear.
    // READ WRITE: a fenced database (--final --fence) makes transactions read-only by default,
    // and SHARE is stronger than read-only transactions may take.
    s.Execute("BEGIN READ WRITE");
    try {
      s.Execute(fmt::format("SET LOCAL lock_timeout = '{}s'", lock_wait_seconds));
      s.Execute("LOCK TABLE " + log.log + " IN SHARE MODE");
      auto rows = s.Query(max_sql);
      const std::optional<std::string>& v = rows.at(0)[0];
      const int64_t max = v && !v->empty() ? std::stoll(*v) : 0;
      s.Execute("COMMIT");
      return max;
    } catch (...) {
      s.Execute("ROLLBACK");
      throw;
    }
  }

  bool DeferrableKeys(SqlSession& s, const Table& table) const override {
    const auto rows = s.Query(fmt::format(
        "SELECT count(*) FROM pg_catalog.pg_constraint WHERE conrelid = {}::regclass AND "
        "contype IN ('p', 'u') AND condeferrable",
        dialect_.TextLiteral(dialect_.QualifiedName(table.name))));
    return !rows.empty() && rows[0][0].value_or("0") != "0";
  }

  std::optional<std::string> RefusesWritesSql() const override {
    return "SELECT CASE WHEN pg_is_in_recovery() OR current_setting("
           "'default_transaction_read_only') = 'on' THEN 1 ELSE 0 END";
  }

  std::string Fence(SqlSession& s) const override {
    const std::string db =
        dialect_.Quote(s.Query("SELECT current_database()").at(0)[0].value_or(""));
    s.Execute("ALTER DATABASE " + db + " SET default_transaction_read_only = on");
    // New sessions now start read-only; sessions already open keep their setting, so they
    // are ended (their open transactions roll back).
    s.Query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
    // Sessions of the fenced database are read-only by default: the undo says otherwise.
    return "BEGIN READ WRITE; ALTER DATABASE " + db +
           " RESET default_transaction_read_only; COMMIT";
  }

 private:
  std::string Function(const ChangeLog& log) const {
    return dialect_.QualifiedName({log.table->name.schema, log.base + "_fn"});
  }

  const Dialect& dialect_;
};

}  // namespace

std::unique_ptr<ChangeLogEngine> MakePostgresChangeLog(const Dialect& dialect) {
  return std::make_unique<PostgresChangeLog>(dialect);
}

// In the exported snapshot's transaction, txid_current_snapshot is that snapshot (exactly the
// transactions the copy holds); the WAL position is where the WAL stood just after it (a
// standby: what it had replayed).
std::vector<std::pair<std::string, std::string>> PostgresSnapshotPosition(SqlSession& session,
                                                                          bool in_snapshot) {
  auto rows = session.Query(
      "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE "
      "pg_current_wal_lsn() END::text, txid_current_snapshot()::text");
  if (rows.empty() || !rows[0][0] || !rows[0][1]) return {};
  if (!in_snapshot) return {{"postgresql_wal_lsn", *rows[0][0]}};
  return {{"postgresql_wal_lsn", *rows[0][0]}, {"postgresql_snapshot", *rows[0][1]}};
}

}  // namespace ferry
