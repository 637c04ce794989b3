// The catalog model: what a table is, as far as copying it is concerned. Filled by a
// dialect's catalog queries; read by the planner, the copier and the DDL writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "copier/types.hpp"

namespace ferry {

// A table's name. For MariaDB the schema is the database; for SQLite it is "main".
struct TableName {
  std::string schema;
  std::string name;

  bool operator==(const TableName&) const = default;
  auto operator<=>(const TableName&) const = default;
};

// "schema.table" as users write it, with no quoting; for messages and progress.
std::string DisplayName(const TableName& name);

struct Column {
  std::string name;
  ColumnType type;
  bool nullable = true;
  bool identity = false;  // identity, serial or auto-increment
  // A generated (computed) column: its expression in the source engine's own terms, "" when the
  // column is not generated. Between databases of one engine it is created generated and not
  // written; into another engine its values are copied into a plain column.
  std::string generated;
  bool generated_stored = false;  // STORED, as opposed to VIRTUAL
  // A column whose type is a domain (PostgreSQL): the domain's name, and its CHECK conditions
  // with VALUE standing for the column's value ("" when it has none). Another engine gets the
  // domain's base type, and the conditions where they are written portably (Dialect::
  // PortableCheck); ferry check names the ones that are not.
  std::string domain;
  std::string domain_check;
  // The column's DEFAULT in the engine's own terms ("" for none; a serial's or identity's
  // counter is `identity`), and MariaDB's ON UPDATE expression. Another engine gets what
  // copier/defaults.hpp translates; ferry check names the rest.
  std::string default_value;
  std::string on_update;
  // A column whose type an extension provides (PostgreSQL: contrib lo, citext, hstore, ltree,
  // isn...; the column's own type, its domain's base type or its array's element type): the
  // extension and the schema it lives in, "" otherwise. A PostgreSQL destination whose tables
  // ferry creates needs the extension first (CopyRun::CarryTypes; ferry check says when the
  // destination user cannot create it).
  std::string extension;
  std::string extension_schema;
  // Text compared ignoring the case of ASCII letters (SQLite COLLATE NOCASE, on the column or
  // in a unique index over it): keys over it stay case-insensitive elsewhere (a case-insensitive
  // collation, or an exclusion on lower() where the engine has none for a column).
  bool case_insensitive = false;
  // The column's comment (PostgreSQL COMMENT ON, MariaDB COMMENT), "" for none.
  std::string comment;
};

// A CHECK constraint of a table, its condition in the engine's own terms.
struct CheckConstraint {
  std::string name;  // "" when the source did not name it
  std::string condition;
};

struct Index {
  std::string name;
  std::vector<int> columns;  // indices into Table::columns
  bool unique = false;
  // The engine's own definition of an index ferry cannot describe by columns (an expression
  // or partial index), recreated verbatim between databases of the same engine; "" otherwise.
  std::string native_definition;
};

struct ForeignKey {
  std::string name;
  std::vector<int> columns;  // indices into Table::columns
  TableName references;      // as named in the source
  std::vector<std::string> referenced_columns;
  std::string on_delete = "NO ACTION";  // SQL spelling: NO ACTION, RESTRICT, CASCADE, SET NULL...
  std::string on_update = "NO ACTION";
  // When it is checked: "" (at each statement), "DEFERRABLE" (a transaction may defer it),
  // "DEFERRABLE INITIALLY DEFERRED" (at commit: Django's keys), in SQL spelling.
  std::string deferrable;
};

// A partition of a partitioned table (PostgreSQL), in the engine's own terms: its bound
// ("FOR VALUES FROM (...) TO (...)", "DEFAULT") and, partitioned in turn, its partition key.
struct TablePartition {
  TableName name;
  TableName parent;
  std::string bound;
  std::string partition_key;  // "" for a leaf
  // What the partition has of its own, not through its parent's (an index only one partition
  // needs, its own key or checks): each by its native definition, built after the rows.
  std::vector<Index> indexes;
  // Foreign keys the partition alone declares (ALTER TABLE partition ADD FOREIGN KEY), not
  // through its parent's; columns are positions in the partitioned table's columns, which the
  // partition has by name.
  std::vector<ForeignKey> foreign_keys;
};

struct Table {
  TableName name;
  std::vector<Column> columns;
  std::vector<int> primary_key;       // indices into columns; empty when there is none
  std::vector<Index> unique_indexes;  // besides the primary key
  std::vector<Index> indexes;         // neither unique nor the primary key
  std::vector<ForeignKey> foreign_keys;
  std::vector<CheckConstraint>
      checks;                   // table and column CHECK constraints (not domains' or enums')
  int64_t estimated_rows = -1;  // -1 = unknown
  int64_t estimated_bytes = -1;
  int64_t pages = 0;  // heap pages a keyless table can be split by (PostgreSQL), else 0
  // How the table shares rows with others (PostgreSQL). A partitioned parent holds no rows of
  // its own: reading it reads its partitions' rows, and its partitions are not listed as tables
  // of their own. An inheritance parent's plain read also returns its children's rows (each
  // child is a table of its own), so it is read, verified, emptied and replaced ONLY itself.
  bool partitioned = false;
  bool inheritance_parent = false;
  std::optional<TableName> partition_of;  // the parent of a partition
  std::vector<TableName> inherits;        // an inheritance child's parents
  // A partitioned table's partition key ("RANGE (payment_date)") and every partition below it,
  // parents before their partitions: made again between databases of one engine.
  std::string partition_key;
  std::vector<TablePartition> partitions;
  // Row-level security policies filter what this session's user reads of the table (PostgreSQL:
  // not the owner, a superuser or BYPASSRLS): a copy would silently miss rows.
  bool row_security = false;
  // The table's comment, "" for none: carried where the destination keeps comments
  // (EngineTraits::comments), named by ferry check where it does not.
  std::string comment;

  // The columns that identify a row: the primary key, else the first unique index whose
  // columns are all NOT NULL, else empty.
  std::vector<int> RowKey() const;
  // Index of the column named `name`, compared exactly; nullopt when absent.
  std::optional<int> FindColumn(const std::string& name) const;
};

// A domain's CHECK condition (VALUE standing for the value) with VALUE replaced by
// `quoted_column`, when it is written in terms every engine reads alike: numbers, plain string
// literals, comparisons, arithmetic, AND/OR/NOT, IS [NOT] NULL, IN, BETWEEN, PostgreSQL's casts
// of literals and = ANY (ARRAY[...]). "" when it uses more (functions, one engine's operators
// such as ~ or ||): it is not carried. Table checks go through the same reader
// (copier/defaults.hpp).
std::string PortableCheck(const std::string& condition, const std::string& quoted_column);

}  // namespace ferry
