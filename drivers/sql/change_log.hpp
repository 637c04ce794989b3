// Change logs and sync positions for SQL databases: the trigger and DDL text of each engine
// (PostgreSQL, MariaDB, SQLite) and the queries that read and purge the logs.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "copier/change_tracking.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry {

// `open_session` gives a new connection for work that needs its own transaction (taking a lock,
// installing triggers atomically). Throws Error(kUsage) for engines without triggers.
std::unique_ptr<ChangeTracker> MakeSqlChangeTracker(
    const Dialect& dialect, std::function<std::unique_ptr<SqlSession>()> open_session);

// The sync positions live in `schema`, with the run state; a table an older ferry kept in
// `legacy_schema` (the destination's default schema) is moved there by Prepare.
std::unique_ptr<SyncStateStore> MakeSqlSyncState(std::unique_ptr<SqlSession> session,
                                                 const Dialect& dialect, std::string schema,
                                                 std::string legacy_schema, std::string prefix);

// The change log's name for `table`: ferry_log_<table>, shortened with a hash where the
// engines' identifier limits (63 bytes) would cut it.
TableName ChangeLogName(const TableName& table);

}  // namespace ferry
