// PostgreSQL's SQL (postgres_dialect.cpp), its change logs and the snapshot's position in its
// WAL (postgres_change_log.cpp).
#pragma once

#include <memory>

#include "drivers/engine.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry {

// `toast_compression`: EndpointOptions::pg_toast_compression.
std::unique_ptr<Dialect> MakePostgresDialect(
    const std::string& toast_compression = EndpointOptions::kDefaultToastCompression);
std::unique_ptr<ChangeLogEngine> MakePostgresChangeLog(const Dialect& dialect);
// Dialect::SnapshotPosition (postgres_change_log.cpp).
std::vector<std::pair<std::string, std::string>> PostgresSnapshotPosition(SqlSession& session,
                                                                          bool in_snapshot);

}  // namespace ferry
