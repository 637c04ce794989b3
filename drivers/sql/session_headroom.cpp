// SqlEndpoint::SessionHeadroom: the connection limits a run meets when it opens its readers'
// and writers' sessions (ferry check warns, or blocks, before the run finds them).
#include <string>

#include "drivers/sql/sql_endpoint.hpp"

namespace ferry {

namespace {

// PostgreSQL refuses a session past the role's CONNECTION LIMIT, the database's, or past
// max_connections less the slots reserved for superusers (and, from 16, for
// pg_use_reserved_connections); a superuser meets none of them. LEAST ignores NULLs: NULL when
// nothing limits the user.
constexpr const char* kPostgresHeadroom =
    "SELECT CASE WHEN r.rolsuper THEN NULL ELSE LEAST("
    "CASE WHEN r.rolconnlimit >= 0 THEN r.rolconnlimit - (SELECT count(*) FROM "
    "pg_catalog.pg_stat_activity a WHERE a.usename = r.rolname AND a.backend_type = 'client "
    "backend') END, "
    "CASE WHEN d.datconnlimit >= 0 THEN d.datconnlimit - (SELECT count(*) FROM "
    "pg_catalog.pg_stat_activity a WHERE a.datname = d.datname AND a.backend_type = 'client "
    "backend') END, "
    "pg_catalog.current_setting('max_connections')::int - "
    "pg_catalog.current_setting('superuser_reserved_connections')::int - "
    "COALESCE(pg_catalog.current_setting('reserved_connections', true)::int, 0) - (SELECT "
    "count(*) FROM pg_catalog.pg_stat_activity a WHERE a.backend_type = 'client backend')) END "
    "FROM pg_catalog.pg_roles r, pg_catalog.pg_database d WHERE r.rolname = current_user AND "
    "d.datname = pg_catalog.current_database()";

// MariaDB refuses a session past the account's MAX_USER_CONNECTIONS (the session's
// max_user_connections shows it, else the global one; 0: none) or past max_connections (a
// SUPER account gets one more). PROCESSLIST shows a user without PROCESS its own sessions.
constexpr const char* kMariaDbHeadroom =
    "SELECT LEAST(CASE WHEN @@SESSION.max_user_connections > 0 THEN "
    "@@SESSION.max_user_connections - (SELECT COUNT(*) FROM information_schema.PROCESSLIST p "
    "WHERE p.USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)) ELSE 2147483647 END, "
    "@@GLOBAL.max_connections - (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
    "WHERE VARIABLE_NAME = 'THREADS_CONNECTED'))";

}  // namespace

std::optional<int64_t> SqlEndpoint::SessionHeadroom() {
  const char* sql = info_.engine == Engine::kPostgres  ? kPostgresHeadroom
                    : info_.engine == Engine::kMariaDB ? kMariaDbHeadroom
                                                       : nullptr;
  if (!sql) return std::nullopt;
  try {
    const std::vector<SqlSession::Row> rows = catalog_->Query(sql);
    if (rows.empty() || rows[0].empty() || !rows[0][0]) return std::nullopt;
    return std::stoll(*rows[0][0]);
  } catch (const std::exception&) {
    // A catalog this user may not read (a hardened server, a proxy): the run finds out.
    return std::nullopt;
  }
}

}  // namespace ferry
