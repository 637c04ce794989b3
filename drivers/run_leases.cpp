#include "drivers/run_leases.hpp"

#include <fmt/format.h>

#include <set>

#include "copier/error.hpp"

namespace ferry {

namespace {

int64_t Int64(const std::optional<std::string>& v) {
  if (!v || v->empty()) return 0;
  try {
    return std::stoll(*v);
  } catch (...) {
    return 0;
  }
}

std::string Int(int64_t v) {
  return std::to_string(v);
}

}  // namespace

RunLeases::RunLeases(std::function<std::unique_ptr<SqlSession>()> open_session,
                     const Dialect& dialect, std::function<std::string(const char*)> table)
    : open_session_(std::move(open_session)), dialect_(dialect), table_(std::move(table)) {}

std::string RunLeases::Now() const {
  const std::string now = dialect_.NowMillisSql();
  if (now.empty()) {
    throw Error(ErrorCode::kUsage,
                fmt::format("ferry cannot share a run through a {} destination (--join needs "
                            "PostgreSQL, MariaDB or SQLite)",
                            EngineName(dialect_.engine())));
  }
  return "(" + now + ")";
}

template <typename Body>
auto RunLeases::OnSession(Body body) -> decltype(body(std::declval<SqlSession&>())) {
  if (!session_) session_ = open_session_();
  try {
    return body(*session_);
  } catch (const Error& e) {
    if (!IsTransient(e)) throw;
    session_ = open_session_();
    return body(*session_);
  }
}

// A claim that meets a transient error claims nothing: the unit stays for a later look.
template <typename Body>
bool RunLeases::InTransaction(Body body) {
  try {
    if (!session_) session_ = open_session_();
    SqlSession& session = *session_;
    session.Execute(dialect_.BeginWriteSql());
    bool out = false;
    try {
      out = body(session);
      session.Execute("COMMIT");
    } catch (...) {
      try {
        session.Execute("ROLLBACK");
      } catch (const Error&) {
        session_.reset();
      }
      throw;
    }
    return out;
  } catch (const Error& e) {
    if (!IsTransient(e)) throw;
    session_.reset();
    return false;
  }
}

void RunLeases::Open(const std::string& run, int64_t lease_ms, int tables) {
  std::lock_guard guard(mutex_);
  OnSession([&](SqlSession& s) {
    auto rows =
        s.Query(fmt::format("SELECT COUNT(*) FROM {} WHERE run_id = {}", table_("leases"), S(run)));
    if (rows.empty() || Int64(rows[0][0]) == 0) {
      std::string values;
      for (int t = 0; t <= tables; ++t) {
        const std::string name = t == tables ? "run" : fmt::format("table {}", t);
        values += fmt::format("{}({}, {}, '', 0, 0, 0)", t == 0 ? "" : ", ", S(run), S(name));
      }
      s.Execute(fmt::format(
          "INSERT INTO {} (run_id, lease_name, holder, until_ms, generation, done) VALUES {}",
          table_("leases"), values));
    }
    s.Execute(fmt::format("UPDATE {} SET lease_ms = {} WHERE run_id = {}", table_("runs"),
                          Int(lease_ms), S(run)));
  });
}

void RunLeases::Join(const std::string& run, const WorkerRecord& w) {
  std::lock_guard guard(mutex_);
  {
    std::lock_guard claims(claims_mutex_);
    worker_ = w.worker;
  }
  OnSession([&](SqlSession& s) {
    s.Execute(fmt::format("DELETE FROM {} WHERE run_id = {} AND worker = {}", table_("workers"),
                          S(run), S(w.worker)));
    s.Execute(fmt::format(
        "INSERT INTO {} (run_id, worker, host, pid, shard, started_at, state, until_ms) VALUES "
        "({}, {}, {}, {}, {}, {}, 'working', {} + {})",
        table_("workers"), S(run), S(w.worker), S(w.host), Int(w.pid), S(w.shard), S(w.started_at),
        Now(), Int(w.lease_left_ms)));
  });
}

void RunLeases::Leave(const std::string& run, const std::string& worker) {
  std::lock_guard guard(mutex_);
  OnSession([&](SqlSession& s) {
    s.Execute(fmt::format("UPDATE {} SET state = 'left' WHERE run_id = {} AND worker = {}",
                          table_("workers"), S(run), S(worker)));
  });
}

bool RunLeases::ClaimUnit(const std::string& run, const std::string& worker, int table, int part,
                          int64_t lease_ms) {
  std::lock_guard guard(mutex_);
  const std::string where =
      fmt::format("run_id = {} AND table_index = {} AND part = {}", S(run), Int(table), Int(part));
  int64_t generation = 0;
  const bool claimed = InTransaction([&](SqlSession& s) {
    // Pending, and free, its lease expired, or already this worker's (another attempt at a
    // unit it holds: only this worker writes its own name there); a row another claim has
    // locked is passed over.
    auto rows = s.Query(fmt::format(
        "SELECT COALESCE(generation, 0) FROM {} WHERE {} AND state = 'pending' AND (worker IS "
        "NULL OR worker = '' OR worker = {} OR lease_until < {}){}",
        table_("units"), where, S(worker), Now(), dialect_.ClaimLockClause()));
    if (rows.empty()) return false;
    generation = Int64(rows[0][0]) + 1;
    s.Execute(
        fmt::format("UPDATE {} SET worker = {}, lease_until = {} + {}, generation = {} "
                    "WHERE {}",
                    table_("units"), S(worker), Now(), Int(lease_ms), Int(generation), where));
    return true;
  });
  if (claimed) {
    std::lock_guard claims(claims_mutex_);
    claims_[{table, part}] = generation;
  }
  return claimed;
}

void RunLeases::Renew(const std::string& run, const std::string& worker, int64_t lease_ms) {
  std::lock_guard guard(mutex_);
  OnSession([&](SqlSession& s) {
    const std::string until = Now() + " + " + Int(lease_ms);
    s.Execute(fmt::format(
        "UPDATE {} SET lease_until = {} WHERE run_id = {} AND worker = {} AND state = 'pending'",
        table_("units"), until, S(run), S(worker)));
    s.Execute(
        fmt::format("UPDATE {} SET until_ms = {} WHERE run_id = {} AND holder = {} AND done = 0",
                    table_("leases"), until, S(run), S(worker)));
    s.Execute(fmt::format("UPDATE {} SET until_ms = {} WHERE run_id = {} AND worker = {}",
                          table_("workers"), until, S(run), S(worker)));
  });
}

bool RunLeases::ClaimLease(const std::string& run, const std::string& name,
                           const std::string& worker, int64_t lease_ms) {
  std::lock_guard guard(mutex_);
  const std::string where = fmt::format("run_id = {} AND lease_name = {}", S(run), S(name));
  return InTransaction([&](SqlSession& s) {
    auto rows = s.Query(fmt::format("SELECT holder, until_ms - {}, done FROM {} WHERE {}{}", Now(),
                                    table_("leases"), where, dialect_.ClaimLockClause()));
    if (rows.empty() || Int64(rows[0][2]) != 0) return false;
    const std::string holder = rows[0][0].value_or("");
    if (!holder.empty() && holder != worker && Int64(rows[0][1]) > 0) return false;
    s.Execute(
        fmt::format("UPDATE {} SET holder = {}, until_ms = {} + {}, generation = "
                    "generation + 1 WHERE {}",
                    table_("leases"), S(worker), Now(), Int(lease_ms), where));
    return true;
  });
}

void RunLeases::LeaseDone(const std::string& run, const std::string& name,
                          const std::string& worker) {
  std::lock_guard guard(mutex_);
  OnSession([&](SqlSession& s) {
    s.Execute(
        fmt::format("UPDATE {} SET done = 1 WHERE run_id = {} AND lease_name = {} AND holder = {}",
                    table_("leases"), S(run), S(name), S(worker)));
  });
}

void RunLeases::ReleaseLease(const std::string& run, const std::string& name,
                             const std::string& worker) {
  std::lock_guard guard(mutex_);
  OnSession([&](SqlSession& s) {
    s.Execute(fmt::format(
        "UPDATE {} SET holder = '', until_ms = 0 WHERE run_id = {} AND lease_name = {} AND "
        "holder = {} AND done = 0",
        table_("leases"), S(run), S(name), S(worker)));
  });
}

std::vector<WorkerRecord> RunLeases::Workers(const std::string& run) {
  std::lock_guard guard(mutex_);
  return OnSession([&](SqlSession& s) {
    std::vector<WorkerRecord> out;
    for (auto& row : s.Query(fmt::format(
             "SELECT w.worker, w.host, w.pid, w.shard, w.started_at, w.state, w.until_ms - {}, "
             "(SELECT COUNT(*) FROM {} u WHERE u.run_id = w.run_id AND u.worker = w.worker AND "
             "u.state = 'done') FROM {} w WHERE w.run_id = {} ORDER BY w.started_at, w.worker",
             Now(), table_("units"), table_("workers"), S(run)))) {
      WorkerRecord w;
      w.worker = row[0].value_or("");
      w.host = row[1].value_or("");
      w.pid = Int64(row[2]);
      w.shard = row[3].value_or("");
      w.started_at = row[4].value_or("");
      w.state = row[5].value_or("");
      w.lease_left_ms = Int64(row[6]);
      w.units_done = int(Int64(row[7]));
      out.push_back(std::move(w));
    }
    return out;
  });
}

int RunLeases::RetryFailed(const std::string& run) {
  std::lock_guard guard(mutex_);
  int units = 0;
  OnSession([&](SqlSession& s) {
    s.Execute(dialect_.BeginWriteSql());
    try {
      std::set<int64_t> tables;
      for (auto& row : s.Query(fmt::format("SELECT table_index FROM {} WHERE run_id = {} AND "
                                           "state = 'failed'",
                                           table_("units"), S(run)))) {
        tables.insert(Int64(row[0]));
        ++units;
      }
      for (auto& row : s.Query(fmt::format("SELECT table_index FROM {} WHERE run_id = {} AND "
                                           "state = 'failed'",
                                           table_("tables"), S(run)))) {
        tables.insert(Int64(row[0]));
      }
      // Nobody holds them: whichever worker comes first claims them, as any pending unit.
      s.Execute(fmt::format(
          "UPDATE {} SET state = 'pending', worker = '', lease_until = 0, error = NULL WHERE "
          "run_id = {} AND state = 'failed'",
          table_("units"), S(run)));
      for (int64_t t : tables) {
        s.Execute(fmt::format(
            "UPDATE {} SET done = 0, holder = '', until_ms = 0 WHERE run_id = {} AND lease_name "
            "= {}",
            table_("leases"), S(run), S(fmt::format("table {}", t))));
        s.Execute(fmt::format(
            "UPDATE {} SET state = 'running', error = NULL WHERE run_id = {} AND table_index = {}",
            table_("tables"), S(run), Int(t)));
      }
      auto status =
          s.Query(fmt::format("SELECT status FROM {} WHERE run_id = {}", table_("runs"), S(run)));
      if (!tables.empty() || (!status.empty() && status[0][0].value_or("") == "failed")) {
        s.Execute(
            fmt::format("UPDATE {} SET done = 0, holder = '', until_ms = 0 WHERE run_id = {} AND "
                        "lease_name = 'run'",
                        table_("leases"), S(run)));
        s.Execute(fmt::format(
            "UPDATE {} SET status = 'running', finished_at = NULL WHERE run_id = {} AND status = "
            "'failed'",
            table_("runs"), S(run)));
      }
      s.Execute("COMMIT");
    } catch (...) {
      try {
        s.Execute("ROLLBACK");
      } catch (const Error&) {
      }
      throw;
    }
  });
  return units;
}

std::optional<std::string> RunLeases::HeldCondition(const std::string& /*run*/, int table,
                                                    int part) {
  std::lock_guard guard(claims_mutex_);
  auto it = claims_.find({table, part});
  if (it == claims_.end()) return std::nullopt;
  return fmt::format("worker = {} AND generation = {}", S(worker_), Int(it->second));
}

std::vector<std::string> RunLeases::FenceSql(const std::string& run, int table, int part) {
  std::optional<std::string> held = HeldCondition(run, table, part);
  if (!held) return {};
  // A shared lock on the unit's row: a claim of it waits for (skips) this commit, and this
  // check sees a claim committed before it.
  return {dialect_.AssertSql(
      fmt::format("EXISTS (SELECT 1 FROM {} WHERE run_id = {} AND table_index = {} AND part = {} "
                  "AND {}{})",
                  table_("units"), S(run), Int(table), Int(part), *held,
                  dialect_.SharedLockClause()),
      kLeaseLost,
      fmt::format("ferry: this worker's lease on unit {} of table {} of run {} expired and "
                  "another worker took the unit over; its rows are rolled back here",
                  part + 1, table + 1, run))};
}

}  // namespace ferry
