#include "drivers/sql/dialect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>

#include "copier/error.hpp"
#include "copier/text.hpp"

namespace ferry {

std::string Dialect::Quote(const std::string& identifier) const {
  std::string out(1, quirks_.quote);
  for (char c : identifier) {
    out += c;
    if (c == quirks_.quote) out += c;
  }
  out += quirks_.quote;
  return out;
}

std::string Dialect::TextLiteral(const std::string& text) const {
  std::string out = "'";
  for (char c : text) {
    if (c == '\0') continue;
    out += c;
    if (c == '\'') out += c;
  }
  return out + "'";
}

std::string Dialect::QualifiedName(const TableName& name) const {
  return name.schema.empty() ? Quote(name.name) : Quote(name.schema) + "." + Quote(name.name);
}

std::string Dialect::ColumnList(const Table& table, const std::vector<int>& columns) const {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += Quote(table.columns[size_t(columns[i])].name);
  }
  return out;
}

std::string Dialect::ColumnDefinition(const Table& table, size_t column) const {
  const Column& c = table.columns[column];
  const std::string collation = CaseInsensitiveCollation();
  return Quote(c.name) + " " + c.type.native +
         (c.case_insensitive && !collation.empty() ? " COLLATE " + collation : "") +
         (c.default_value.empty() ? "" : " DEFAULT " + c.default_value) +
         (c.nullable ? "" : " NOT NULL") + LabelCheck(c);
}

std::string Dialect::LabelCheck(const Column& column) const {
  std::string out;
  if (!column.domain_check.empty()) {
    const std::string portable = PortableCheck(column.domain_check, Quote(column.name));
    if (!portable.empty()) out = " CHECK (" + portable + ")";
  }
  if (column.type.labels.empty()) return out;
  std::string labels;
  for (const std::string& label : column.type.labels) {
    labels += (labels.empty() ? "" : ", ") + TextLiteral(label);
  }
  return out + " CHECK (" + Quote(column.name) + " IN (" + labels + "))";
}

std::string Dialect::CommentLiteral(const std::string& comment, bool of_table) const {
  const EngineTraits& t = quirks_.traits;
  const size_t longest = of_table ? t.longest_table_comment : t.longest_column_comment;
  size_t end = 0;
  for (size_t chars = 0; end < comment.size() && (longest == 0 || chars < longest); ++chars) {
    ++end;  // past the character's first byte, then its continuation bytes
    while (end < comment.size() && (static_cast<unsigned char>(comment[end]) & 0xC0) == 0x80) ++end;
  }
  return TextLiteral(comment.substr(0, end));
}

std::vector<std::string> Dialect::CommentStatements(const Table& table) const {
  std::vector<std::string> out;
  if (!table.comment.empty()) {
    out.push_back("COMMENT ON TABLE " + QualifiedName(table.name) + " IS " +
                  CommentLiteral(table.comment, true));
  }
  for (const Column& c : table.columns) {
    if (c.comment.empty()) continue;
    out.push_back("COMMENT ON COLUMN " + QualifiedName(table.name) + "." + Quote(c.name) + " IS " +
                  CommentLiteral(c.comment, false));
  }
  return out;
}

std::string Dialect::TableConstraints(const Table& table) const {
  if (table.primary_key.empty()) return "";
  const std::string nocase =
      CaseInsensitiveKeyFor(table, table.primary_key, table.name.name + "_pkey_nocase");
  return ", PRIMARY KEY (" + ColumnList(table, table.primary_key) + ")" +
         (nocase.empty() ? "" : ", " + nocase);
}

std::string Dialect::CaseInsensitiveKeyFor(const Table& table, const std::vector<int>& columns,
                                           const std::string& name) const {
  for (int c : columns) {
    if (table.columns[size_t(c)].case_insensitive) return CaseInsensitiveKey(table, columns, name);
  }
  return "";
}

std::string Dialect::CreateTableSql(const Table& table) const {
  std::string sql = "CREATE TABLE " + QualifiedName(table.name) + " (";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += ColumnDefinition(table, i);
  }
  sql += TableConstraints(table);
  // Checks go with the table where the engine cannot add them to a table later (SQLite) or
  // only by copying it (MariaDB); the load does not enforce them (WriteRequest::defer_checks).
  if (quirks().checks_after_data) return sql + ")";
  for (const CheckConstraint& check : table.checks) {
    sql += (check.name.empty() ? ", " : ", CONSTRAINT " + Quote(check.name) + " ") + "CHECK (" +
           check.condition + ")";
  }
  return sql + ")";
}

std::vector<std::string> Dialect::TrialCreateSql(const Table& table,
                                                 const std::vector<Index>& indexes) const {
  std::vector<std::string> sql = {"BEGIN", CreateTableSql(table)};
  for (const Index& index : indexes) sql.push_back(CreateIndexSql(table, index));
  sql.push_back("ROLLBACK");
  return sql;
}

std::string Dialect::AddPrimaryKeySql(const Table& table) const {
  const std::string nocase =
      CaseInsensitiveKeyFor(table, table.primary_key, table.name.name + "_pkey_nocase");
  return "ALTER TABLE " + QualifiedName(table.name) + " ADD PRIMARY KEY (" +
         ColumnList(table, table.primary_key) + ")" + (nocase.empty() ? "" : ", ADD " + nocase);
}

Error Dialect::NotBuildableHere(const Index& index) const {
  return Error(
      ErrorCode::kSchema,
      fmt::format("index {} is defined in its source engine's own terms (an expression, "
                  "a predicate or a special index type) that {} cannot build: {}",
                  index.name, EngineName(engine()),
                  index.native_definition.empty() ? "(no definition)" : index.native_definition));
}

std::string Dialect::CreateIndexSql(const Table& table, const Index& index) const {
  if (index.columns.empty()) throw NotBuildableHere(index);
  return std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX " + Quote(index.name) +
         " ON " + QualifiedName(table.name) + " (" + ColumnList(table, index.columns) + ")";
}

std::string Dialect::ForeignKeySql(const Table& table, const ForeignKey& fk) const {
  std::string referenced;
  for (size_t i = 0; i < fk.referenced_columns.size(); ++i) {
    if (i > 0) referenced += ", ";
    referenced += Quote(fk.referenced_columns[i]);
  }
  return "ALTER TABLE " + QualifiedName(table.name) + " ADD CONSTRAINT " + Quote(fk.name) +
         " FOREIGN KEY (" + ColumnList(table, fk.columns) + ") REFERENCES " +
         QualifiedName(fk.references) + " (" + referenced + ")" + ReferentialActions(fk);
}

std::string Dialect::ScanCondition(const Column& column, const ValueScan& scan) const {
  // MariaDB's and SQLite's spellings; PostgreSQL overrides.
  const std::string c = Quote(column.name);
  const bool sqlite = engine() == Engine::kSQLite;
  switch (scan.rule) {
    case ValueRule::kNul:
      return sqlite ? "instr(" + c + ", char(0)) > 0" : "INSTR(" + c + ", CHAR(0)) > 0";
    case ValueRule::kLongerThan:
      return (sqlite ? "length(" : "CHAR_LENGTH(") + c + ") > " + std::to_string(scan.limit);
    case ValueRule::kBytesLongerThan:
      return (sqlite ? "length(CAST(" + c + " AS BLOB))" : "OCTET_LENGTH(" + c + ")") + " > " +
             std::to_string(scan.limit);
    case ValueRule::kZeroDate:
      if (sqlite) return "";
      return "(YEAR(" + c + ") = 0 OR MONTH(" + c + ") = 0 OR DAYOFMONTH(" + c + ") = 0)";
    case ValueRule::kYearOutside:
      if (sqlite) {
        return "(CAST(substr(" + c + ", 1, 4) AS INTEGER) NOT BETWEEN " +
               std::to_string(scan.limit) + " AND " + std::to_string(scan.limit2) + ")";
      }
      return "YEAR(" + c + ") NOT BETWEEN " + std::to_string(scan.limit) + " AND " +
             std::to_string(scan.limit2);
    case ValueRule::kOtherKind:
      return sqlite ? "ferry_readable(" + c + ", " + std::to_string(scan.limit) + ") = 0" : "";
    case ValueRule::kTimeBeyondDay:
      if (sqlite) return "";
      return "(" + c + " < '00:00:00' OR " + c + " > '24:00:00')";
    case ValueRule::kInvalidUtf8:
      // MariaDB converts every column's text to the connection's utf8mb4 as it sends it.
      return sqlite ? "ferry_valid_utf8(" + c + ") = 0" : "";
    case ValueRule::kNaN:
    case ValueRule::kInfinity:
    case ValueRule::kNegativeZero:
      return "";  // neither engine stores them
  }
  return "";
}

std::vector<std::string> Dialect::DefaultRowsSql(const Table& table, int64_t rows) const {
  // "INSERT ... () VALUES (), ()" (MariaDB) in statements of 1,000 rows.
  std::vector<std::string> out;
  for (int64_t done = 0; done < rows;) {
    const int64_t n = std::min<int64_t>(rows - done, 1000);
    std::string sql = "INSERT INTO " + QualifiedName(table.name) + " () VALUES ()";
    for (int64_t i = 1; i < n; ++i) sql += ", ()";
    out.push_back(std::move(sql));
    done += n;
  }
  return out;
}

std::string Dialect::ReferentialActions(const ForeignKey& fk) const {
  return " ON DELETE " + fk.on_delete + " ON UPDATE " + fk.on_update +
         (fk.deferrable.empty() || !quirks_.traits.deferrable_keys ? "" : " " + fk.deferrable);
}

std::string Dialect::ForeignKeyOrphanSql(const Table& table, const ForeignKey& fk,
                                         bool exact_case) const {
  // MATCH SIMPLE, as every engine here checks: a row with any NULL in its key references nothing.
  std::string columns, set, match;
  for (size_t i = 0; i < fk.columns.size(); ++i) {
    const std::string child = "ferry_c." + Quote(table.columns[size_t(fk.columns[i])].name);
    columns += (i > 0 ? ", " : "") + child;
    set += (i > 0 ? " AND " : "") + child + " IS NOT NULL";
    const bool exact = exact_case && table.columns[size_t(fk.columns[i])].case_insensitive;
    match += (i > 0 ? " AND " : "") + std::string("ferry_p.") + Quote(fk.referenced_columns[i]) +
             " = " + child + (exact ? " COLLATE BINARY" : "");
  }
  return "SELECT " + columns + " FROM " + QualifiedName(table.name) + " ferry_c WHERE " + set +
         " AND NOT EXISTS (SELECT 1 FROM " + QualifiedName(fk.references) + " ferry_p WHERE " +
         match + ") LIMIT 1";
}

namespace {

// Cuts `name` to `max_bytes` (0: no limit) on a UTF-8 character boundary, keeping `suffix`.
std::string FitName(const std::string& name, const std::string& suffix, size_t max_bytes) {
  if (max_bytes == 0 || name.size() + suffix.size() <= max_bytes) return name + suffix;
  size_t keep = max_bytes > suffix.size() ? max_bytes - suffix.size() : 0;
  while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
  return name.substr(0, keep) + suffix;
}

}  // namespace

std::string Dialect::IndexName(const Table& table, const Index& index, int attempt) const {
  if (attempt == 0 && AcceptsName(index.name) &&
      (quirks_.traits.max_identifier_length == 0 ||
       index.name.size() <= quirks_.traits.max_identifier_length)) {
    return index.name;
  }
  std::string base = table.name.name;
  if (index.columns.empty()) {
    base += "_" + index.name;
  } else {
    for (int c : index.columns) base += "_" + table.columns[size_t(c)].name;
  }
  std::string suffix = index.unique ? "_key" : "_idx";
  if (attempt > 1) suffix += std::to_string(attempt - 1);
  return FitName(base, suffix, quirks_.traits.max_identifier_length);
}

std::string Dialect::ForeignKeyName(const Table& table, const ForeignKey& fk, int attempt) const {
  if (attempt == 0 && AcceptsName(fk.name) &&
      (quirks_.traits.max_identifier_length == 0 ||
       fk.name.size() <= quirks_.traits.max_identifier_length)) {
    return fk.name;
  }
  std::string base = table.name.name;
  for (int c : fk.columns) base += "_" + table.columns[size_t(c)].name;
  std::string suffix = "_fkey";
  if (attempt > 1) suffix += std::to_string(attempt - 1);
  return FitName(base, suffix, quirks_.traits.max_identifier_length);
}

size_t Dialect::IdentifierEnd(const std::string& text, size_t at) const {
  if (at >= text.size()) return std::string::npos;
  if (text[at] == quirks_.quote) {
    for (size_t i = at + 1; i < text.size(); ++i) {
      if (text[i] != quirks_.quote) continue;
      if (i + 1 < text.size() && text[i + 1] == quirks_.quote) {
        ++i;
        continue;
      }
      return i + 1;
    }
    return std::string::npos;
  }
  size_t i = at;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!(std::isalnum(c) || c == '_' || c == '$' || c >= 0x80)) break;
    ++i;
  }
  return i == at ? std::string::npos : i;
}

std::optional<Dialect::NativeIndex> Dialect::ParseNativeIndex(const std::string& text) const {
  size_t at = 0;
  auto skip_space = [&] {
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  };
  // Consumes `word` (case-insensitively, as a whole word) and the spaces after it.
  auto keyword = [&](const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (at + n > text.size()) return false;
    for (size_t i = 0; i < n; ++i) {
      if (std::toupper(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
    }
    if (at + n < text.size()) {
      unsigned char next = static_cast<unsigned char>(text[at + n]);
      if (std::isalnum(next) || next == '_') return false;
    }
    at += n;
    skip_space();
    return true;
  };
  auto identifier = [&] {
    size_t end = IdentifierEnd(text, at);
    if (end == std::string::npos) return false;
    at = end;
    skip_space();
    return true;
  };
  // [schema.]table; sets qualified.
  NativeIndex out;
  auto table_name = [&] {
    if (!identifier()) return false;
    if (at < text.size() && text[at] == '.') {
      ++at;
      skip_space();
      out.qualified = true;
      return identifier();
    }
    return true;
  };
  skip_space();
  if (keyword("CREATE")) {
    for (const char* kind : {"UNIQUE", "FULLTEXT", "SPATIAL"}) {
      if (keyword(kind)) {
        out.kind = kind;
        break;
      }
    }
    if (!keyword("INDEX") || !identifier() || !keyword("ON")) return std::nullopt;
    keyword("ONLY");
    if (!table_name()) return std::nullopt;
  } else if (keyword("ALTER")) {
    if (!keyword("TABLE")) return std::nullopt;
    keyword("ONLY");
    if (!table_name() || !keyword("ADD") || !keyword("CONSTRAINT") || !identifier()) {
      return std::nullopt;
    }
    out.constraint = true;
  } else {
    return std::nullopt;
  }
  if (at >= text.size()) return std::nullopt;
  out.tail = text.substr(at);
  return out;
}

std::string Dialect::Literal(const ColumnType& type, const std::string& text) const {
  switch (StorageOf(type)) {
    case Storage::kInt64:
    case Storage::kUInt64:
    case Storage::kDecimal:
    case Storage::kFloat64:
      return text;
    case Storage::kBytes:
      return "X'" + text + "'";
    default: {
      std::string out = "'";
      for (char c : text) {
        out += c;
        if (c == '\'') out += '\'';
      }
      return out + "'";
    }
  }
}

std::string Dialect::RangePredicate(const Table& table, const KeyRange& range) const {
  if (range.IsWholeTable()) return "";
  if (range.by_location) {
    std::string where = LocationPredicate(range);
    if (where.empty()) {
      throw Error(ErrorCode::kInternal, "this engine cannot read by physical row location");
    }
    return "WHERE " + where;
  }
  auto column = [&](size_t i) { return table.columns[size_t(range.key_columns[i])]; };
  if (range.null_keys) return "WHERE " + Quote(column(0).name) + " IS NULL";
  std::string tuple, lo, hi;
  const bool composite = range.key_columns.size() > 1;
  for (size_t i = 0; i < range.key_columns.size(); ++i) {
    if (i > 0) tuple += ", ";
    tuple += Quote(column(i).name);
  }
  auto bound = [&](const std::vector<std::string>& values) {
    std::string out;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ", ";
      out += Literal(column(i).type, values[i]);
    }
    return composite ? "(" + out + ")" : out;
  };
  if (composite) tuple = "(" + tuple + ")";
  if (range.keys) {
    // IN with row values (PostgreSQL, MariaDB, SQLite 3.15+) rather than ORs of ANDs, whose
    // depth SQLite limits to 1000.
    if (range.keys->empty()) return "WHERE 1 = 0";
    if (!composite) {
      std::string predicate = KeyListPredicate(column(0), *range.keys);
      if (!predicate.empty()) return "WHERE " + predicate;
    }
    std::string list;
    bool values = composite && quirks_.composite_keys_as_values;
    if (values) {
      // VALUES columns take their types from their rows, not from what they are compared with:
      // the first row names the column types, the others' literals follow them.
      std::string first;
      for (size_t i = 0; i < range.key_columns.size() && values; ++i) {
        const ColumnType& type = column(i).type;
        if (type.native.empty()) values = false;
        first += (i > 0 ? ", " : "") + Literal(type, range.keys->front()[i]) + "::" + type.native;
      }
      if (values) list = "VALUES (" + first + ")";
    }
    for (size_t k = values ? 1 : 0; k < range.keys->size(); ++k) {
      list += (list.empty() ? "" : ", ") + bound((*range.keys)[k]);
    }
    return "WHERE " + tuple + " IN (" + list + ")";
  }
  std::vector<std::string> parts;
  if (range.lo) parts.push_back(tuple + " >= " + bound(*range.lo));
  if (range.hi) parts.push_back(tuple + " < " + bound(*range.hi));
  if (parts.empty()) {
    // An open range on both ends still excludes the NULL-key unit's rows.
    return "WHERE " + Quote(column(0).name) + " IS NOT NULL";
  }
  std::string where = "WHERE " + parts[0];
  for (size_t i = 1; i < parts.size(); ++i) where += " AND " + parts[i];
  return where;
}

std::string Dialect::ReplaceRangeSql(const Table& table,
                                     const std::optional<KeyRange>& range) const {
  if (!range) return "";
  if (range->by_location) {
    throw Error(ErrorCode::kInternal,
                "a range of physical row locations cannot be replaced at the destination");
  }
  std::string sql = "DELETE FROM " + RowsOf(table);
  const std::string where = RangePredicate(table, *range);
  return where.empty() ? sql : sql + " " + where;
}

std::string Dialect::SampleExpression(const Column& column) const {
  return Quote(column.name);
}

std::string Dialect::SampleSql(const Table& table, const std::vector<int>& key,
                               double fraction) const {
  // Outputs are renamed so ORDER BY names the key columns themselves (PostgreSQL would
  // otherwise sort by an output of the same name: the key as text).
  std::string columns, order;
  for (size_t i = 0; i < key.size(); ++i) {
    const Column& c = table.columns[size_t(key[i])];
    columns += (i > 0 ? ", " : "") + SampleExpression(c) + " AS ferry_key" + std::to_string(i);
    order += (i > 0 ? ", " : "") + Quote(c.name);
  }
  return "SELECT " + columns + " " + SampleFrom(table, key, fraction) + " ORDER BY " + order;
}

std::string Dialect::KeyTextSql(const Table& table, const std::vector<int>& key,
                                const std::string& rest) const {
  std::string columns;
  for (size_t i = 0; i < key.size(); ++i) {
    columns += (i > 0 ? ", " : "") + SampleExpression(table.columns[size_t(key[i])]) +
               " AS ferry_key" + std::to_string(i);
  }
  return "SELECT " + columns + " FROM " + RowsOf(table) + (rest.empty() ? "" : " ") + rest;
}

std::string Dialect::SelectSql(const Table& table, const std::vector<int>& columns,
                               const KeyRange& range) const {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += SelectExpression(table.columns[size_t(columns[i])]);
  }
  sql += " FROM " + RowsOf(table);
  std::string where = RangePredicate(table, range);
  return where.empty() ? sql : sql + " " + where;
}

std::string Dialect::RowHashExpression(const Table& table, const std::vector<int>&) const {
  throw Error(ErrorCode::kInternal, "this engine cannot hash rows in the server",
              ErrorContext{DisplayName(table.name), "", "", ""});
}

std::string Dialect::DigestSql(const Table& table, const std::vector<int>& columns,
                               const KeyRange& range) const {
  std::string sql =
      "SELECT COUNT(*), SUM(" + RowHashExpression(table, columns) + ") FROM " + RowsOf(table);
  std::string where = RangePredicate(table, range);
  return where.empty() ? sql : sql + " " + where;
}

ServerDigest RunDigest(SqlSession& session, const Dialect& dialect, const DigestRequest& request) {
  std::vector<SqlSession::Row> rows =
      session.Query(dialect.DigestSql(*request.table, request.columns, request.range));
  if (rows.size() != 1 || rows[0].size() != 2 || !rows[0][0]) {
    throw Error(ErrorCode::kInternal, "the server's row digest came back malformed",
                ErrorContext{DisplayName(request.table->name), "", "", ""});
  }
  ServerDigest out;
  out.rows = std::stoll(*rows[0][0]);
  out.sum = rows[0][1].value_or("0");
  return out;
}

std::string Dialect::InsertSql(const Table& table, const std::vector<int>& columns) const {
  std::string names, markers;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) {
      names += ", ";
      markers += ", ";
    }
    names += Quote(table.columns[size_t(columns[i])].name);
    markers += "?";
  }
  return "INSERT INTO " + QualifiedName(table.name) + " (" + names + ") VALUES (" + markers + ")";
}

std::string Dialect::UpsertSql(const Table& table, const std::vector<int>& columns,
                               const std::vector<int>& key) const {
  return InsertSql(table, columns) + UpsertClause(table, columns, key);
}

std::string Dialect::UpsertClause(const Table& table, const std::vector<int>& columns,
                                  const std::vector<int>& key) const {
  std::string target, set;
  for (int k : key) {
    if (!target.empty()) target += ", ";
    target += Quote(table.columns[size_t(k)].name);
  }
  for (int c : columns) {
    if (std::find(key.begin(), key.end(), c) != key.end()) continue;
    const std::string name = Quote(table.columns[size_t(c)].name);
    set += (set.empty() ? "" : ", ") + name + " = excluded." + name;
  }
  // A table of key columns only has nothing to update: the row is already there.
  return " ON CONFLICT (" + target + ") DO " + (set.empty() ? "NOTHING" : "UPDATE SET " + set);
}

TypeSpelling ParseTypeSpelling(const std::string& text) {
  TypeSpelling out;
  std::string lower;
  for (char c : text) lower += char(std::tolower(static_cast<unsigned char>(c)));
  size_t open = lower.find('(');
  std::string base = lower.substr(0, open);
  std::string rest = open == std::string::npos ? "" : lower.substr(open);
  if (open != std::string::npos) {
    size_t close = lower.find(')', open);
    std::string inside =
        lower.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
    size_t at = 0;
    while (at < inside.size()) {
      size_t comma = inside.find(',', at);
      if (comma == std::string::npos) comma = inside.size();
      std::string number = inside.substr(at, comma - at);
      try {
        out.args.push_back(std::stoll(number));
      } catch (...) {
        // enum('a','b') and similar: not numbers, not needed.
      }
      at = comma + 1;
    }
    rest = close == std::string::npos ? "" : lower.substr(close + 1);
  }
  out.is_unsigned =
      rest.find("unsigned") != std::string::npos || base.find("unsigned") != std::string::npos;
  // "int unsigned", "double precision", "timestamp with time zone": keep words, trim ends.
  auto trim = [](std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t first = s.find_first_not_of(" \t");
    return first == std::string::npos ? std::string() : s.substr(first);
  };
  base = trim(base);
  if (size_t u = base.find(" unsigned"); u != std::string::npos) base = trim(base.substr(0, u));
  if (size_t z = base.find(" zerofill"); z != std::string::npos) base = trim(base.substr(0, z));
  out.base = base;
  if (!rest.empty() && out.base.find(' ') == std::string::npos) {
    std::string tail = trim(rest);
    if (tail.rfind("with time zone", 0) == 0 || tail.rfind("without time zone", 0) == 0) {
      out.base += " " + tail;
    }
  }
  return out;
}

std::string Dialect::AddColumnSql(const Table& table, size_t column) const {
  return "ALTER TABLE " + QualifiedName(table.name) + " ADD COLUMN " +
         ColumnDefinition(table, column);
}

std::string CaseFoldingOf(const std::string& locale) {
  const std::string name = Lower(locale);
  if (name.empty()) return "";
  if (name == "c" || name == "posix") return "ASCII letters only (" + locale + ")";
  const bool turkic = name.rfind("tr", 0) == 0 || name.rfind("az", 0) == 0;
  if ((turkic && (name.size() == 2 || name[2] == '_' || name[2] == '-')) ||
      name.find("turkish") != std::string::npos || name.find("azeri") != std::string::npos) {
    return "Turkish/Azeri i and I (" + locale + ")";
  }
  // A MariaDB collation names its character set first: one that is not Unicode folds its own
  // letters only.
  const size_t underscore = name.find('_');
  if (underscore != std::string::npos && name.find('.') == std::string::npos) {
    const std::string charset = name.substr(0, underscore);
    static const char* const kOthers[] = {
        "latin1", "latin2",   "latin5", "latin7", "ascii",    "cp1250",  "cp1251",
        "cp1256", "cp1257",   "cp850",  "cp852",  "cp866",    "greek",   "hebrew",
        "koi8r",  "koi8u",    "big5",   "gbk",    "gb2312",   "sjis",    "ujis",
        "euckr",  "eucjpms",  "cp932",  "tis620", "armscii8", "geostd8", "keybcs2",
        "macce",  "macroman", "dec8",   "hp8",    "swe7"};
    if (std::find(std::begin(kOthers), std::end(kOthers), charset) != std::end(kOthers)) {
      return "the letters of character set " + charset + " only (" + locale + ")";
    }
  }
  return "";
}

}  // namespace ferry
