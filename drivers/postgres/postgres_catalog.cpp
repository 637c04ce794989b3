// PostgreSQL's catalog (pg_catalog: columns with their exact type modifiers, indexes, foreign
// keys, cheap estimates from pg_class), apart from the rest of its dialect
// (postgres_dialect.cpp).
#include "drivers/postgres/postgres_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "copier/error.hpp"
#include "copier/foreign_keys.hpp"
#include "drivers/postgres/pg_clone_needs.hpp"

namespace ferry::pg {

bool IsTrue(const std::optional<std::string>& v) {
  return v && (*v == "1" || *v == "t" || *v == "true");
}

namespace {

std::string ReferentialAction(const std::string& code) {
  if (code == "r") return "RESTRICT";
  if (code == "c") return "CASCADE";
  if (code == "n") return "SET NULL";
  if (code == "d") return "SET DEFAULT";
  return "NO ACTION";
}

using Row = SqlSession::Row;

// Tables described together: their oids as one array literal for `= ANY (?::oid[])`, and each
// table by its oid.
struct Described {
  std::string oids;
  std::map<std::string, Table*> by_oid;
};

// A query over many tables whose first column is the table's oid, run and split by table: each
// table's rows in the query's order, without that column.
std::map<std::string, std::vector<Row>> ByTable(SqlSession& connection, const std::string& sql,
                                                const Described& tables) {
  std::map<std::string, std::vector<Row>> out;
  for (Row& r : connection.Query(sql, {tables.oids})) {
    std::string oid = r[0].value_or("");
    r.erase(r.begin());
    out[oid].push_back(std::move(r));
  }
  return out;
}

// The primary key, unique indexes and constraints, and other indexes. An index whose meaning
// is more than its columns (an expression, a predicate, a method other than btree, an
// exclusion constraint) keeps its definition and no columns: only PostgreSQL can rebuild it.
// Ordering, INCLUDE columns and operator classes are not carried.
void IndexesOf(const std::vector<Row>& rows, Table& table);

void DescribeIndexes(SqlSession& connection, const Described& tables) {
  auto by_table = ByTable(
      connection,
      "SELECT i.indrelid, ic.relname, i.indisprimary, i.indisunique, "
      "i.indexprs IS NOT NULL OR i.indpred IS NOT NULL OR am.amname <> 'btree' "
      "OR COALESCE(con.contype = 'x', false), a.attname, "
      "CASE WHEN con.contype = 'x' THEN pg_catalog.format('ALTER TABLE %I.%I ADD CONSTRAINT %I "
      "', "
      "tn.nspname, tc.relname, con.conname) || pg_catalog.pg_get_constraintdef(con.oid) "
      "ELSE pg_catalog.pg_get_indexdef(i.indexrelid) END "
      "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
      "JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
      "JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid "
      "JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace "
      "LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid "
      "AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x') "
      "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos) "
      "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "AND k.attnum > 0 "
      "WHERE i.indrelid = ANY (?::oid[]) AND i.indisvalid AND i.indisready "
      "AND k.pos <= i.indnkeyatts ORDER BY i.indrelid, i.indisprimary DESC, ic.relname, k.pos",
      tables);
  for (const auto& [oid, rows] : by_table) IndexesOf(rows, *tables.by_oid.at(oid));
}

void IndexesOf(const std::vector<Row>& rows, Table& table) {
  for (size_t r = 0; r < rows.size();) {
    const std::string name = *rows[r][0];
    const bool primary = IsTrue(rows[r][1]);
    Index index{name, {}, IsTrue(rows[r][2]), ""};
    bool native_only = IsTrue(rows[r][3]);
    bool unknown_column = false;  // a generated column, which ferry does not copy
    for (; r < rows.size() && *rows[r][0] == name; ++r) {
      if (!rows[r][4]) continue;  // an expression
      auto column = table.FindColumn(*rows[r][4]);
      if (column) {
        index.columns.push_back(*column);
      } else {
        unknown_column = true;
      }
    }
    if (primary) {
      if (!unknown_column) table.primary_key = index.columns;
      continue;
    }
    if (unknown_column) continue;
    if (native_only) {
      index.columns.clear();
      index.native_definition = *rows[r - 1][5];
    }
    (index.unique ? table.unique_indexes : table.indexes).push_back(std::move(index));
  }
}

// A foreign key's columns, one row each in key order, from pg_constraint `con`: its name, the
// column, the referenced schema, table and column, the actions and when it is checked
// (ForeignKeyColumnRow), then what must follow FROM ... con.
constexpr const char* kKeyColumns =
    "con.conname, a.attname, rn.nspname, rc.relname, ra.attname, con.confdeltype, "
    "con.confupdtype, CASE WHEN con.condeferred THEN 'DEFERRABLE INITIALLY DEFERRED' WHEN "
    "con.condeferrable THEN 'DEFERRABLE' ELSE '' END ";
constexpr const char* kKeyJoins =
    " JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid "
    "JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
    "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, refnum, "
    "pos) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
    "JOIN pg_catalog.pg_attribute ra ON ra.attrelid = con.confrelid "
    "AND ra.attnum = k.refnum ";

ForeignKeyColumnRow KeyColumnRow(const SqlSession::Row& row, size_t at) {
  return {*row[at],
          *row[at + 1],
          {*row[at + 2], *row[at + 3]},
          *row[at + 4],
          ReferentialAction(row[at + 5].value_or("a")),
          ReferentialAction(row[at + 6].value_or("a")),
          row[at + 7].value_or("")};
}

// A key between partitioned tables has a row of its own for each partition of the referenced
// table too (conparentid names the key they belong to): the key itself stands for them.
void DescribeForeignKeys(SqlSession& connection, const Described& tables) {
  auto by_table = ByTable(connection,
                          std::string("SELECT con.conrelid, ") + kKeyColumns +
                              "FROM pg_catalog.pg_constraint con" + kKeyJoins +
                              "WHERE con.conrelid = ANY (?::oid[]) AND con.contype = 'f' AND "
                              "con.conparentid = 0 ORDER BY con.conrelid, con.conname, k.pos",
                          tables);
  for (const auto& [oid, rows] : by_table) {
    std::vector<ForeignKeyColumnRow> columns;
    for (const auto& row : rows) columns.push_back(KeyColumnRow(row, 0));
    AddForeignKeys(*tables.by_oid.at(oid), columns);
  }
}

// The foreign keys each partition declares itself (no parent's made them: conparentid), on
// the partitioned table's columns, which every partition has by name.
void DescribePartitionForeignKeys(SqlSession& connection, const std::string& oid, Table& table) {
  auto rows = connection.Query(
      std::string("SELECT n.nspname, c.relname, ") + kKeyColumns +
          "FROM pg_catalog.pg_partition_tree(?::oid) t JOIN pg_catalog.pg_class c ON c.oid = "
          "t.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN "
          "pg_catalog.pg_constraint con ON con.conrelid = c.oid" +
          kKeyJoins +
          "WHERE t.level > 0 AND con.contype = 'f' AND con.conparentid = 0 "
          "ORDER BY n.nspname, c.relname, con.conname, k.pos",
      {oid});
  for (TablePartition& p : table.partitions) {
    Table keyed;
    keyed.columns = table.columns;
    std::vector<ForeignKeyColumnRow> columns;
    for (const auto& row : rows) {
      if (TableName{*row[0], *row[1]} == p.name) columns.push_back(KeyColumnRow(row, 2));
    }
    AddForeignKeys(keyed, columns);
    p.foreign_keys = std::move(keyed.foreign_keys);
  }
}

// Table and column CHECK constraints that hold for every row (NOT VALID ones may not).
void DescribeChecks(SqlSession& connection, const Described& tables) {
  auto by_table =
      ByTable(connection,
              "SELECT con.conrelid, con.conname, pg_catalog.pg_get_constraintdef(con.oid) "
              "FROM pg_catalog.pg_constraint con WHERE con.conrelid = ANY (?::oid[]) "
              "AND con.contype = 'c' AND con.convalidated ORDER BY con.conrelid, con.conname",
              tables);
  for (const auto& [oid, rows] : by_table) {
    for (const auto& row : rows) {
      std::string definition = row[1].value_or("");
      if (definition.rfind("CHECK ", 0) != 0) continue;
      definition = definition.substr(6);
      const std::string no_inherit = " NO INHERIT";
      if (definition.ends_with(no_inherit)) {
        definition.resize(definition.size() - no_inherit.size());
      }
      tables.by_oid.at(oid)->checks.push_back({*row[0], definition});
    }
  }
}

void DescribeConstraints(SqlSession& connection, const Described& tables) {
  DescribeIndexes(connection, tables);
  DescribeForeignKeys(connection, tables);
  DescribeChecks(connection, tables);
}

ColumnType ParseType(const std::string& base, int typmod, const std::string& formatted,
                     const std::string& category) {
  ColumnType t;
  t.native = formatted;
  auto integer = [&](int bits) {
    t.kind = TypeKind::kInteger;
    t.width_bits = bits;
  };
  if (base == "bool") {
    t.kind = TypeKind::kBoolean;
  } else if (base == "int2") {
    integer(16);
  } else if (base == "int4") {
    integer(32);
  } else if (base == "int8") {
    integer(64);
  } else if (base == "oid" || base == "xid") {
    integer(32);
    t.is_unsigned = true;
  } else if (base == "numeric") {
    t.kind = TypeKind::kDecimal;
    if (typmod >= 4) {
      t.precision = ((typmod - 4) >> 16) & 0xffff;
      t.scale = (typmod - 4) & 0xffff;
      if (t.scale > t.precision) {  // negative scale (PostgreSQL 15) is stored wrapped
        t.kind = TypeKind::kUnsupported;
      }
    }
  } else if (base == "float4") {
    t.kind = TypeKind::kReal;
  } else if (base == "float8") {
    t.kind = TypeKind::kDouble;
  } else if (base == "bpchar" && typmod < 4) {
    // bpchar with no length (Northwind's PostgreSQL port keys on it) holds text of any length
    // as written; only `character` without a length means character(1), and it has its typmod.
    t.kind = TypeKind::kText;
  } else if (base == "bpchar" || base == "char") {
    t.kind = TypeKind::kChar;
    t.length = base == "char" ? 1 : typmod - 4;
  } else if (base == "varchar") {
    t.kind = typmod >= 4 ? TypeKind::kVarchar : TypeKind::kText;
    if (typmod >= 4) t.length = typmod - 4;
  } else if (base == "text" || base == "citext" || base == "name") {
    t.kind = TypeKind::kText;
  } else if (base == "bytea") {
    t.kind = TypeKind::kBlob;
  } else if (base == "date") {
    t.kind = TypeKind::kDate;
  } else if (base == "time") {
    t.kind = TypeKind::kTime;
    t.precision = typmod >= 0 ? typmod : 6;
  } else if (base == "timestamp") {
    t.kind = TypeKind::kTimestamp;
    t.precision = typmod >= 0 ? typmod : 6;
  } else if (base == "timestamptz") {
    t.kind = TypeKind::kTimestampTz;
    t.precision = typmod >= 0 ? typmod : 6;
  } else if (base == "uuid") {
    t.kind = TypeKind::kUuid;
  } else if (base == "json" || base == "jsonb") {
    t.kind = TypeKind::kJson;
    t.binary_json = base == "jsonb";
  } else if (category == "E") {
    // Enums travel as their labels.
    t.kind = TypeKind::kText;
  } else {
    t.kind = TypeKind::kUnsupported;
  }
  // Readers select such columns ::text (binary_copy.hpp): PostgreSQL's own exact text form.
  t.text_form = t.kind == TypeKind::kUnsupported;
  return t;
}

// The columns with their types (a domain as its base type with its checks, an extension's
// type with its extension), nullability, identity and generation.
void ColumnsOf(SqlSession& connection, const std::vector<Row>& columns, Table& table);

void DescribeColumns(SqlSession& connection, const Described& tables) {
  auto by_table = ByTable(
      connection,
      "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
      "COALESCE(bt.typname, t.typname), "
      "CASE WHEN t.typtype = 'd' THEN COALESCE(dom.typmod, -1) ELSE a.atttypmod END, "
      "a.attnotnull, a.attidentity <> '' OR COALESCE(pg_catalog.pg_get_expr(d.adbin, "
      "d.adrelid) LIKE 'nextval(%', false), t.typcategory, "
      "a.atttypid >= 16384 OR t.typelem >= 16384, "
      "CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END, "
      "COALESCE(bt.oid, t.oid), CASE WHEN t.typtype = 'd' THEN t.typname END, "
      // An outer domain's check reads its value cast to the base type, "(VALUE)::integer":
      // the same value, so the cast is left out where it would keep the check from carrying.
      "replace(dom.checks, '(VALUE)::' || pg_catalog.format_type(dom.base, NULL), 'VALUE'), "
      "COALESCE(dom.refuses_null, false), x.extname, x.nspname, "
      // A column without a default of its own takes its domain's (a domain over a domain
      // inherits the inner one's): what an INSERT that leaves the column out stores.
      "CASE WHEN a.attgenerated = '' THEN COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid), "
      "pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass)) END, "
      "pg_catalog.col_description(a.attrelid, a.attnum) "
      "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
      // A domain may be over another domain (percentage over positive_int over integer): the
      // column is of the innermost base type, with the first length any of them sets, every valid
      // check of the chain, and NOT NULL where any of them refuses NULL.
      "LEFT JOIN LATERAL (WITH RECURSIVE chain AS (SELECT t.oid AS dom, t.typbasetype AS base, "
      "t.typtypmod AS typmod, t.typnotnull AS nn, 1 AS depth UNION ALL SELECT o.oid, "
      "o.typbasetype, o.typtypmod, o.typnotnull, c.depth + 1 FROM chain c JOIN "
      "pg_catalog.pg_type o ON o.oid = c.base AND o.typtype = 'd') "
      "SELECT (SELECT base FROM chain ORDER BY depth DESC LIMIT 1) AS base, "
      "(SELECT typmod FROM chain WHERE typmod <> -1 ORDER BY depth LIMIT 1) AS typmod, "
      "(SELECT bool_or(nn) FROM chain) AS refuses_null, "
      "(SELECT string_agg(substring(pg_catalog.pg_get_constraintdef(dc.oid) FROM 7), ' AND ' "
      "ORDER BY chain.depth DESC, dc.conname) FROM pg_catalog.pg_constraint dc JOIN chain ON "
      "dc.contypid = chain.dom WHERE dc.contype = 'c' AND dc.convalidated) AS checks) dom ON "
      "t.typtype = 'd' "
      "LEFT JOIN pg_catalog.pg_type bt ON bt.oid = dom.base "
      "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      // The extension providing the type: the column's own, its domain's base, or an array's
      // element type (an array type belongs to its element type, not to the extension); the
      // outer one first (earthdistance's earth, a domain over cube's cube: CASCADE brings cube).
      "LEFT JOIN LATERAL (SELECT e.extname, en.nspname FROM pg_catalog.pg_depend m JOIN "
      "pg_catalog.pg_extension e ON e.oid = m.refobjid JOIN pg_catalog.pg_namespace en ON "
      "en.oid = e.extnamespace WHERE m.classid = 'pg_catalog.pg_type'::regclass AND "
      "m.refclassid = 'pg_catalog.pg_extension'::regclass AND m.deptype = 'e' AND m.objid IN "
      "(t.oid, t.typelem, COALESCE(bt.oid, 0), COALESCE(bt.typelem, 0)) ORDER BY m.objid IN "
      "(t.oid, t.typelem) DESC LIMIT 1) x ON "
      "a.atttypid >= 16384 OR t.typelem >= 16384 "
      "WHERE a.attrelid = ANY (?::oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attrelid, a.attnum",
      tables);
  for (const auto& [oid, rows] : by_table) ColumnsOf(connection, rows, *tables.by_oid.at(oid));
}

void ColumnsOf(SqlSession& connection, const std::vector<Row>& columns, Table& table) {
  for (const auto& r : columns) {
    Column c;
    c.name = *r[0];
    c.type = ParseType(*r[2], r[3] ? std::stoi(*r[3]) : -1, *r[1], r[6].value_or(""));
    // Types created in this database (OIDs from 16384 on), and arrays of them: their binary
    // form carries OIDs that differ in another database.
    c.type.database_specific = *r[7] == "1" || *r[7] == "t";
    c.nullable = *r[4] != "1" && *r[4] != "t";
    c.identity = *r[5] == "1" || *r[5] == "t";
    if (r[10]) {
      c.domain = *r[10];
      c.domain_check = r[11].value_or("");
      if (IsTrue(r[12])) c.nullable = false;  // the domain refuses NULL
    }
    if (r[13]) {
      c.extension = *r[13];
      c.extension_schema = r[14].value_or("");
    }
    if (r[6].value_or("") == "E") {
      for (auto& label : connection.Query("SELECT enumlabel FROM pg_catalog.pg_enum WHERE "
                                          "enumtypid = ?::oid ORDER BY enumsortorder",
                                          {*r[9]})) {
        c.type.labels.push_back(*label[0]);
      }
    }
    if (!c.identity) c.default_value = r[15].value_or("");
    c.comment = r[16].value_or("");
    if (r[8]) {
      c.generated = *r[8];
      c.generated_stored = true;  // the only kind PostgreSQL has
      c.identity = false;
    }
    table.columns.push_back(std::move(c));
  }
}

// Every partition below a partitioned table, by level, so a parent is made before its own.
void DescribePartitions(SqlSession& connection, const std::string& oid, Table& table) {
  auto rows = connection.Query(
      "SELECT n.nspname, c.relname, pn.nspname, p.relname, "
      "pg_catalog.pg_get_expr(c.relpartbound, c.oid), "
      "CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END "
      "FROM pg_catalog.pg_partition_tree(" +
      oid +
      "::oid) t JOIN pg_catalog.pg_class c ON c.oid = t.relid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_catalog.pg_class p ON p.oid = t.parentrelid "
      "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace "
      "WHERE t.level > 0 ORDER BY t.level, n.nspname, c.relname");
  for (auto& r : rows) {
    table.partitions.push_back(
        {{*r[0], *r[1]}, {*r[2], *r[3]}, r[4].value_or(""), r[5].value_or("")});
  }
  if (table.partitions.empty()) return;
  // Each partition's own indexes and constraints: an index not attached to one of its parent's
  // (pg_inherits), a key or exclusion constraint no parent's made (conparentid), a check the
  // partition alone declares (coninhcount); by their definitions, only PostgreSQL rebuilds them.
  auto own = connection.Query(
      "SELECT n.nspname, c.relname, ic.relname, i.indisunique, "
      "pg_catalog.pg_get_indexdef(i.indexrelid) "
      "FROM pg_catalog.pg_partition_tree(" +
      oid +
      "::oid) t JOIN pg_catalog.pg_class c ON c.oid = t.relid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_catalog.pg_index i ON i.indrelid = c.oid "
      "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
      "WHERE t.level > 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h "
      "WHERE h.inhrelid = i.indexrelid) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint "
      "k WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid) "
      "UNION ALL SELECT n.nspname, c.relname, k.conname, k.contype IN ('p', 'u'), "
      "pg_catalog.format('ALTER TABLE %I.%I ADD CONSTRAINT %I ', n.nspname, c.relname, "
      "k.conname) || pg_catalog.pg_get_constraintdef(k.oid) "
      "FROM pg_catalog.pg_partition_tree(" +
      oid +
      "::oid) t JOIN pg_catalog.pg_class c ON c.oid = t.relid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid "
      "WHERE t.level > 0 AND ((k.contype IN ('p', 'u', 'x') AND k.conparentid = 0) "
      "OR (k.contype = 'c' AND k.coninhcount = 0)) ORDER BY 1, 2, 3");
  for (auto& r : own) {
    for (TablePartition& p : table.partitions) {
      if (p.name == TableName{*r[0], *r[1]}) p.indexes.push_back({*r[2], {}, IsTrue(r[3]), *r[4]});
    }
  }
}

}  // namespace

std::vector<std::optional<Table>> DescribeTables(SqlSession& connection,
                                                 const std::vector<TableName>& names) {
  std::vector<std::optional<Table>> out(names.size());
  if (names.empty()) return out;
  std::vector<std::string> schemas, relations;
  for (const TableName& name : names) {
    schemas.push_back(name.schema);
    relations.push_back(name.name);
  }
  // A partitioned table's own size and estimate are nothing: its partitions' are summed.
  auto found = connection.Query(
      "SELECT want.at, c.oid, CASE WHEN c.relkind = 'p' THEN (SELECT CASE WHEN bool_or(l.reltuples "
      "< 0) "
      "THEN -1 ELSE sum(l.reltuples) END "
      "FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class l "
      "ON l.oid = t.relid WHERE t.isleaf)::bigint ELSE c.reltuples::bigint END, "
      "CASE WHEN c.relkind = 'p' THEN (SELECT sum(pg_catalog.pg_table_size(t.relid)) "
      "FROM pg_catalog.pg_partition_tree(c.oid) t WHERE t.isleaf)::bigint "
      "ELSE pg_catalog.pg_table_size(c.oid) END, c.relpages, c.relkind = 'p', "
      "c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i "
      "WHERE i.inhparent = c.oid), "
      "(SELECT pn.nspname || '.' || p.relname FROM pg_catalog.pg_inherits i "
      "JOIN pg_catalog.pg_class p ON p.oid = i.inhparent "
      "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace "
      "WHERE i.inhrelid = c.oid AND c.relispartition), pn_parent.list, "
      "pg_catalog.row_security_active(c.oid), "
      "CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, "
      "pg_catalog.obj_description(c.oid, 'pg_class') "
      "FROM ROWS FROM (pg_catalog.unnest(?::text[]), pg_catalog.unnest(?::text[])) "
      "WITH ORDINALITY AS want(nsp, rel, at) "
      "JOIN pg_catalog.pg_namespace n ON n.nspname = want.nsp "
      "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = want.rel "
      "LEFT JOIN LATERAL (SELECT string_agg(pn.nspname || '.' || p.relname, ',' "
      "ORDER BY i.inhseqno) AS list FROM pg_catalog.pg_inherits i "
      "JOIN pg_catalog.pg_class p ON p.oid = i.inhparent "
      "JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace "
      "WHERE i.inhrelid = c.oid AND NOT c.relispartition) pn_parent ON true "
      "WHERE c.relkind IN ('r', 'p') ORDER BY want.at",
      {ArrayLiteral(schemas), ArrayLiteral(relations)});
  Described described;
  std::vector<std::string> oids;
  std::vector<std::pair<size_t, Table*>> again;  // a name asked twice: described once
  for (auto& row : found) {
    const size_t at = std::stoul(*row[0]) - 1;
    row.erase(row.begin());
    const std::string oid = *row[0];
    if (auto seen = described.by_oid.find(oid); seen != described.by_oid.end()) {
      again.emplace_back(at, seen->second);
      continue;
    }
    Table& table = out[at].emplace();
    table.name = names[at];
    table.estimated_rows = row[1] ? std::stoll(*row[1]) : -1;
    table.estimated_bytes = row[2] ? std::stoll(*row[2]) : -1;
    table.pages = row[3] ? std::stoll(*row[3]) : 0;
    table.partitioned = IsTrue(row[4]);
    table.inheritance_parent = IsTrue(row[5]);
    // Names are "schema.table"; a dot in a schema name would split wrongly, but these only
    // describe the hierarchy, they are never quoted into SQL.
    auto split = [](const std::string& qualified) {
      const size_t dot = qualified.find('.');
      return TableName{qualified.substr(0, dot), qualified.substr(dot + 1)};
    };
    if (row[6]) table.partition_of = split(*row[6]);
    if (row[7]) {
      for (size_t from = 0; from <= row[7]->size();) {
        size_t comma = row[7]->find(',', from);
        if (comma == std::string::npos) comma = row[7]->size();
        table.inherits.push_back(split(row[7]->substr(from, comma - from)));
        from = comma + 1;
      }
    }
    table.row_security = IsTrue(row[8]);
    table.partition_key = row[9].value_or("");
    table.comment = row[10].value_or("");
    if (table.partitioned) DescribePartitions(connection, oid, table);
    if (table.estimated_rows < 0 && table.estimated_bytes >= 0) {
      // Never analyzed: reltuples is -1. A rough guess from the size beats none.
      table.estimated_rows = table.estimated_bytes / 100;
    }
    oids.push_back(oid);
    described.by_oid[oid] = &table;
  }
  if (oids.empty()) return out;
  for (const std::string& oid : oids) described.oids += (described.oids.empty() ? "{" : ",") + oid;
  described.oids += "}";
  DescribeColumns(connection, described);
  DescribeConstraints(connection, described);
  for (auto& [oid, table] : described.by_oid) {
    if (table->partitioned) DescribePartitionForeignKeys(connection, oid, *table);
  }
  for (const auto& [at, table] : again) out[at] = *table;
  return out;
}

std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name) {
  return std::move(DescribeTables(connection, {name})[0]);
}

std::vector<std::string> WithPartitions(const Dialect& dialect, const std::string& create,
                                        const Table& table) {
  auto by = [](const std::string& key) { return key.empty() ? "" : " PARTITION BY " + key; };
  std::vector<std::string> sql = {create + by(table.partition_key)};
  for (const TablePartition& p : table.partitions) {
    sql.push_back("CREATE TABLE " + dialect.QualifiedName(p.name) + " PARTITION OF " +
                  dialect.QualifiedName(p.parent) + " " + p.bound + by(p.partition_key));
  }
  return sql;
}

std::string DatabaseIdentity(SqlSession& connection) {
  // Where pg_control_system() is not granted, the server's address and port as the server sees
  // them stand in, which a socket and TCP spell apart.
  std::string cluster;
  try {
    auto rows = connection.Query("SELECT system_identifier::text FROM pg_control_system()");
    if (!rows.empty() && rows[0][0]) cluster = "cluster " + *rows[0][0];
  } catch (const Error&) {
  }
  if (cluster.empty()) {
    auto rows = connection.Query(
        "SELECT coalesce(host(inet_server_addr()), 'a local socket') || ' port ' || "
        "current_setting('port')");
    if (rows.empty() || !rows[0][0]) return "";
    cluster = "server at " + *rows[0][0];
  }
  auto rows = connection.Query(
      "SELECT d.oid::text, d.datname FROM pg_catalog.pg_database d "
      "WHERE d.datname = current_database()");
  if (rows.empty() || !rows[0][0] || !rows[0][1]) return "";
  return fmt::format("PostgreSQL {}, database {} (oid {})", cluster, *rows[0][1], *rows[0][0]);
}

// A one-key advisory lock shows its key's high and low halves as classid and objid.
std::string RunLockHolder(SqlSession& session, const std::string& key_sql) {
  auto rows = session.Query(
      "SELECT a.pid::text, coalesce(nullif(a.application_name, ''), 'no application name'), "
      "coalesce(host(a.client_addr), 'a local socket'), "
      "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
      "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = "
      "(SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
      "AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtext(" +
      key_sql + ")::bigint");
  if (rows.empty()) return "";
  const auto& r = rows[0];
  return fmt::format("PostgreSQL session pid {} ({}, from {}, connected since {} UTC)",
                     r[0].value_or("?"), r[1].value_or("?"), r[2].value_or("?"),
                     r[3].value_or("?"));
}

}  // namespace ferry::pg
