// SQLite's SQL (sqlite_dialect.cpp) and its change logs (sqlite_change_log.cpp).
#pragma once

#include <memory>

#include "drivers/sql/dialect.hpp"

namespace ferry {

std::unique_ptr<Dialect> MakeSqliteDialect();
std::unique_ptr<ChangeLogEngine> MakeSqliteChangeLog(const Dialect& dialect);

}  // namespace ferry
