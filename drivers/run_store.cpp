#include "drivers/run_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <ctime>

#include "copier/error.hpp"

namespace ferry {

namespace {

ColumnType Varchar(int64_t length) {
  ColumnType t;
  t.kind = TypeKind::kVarchar;
  t.length = length;
  return t;
}

ColumnType Text() {
  ColumnType t;
  t.kind = TypeKind::kText;
  return t;
}

ColumnType Integer(int bits) {
  ColumnType t;
  t.kind = TypeKind::kInteger;
  t.width_bits = bits;
  return t;
}

ColumnType Double() {
  ColumnType t;
  t.kind = TypeKind::kDouble;
  return t;
}

struct Def {
  const char* name;
  ColumnType type;
  bool key;
};

Table MakeTable(const TableName& name, const std::vector<Def>& defs, const Dialect& dialect) {
  Table t;
  t.name = name;
  for (const Def& d : defs) {
    Column c;
    c.name = d.name;
    c.type = dialect.MapType(d.type, Engine::kOther);
    c.nullable = !d.key;
    if (d.key) t.primary_key.push_back(int(t.columns.size()));
    t.columns.push_back(std::move(c));
  }
  return t;
}

std::string Int(int64_t v) {
  return std::to_string(v);
}

std::string Num(double v) {
  return fmt::format("{:.6f}", v);
}

class SqlRunStore final : public RunStore {
 public:
  SqlRunStore(std::function<std::unique_ptr<SqlSession>()> open_session, const Dialect& dialect,
              std::string schema, std::string prefix,
              std::function<std::unique_ptr<ScopeLock>()> try_lock)
      : open_session_(std::move(open_session)),
        session_(open_session_()),
        dialect_(dialect),
        schema_(std::move(schema)),
        prefix_(std::move(prefix)),
        try_lock_(std::move(try_lock)) {}

  void Prepare() override {
    const std::vector<Table> tables = {
        MakeTable(Name("runs"),
                  {{"run_id", Varchar(64), true},
                   {"scope", Varchar(64), false},
                   {"command", Varchar(16), false},
                   {"status", Varchar(16), false},
                   {"started_at", Varchar(32), false},
                   {"finished_at", Varchar(32), false},
                   {"source", Text(), false},
                   {"destination", Text(), false},
                   {"plan_fingerprint", Varchar(64), false},
                   {"plan", Text(), false},
                   {"host", Varchar(255), false},
                   {"pid", Integer(64), false},
                   {"summary", Text(), false}},
                  dialect_),
        MakeTable(Name("tables"),
                  {{"run_id", Varchar(64), true},
                   {"table_index", Integer(32), true},
                   {"source_schema", Varchar(255), false},
                   {"source_name", Varchar(255), false},
                   {"dest_schema", Varchar(255), false},
                   {"dest_name", Varchar(255), false},
                   {"state", Varchar(16), false},
                   {"created", Integer(32), false},
                   {"row_count", Integer(64), false},
                   {"byte_count", Integer(64), false},
                   {"seconds", Double(), false},
                   {"units", Integer(32), false},
                   {"units_done", Integer(32), false},
                   {"attempts", Integer(32), false},
                   {"estimated_rows", Integer(64), false},
                   {"error", Text(), false}},
                  dialect_),
        MakeTable(Name("units"),
                  {{"run_id", Varchar(64), true},
                   {"table_index", Integer(32), true},
                   {"part", Integer(32), true},
                   {"state", Varchar(16), false},
                   {"row_count", Integer(64), false},
                   {"byte_count", Integer(64), false},
                   {"attempts", Integer(32), false},
                   {"key_range", Text(), false},
                   {"error", Text(), false}},
                  dialect_),
    };
    for (const Table& t : tables) {
      if (!dialect_.DescribeTable(*session_, t.name)) {
        Exec(dialect_.CreateTableSql(t));
      }
    }
    exists_ = true;
  }

  std::unique_ptr<ScopeLock> TryLock() override { return try_lock_(); }

  void StartRun(const RunRecord& r, const std::vector<TableRecord>& tables,
                const std::vector<UnitRecord>& units) override {
    Exec(fmt::format(
        "INSERT INTO {} (run_id, scope, command, status, started_at, finished_at, source, "
        "destination, plan_fingerprint, plan, host, pid, summary) VALUES ({}, {}, {}, {}, {}, "
        "{}, {}, {}, {}, {}, {}, {}, {})",
        T("runs"), S(r.id), S(r.scope), S(r.command), S(RunStatusName(r.status)), S(r.started_at),
        S(r.finished_at), S(r.source), S(r.destination), S(r.plan_fingerprint), S(r.plan),
        S(r.host), Int(r.pid), S(r.summary)));
    std::vector<std::string> rows;
    for (const TableRecord& t : tables) {
      rows.push_back(fmt::format(
          "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})", S(r.id), Int(t.index),
          S(t.source.schema), S(t.source.name), S(t.destination.schema), S(t.destination.name),
          S(t.state), Int(t.created), Int(t.rows), Int(t.bytes), Num(t.seconds), Int(t.units),
          Int(t.units_done), Int(t.attempts), Int(t.estimated_rows), S(t.error)));
    }
    InsertMany("tables",
               "run_id, table_index, source_schema, source_name, dest_schema, dest_name, state, "
               "created, row_count, byte_count, seconds, units, units_done, attempts, "
               "estimated_rows, error",
               rows);
    rows.clear();
    for (const UnitRecord& u : units) {
      rows.push_back(fmt::format("({}, {}, {}, {}, {}, {}, {}, {}, {})", S(r.id), Int(u.table),
                                 Int(u.part), S(u.state), Int(u.rows), Int(u.bytes),
                                 Int(u.attempts), S(u.range), S(u.error)));
    }
    InsertMany("units",
               "run_id, table_index, part, state, row_count, byte_count, attempts, key_range, "
               "error",
               rows);
  }

  void FinishRun(const std::string& run, RunStatus status, const std::string& summary) override {
    Exec(fmt::format("UPDATE {} SET status = {}, finished_at = {}, summary = {} WHERE run_id = {}",
                     T("runs"), S(RunStatusName(status)), S(UtcTimestamp()), S(summary), S(run)));
  }

  void UpdateTable(const std::string& run, const TableRecord& t) override {
    Exec(fmt::format(
        "UPDATE {} SET state = {}, created = {}, row_count = {}, byte_count = {}, seconds = {}, "
        "units = {}, units_done = {}, attempts = {}, error = {} WHERE run_id = {} AND "
        "table_index = {}",
        T("tables"), S(t.state), Int(t.created), Int(t.rows), Int(t.bytes), Num(t.seconds),
        Int(t.units), Int(t.units_done), Int(t.attempts), S(t.error), S(run), Int(t.index)));
  }

  void FailUnit(const std::string& run, int table, int part, int attempts,
                const std::string& error) override {
    Exec(
        fmt::format("UPDATE {} SET state = 'failed', attempts = {}, error = {} WHERE run_id = {} "
                    "AND table_index = {} AND part = {}",
                    T("units"), Int(attempts), S(error), S(run), Int(table), Int(part)));
  }

  void ResetUnits(const std::string& run, int table) override {
    Exec(
        fmt::format("UPDATE {} SET state = 'pending', row_count = 0, byte_count = 0 WHERE "
                    "run_id = {} AND table_index = {}",
                    T("units"), S(run), Int(table)));
  }

  std::vector<std::string> UnitDoneSql(const std::string& run, int table, int part, int64_t rows,
                                       int64_t bytes, int attempts) override {
    return {fmt::format(
        "UPDATE {} SET state = 'done', row_count = {}, byte_count = {}, "
        "attempts = {}, error = NULL WHERE run_id = {} AND table_index = {} AND "
        "part = {}",
        T("units"), Int(rows), Int(bytes), Int(attempts), S(run), Int(table), Int(part))};
  }

  std::vector<RunRecord> Runs() override {
    std::vector<RunRecord> out;
    if (!Exists()) return out;  // nothing recorded yet: the tables come with the first run
    for (auto& row : session_->Query(
             fmt::format("SELECT run_id, scope, command, status, started_at, finished_at, source, "
                         "destination, plan_fingerprint, plan, host, pid, summary FROM {} ORDER BY "
                         "started_at DESC, run_id DESC",
                         T("runs")))) {
      RunRecord r;
      r.id = V(row[0]);
      r.scope = V(row[1]);
      r.command = V(row[2]);
      auto status = ParseRunStatus(V(row[3]));
      if (!status) Tampered("runs", r.id, "status", V(row[3]));
      r.status = *status;
      r.started_at = V(row[4]);
      r.finished_at = V(row[5]);
      r.source = V(row[6]);
      r.destination = V(row[7]);
      r.plan_fingerprint = V(row[8]);
      r.plan = V(row[9]);
      r.host = V(row[10]);
      r.pid = Number(row[11], "runs", r.id, "pid");
      r.summary = V(row[12]);
      out.push_back(std::move(r));
    }
    return out;
  }

  std::vector<TableRecord> Tables(const std::string& run) override {
    std::vector<TableRecord> out;
    if (!Exists()) return out;
    for (auto& row : session_->Query(fmt::format(
             "SELECT table_index, source_schema, source_name, dest_schema, dest_name, state, "
             "created, row_count, byte_count, seconds, units, units_done, attempts, "
             "estimated_rows, error FROM {} WHERE run_id = {} ORDER BY table_index",
             T("tables"), S(run)))) {
      TableRecord t;
      t.index = int(Number(row[0], "tables", run, "table_index"));
      t.source = {V(row[1]), V(row[2])};
      t.destination = {V(row[3]), V(row[4])};
      t.state = V(row[5]);
      t.created = Number(row[6], "tables", run, "created") != 0;
      t.rows = Number(row[7], "tables", run, "row_count");
      t.bytes = Number(row[8], "tables", run, "byte_count");
      t.seconds = row[9] ? std::atof(row[9]->c_str()) : 0;
      t.units = int(Number(row[10], "tables", run, "units"));
      t.units_done = int(Number(row[11], "tables", run, "units_done"));
      t.attempts = int(Number(row[12], "tables", run, "attempts"));
      t.estimated_rows = Number(row[13], "tables", run, "estimated_rows");
      t.error = V(row[14]);
      out.push_back(std::move(t));
    }
    return out;
  }

  std::vector<UnitRecord> Units(const std::string& run) override {
    std::vector<UnitRecord> out;
    if (!Exists()) return out;
    for (auto& row : session_->Query(fmt::format(
             "SELECT table_index, part, state, row_count, byte_count, attempts, key_range, error "
             "FROM {} WHERE run_id = {} ORDER BY table_index, part",
             T("units"), S(run)))) {
      UnitRecord u;
      u.table = int(Number(row[0], "units", run, "table_index"));
      u.part = int(Number(row[1], "units", run, "part"));
      u.state = V(row[2]);
      if (u.state != "pending" && u.state != "done" && u.state != "failed") {
        Tampered("units", run, "state", u.state);
      }
      u.rows = Number(row[3], "units", run, "row_count");
      u.bytes = Number(row[4], "units", run, "byte_count");
      u.attempts = int(Number(row[5], "units", run, "attempts"));
      u.range = V(row[6]);
      u.error = V(row[7]);
      out.push_back(std::move(u));
    }
    return out;
  }

  bool Exists() {
    if (!exists_) exists_ = dialect_.DescribeTable(*session_, Name("runs")).has_value();
    return exists_;
  }

  void DeleteRun(const std::string& run) override {
    if (!Exists()) return;
    for (const char* table : {"units", "tables", "runs"}) {
      Exec(fmt::format("DELETE FROM {} WHERE run_id = {}", T(table), S(run)));
    }
  }

 private:
  TableName Name(const char* table) const { return {schema_, prefix_ + table}; }
  std::string T(const char* table) const { return dialect_.QualifiedName(Name(table)); }
  std::string S(const std::string& value) const { return dialect_.TextLiteral(value); }
  static std::string V(const std::optional<std::string>& v) { return v.value_or(""); }

  [[noreturn]] void Tampered(const char* table, const std::string& run, const char* column,
                             const std::string& value) const {
    throw Error(ErrorCode::kSchema,
                fmt::format("ferry's run state is damaged: {}{} row of run {} has {} = '{}'; "
                            "repair or delete it (ferry reset --yes forgets the runs)",
                            prefix_, table, run, column, value));
  }

  int64_t Number(const std::optional<std::string>& v, const char* table, const std::string& run,
                 const char* column) const {
    if (!v) return 0;
    try {
      size_t used = 0;
      int64_t n = std::stoll(*v, &used);
      if (used == v->size()) return n;
    } catch (...) {
    }
    Tampered(table, run, column, *v);
  }

  // A run's state session sits idle through long copies, so it is the one a DBA's idle-session
  // cleanup or a failover is most likely to cut: a transient failure gets one new session
  // (every write here is idempotent but StartRun's first inserts, made on a fresh session).
  void Exec(const std::string& sql) {
    try {
      try {
        session_->Execute(sql);
      } catch (const Error& e) {
        if (!IsTransient(e)) throw;
        session_ = open_session_();
        session_->Execute(sql);
      }
    } catch (Error& e) {
      e.WithAdvice("ferry could not update its run state in the destination");
      throw;
    }
  }

  // Multi-row inserts, a few hundred rows a statement: a run can have thousands of units.
  void InsertMany(const char* table, const std::string& columns,
                  const std::vector<std::string>& rows) {
    for (size_t at = 0; at < rows.size(); at += 500) {
      std::string values;
      for (size_t i = at; i < std::min(rows.size(), at + 500); ++i) {
        values += (i > at ? ", " : "") + rows[i];
      }
      Exec(fmt::format("INSERT INTO {} ({}) VALUES {}", T(table), columns, values));
    }
  }

  std::function<std::unique_ptr<SqlSession>()> open_session_;
  std::unique_ptr<SqlSession> session_;
  const Dialect& dialect_;
  std::string schema_;
  std::string prefix_;
  std::function<std::unique_ptr<ScopeLock>()> try_lock_;
  bool exists_ = false;
};

class SessionLock final : public ScopeLock {
 public:
  explicit SessionLock(std::unique_ptr<SqlSession> session) : session_(std::move(session)) {}

 private:
  std::unique_ptr<SqlSession> session_;
};

class FileLock final : public ScopeLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock() override {
    flock(fd_, LOCK_UN);
    close(fd_);
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<RunStore> MakeSqlRunStore(
    std::function<std::unique_ptr<SqlSession>()> open_session, const Dialect& dialect,
    std::string schema, std::string prefix,
    std::function<std::unique_ptr<ScopeLock>()> try_lock) {
  return std::make_unique<SqlRunStore>(std::move(open_session), dialect, std::move(schema),
                                       std::move(prefix), std::move(try_lock));
}

std::unique_ptr<ScopeLock> HoldSessionLock(std::unique_ptr<SqlSession> session) {
  return std::make_unique<SessionLock>(std::move(session));
}

std::unique_ptr<ScopeLock> TryFileLock(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(ErrorCode::kIo, fmt::format("cannot open the lock file {}", path));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return nullptr;
  }
  return std::make_unique<FileLock>(fd);
}

}  // namespace ferry
