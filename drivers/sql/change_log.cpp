#include "drivers/sql/change_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "copier/error.hpp"
#include "copier/log_key_checks.hpp"
#include "copier/run_state.hpp"

namespace ferry {

namespace {

constexpr const char* kSeq = "ferry_seq";
constexpr const char* kOp = "ferry_op";
// How long DDL and the sequence lock wait behind writers before giving up: long enough for
// ordinary transactions, short enough that writers queued behind ferry are not stalled for long.
constexpr int kLockWaitSeconds = 10;

std::string Base(const TableName& table) {
  // 63 bytes is PostgreSQL's limit; suffixes (_fn, _ins, ...) need a few more.
  constexpr size_t kMaxName = 40;
  if (table.name.size() <= kMaxName) return "ferry_log_" + table.name;
  uint32_t hash = 2166136261u;  // FNV-1a: stable across runs and builds
  for (unsigned char c : table.name) hash = (hash ^ c) * 16777619u;
  return fmt::format("ferry_log_{}_{:08x}", table.name.substr(0, 30), hash);
}

std::vector<int> KeyOf(const Table& table) {
  std::vector<int> key = table.RowKey();
  if (key.empty()) {
    throw Error(ErrorCode::kSchema,
                "change tracking needs a primary key or a unique key of NOT NULL columns",
                ErrorContext{DisplayName(table.name), "", "", ""});
  }
  return key;
}

int64_t ToInt(const std::optional<std::string>& v) {
  return v && !v->empty() ? std::stoll(*v) : 0;
}

std::string Now() {
  return UtcTimestamp();
}

// Beside the change logs, in each schema with tracked tables: one row per tracked table (its
// generation and how far its log was purged), and one per destination consuming a table's log.
TableName TrackingName(const TableName& table) {
  return {table.schema, "ferry_tracking"};
}
TableName ConsumersName(const TableName& table) {
  return {table.schema, "ferry_track_consumers"};
}

// Numbers from the clock: a thousand a microsecond since 1970 (a billion a second), so each
// enable numbers above everything an earlier log of the table handed out, and its first number
// is a generation no earlier enable had.
int64_t ClockSequence() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() *
         1000;
}

class SqlChangeTracker final : public ChangeTracker, public LogKeyChecks {
 public:
  SqlChangeTracker(const Dialect& dialect, std::unique_ptr<ChangeLogEngine> engine,
                   std::function<std::unique_ptr<SqlSession>()> open)
      : dialect_(dialect), engine_(std::move(engine)), open_(std::move(open)), session_(open_()) {}

  // One query that reads nothing, where describing the log took four catalog queries a table;
  // only when it fails does the catalog tell a missing log from another refusal.
  bool Enabled(const Table& table) override {
    try {
      session_->Query(fmt::format("SELECT 1 FROM {} WHERE 1 = 0", L(table)));
      return true;
    } catch (const Error&) {
      return dialect_.DescribeTable(*session_, ChangeLogName(table.name)).has_value();
    }
  }

  TrackStatus Status(const Table& table) override {
    TrackStatus s;
    s.log = ChangeLogName(table.name);
    s.enabled = Enabled(table);
    if (!s.enabled) return s;
    auto rows = session_->Query(
        fmt::format("SELECT count(*), max({}) FROM {} WHERE {} <> 'S'", Q(kSeq), L(table), Q(kOp)));
    s.backlog = ToInt(rows.at(0)[0]);
    s.last_sequence = ToInt(rows.at(0)[1]);
    s.generation = Generation(table);
    s.consumers = Consumers(table);
    return s;
  }

  void Enable(const Table& table) override {
    if (Enabled(table)) {
      if (!HalfMade(table)) {
        Generation(table);  // a log of an older ferry gets its generation row
        return;
      }
      // An enable (or a disable) killed between its statements: made again from the start.
      Run(table, DropSql(table), false);
    }
    const Table log = LogTable(table);
    std::vector<std::string> sql = MetaTablesSql(table);
    sql.push_back(dialect_.CreateTableSql(log));
    // Numbers start from the clock, so a log enabled again after a disable, even within the same
    // second, numbers above everything a destination applied from the one before it; and the
    // first number is the new generation, which tells every destination of the old one that
    // its changes from the time tracking was off are not in this log.
    const int64_t first = ClockSequence();
    sql.push_back(engine_->StartNumberingSql(Log(table), first));
    for (std::string& s : TriggerSql(table)) sql.push_back(std::move(s));
    for (std::string& s : GenerationSql(table, first, 0)) sql.push_back(std::move(s));
    Run(table, sql, /*undo=*/true);
  }

  void Disable(const Table& table) override {
    // Its generation and consumers go first, with the log where DDL is transactional: a disable
    // stopped after them (MariaDB commits each statement) leaves a log no sync reads on (its
    // generation is gone: refused, exit 7), and `track disable` or `enable` again completes it.
    // The bookkeeping tables go with the schema's last tracked table, so nothing of ferry's stays.
    const TableName tracking = TrackingName(table.name);
    std::vector<std::string> sql;
    for (const TableName& t : {tracking, ConsumersName(table.name)}) {
      if (!dialect_.DescribeTable(*session_, t)) continue;
      sql.push_back(fmt::format("DELETE FROM {} WHERE table_name = {}", dialect_.QualifiedName(t),
                                dialect_.TextLiteral(table.name.name)));
    }
    for (std::string& s : DropSql(table)) sql.push_back(std::move(s));
    Run(table, sql, false);
    if (!dialect_.DescribeTable(*session_, tracking)) return;
    if (ToInt(
            session_->Query("SELECT count(*) FROM " + dialect_.QualifiedName(tracking)).at(0)[0]) ==
        0) {
      Run(table,
          {"DROP TABLE IF EXISTS " + dialect_.QualifiedName(ConsumersName(table.name)),
           "DROP TABLE IF EXISTS " + dialect_.QualifiedName(tracking)},
          false);
    }
  }

  TrackGeneration Generation(const Table& table) override {
    std::optional<TrackGeneration> g = ReadGeneration(table, false);
    if (g) return *g;
    if (HalfMade(table)) {
      throw Error(ErrorCode::kSchema,
                  "its change tracking was left half made (a `ferry track enable` or `disable` "
                  "stopped between its statements): its log records nothing; run `ferry track "
                  "enable` (then copy the table again) or `ferry track disable`",
                  ErrorContext{DisplayName(table.name), "", "", ""});
    }
    // A log an older ferry enabled has no generation: it gets one now, and since what was purged
    // from it is unknown, everything below its last entry counts as purged (a destination that
    // applied from it copies again).
    const int64_t last =
        ToInt(session_->Query(fmt::format("SELECT max({}) FROM {}", Q(kSeq), L(table))).at(0)[0]);
    std::vector<std::string> sql = MetaTablesSql(table);
    for (std::string& s : GenerationSql(table, ClockSequence(), last)) sql.push_back(std::move(s));
    Run(table, sql, false);
    return ReadGeneration(table, false).value_or(TrackGeneration{});
  }

  bool Join(const Table& table, const LogConsumer& consumer, bool keep) override {
    return InTransaction(
        [&] {
          std::optional<TrackGeneration> g = ReadGeneration(table, true);
          if (!g || g->generation != consumer.generation || g->purged_below > consumer.applied) {
            return false;
          }
          if (keep && Registration(table, consumer.id)) return true;
          for (std::string& s : ConsumerSql(table, consumer)) session_->Execute(s);
          return true;
        },
        /*bookkeeping=*/true);
  }

  int64_t Purge(const Table& table, const LogConsumer& consumer) override {
    return InTransaction(
        [&]() -> int64_t {
          std::optional<TrackGeneration> g = ReadGeneration(table, true);
          if (!g || g->generation != consumer.generation) return 0;
          for (std::string& s : ConsumerSql(table, consumer)) session_->Execute(s);
          const int64_t floor =
              ToInt(session_
                        ->Query(fmt::format("SELECT min(applied) FROM {} WHERE table_name = {} AND "
                                            "generation = {}",
                                            dialect_.QualifiedName(ConsumersName(table.name)),
                                            dialect_.TextLiteral(table.name.name), g->generation))
                        .at(0)[0]);
          const int64_t below = PurgeBound(*session_, Log(table), std::max(floor, g->purged_below));
          if (below <= g->purged_below) return g->purged_below;
          session_->Execute(fmt::format("DELETE FROM {} WHERE {} < {}", L(table), Q(kSeq), below));
          session_->Execute(fmt::format("UPDATE {} SET purged_below = {} WHERE table_name = {}",
                                        dialect_.QualifiedName(TrackingName(table.name)), below,
                                        dialect_.TextLiteral(table.name.name)));
          return below;
        },
        /*bookkeeping=*/true);
  }

  // Called once tracking is known to be enabled: its bookkeeping tables exist.
  std::optional<LogConsumer> Registration(const Table& table, const std::string& id) override {
    const TableName consumers = ConsumersName(table.name);
    auto rows = session_->Query(fmt::format(
        "SELECT c.consumer, c.destination, c.generation, c.applied, c.updated_at FROM {} c JOIN "
        "{} t ON t.table_name = c.table_name AND t.generation = c.generation WHERE c.table_name "
        "= {} AND c.consumer = {}",
        dialect_.QualifiedName(consumers), dialect_.QualifiedName(TrackingName(table.name)),
        dialect_.TextLiteral(table.name.name), dialect_.TextLiteral(id)));
    if (rows.empty()) return std::nullopt;
    return LogConsumer{rows[0][0].value_or(""), rows[0][1].value_or(""), ToInt(rows[0][2]),
                       ToInt(rows[0][3]), rows[0][4].value_or("")};
  }

  bool Unregister(const Table& table, const std::string& consumer) override {
    const TableName consumers = ConsumersName(table.name);
    if (!dialect_.DescribeTable(*session_, consumers)) return false;
    const std::string where = fmt::format(
        " FROM {} WHERE table_name = {} AND consumer = {}", dialect_.QualifiedName(consumers),
        dialect_.TextLiteral(table.name.name), dialect_.TextLiteral(consumer));
    return InTransaction([&] {
      if (ToInt(session_->Query("SELECT count(*)" + where).at(0)[0]) == 0) return false;
      session_->Execute("DELETE" + where);
      return true;
    });
  }

  // Below the log's first pending gap, counted from its start: every entry up to it is there.
  int64_t StableSequence(const Table& table) override {
    const LogHorizon h = Horizon(table, 0);
    return PurgeFloor(h.upto, h.gaps);
  }

  // From the start: the log numbers from its generation on (Enable); a purge stops on an entry
  // no writer holds any more, so the numbers up to it are settled.
  LogHorizon Horizon(const Table& table, int64_t after) override {
    const TrackGeneration g = after > 0 ? TrackGeneration{} : Generation(table);
    const int64_t first = after > 0 ? after + 1 : std::max(g.generation, g.purged_below + 1);
    return OnSideSession([&](SqlSession& s) {
      return ReadLogHorizon(s, *engine_, Log(table), first, kLockWaitSeconds);
    });
  }

  std::vector<std::string> OpenWriters(const std::vector<std::string>& writers) override {
    return OnSideSession([&](SqlSession& s) { return StillOpen(s, *engine_, writers); });
  }

  ChangeBatch Changes(const Table& table, int64_t after, int64_t upto, size_t limit,
                      size_t max_key_bytes) override {
    const Table log = LogTable(table);
    std::vector<int> columns;  // ferry_seq, ferry_op, the key
    for (size_t i = 0; i < log.columns.size(); ++i) columns.push_back(int(i));
    auto rows = session_->Query(dialect_.KeyTextSql(
        log, columns,
        fmt::format("WHERE {} > {} AND {} <= {} AND {} <> 'S' ORDER BY {} LIMIT {}", Q(kSeq), after,
                    Q(kSeq), upto, Q(kOp), Q(kSeq), limit)));
    ChangeBatch batch;
    batch.last_sequence = after;
    // Entries in sequence order: a key's first entry says whether its row existed before the
    // batch, its last whether it exists after.
    std::map<std::vector<std::string>, std::pair<char, char>> seen;
    size_t bytes = 0;
    for (auto& row : rows) {
      std::vector<std::string> key;
      for (size_t i = 2; i < row.size(); ++i) {
        key.push_back(row[i].value_or(""));
        bytes += key.back().size() + 4;  // and what a literal adds
      }
      if (batch.entries > 0 && bytes > max_key_bytes) break;
      batch.last_sequence = ToInt(row[0]);
      ++batch.entries;
      const char op = row[1] && !row[1]->empty() ? (*row[1])[0] : 'U';
      auto [at, added] = seen.try_emplace(std::move(key), op, op);
      if (!added) at->second.second = op;
    }
    batch.keys.reserve(seen.size());
    for (auto& [key, ops] : seen) batch.keys.push_back(ChangedKey{key, ops.first, ops.second});
    return batch;
  }

  bool KeysMayRepeat(const Table& table) override {
    return engine_->DeferrableKeys(*session_, table);
  }

  std::optional<bool> RefusesWrites() override {
    std::unique_ptr<SqlSession> s = open_();
    const std::optional<std::string> sql = engine_->RefusesWritesSql();
    if (!sql) return std::nullopt;
    auto rows = s->Query(*sql);
    return !rows.empty() && rows[0][0] && (*rows[0][0] == "1" || *rows[0][0] == "ON");
  }

  std::string Fence() override {
    std::unique_ptr<SqlSession> s = open_();
    return engine_->Fence(*s);
  }

  std::optional<std::string> MaxValue(const Table& table, int column) override {
    auto rows = session_->Query(dialect_.KeyTextSql(
        table, {column},
        fmt::format("WHERE {} IS NOT NULL ORDER BY {} DESC LIMIT 1",
                    Q(table.columns[size_t(column)].name), Q(table.columns[size_t(column)].name))));
    if (rows.empty() || !rows[0][0]) return std::nullopt;
    return *rows[0][0];
  }

 private:
  std::vector<LogConsumer> Consumers(const Table& table) {
    std::vector<LogConsumer> out;
    const TableName consumers = ConsumersName(table.name);
    if (!dialect_.DescribeTable(*session_, consumers)) return out;
    for (auto& row : session_->Query(fmt::format(
             "SELECT consumer, destination, generation, applied, updated_at FROM {} WHERE "
             "table_name = {} ORDER BY updated_at, consumer",
             dialect_.QualifiedName(consumers), dialect_.TextLiteral(table.name.name)))) {
      out.push_back(LogConsumer{row[0].value_or(""), row[1].value_or(""), ToInt(row[2]),
                                ToInt(row[3]), row[4].value_or("")});
    }
    return out;
  }

  // A log without its generation row (Enable writes it last, Disable deletes it first) whose
  // triggers are not all there: what an enable or disable killed between its statements leaves
  // where DDL is not transactional. (An older ferry's log has its triggers and no generation.)
  bool HalfMade(const Table& table) {
    if (engine_->TransactionalDdl() || ReadGeneration(table, false)) return false;
    return !engine_->TriggersComplete(*session_, Log(table));
  }

  // The generation row, locked against Join and Purge of other processes when `lock` (inside a
  // transaction); nullopt when there is none.
  std::optional<TrackGeneration> ReadGeneration(const Table& table, bool lock) {
    const std::string sql =
        fmt::format("SELECT generation, purged_below FROM {} WHERE table_name = {}{}",
                    dialect_.QualifiedName(TrackingName(table.name)),
                    dialect_.TextLiteral(table.name.name), lock ? engine_->LockRowsClause() : "");
    std::vector<SqlSession::Row> rows;
    if (lock) {
      rows = session_->Query(sql);
    } else {
      // Outside a transaction a missing table is just "none" (a log of an older ferry), found
      // without a catalog look-up on every sync.
      try {
        rows = session_->Query(sql);
      } catch (const Error&) {
        if (dialect_.DescribeTable(*session_, TrackingName(table.name))) throw;
        return std::nullopt;
      }
    }
    if (rows.empty()) return std::nullopt;
    return TrackGeneration{ToInt(rows[0][0]), ToInt(rows[0][1])};
  }

  // The bookkeeping tables, where they are missing.
  std::vector<std::string> MetaTablesSql(const Table& table) {
    std::vector<std::string> sql;
    auto column = [&](Table& t, const char* name, TypeKind kind, int64_t length, bool key) {
      Column c;
      c.name = name;
      c.type.kind = kind;
      c.type.length = length;
      if (kind == TypeKind::kInteger) c.type.width_bits = 64;
      c.type = dialect_.MapType(c.type, Engine::kOther);
      c.nullable = false;
      if (key) t.primary_key.push_back(int(t.columns.size()));
      t.columns.push_back(c);
    };
    if (!dialect_.DescribeTable(*session_, TrackingName(table.name))) {
      Table t;
      t.name = TrackingName(table.name);
      column(t, "table_name", TypeKind::kVarchar, 255, true);
      column(t, "generation", TypeKind::kInteger, 0, false);
      column(t, "purged_below", TypeKind::kInteger, 0, false);
      column(t, "enabled_at", TypeKind::kVarchar, 32, false);
      sql.push_back(dialect_.CreateTableSql(t));
    }
    if (!dialect_.DescribeTable(*session_, ConsumersName(table.name))) {
      Table t;
      t.name = ConsumersName(table.name);
      column(t, "table_name", TypeKind::kVarchar, 255, true);
      column(t, "consumer", TypeKind::kVarchar, 64, true);
      column(t, "destination", TypeKind::kVarchar, 255, false);
      column(t, "generation", TypeKind::kInteger, 0, false);
      column(t, "applied", TypeKind::kInteger, 0, false);
      column(t, "updated_at", TypeKind::kVarchar, 32, false);
      sql.push_back(dialect_.CreateTableSql(t));
    }
    return sql;
  }

  // A new generation for `table`: the consumers of the old one are forgotten (their next sync
  // finds its generation gone and is refused).
  std::vector<std::string> GenerationSql(const Table& table, int64_t generation,
                                         int64_t purged_below) const {
    const std::string name = dialect_.TextLiteral(table.name.name);
    const std::string tracking = dialect_.QualifiedName(TrackingName(table.name));
    return {fmt::format("DELETE FROM {} WHERE table_name = {}", tracking, name),
            fmt::format("DELETE FROM {} WHERE table_name = {}",
                        dialect_.QualifiedName(ConsumersName(table.name)), name),
            fmt::format("INSERT INTO {} (table_name, generation, purged_below, enabled_at) "
                        "VALUES ({}, {}, {}, {})",
                        tracking, name, generation, purged_below, dialect_.TextLiteral(Now()))};
  }

  std::vector<std::string> ConsumerSql(const Table& table, const LogConsumer& c) const {
    const std::string consumers = dialect_.QualifiedName(ConsumersName(table.name));
    const std::string name = dialect_.TextLiteral(table.name.name);
    std::string label = c.destination.substr(0, 255);
    // Not a cut through a UTF-8 sequence.
    while (!label.empty() && label.size() < c.destination.size() &&
           (static_cast<unsigned char>(c.destination[label.size()]) & 0xC0) == 0x80) {
      label.pop_back();
    }
    return {fmt::format("DELETE FROM {} WHERE table_name = {} AND consumer = {}", consumers, name,
                        dialect_.TextLiteral(c.id)),
            fmt::format("INSERT INTO {} (table_name, consumer, destination, generation, applied, "
                        "updated_at) VALUES ({}, {}, {}, {}, {}, {})",
                        consumers, name, dialect_.TextLiteral(c.id), dialect_.TextLiteral(label),
                        c.generation, c.applied, dialect_.TextLiteral(Now()))};
  }

  // Runs `work` in a transaction of the tracker's session that writes even in a database fenced
  // read-only (the log and its bookkeeping are ferry's own) and, on SQLite, holds the write lock
  // from the start (what FOR UPDATE does elsewhere).
  // `bookkeeping`: a transaction whose loss in a crash can only make the log keep more (a
  // consumer's registration at what it applied, a purge), which need not wait for its commit
  // to reach the disk (ChangeLogEngine::BeginBookkeepingSql).
  template <class Work>
  auto InTransaction(Work work, bool bookkeeping = false) -> decltype(work()) {
    session_->Execute(bookkeeping ? engine_->BeginBookkeepingSql() : engine_->BeginWriteSql());
    try {
      auto out = work();
      session_->Execute("COMMIT");
      return out;
    } catch (...) {
      try {
        session_->Execute("ROLLBACK");
      } catch (const Error&) {
      }
      throw;
    }
  }

  // Log horizons are read on a session of their own (their locks and session settings stay
  // apart from the tracker's transactions), opened once and kept for the sync's other tables:
  // a new one for each table cost a connection and its setup. A session a read failed on is
  // dropped, with whatever it may still hold.
  template <class Work>
  auto OnSideSession(Work work) -> decltype(work(std::declval<SqlSession&>())) {
    if (!side_) side_ = open_();
    try {
      return work(*side_);
    } catch (...) {
      side_.reset();
      throw;
    }
  }

  std::string Q(const std::string& id) const { return dialect_.Quote(id); }
  std::string L(const Table& table) const {
    return dialect_.QualifiedName(ChangeLogName(table.name));
  }

  // ferry_seq (an identity: bigserial-like, AUTO_INCREMENT, or SQLite's rowid), ferry_op
  // ('I', 'U', 'D'), then the table's key columns with their own types.
  Table LogTable(const Table& table) const {
    Table log;
    log.name = ChangeLogName(table.name);
    Column seq;
    seq.name = kSeq;
    seq.type.kind = TypeKind::kInteger;
    seq.type.width_bits = 64;
    seq.type = dialect_.MapType(seq.type, Engine::kOther);
    seq.nullable = false;
    seq.identity = true;
    log.columns.push_back(seq);
    log.primary_key = {0};
    Column op;
    op.name = kOp;
    op.type.kind = TypeKind::kChar;
    op.type.length = 1;
    op.type = dialect_.MapType(op.type, Engine::kOther);
    op.nullable = false;
    log.columns.push_back(op);
    for (int k : KeyOf(table)) {
      Column c = table.columns[size_t(k)];
      c.type = dialect_.MapType(c.type, dialect_.engine());
      c.identity = false;
      c.nullable = true;  // SQLite's marker row has no key
      log.columns.push_back(c);
    }
    return log;
  }

  ChangeLog Log(const Table& table) const {
    return ChangeLog{&table, L(table), Base(table.name), Q(kSeq), Q(kOp)};
  }
  std::vector<std::string> TriggerSql(const Table& table) const {
    KeyOf(table);  // refuses a table without a key
    return engine_->TriggerSql(Log(table));
  }
  std::vector<std::string> DropSql(const Table& table) const {
    std::vector<std::string> out = engine_->DropTriggersSql(Log(table));
    out.push_back("DROP TABLE IF EXISTS " + L(table));
    return out;
  }

  // Runs `sql` on a session of its own: in one transaction where DDL is transactional
  // (ChangeLogEngine::TransactionalDdl), so writers see the triggers and the log appear together;
  // in order elsewhere (MariaDB commits each DDL statement), undoing what was created when a step
  // fails.
  void Run(const Table& table, const std::vector<std::string>& sql, bool undo) {
    std::unique_ptr<SqlSession> s = open_();
    const bool transactional = engine_->TransactionalDdl();
    try {
      for (const std::string& wait : engine_->DdlLockWaitSql(kLockWaitSeconds, false)) {
        s->Execute(wait);
      }
      if (transactional) s->Execute("BEGIN");
      for (const std::string& wait : engine_->DdlLockWaitSql(kLockWaitSeconds, true)) {
        s->Execute(wait);
      }
      for (const std::string& statement : sql) s->Execute(statement);
      if (transactional) s->Execute("COMMIT");
    } catch (Error& e) {
      if (transactional) {
        try {
          s->Execute("ROLLBACK");
        } catch (const Error&) {
        }
      } else if (undo) {
        for (const std::string& statement : DropSql(table)) {
          try {
            s->Execute(statement);
          } catch (const Error&) {
          }
        }
      }
      e.WithTable(DisplayName(table.name));
      throw;
    }
  }

  const Dialect& dialect_;
  std::unique_ptr<ChangeLogEngine> engine_;
  std::function<std::unique_ptr<SqlSession>()> open_;
  std::unique_ptr<SqlSession> session_;
  std::unique_ptr<SqlSession> side_;  // OnSideSession's
};

}  // namespace

std::string LogInsertSql(const Dialect& dialect, const ChangeLog& log, const std::string& target,
                         char op, const char* row) {
  std::string names = log.op, values = fmt::format("'{}'", op);
  for (int k : KeyOf(*log.table)) {
    const std::string n = dialect.Quote(log.table->columns[size_t(k)].name);
    names += ", " + n;
    values += fmt::format(", {}.{}", row, n);
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", target, names, values);
}

TableName ChangeLogName(const TableName& table) {
  return {table.schema, Base(table)};
}

std::unique_ptr<ChangeTracker> MakeSqlChangeTracker(
    const Dialect& dialect, std::function<std::unique_ptr<SqlSession>()> open_session) {
  std::unique_ptr<ChangeLogEngine> engine = dialect.ChangeLog();
  if (!engine) {
    throw Error(ErrorCode::kUsage, fmt::format("change tracking is not available for {}",
                                               EngineName(dialect.engine())));
  }
  return std::make_unique<SqlChangeTracker>(dialect, std::move(engine), std::move(open_session));
}

}  // namespace ferry
