// SQLite (opened natively, see drivers/sqlite/). SQLite stores any value in any column, so the
// declared type is what ferry reads and writes by; where SQLite's own numbers would lose
// digits (decimals wider than 15) or its affinity would rewrite text (JSON), ferry declares
// types with TEXT affinity (DECIMAL_TEXT, JSON_TEXT) and keeps the value's exact text.
#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "drivers/dialect.hpp"

namespace ferry {

namespace {

class SqliteDialect final : public Dialect {
 public:
  SqliteDialect() : Dialect('"') {}

  Engine engine() const override { return Engine::kSQLite; }

  // ferry opens SQLite with its own library (drivers/sqlite/), never through ODBC.
  std::vector<std::pair<std::string, std::string>> ConnectionAttributes(bool) const override {
    return {};
  }

  // One read transaction per reader: each sees the database as it was when it started.
  void StartSnapshotRead(SqlSession& reader, const std::optional<std::string>&) const override {
    reader.Execute("BEGIN");
  }
  std::string SnapshotGuarantee(bool) const override {
    return "a consistent snapshot per reader, taken when the reader starts";
  }

  void SetUpSession(SqlSession& connection, bool is_source) const override {
    // 16 MiB of page cache per connection (SQLite's default is 2): the pages of a b-tree being
    // filled stay in memory instead of being read back for every few inserts.
    connection.Execute("PRAGMA cache_size = -16384");
    if (!is_source) connection.Execute("PRAGMA synchronous = NORMAL");
  }

  std::string QualifiedName(const TableName& name) const override {
    return name.schema.empty() || name.schema == "main" ? Quote(name.name)
                                                        : Dialect::QualifiedName(name);
  }

  std::string DefaultSchema(SqlSession&) const override { return "main"; }

  std::string TruncateSql(const TableName& name) const override {
    return "DELETE FROM " + QualifiedName(name);
  }

  std::vector<TableName> ListTables(SqlSession& connection) const override {
    auto rows = connection.Query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name");
    std::vector<TableName> out;
    for (auto& r : rows) out.push_back({"main", *r[0]});
    return out;
  }

  std::optional<Table> DescribeTable(SqlSession& connection, const TableName& name) const override {
    if (name.schema != "main" && !name.schema.empty()) return std::nullopt;
    auto found = connection.Query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?", {name.name});
    if (found.empty()) return std::nullopt;
    Table table;
    table.name = {"main", name.name};
    auto columns = connection.Query(
        "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid", {name.name});
    std::vector<std::pair<int, int>> pk;  // (position in key, column)
    for (auto& r : columns) {
      Column c;
      c.name = *r[0];
      c.type = ParseType(r[1].value_or(""));
      c.nullable = *r[2] == "0";
      int pk_position = std::stoi(*r[3]);
      if (pk_position > 0) pk.emplace_back(pk_position, int(table.columns.size()));
      table.columns.push_back(std::move(c));
    }
    std::sort(pk.begin(), pk.end());
    for (auto& [position, column] : pk) table.primary_key.push_back(column);
    if (pk.size() == 1) {
      Column& c = table.columns[size_t(pk[0].second)];
      // INTEGER PRIMARY KEY is the rowid: never NULL, and it numbers new rows.
      if (ParseTypeSpelling(c.type.native).base == "integer") {
        c.nullable = false;
        c.identity = true;
      }
    }
    auto indexes = connection.Query(
        "SELECT il.name, ii.name FROM pragma_index_list(?) il "
        "JOIN pragma_index_info(il.name) ii WHERE il.\"unique\" = 1 AND il.origin <> 'pk' "
        "AND il.partial = 0 ORDER BY il.name, ii.seqno",
        {name.name});
    for (auto& r : indexes) {
      if (!r[1]) continue;  // an expression index
      auto column = table.FindColumn(*r[1]);
      if (!column) continue;
      if (table.unique_indexes.empty() || table.unique_indexes.back().name != *r[0]) {
        table.unique_indexes.push_back(Index{*r[0], {}, true});
      }
      table.unique_indexes.back().columns.push_back(*column);
    }
    // count(*) walks the smallest b-tree: tens of milliseconds per million rows, and exact
    // (max(rowid) is instant but wrong wherever the key is sparse).
    auto count = connection.Query("SELECT count(*) FROM " + QualifiedName(table.name));
    table.estimated_rows = count.empty() || !count[0][0] ? 0 : std::stoll(*count[0][0]);
    // SQLite keeps no per-table size (dbstat is not compiled in everywhere): bytes unknown.
    return table;
  }

  ColumnType MapType(const ColumnType& t, Engine source) const override {
    ColumnType out = t;
    out.max_bytes = -1;
    if (source == Engine::kSQLite) return out;
    switch (t.kind) {
      case TypeKind::kBoolean:
        out.native = "BOOLEAN";
        break;
      case TypeKind::kInteger:
        if (t.is_unsigned && t.width_bits >= 64) {
          // Beyond SQLite's signed 64-bit integers: exact text.
          out = DecimalText(20, 0);
        } else {
          int bits = t.width_bits + (t.is_unsigned ? 1 : 0);
          out.native = bits <= 8    ? "TINYINT"
                       : bits <= 16 ? "SMALLINT"
                       : bits <= 24 ? "MEDIUMINT"
                       : bits <= 32 ? "INT"
                                    : "BIGINT";
          out.width_bits = bits <= 8 ? 8 : bits <= 16 ? 16 : bits <= 24 ? 24 : bits <= 32 ? 32 : 64;
          out.is_unsigned = false;
        }
        break;
      case TypeKind::kDecimal:
        // SQLite keeps 15 significant digits of a number; wider decimals stay exact as text.
        if (t.precision > 0 && t.precision <= 15) {
          out.native = fmt::format("NUMERIC({},{})", t.precision, t.scale);
        } else {
          out = DecimalText(t.precision, t.scale);
        }
        break;
      case TypeKind::kReal:
        out.native = "FLOAT4";
        break;
      case TypeKind::kDouble:
        out.native = "DOUBLE";
        break;
      case TypeKind::kChar:
        out.native = fmt::format("CHAR({})", t.length);
        break;
      case TypeKind::kVarchar:
        out.native = fmt::format("VARCHAR({})", t.length);
        break;
      case TypeKind::kText:
        out.native = "TEXT";
        break;
      case TypeKind::kBinary:
      case TypeKind::kVarbinary:
      case TypeKind::kBlob:
        out.native = "BLOB";
        break;
      case TypeKind::kDate:
        out.native = "DATE";
        break;
      case TypeKind::kTime:
        out.native = fmt::format("TIME({})", t.precision);
        break;
      case TypeKind::kTimestamp:
        out.native = fmt::format("TIMESTAMP({})", t.precision);
        break;
      case TypeKind::kTimestampTz:
        out.native = fmt::format("TIMESTAMPTZ({})", t.precision);
        break;
      case TypeKind::kUuid:
        out.native = "UUID";
        break;
      case TypeKind::kJson:
        out.native = t.binary_json ? "JSONB_TEXT" : "JSON_TEXT";
        break;
      case TypeKind::kUnsupported:
        throw Error(ErrorCode::kSchema,
                    fmt::format("type {} cannot be created in SQLite: ferry has no mapping for it",
                                DescribeType(t)));
    }
    return out;
  }

  ValueLimits limits() const override {
    ValueLimits l;
    l.float_nan = false;            // SQLite turns NaN into NULL
    l.float_negative_zero = false;  // and -0.0 into 0
    l.requires_utf8 = false;
    return l;
  }

 protected:
  // Every n-th key in key order: exact quantiles, and SQLite reads a key index fast.
  std::string SampleFrom(const Table& table, const std::vector<int>& key,
                         double fraction) const override {
    int64_t one_in = fraction >= 1 ? 1 : int64_t(1 / std::max(fraction, 1e-9));
    std::string order;
    for (int k : key) order += (order.empty() ? "" : ", ") + Quote(table.columns[size_t(k)].name);
    return fmt::format(
        "FROM (SELECT *, row_number() OVER (ORDER BY {}) AS ferry_row FROM {}) AS ferry_sample "
        "WHERE ferry_row % {} = 0",
        order, QualifiedName(table.name), one_in);
  }
  std::string SampleExpression(const Column& column) const override {
    if (StorageOf(column.type) == Storage::kBytes) return "lower(hex(" + Quote(column.name) + "))";
    return Quote(column.name);
  }

 private:
  static ColumnType DecimalText(int precision, int scale) {
    ColumnType t;
    t.kind = TypeKind::kDecimal;
    t.precision = precision;
    t.scale = scale;
    t.native =
        precision == 0 ? "DECIMAL_TEXT" : fmt::format("DECIMAL_TEXT({},{})", precision, scale);
    return t;
  }

  static ColumnType ParseType(const std::string& declared) {
    ColumnType t;
    t.native = declared;
    TypeSpelling s = ParseTypeSpelling(declared);
    const std::string& b = s.base;
    auto arg = [&](size_t i, int64_t fallback) { return i < s.args.size() ? s.args[i] : fallback; };
    auto integer = [&](int bits) {
      t.kind = TypeKind::kInteger;
      t.width_bits = bits;
    };
    auto has = [&](const char* word) { return b.find(word) != std::string::npos; };
    if (b == "integer" || b == "bigint" || b == "int8" || b == "unsigned big int") {
      integer(64);
    } else if (b == "int" || b == "int4") {
      integer(32);
    } else if (b == "mediumint") {
      integer(24);
    } else if (b == "smallint" || b == "int2") {
      integer(16);
    } else if (b == "tinyint") {
      integer(8);
    } else if (b == "boolean" || b == "bool") {
      t.kind = TypeKind::kBoolean;
    } else if (b == "decimal_text" || b == "decimal" || b == "numeric") {
      t.kind = TypeKind::kDecimal;
      t.precision = int(arg(0, 0));
      t.scale = int(arg(1, 0));
    } else if (b == "float4") {
      t.kind = TypeKind::kReal;
    } else if (b == "real" || b == "double" || b == "double precision" || b == "float" ||
               b == "float8") {
      t.kind = TypeKind::kDouble;
    } else if (b == "char" || b == "character" || b == "nchar" || b == "native character") {
      t.kind = TypeKind::kChar;
      t.length = arg(0, 1);
    } else if (b == "varchar" || b == "nvarchar" || b == "character varying" ||
               b == "varying character") {
      t.kind = s.args.empty() ? TypeKind::kText : TypeKind::kVarchar;
      t.length = arg(0, -1);
    } else if (b == "text" || b == "clob" || b.empty()) {
      t.kind = TypeKind::kText;
    } else if (b == "blob" || b == "binary" || b == "varbinary" || b == "bytea") {
      t.kind = TypeKind::kBlob;
    } else if (b == "date") {
      t.kind = TypeKind::kDate;
    } else if (b == "time") {
      t.kind = TypeKind::kTime;
      t.precision = int(arg(0, 6));
    } else if (b == "datetime" || b == "timestamp") {
      t.kind = TypeKind::kTimestamp;
      t.precision = int(arg(0, 6));
    } else if (b == "timestamptz" || b == "timestamp with time zone") {
      t.kind = TypeKind::kTimestampTz;
      t.precision = int(arg(0, 6));
    } else if (b == "uuid") {
      t.kind = TypeKind::kUuid;
    } else if (b == "json" || b == "json_text" || b == "jsonb" || b == "jsonb_text") {
      t.kind = TypeKind::kJson;
      t.binary_json = b == "jsonb" || b == "jsonb_text";
    } else if (has("int")) {  // SQLite's affinity rules, in their order
      integer(64);
    } else if (has("char") || has("clob") || has("text")) {
      t.kind = TypeKind::kText;
    } else if (has("blob")) {
      t.kind = TypeKind::kBlob;
    } else if (has("real") || has("floa") || has("doub")) {
      t.kind = TypeKind::kDouble;
    } else {
      t.kind = TypeKind::kDecimal;  // NUMERIC affinity
    }
    return t;
  }
};

}  // namespace

std::unique_ptr<Dialect> MakeSqliteDialect() {
  return std::make_unique<SqliteDialect>();
}

}  // namespace ferry
