// PostgreSQL's catalog reads (postgres_catalog.cpp), for its dialect.
#pragma once

#include <optional>
#include <string>

#include "drivers/sql/dialect.hpp"

namespace ferry::pg {

// A boolean as the catalog returns it ("t", "1" or "true").
bool IsTrue(const std::optional<std::string>& value);

// See Dialect::DescribeTable.
std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name);

}  // namespace ferry::pg
