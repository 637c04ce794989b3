// The run state store for SQL destinations: ferry's own tables (runs, tables, units) in a
// schema of their own (PostgreSQL: ferry_state) or the place the DBA chose, created through
// the dialect like any table, written with plain SQL on a session of their own. Locks come from the
// endpoint (server session locks, or a file lock for SQLite).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "copier/run_state.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

// The name of a destination's run lock. One lock per destination whatever the run state's
// --state-prefix: two runs with different prefixes would otherwise write into the same tables
// at once (one emptying what the other copies). It is the default prefix, so a ferry that keyed
// the lock by prefix and this one still exclude each other.
inline constexpr const char* kRunLockName = kDefaultStatePrefix;

// Runs `work` on a session under a short lock timeout, tried a few times, and throws
// Error(kBusy) naming the sessions holding locks on `table` when they keep it waiting
// (SqlEndpoint::WithLockWaits); `what` says what waits ("claim run X in").
using LockWaits = std::function<void(const TableName& table, const std::string& what,
                                     const std::function<void(SqlSession&)>& work)>;

// `open_session` opens the store's session, and a new one when a transient error cut it. The
// state lives in `schema` (created when missing); state an older ferry kept in `legacy_schema`
// is read there until the next run moves it. Writes about runs another process may own (a claim,
// marking a dead run, forgetting a run) go through `lock_waits` when given: that owner, alive but
// frozen inside a unit's commit, holds locks on the run's rows until it goes on.
std::unique_ptr<RunStore> MakeSqlRunStore(std::function<std::unique_ptr<SqlSession>()> open_session,
                                          const Dialect& dialect, std::string schema,
                                          std::string legacy_schema, std::string prefix,
                                          std::function<std::unique_ptr<ScopeLock>()> try_lock,
                                          LockWaits lock_waits = {},
                                          std::function<std::string()> lock_holder = {});

// A lock held by a server session: the session itself, kept open until released; `holder` is
// the session's server id (Dialect::SessionIdSql).
std::unique_ptr<ScopeLock> HoldSessionLock(std::unique_ptr<SqlSession> session, std::string holder);

// An exclusive flock on `path` (created if missing); nullptr when another process holds it.
// The holder writes its session tag into the file, for FileLockHolder.
std::unique_ptr<ScopeLock> TryFileLock(const std::string& path);

// The session tag ("ferry 1234@host") of the process that last took the file lock at `path`;
// "" when none is written.
std::string FileLockHolder(const std::string& path);

}  // namespace ferry
