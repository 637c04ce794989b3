// MariaDB's change logs: three triggers per table, DDL that commits statement by statement, and
// the server-wide read_only as the write fence.
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "copier/backoff.hpp"
#include "copier/error.hpp"
#include "drivers/mariadb/mariadb_dialect.hpp"
#include "drivers/sql/change_log.hpp"

namespace ferry {

namespace {

class MariaDbChangeLog final : public ChangeLogEngine {
 public:
  explicit MariaDbChangeLog(const Dialect& dialect) : dialect_(dialect) {}

  std::string StartNumberingSql(const ChangeLog& log, int64_t first) const override {
    return fmt::format("ALTER TABLE {} AUTO_INCREMENT = {}", log.log, first);
  }

  std::vector<std::string> TriggerSql(const ChangeLog& log) const override {
    const Table& table = *log.table;
    const std::string target = dialect_.QualifiedName(table.name);
    std::string key_changed;
    for (int k : table.RowKey()) {
      const std::string n = dialect_.Quote(table.columns[size_t(k)].name);
      if (!key_changed.empty()) key_changed += " OR ";
      key_changed += fmt::format("NOT (BINARY OLD.{0} <=> BINARY NEW.{0})", n);
    }
    auto insert = [&](char op, const char* row) {
      return LogInsertSql(dialect_, log, log.log, op, row);
    };
    return {fmt::format("CREATE TRIGGER {} AFTER INSERT ON {} FOR EACH ROW {}",
                        Trigger(log, "_ins"), target, insert('I', "NEW")),
            fmt::format("CREATE TRIGGER {} AFTER UPDATE ON {} FOR EACH ROW BEGIN IF {} THEN {}; "
                        "{}; ELSE {}; END IF; END",
                        Trigger(log, "_upd"), target, key_changed, insert('D', "OLD"),
                        insert('I', "NEW"), insert('U', "NEW")),
            fmt::format("CREATE TRIGGER {} AFTER DELETE ON {} FOR EACH ROW {}",
                        Trigger(log, "_del"), target, insert('D', "OLD"))};
  }

  std::vector<std::string> DropTriggersSql(const ChangeLog& log) const override {
    std::vector<std::string> out;
    for (const char* suffix : {"_ins", "_upd", "_del"}) {
      out.push_back("DROP TRIGGER IF EXISTS " + Trigger(log, suffix));
    }
    return out;
  }

  std::string BeginWriteSql() const override { return "START TRANSACTION"; }

  // MariaDB commits each DDL statement: steps run in order, and what was made is undone when
  // one fails.
  bool TransactionalDdl() const override { return false; }
  bool TriggersComplete(SqlSession& s, const ChangeLog& log) const override {
    const TableName& table = log.table->name;
    std::string names;
    for (const char* suffix : {"_ins", "_upd", "_del"}) {
      names += (names.empty() ? "" : ", ") + dialect_.TextLiteral(log.base + suffix);
    }
    const std::string schema =
        table.schema.empty() ? "DATABASE()" : dialect_.TextLiteral(table.schema);
    auto rows = s.Query(fmt::format(
        "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {} AND "
        "EVENT_OBJECT_TABLE = {} AND TRIGGER_NAME IN ({})",
        schema, dialect_.TextLiteral(table.name), names));
    return !rows.empty() && rows[0][0] && *rows[0][0] == "3";
  }

  std::vector<std::string> DdlLockWaitSql(int seconds, bool in_transaction) const override {
    if (in_transaction) return {};
    return {fmt::format("SET SESSION lock_wait_timeout = {}", seconds)};
  }

  // A log entry's number is taken when the trigger writes it (AUTO_INCREMENT, handed out at
  // once in any innodb_autoinc_lock_mode) and seen when its transaction commits, so numbers are
  // seen out of order. The transactions that may hold one: those that wrote, or run a statement
  // now (one between taking a number and writing its row). Each is named by its connection and
  // start: the trx_id InnoDB shows is 0 until a transaction first writes, and changes then.
  // Needs the PROCESS privilege; without it, nullopt.
  // INNODB_TRX is a copy InnoDB makes again only once nobody has read it for 100 ms
  // (CACHE_MIN_IDLE_TIME in trx0i_s.cc): read by anyone shortly before, it can predate a
  // transaction that took a number below the log's end, which the sync would then count as
  // rolled back. So the copy must show this session's own transaction, begun after the log was
  // read, running this very statement (a mark in its text); else it is read again once it could
  // be made anew, and after a few tries the sync waits for the writers instead (nullopt).
  std::optional<std::vector<std::string>> OpenTransactions(SqlSession& s) const override {
    static std::atomic<uint64_t> next{0};
    std::minstd_rand jitter(std::random_device{}());
    for (int attempt = 1; attempt <= kFreshTries; ++attempt) {
      // After a copy kept by others, a pause of its own length: two processes asking at once
      // would otherwise keep each other's copies.
      WaitForNewCopy(std::chrono::milliseconds(attempt == 1 ? 0 : jitter() % 150));
      const std::string mark = fmt::format("ferry-trx-{}-{}", getpid(), next.fetch_add(1));
      std::optional<std::vector<SqlSession::Row>> rows = ReadTransactions(s, mark);
      if (!rows) return std::nullopt;
      std::vector<std::string> out;
      bool fresh = false;
      for (const auto& row : *rows) {
        if (row[0] && *row[0] == "1") {
          fresh = row[1] && row[1]->find(mark) != std::string::npos;
        } else if (row[2]) {
          out.push_back(*row[2]);
        }
      }
      if (fresh) return out;
    }
    return std::nullopt;
  }

  // Only where OpenTransactions cannot see the transactions (no PROCESS privilege, or a copy of
  // them other readers keep from being made anew): the log is read once writers in flight are
  // done, behind a table lock.
  int64_t StableSequence(SqlSession& s, const ChangeLog& log, const std::string& max_sql,
                         int lock_wait_seconds) const override {
    // LOCK TABLES ... READ waits for the metadata locks writers hold until they commit. While
    // it waits, new writers queue behind it, and one of them may hold a row lock that a
    // writer ahead of it waits for: a cycle through InnoDB that the metadata-lock deadlock
    // detector does not see, which only this lock's giving up breaks. So it gives up soon
    // and, after a short pause that lets the queue move, tries again within the same overall
    // wait.
    constexpr int kTries = 5;
    s.Execute(
        fmt::format("SET SESSION lock_wait_timeout = {}", std::max(1, lock_wait_seconds / kTries)));
    for (int attempt = 1;; ++attempt) {
      try {
        s.Execute("LOCK TABLES " + log.log + " READ");
        break;
      } catch (const Error&) {
        if (attempt == kTries) throw;
      }
      std::this_thread::sleep_for(BackoffDelay(std::chrono::milliseconds(50), attempt));
    }
    try {
      auto rows = s.Query(max_sql);
      const std::optional<std::string>& v = rows.at(0)[0];
      const int64_t max = v && !v->empty() ? std::stoll(*v) : 0;
      s.Execute("UNLOCK TABLES");
      return max;
    } catch (...) {
      s.Execute("UNLOCK TABLES");
      throw;
    }
  }

  std::optional<std::string> RefusesWritesSql() const override {
    return "SELECT @@GLOBAL.read_only";
  }

  // The whole server; users with SUPER (or READ ONLY ADMIN) can still write.
  std::string Fence(SqlSession& s) const override {
    s.Execute("SET GLOBAL read_only = ON");
    return "SET GLOBAL read_only = OFF";
  }

 private:
  static constexpr int kFreshTries = 10;
  static constexpr std::chrono::milliseconds kCopyIdle{120};  // InnoDB's 100 ms, and a margin

  // This process's last read of INNODB_TRX ended less than kCopyIdle (and `more`) ago: that copy
  // would be read again, so the pause comes first.
  static void WaitForNewCopy(std::chrono::milliseconds more) {
    const auto since = std::chrono::steady_clock::now() - LastRead().load();
    if (since < kCopyIdle + more) std::this_thread::sleep_for(kCopyIdle + more - since);
  }
  static std::atomic<std::chrono::steady_clock::time_point>& LastRead() {
    static std::atomic<std::chrono::steady_clock::time_point> last{};
    return last;
  }

  // INNODB_TRX as a transaction of `s` sees it, `mark` in the statement's text: (whether the
  // row is this session's, the statement it runs, the writer's name) per row; nullopt without
  // the right to see it.
  static std::optional<std::vector<SqlSession::Row>> ReadTransactions(SqlSession& s,
                                                                      const std::string& mark) {
    try {
      s.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
      auto rows = s.Query(fmt::format(
          "SELECT trx_mysql_thread_id = CONNECTION_ID(), trx_query, CONCAT(trx_mysql_thread_id, "
          "'.', UNIX_TIMESTAMP(trx_started)), {} FROM information_schema.INNODB_TRX WHERE "
          "trx_mysql_thread_id = CONNECTION_ID() OR trx_rows_modified > 0 OR "
          "trx_tables_in_use > 0",
          "'" + mark + "'"));  // letters, digits and dashes
      LastRead().store(std::chrono::steady_clock::now());
      s.Execute("COMMIT");
      return rows;
    } catch (const Error& e) {
      LastRead().store(std::chrono::steady_clock::now());
      try {
        s.Execute("ROLLBACK");
      } catch (const Error&) {
      }
      if (IsTransient(e)) throw;
      return std::nullopt;
    }
  }

  std::string Trigger(const ChangeLog& log, const char* suffix) const {
    return dialect_.QualifiedName({log.table->name.schema, log.base + suffix});
  }

  const Dialect& dialect_;
};

}  // namespace

std::unique_ptr<ChangeLogEngine> MakeMariaDbChangeLog(const Dialect& dialect) {
  return std::make_unique<MariaDbChangeLog>(dialect);
}

}  // namespace ferry
