// PostgreSQL's catalog reads (postgres_catalog.cpp), for its dialect.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drivers/sql/dialect.hpp"

namespace ferry::pg {

// A boolean as the catalog returns it ("t", "1" or "true").
bool IsTrue(const std::optional<std::string>& value);

// See Dialect::DatabaseIdentity: the cluster's system identifier (chosen at initdb, the same
// on every address the server listens on) and the database's oid.
std::string DatabaseIdentity(SqlSession& connection);

// See Dialect::RunLockHolder: the session holding the advisory lock whose key is hashtext of
// `key_sql` (an SQL text expression), with its application_name (ferry's session tag).
std::string RunLockHolder(SqlSession& session, const std::string& key_sql);

// See Dialect::DescribeTable and Dialect::DescribeTables: a catalog query per kind (the tables,
// their columns, indexes, foreign keys, checks) for all of `names` at once.
std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name);
std::vector<std::optional<Table>> DescribeTables(SqlSession& connection,
                                                 const std::vector<TableName>& names);

// `create` (the table's CREATE TABLE) made partitioned by the table's partition key, then its
// partitions attached, each partitioned in turn where it is (see Dialect::CreateTableStatements).
std::vector<std::string> WithPartitions(const Dialect& dialect, const std::string& create,
                                        const Table& table);

}  // namespace ferry::pg
