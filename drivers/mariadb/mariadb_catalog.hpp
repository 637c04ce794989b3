// MariaDB's catalog reads, type mapping and key fitting (mariadb_catalog.cpp), for its dialect.
#pragma once

#include <cstdint>
#include <optional>

#include "drivers/sql/dialect.hpp"

namespace ferry::mariadb {

// InnoDB's longest key (innodb_large_prefix, DYNAMIC rows: the default since 10.2).
constexpr int64_t kMaxKeyBytes = 3072;

// See Dialect::DescribeTable (the name is already known to be one MariaDB can hold),
// Dialect::MapType and Dialect::FitKeys.
std::optional<Table> DescribeTable(SqlSession& connection, const Dialect& dialect,
                                   const TableName& name);
ColumnType MapType(const Dialect& dialect, const ColumnType& t, Engine source);
// A catalog query's rows, read again while the server says it left a table out (warning 1684:
// another session's ALTER held it; see DescribeTable): a list of tables read then lacks it, and
// a copy would leave that table out without a word.
std::vector<SqlSession::Row> QueryWhole(SqlSession& connection, const std::string& sql,
                                        const std::vector<std::string>& params = {});

// BIT(n): an unsigned integer of n bits (b'101' is 5), which the text protocol sends as its raw
// bytes and LOAD DATA stores from text as bytes; so it is read as a number
// (Dialect::SelectExpression) and loaded through a number.
inline bool IsBitField(const ColumnType& t) {
  return t.kind == TypeKind::kInteger && t.native.rfind("bit", 0) == 0;
}
Table FitKeys(const Table& table);

// What follows a column's type where ferry makes a table: a spatial column's REF_SYSTEM_ID
// (SRID 0 aside: MariaDB keeps it with the column, and its values carry it) and the column's
// comment (before any CHECK, which MariaDB takes no COMMENT after).
std::string ColumnTail(const Dialect& dialect, const Column& column);

}  // namespace ferry::mariadb
