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

// `open_session` opens the store's session, and a new one when a transient error cut it. The
// state lives in `schema` (created when missing); state an older ferry kept in `legacy_schema`
// is read there until the next run moves it.
std::unique_ptr<RunStore> MakeSqlRunStore(std::function<std::unique_ptr<SqlSession>()> open_session,
                                          const Dialect& dialect, std::string schema,
                                          std::string legacy_schema, std::string prefix,
                                          std::function<std::unique_ptr<ScopeLock>()> try_lock);

// A lock held by a server session: the session itself, kept open until released; `holder` is
// the session's server id (Dialect::SessionIdSql).
std::unique_ptr<ScopeLock> HoldSessionLock(std::unique_ptr<SqlSession> session, std::string holder);

// An exclusive flock on `path` (created if missing); nullptr when another process holds it.
std::unique_ptr<ScopeLock> TryFileLock(const std::string& path);

}  // namespace ferry
