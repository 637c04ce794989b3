// MariaDB's SQL (mariadb_dialect.cpp) and its change logs (mariadb_change_log.cpp).
#pragma once

#include <memory>

#include "drivers/sql/dialect.hpp"

namespace ferry {

std::unique_ptr<Dialect> MakeMariaDbDialect();
std::unique_ptr<ChangeLogEngine> MakeMariaDbChangeLog(const Dialect& dialect);

}  // namespace ferry
