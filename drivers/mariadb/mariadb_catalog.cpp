// MariaDB's catalog (information_schema: columns, indexes, foreign keys, type spellings) and
// its type mapping and key fitting, apart from the rest of its dialect (mariadb_dialect.cpp).
#include "drivers/mariadb/mariadb_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "copier/backoff.hpp"
#include "copier/defaults.hpp"
#include "copier/error.hpp"
#include "copier/foreign_keys.hpp"

namespace ferry::mariadb {

namespace {

// Longer varchars risk MariaDB's 65,535-byte row limit; they become longtext.
constexpr int64_t kLongestVarchar = 4096;

int Fraction(const ColumnType& t) {
  return std::clamp(t.precision, 0, 6);
}

// Bytes a fixed-width key column takes in an InnoDB key (storage sizes from MariaDB's manual;
// a NULL flag byte counted for nullable ones is left out: key columns are NOT NULL).
int64_t KeyBytes(const ColumnType& t) {
  switch (t.kind) {
    case TypeKind::kBoolean:
      return 1;
    case TypeKind::kInteger:
      return std::max(t.width_bits / 8, 1);
    case TypeKind::kDecimal: {
      const int precision = t.precision > 0 ? t.precision : 65;
      auto digits = [](int d) { return d / 9 * 4 + (d % 9 + 1) / 2; };
      return digits(precision - t.scale) + digits(t.scale);
    }
    case TypeKind::kReal:
      return 4;
    case TypeKind::kDouble:
      return 8;
    case TypeKind::kDate:
      return 3;
    case TypeKind::kTime:
      return 3 + (Fraction(t) + 1) / 2;
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return 5 + (Fraction(t) + 1) / 2;
    case TypeKind::kUuid:
      return 16;
    default:
      return 16;
  }
}

Error Unmappable(const ColumnType& t, const std::string& why) {
  return Error(ErrorCode::kSchema,
               fmt::format("type {} cannot be created in MariaDB: {}", DescribeType(t), why));
}

// Unique indexes (constraints are indexes in MariaDB) and other indexes. FULLTEXT and SPATIAL
// indexes, and unique indexes on column prefixes (unique on the first n characters), keep a
// definition and no columns: only MariaDB can rebuild them. Non-unique prefixes are dropped
// (MariaDB shortens long columns itself); descending order is not carried.
void DescribeIndexes(SqlSession& connection, const Dialect& dialect, Table& table) {
  auto rows = connection.Query(
      "SELECT index_name, non_unique, column_name, sub_part, index_type "
      "FROM information_schema.statistics WHERE table_schema = ? AND table_name = ? "
      "ORDER BY index_name = 'PRIMARY' DESC, index_name, seq_in_index",
      {table.name.schema, table.name.name});
  for (size_t r = 0; r < rows.size();) {
    const std::string name = *rows[r][0];
    Index index{name, {}, rows[r][1] && *rows[r][1] == "0", ""};
    const std::string type = rows[r][4].value_or("BTREE");
    bool special = type == "FULLTEXT" || type == "SPATIAL";
    bool prefixed = false, unknown_column = false;
    std::string columns;
    for (; r < rows.size() && *rows[r][0] == name; ++r) {
      auto column = rows[r][2] ? table.FindColumn(*rows[r][2]) : std::nullopt;
      if (!column) {
        unknown_column = true;  // an expression (MySQL 8) or a column ferry does not read
        continue;
      }
      index.columns.push_back(*column);
      columns += (columns.empty() ? "" : ", ") + dialect.Quote(*rows[r][2]);
      if (rows[r][3] && type != "SPATIAL") {  // a spatial key's sub_part (32) is no prefix
        prefixed = true;
        columns += "(" + *rows[r][3] + ")";
      }
    }
    if (unknown_column) continue;
    if (name == "PRIMARY") {
      if (!prefixed) table.primary_key = index.columns;
      continue;
    }
    if (special || (index.unique && prefixed)) {
      index.native_definition = "CREATE " + std::string(special ? type + " " : "UNIQUE ") +
                                "INDEX " + dialect.Quote(name) + " ON " +
                                dialect.QualifiedName(table.name) + " (" + columns + ")";
      index.columns.clear();
    }
    (index.unique ? table.unique_indexes : table.indexes).push_back(std::move(index));
  }
}

// Two questions, not one join: each names its information_schema table's lookup keys (schema
// and table) as constants, so MariaDB opens this table only. Joined, referential_constraints was
// filled from every table of every database on the server, for each table described: beside
// 2,000 other tables, 40-50 ms a table (0.7 s with a cold table cache) against about 10.
void DescribeForeignKeys(SqlSession& connection, Table& table) {
  std::map<std::string, std::pair<std::string, std::string>> rules;  // delete, update
  for (const auto& row : connection.Query(
           "SELECT constraint_name, delete_rule, update_rule FROM "
           "information_schema.referential_constraints WHERE constraint_schema = ? AND "
           "table_name = ?",
           {table.name.schema, table.name.name})) {
    rules[*row[0]] = {row[1].value_or("NO ACTION"), row[2].value_or("NO ACTION")};
  }
  if (rules.empty()) return;
  auto rows = connection.Query(
      "SELECT constraint_name, column_name, referenced_table_schema, referenced_table_name, "
      "referenced_column_name FROM information_schema.key_column_usage "
      "WHERE table_schema = ? AND table_name = ? AND referenced_table_name IS NOT NULL "
      "ORDER BY constraint_name, ordinal_position",
      {table.name.schema, table.name.name});
  std::vector<ForeignKeyColumnRow> columns;
  for (const auto& row : rows) {
    auto rule = rules.find(*row[0]);
    if (rule == rules.end()) continue;
    columns.push_back(
        {*row[0], *row[1], {*row[2], *row[3]}, *row[4], rule->second.first, rule->second.second});
  }
  AddForeignKeys(table, columns);
}

// The labels of "enum('a','it''s')" as information_schema spells the type.
std::vector<std::string> EnumLabels(const std::string& type) {
  std::vector<std::string> out;
  size_t at = type.find('(');
  while (at != std::string::npos && at < type.size()) {
    at = type.find('\'', at);
    if (at == std::string::npos) break;
    std::string label;
    size_t i = at + 1;
    for (; i < type.size(); ++i) {
      if (type[i] == '\'') {
        if (i + 1 < type.size() && type[i + 1] == '\'') {
          label += '\'';
          ++i;
          continue;
        }
        break;
      }
      label += type[i];
    }
    out.push_back(std::move(label));
    at = i + 1;
  }
  return out;
}

bool IsSpatial(const std::string& data_type) {
  for (const char* name : {"geometry", "point", "linestring", "polygon", "multipoint",
                           "multilinestring", "multipolygon", "geometrycollection"}) {
    if (data_type == name) return true;
  }
  return false;
}

// The SRID a spatial column declares (REF_SYSTEM_ID), which only information_schema's
// geometry_columns holds (SHOW CREATE TABLE leaves it out).
void DescribeSrids(SqlSession& connection, Table& table) {
  const bool spatial = std::any_of(table.columns.begin(), table.columns.end(),
                                   [](const Column& c) { return !c.type.spatial.empty(); });
  if (!spatial) return;
  auto rows = connection.Query(
      "SELECT g_geometry_column, srid FROM information_schema.geometry_columns "
      "WHERE g_table_schema = ? AND g_table_name = ?",
      {table.name.schema, table.name.name});
  for (const auto& row : rows) {
    auto column = row[0] ? table.FindColumn(*row[0]) : std::nullopt;
    if (!column || !row[1]) continue;
    table.columns[size_t(*column)].type.srid = uint32_t(std::stoul(*row[1]));
  }
}

ColumnType ParseType(const SqlSession::Row& r) {
  ColumnType t;
  t.native = *r[1];
  TypeSpelling s = ParseTypeSpelling(*r[1]);
  const std::string& data_type = *r[2];
  auto number = [&](size_t i) { return r[i] ? std::stoll(*r[i]) : int64_t(-1); };
  auto integer = [&](int bits) {
    t.kind = TypeKind::kInteger;
    t.width_bits = bits;
    t.is_unsigned = s.is_unsigned;
  };
  if (data_type == "tinyint") {
    if (s.base == "tinyint" && s.args.size() == 1 && s.args[0] == 1 && !s.is_unsigned) {
      // A boolean to other engines, but any tinyint here (KeepValueTypes keeps it one).
      t.kind = TypeKind::kBoolean;
      t.width_bits = 8;
    } else {
      integer(8);
    }
  } else if (data_type == "smallint") {
    integer(16);
  } else if (data_type == "mediumint") {
    integer(24);
  } else if (data_type == "int") {
    integer(32);
  } else if (data_type == "bigint") {
    integer(64);
  } else if (data_type == "year") {
    integer(16);
  } else if (data_type == "bit") {
    // BIT(n) holds 0..2^n-1; BIT alone is BIT(1). Same-engine copies recreate it as written,
    // other engines get the integer type that holds n bits.
    integer(int(std::clamp<int64_t>(s.args.empty() ? 1 : s.args[0], 1, 64)));
    t.is_unsigned = true;
  } else if (data_type == "decimal") {
    t.kind = TypeKind::kDecimal;
    t.precision = int(number(5));
    t.scale = int(number(6));
  } else if (data_type == "float") {
    t.kind = TypeKind::kReal;
  } else if (data_type == "double") {
    t.kind = TypeKind::kDouble;
  } else if (data_type == "char") {
    t.kind = TypeKind::kChar;
    t.length = number(3);
  } else if (data_type == "varchar") {
    t.kind = TypeKind::kVarchar;
    t.length = number(3);
  } else if (data_type == "tinytext" || data_type == "text" || data_type == "mediumtext" ||
             data_type == "longtext") {
    t.kind = TypeKind::kText;
    t.max_bytes = number(4);
  } else if (data_type == "enum" || data_type == "set") {
    t.kind = TypeKind::kVarchar;
    t.length = number(3);
    if (data_type == "enum") t.labels = EnumLabels(*r[1]);
  } else if (data_type == "binary") {
    t.kind = TypeKind::kBinary;
    t.length = number(4);
  } else if (data_type == "varbinary") {
    t.kind = TypeKind::kVarbinary;
    t.length = number(4);
  } else if (data_type == "tinyblob" || data_type == "blob" || data_type == "mediumblob" ||
             data_type == "longblob") {
    t.kind = TypeKind::kBlob;
    t.max_bytes = number(4);
  } else if (data_type == "date") {
    t.kind = TypeKind::kDate;
  } else if (data_type == "time") {
    t.kind = TypeKind::kTime;
    t.precision = int(std::max<int64_t>(number(7), 0));
  } else if (data_type == "datetime") {
    t.kind = TypeKind::kTimestamp;
    t.precision = int(std::max<int64_t>(number(7), 0));
  } else if (data_type == "timestamp") {
    t.kind = TypeKind::kTimestampTz;
    t.precision = int(std::max<int64_t>(number(7), 0));
  } else if (data_type == "uuid") {
    t.kind = TypeKind::kUuid;
  } else if (data_type == "json") {
    t.kind = TypeKind::kJson;
  } else if (IsSpatial(data_type)) {
    // Read as MariaDB keeps it (SRID, then WKB); other engines get its EWKB (copier/spatial).
    t.kind = TypeKind::kBlob;
    t.spatial = data_type;
    t.srid_prefixed = true;
  } else {
    t.kind = TypeKind::kUnsupported;
  }
  return t;
}

// MariaDB's information_schema leaves a table out, with warning 1684 (ER_WARN_I_S_SKIPPED_TABLE),
// rather than wait while another session holds an exclusive metadata lock on it (an ALTER
// adding a key, a CREATE INDEX), whenever the asking session holds metadata locks of its own,
// as every ferry session does (TagSession's GET_LOCK). A query about that one table then has no
// rows, and a description read so lacks the table, its columns or its keys: a worker joining a
// shared run found a table "with no column id" while another built its primary key. So an
// empty answer is checked against the warnings, and a skipped description is read again.
class SkipWatch final : public SqlSession {
 public:
  struct Skipped {};
  static constexpr int kCode = 1684;

  explicit SkipWatch(SqlSession& inner) : inner_(inner) {}
  void Execute(const std::string& sql) override { inner_.Execute(sql); }
  std::vector<Row> Query(const std::string& sql,
                         const std::vector<std::string>& params = {}) override {
    std::vector<Row> rows = inner_.Query(sql, params);
    if (!rows.empty()) return rows;
    for (const Row& warning : inner_.Query("SHOW WARNINGS")) {
      if (warning.size() > 1 && warning[1] == std::to_string(kCode)) throw Skipped{};
    }
    return rows;
  }

 private:
  SqlSession& inner_;
};

// The DDL holding the lock is short or ends in a lock wait timeout: looked at again for about
// 40 s in all (BackoffDelay from 20 ms), then said.
constexpr int kSkippedTries = 12;

std::optional<Table> DescribeOnce(SqlSession& connection, const Dialect& dialect,
                                  const TableName& name) {
  auto found = connection.Query(
      "SELECT table_rows, data_length, table_comment FROM information_schema.tables "
      "WHERE table_schema = ? AND table_name = ? AND table_type IN ('BASE TABLE', 'SYSTEM "
      "VERSIONED')",
      {name.schema, name.name});
  if (found.empty()) return std::nullopt;
  Table table;
  table.name = name;
  table.estimated_rows = found[0][0] ? std::stoll(*found[0][0]) : -1;
  table.estimated_bytes = found[0][1] ? std::stoll(*found[0][1]) : -1;
  table.comment = found[0][2].value_or("");
  auto json_checks = connection.Query(
      "SELECT check_clause, constraint_name FROM information_schema.check_constraints "
      "WHERE constraint_schema = ? AND table_name = ? ORDER BY constraint_name",
      {name.schema, name.name});
  auto columns = connection.Query(
      "SELECT column_name, column_type, data_type, character_maximum_length, "
      "character_octet_length, numeric_precision, numeric_scale, datetime_precision, "
      "is_nullable, extra, NULLIF(generation_expression, ''), column_default, column_comment "
      "FROM information_schema.columns "
      "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
      {name.schema, name.name});
  for (auto& r : columns) {
    Column c;
    c.name = *r[0];
    c.type = ParseType(r);
    std::string json_check = "json_valid(`" + c.name + "`)";
    for (auto& check : json_checks) {
      if (check[0] && check[0]->find(json_check) != std::string::npos &&
          c.type.kind == TypeKind::kText) {
        // MariaDB reports JSON as longtext with a json_valid check; "json" recreates both.
        c.type.kind = TypeKind::kJson;
        c.type.native = "json";
      }
    }
    c.nullable = *r[8] == "YES";
    c.comment = r[12].value_or("");
    c.identity = r[9] && r[9]->find("auto_increment") != std::string::npos;
    if (r[10]) {
      c.generated = *r[10];
      c.generated_stored = r[9] && r[9]->find("STORED") != std::string::npos;
    } else if (!c.identity) {
      c.default_value = r[11].value_or("");
      const std::string on_update = "on update ";
      const size_t at = r[9] ? r[9]->find(on_update) : std::string::npos;
      if (at != std::string::npos) c.on_update = r[9]->substr(at + on_update.size());
    }
    table.columns.push_back(std::move(c));
  }
  for (auto& check : json_checks) {
    // A JSON column's own check comes with its type.
    if (!check[0] || !check[1] || IsJsonValidCheck(*check[0])) continue;
    table.checks.push_back({*check[1], *check[0]});
  }
  DescribeSrids(connection, table);
  DescribeIndexes(connection, dialect, table);
  DescribeForeignKeys(connection, table);
  return table;
}

}  // namespace

std::optional<Table> DescribeTable(SqlSession& connection, const Dialect& dialect,
                                   const TableName& name) {
  SkipWatch watched(connection);
  for (int attempt = 1;; ++attempt) {
    try {
      return DescribeOnce(watched, dialect, name);
    } catch (const SkipWatch::Skipped&) {
      if (attempt == kSkippedTries) {
        const std::string why = fmt::format(
            "another session kept changing the definition of table {} while ferry read it ({} "
            "tries; MariaDB leaves a table out of information_schema meanwhile): try again once "
            "that ALTER or CREATE INDEX has ended",
            DisplayName(name), kSkippedTries);
        throw Error(ErrorCode::kDriver, why, ErrorContext{DisplayName(name), "", "", ""},
                    {Diagnostic{"HY000", SkipWatch::kCode, why}});
      }
    }
    std::this_thread::sleep_for(BackoffDelay(std::chrono::milliseconds(20), attempt));
  }
}

std::vector<SqlSession::Row> QueryWhole(SqlSession& connection, const std::string& sql,
                                        const std::vector<std::string>& params) {
  for (int attempt = 1;; ++attempt) {
    std::vector<SqlSession::Row> rows = connection.Query(sql, params);
    bool skipped = false;
    for (const SqlSession::Row& warning : connection.Query("SHOW WARNINGS")) {
      skipped |= warning.size() > 1 && warning[1] == std::to_string(SkipWatch::kCode);
    }
    if (!skipped) return rows;
    if (attempt == kSkippedTries) {
      const std::string why = fmt::format(
          "another session kept changing the definition of a table while ferry listed the "
          "tables ({} tries; MariaDB leaves such a table out of information_schema meanwhile): "
          "try again once that ALTER or CREATE INDEX has ended",
          kSkippedTries);
      throw Error(ErrorCode::kDriver, why, ErrorContext{},
                  {Diagnostic{"HY000", SkipWatch::kCode, why}});
    }
    std::this_thread::sleep_for(BackoffDelay(std::chrono::milliseconds(20), attempt));
  }
}

std::string ColumnTail(const Dialect& dialect, const Column& column) {
  std::string out;
  if (column.type.srid_prefixed && column.type.srid != 0) {
    out = " REF_SYSTEM_ID=" + std::to_string(column.type.srid);
  }
  if (!column.comment.empty()) out += " COMMENT " + dialect.CommentLiteral(column.comment, false);
  return out;
}

ColumnType MapType(const Dialect& dialect, const ColumnType& t, Engine source) {
  ColumnType out = t;
  out.max_bytes = -1;
  if (source == Engine::kMariaDB) {
    out.max_bytes = t.max_bytes;
    out.labels.clear();  // the ENUM itself allows only its labels
    return out;
  }
  if (!t.labels.empty()) {
    // An enumeration of another engine: a MariaDB ENUM of the same labels, in their order.
    out.native = "enum(";
    for (size_t i = 0; i < t.labels.size(); ++i) {
      out.native += (i > 0 ? "," : "") + dialect.TextLiteral(t.labels[i]);
    }
    out.native += ")";
    out.kind = TypeKind::kVarchar;
    out.length = 0;
    for (const std::string& label : t.labels) {
      out.length = std::max<int64_t>(out.length, int64_t(label.size()));
    }
    out.labels.clear();
    return out;
  }
  switch (t.kind) {
    case TypeKind::kBoolean:
      out.native = "tinyint(1)";
      break;
    case TypeKind::kInteger: {
      int bits = t.width_bits;
      const char* name = bits <= 8    ? "tinyint"
                         : bits <= 16 ? "smallint"
                         : bits <= 24 ? "mediumint"
                         : bits <= 32 ? "int"
                                      : "bigint";
      out.native = std::string(name) + (t.is_unsigned ? " unsigned" : "");
      break;
    }
    case TypeKind::kDecimal:
      if (t.precision == 0) {
        // Unconstrained numeric: the widest MariaDB decimal; a value beyond it is refused
        // row by row with its key.
        out.native = "decimal(65,30)";
        out.precision = 65;
        out.scale = 30;
      } else if (t.precision > 65 || t.scale > 38) {
        throw Unmappable(t, "MariaDB decimals hold at most 65 digits, 38 after the point");
      } else {
        out.native = fmt::format("decimal({},{})", t.precision, t.scale);
      }
      break;
    case TypeKind::kReal:
      out.native = "float";
      break;
    case TypeKind::kDouble:
      out.native = "double";
      break;
    case TypeKind::kChar:
      out.native = t.length <= 255 ? fmt::format("char({})", std::max<int64_t>(t.length, 1))
                                   : fmt::format("varchar({})", t.length);
      if (t.length > 255) out.kind = TypeKind::kVarchar;
      break;
    case TypeKind::kVarchar:
      if (t.length <= kLongestVarchar) {
        out.native = fmt::format("varchar({})", t.length);
      } else {
        out.native = "longtext";
        out.kind = TypeKind::kText;
      }
      break;
    case TypeKind::kText:
      out.native = "longtext";
      break;
    case TypeKind::kBinary:
      out.native = t.length <= 255 ? fmt::format("binary({})", std::max<int64_t>(t.length, 1))
                                   : fmt::format("varbinary({})", t.length);
      break;
    case TypeKind::kVarbinary:
      out.native =
          t.length <= kLongestVarchar * 4 ? fmt::format("varbinary({})", t.length) : "longblob";
      break;
    case TypeKind::kBlob:
      out.native = "longblob";
      break;
    case TypeKind::kDate:
      out.native = "date";
      break;
    case TypeKind::kTime:
      out.native = fmt::format("time({})", Fraction(t));
      break;
    // MariaDB TIMESTAMP stops in 2038; instants are kept as UTC in DATETIME.
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      out.native = fmt::format("datetime({})", Fraction(t));
      break;
    case TypeKind::kUuid:
      out.native = "uuid";
      break;
    case TypeKind::kJson:
      out.native = "json";
      break;
    case TypeKind::kUnsupported:
      if (t.text_form) return TextForm("longtext");
      throw Unmappable(t, "ferry has no mapping for it");
    case TypeKind::kAny:
      throw Unmappable(t, "ferry has no mapping for it");
  }
  return out;
}

// A primary key must fit InnoDB's 3072 bytes whole (no prefixes, no hash): its TEXT and BLOB
// columns become varchar/varbinary, and with its declared-length columns they share what the
// fixed-width columns leave, shortest first (a declared length that fits is kept). utf8mb4
// takes 4 bytes a character. A source value longer than its column is refused with its key;
// ferry check measures the source's longest values first.
Table FitKeys(const Table& table) {
  Table out = table;
  struct Part {
    int column;
    int64_t bytes;  // declared, or -1 for unbounded
    int bytes_per_unit;
  };
  std::vector<Part> variable;
  int64_t fixed = 0;
  for (int k : out.primary_key) {
    const ColumnType& t = out.columns[size_t(k)].type;
    switch (t.kind) {
      case TypeKind::kChar:
      case TypeKind::kVarchar:
        variable.push_back({k, t.length * 4, 4});
        break;
      case TypeKind::kText:
      case TypeKind::kJson:
        variable.push_back({k, -1, 4});
        break;
      case TypeKind::kBinary:
      case TypeKind::kVarbinary:
        variable.push_back({k, t.length, 1});
        break;
      case TypeKind::kBlob:
        variable.push_back({k, -1, 1});
        break;
      default:
        fixed += KeyBytes(t);
    }
  }
  std::stable_sort(variable.begin(), variable.end(), [](const Part& a, const Part& b) {
    return (a.bytes < 0 ? INT64_MAX : a.bytes) < (b.bytes < 0 ? INT64_MAX : b.bytes);
  });
  int64_t budget = kMaxKeyBytes - fixed;
  for (size_t v = 0; v < variable.size(); ++v) {
    const Part& part = variable[v];
    const int64_t share = std::max<int64_t>(budget / int64_t(variable.size() - v), 4);
    ColumnType& t = out.columns[size_t(part.column)].type;
    const bool text = part.bytes_per_unit == 4;
    const int64_t units = part.bytes >= 0 && part.bytes <= share ? part.bytes / part.bytes_per_unit
                                                                 : share / part.bytes_per_unit;
    budget -= units * part.bytes_per_unit;
    if (part.bytes >= 0 && part.bytes <= share && t.kind != TypeKind::kText &&
        t.kind != TypeKind::kBlob && t.kind != TypeKind::kJson) {
      continue;  // its declared length fits
    }
    if (t.kind == TypeKind::kChar || t.kind == TypeKind::kBinary) {
      t.native = fmt::format("{}({})", text ? "char" : "binary", std::min<int64_t>(units, 255));
      t.length = std::min<int64_t>(units, 255);
    } else {
      t.kind = text ? TypeKind::kVarchar : TypeKind::kVarbinary;
      t.native = fmt::format("{}({})", text ? "varchar" : "varbinary", units);
      t.length = units;
    }
    t.max_bytes = -1;
  }
  return out;
}

}  // namespace ferry::mariadb
