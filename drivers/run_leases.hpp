// A shared run's leases in the destination (ferry run --join): the workers, each unit's lease
// (holder, expiry by the destination's clock, and a generation that moves on at every claim:
// the fencing token a unit's commit checks), and named build leases ("table 3", "run") so what
// waits for a table's rows is built once. Claims are transactions of their own on a session of
// their own; SqlRunStore (run_store.cpp) holds one of these and asks it at each unit's commit.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "copier/run_state.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

class RunLeases {
 public:
  // `table` names one of the state tables ("units", "workers", "leases", "runs") as SQL.
  RunLeases(std::function<std::unique_ptr<SqlSession>()> open_session, const Dialect& dialect,
            std::function<std::string(const char*)> table);

  void Open(const std::string& run, int64_t lease_ms, int tables);
  void Join(const std::string& run, const WorkerRecord& worker);
  void Leave(const std::string& run, const std::string& worker);
  bool ClaimUnit(const std::string& run, const std::string& worker, int table, int part,
                 int64_t lease_ms);
  void Renew(const std::string& run, const std::string& worker, int64_t lease_ms);
  bool ClaimLease(const std::string& run, const std::string& name, const std::string& worker,
                  int64_t lease_ms);
  void LeaseDone(const std::string& run, const std::string& name, const std::string& worker);
  void ReleaseLease(const std::string& run, const std::string& name, const std::string& worker);
  std::vector<WorkerRecord> Workers(const std::string& run);
  // Failed units pending again (their attempts kept), failed tables' builds and the run's
  // finish to do again, a failed run running again; how many units it made pending.
  int RetryFailed(const std::string& run);

  // For a unit this worker claimed: the condition that it still holds it (worker and
  // generation), as SQL on the units table's row; nullopt for a unit it never claimed.
  std::optional<std::string> HeldCondition(const std::string& run, int table, int part);
  // The statements a claimed unit's commit runs first: they fail it with kLeaseLost unless
  // this worker's claim is still the unit's newest.
  std::vector<std::string> FenceSql(const std::string& run, int table, int part);

 private:
  std::string Now() const;
  std::string S(const std::string& value) const { return dialect_.TextLiteral(value); }
  // Runs `body` on the lease session, a new session after a transient error (once).
  template <typename Body>
  auto OnSession(Body body) -> decltype(body(std::declval<SqlSession&>()));
  // A write transaction on the lease session; rolled back when `body` throws.
  template <typename Body>
  bool InTransaction(Body body);

  std::function<std::unique_ptr<SqlSession>()> open_session_;
  const Dialect& dialect_;
  std::function<std::string(const char*)> table_;
  std::mutex mutex_;  // the session serves reader, writer and renewal threads
  std::unique_ptr<SqlSession> session_;
  // Apart from the session's: a unit's commit asks for its claim while a claim of the next
  // unit may wait on the session for the destination's write lock, which on SQLite that very
  // commit holds.
  std::mutex claims_mutex_;
  std::string worker_;
  std::map<std::pair<int, int>, int64_t> claims_;  // (table, part) -> generation claimed
};

}  // namespace ferry
