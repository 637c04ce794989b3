// PostgreSQL's SQL (postgres_dialect.cpp) and its change logs (postgres_change_log.cpp).
#pragma once

#include <memory>

#include "drivers/sql/dialect.hpp"

namespace ferry {

std::unique_ptr<Dialect> MakePostgresDialect();
std::unique_ptr<ChangeLogEngine> MakePostgresChangeLog(const Dialect& dialect);

}  // namespace ferry
