// PostgreSQL's catalog reads (postgres_catalog.cpp), for its dialect.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drivers/sql/dialect.hpp"

namespace ferry::pg {

// A boolean as the catalog returns it ("t", "1" or "true").
bool IsTrue(const std::optional<std::string>& value);

// See Dialect::DescribeTable.
std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name);

// `create` (the table's CREATE TABLE) made partitioned by the table's partition key, then its
// partitions attached, each partitioned in turn where it is (see Dialect::CreateTableStatements).
std::vector<std::string> WithPartitions(const Dialect& dialect, const std::string& create,
                                        const Table& table);

}  // namespace ferry::pg
