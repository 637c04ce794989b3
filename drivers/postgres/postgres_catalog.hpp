// PostgreSQL's catalog reads (postgres_catalog.cpp), for its dialect.
#pragma once

#include <optional>

#include "drivers/sql/dialect.hpp"

namespace ferry::pg {

// See Dialect::DescribeTable.
std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name);

}  // namespace ferry::pg
