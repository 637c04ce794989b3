#include "copier/job.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ferry {

namespace {

// `*` wildcards, everything else literal (the same rule as table patterns).
bool Glob(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string Substitute(const std::string& text, const std::string& schema) {
  std::string out;
  const std::string token = "{schema}";
  size_t at = 0;
  for (size_t found = text.find(token); found != std::string::npos; found = text.find(token, at)) {
    out += text.substr(at, found - at) + schema;
    at = found + token.size();
  }
  return out + text.substr(at);
}

}  // namespace

const char* StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kSingle:
      return "single";
    case Strategy::kKeyRanges:
      return "key ranges";
    case Strategy::kPageRanges:
      return "page ranges";
    case Strategy::kSkip:
      return "skip";
  }
  return "single";
}

std::optional<Strategy> ParseStrategy(const std::string& text) {
  for (Strategy s :
       {Strategy::kSingle, Strategy::kKeyRanges, Strategy::kPageRanges, Strategy::kSkip}) {
    if (text == StrategyName(s)) return s;
  }
  return std::nullopt;
}

const char* WriteModeName(WriteMode mode) {
  switch (mode) {
    case WriteMode::kCreate:
      return "create";
    case WriteMode::kTruncate:
      return "truncate";
    case WriteMode::kAppend:
      return "append";
    case WriteMode::kUpsert:
      return "upsert";
  }
  return "create";
}

std::optional<WriteMode> ParseWriteMode(const std::string& text) {
  for (WriteMode m :
       {WriteMode::kCreate, WriteMode::kTruncate, WriteMode::kAppend, WriteMode::kUpsert}) {
    if (text == WriteModeName(m)) return m;
  }
  return std::nullopt;
}

TableName Renames::Apply(const TableName& source, const TableName& unrenamed,
                         const std::string& source_default_schema) const {
  TableName out = unrenamed;
  for (const SchemaRename& rule : schemas) {
    if (!Glob(rule.from, source.schema)) continue;
    if (!rule.to.empty()) out.schema = Substitute(rule.to, source.schema);
    out.name = Substitute(rule.table_prefix, source.schema) + out.name;
    break;
  }
  for (const TableRename& rule : tables) {
    if (rule.from.Matches(source, source_default_schema)) {
      out.name = rule.to;
      break;
    }
  }
  return out;
}

std::string Renames::ApplyToColumn(const TableName& source, const std::string& column,
                                   const std::string& source_default_schema) const {
  for (const ColumnRename& rule : columns) {
    if (rule.from == column && rule.table.Matches(source, source_default_schema)) return rule.to;
  }
  return column;
}

std::vector<std::string> Renames::Unmatched(const std::vector<Table>& in_scope,
                                            const std::vector<TableName>& all,
                                            const std::string& source_default_schema) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < schemas.size(); ++i) {
    bool used = std::any_of(all.begin(), all.end(),
                            [&](const TableName& t) { return Glob(schemas[i].from, t.schema); });
    if (!used) {
      out.push_back(
          fmt::format("rename.schemas[{}]: from '{}' matches no schema of a source "
                      "table",
                      i, schemas[i].from));
    }
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    bool used = std::any_of(all.begin(), all.end(), [&](const TableName& t) {
      return tables[i].from.Matches(t, source_default_schema);
    });
    if (!used) {
      out.push_back(fmt::format("rename.tables[{}]: from '{}' matches no source table", i,
                                tables[i].from.text()));
    }
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    bool table_used = false, column_used = false;
    for (const Table& t : in_scope) {
      if (!columns[i].table.Matches(t.name, source_default_schema)) continue;
      table_used = true;
      column_used = column_used || t.FindColumn(columns[i].from).has_value();
    }
    const bool elsewhere = std::any_of(all.begin(), all.end(), [&](const TableName& t) {
      return columns[i].table.Matches(t, source_default_schema);
    });
    if (!table_used && !elsewhere) {
      out.push_back(fmt::format("rename.columns[{}]: table '{}' matches no source table", i,
                                columns[i].table.text()));
    } else if (table_used && !column_used) {
      out.push_back(fmt::format("rename.columns[{}]: no table matching '{}' has a column '{}'", i,
                                columns[i].table.text(), columns[i].from));
    }
  }
  return out;
}

TableOverride Job::OverrideFor(const TableName& table, const std::string& default_schema) const {
  TableOverride merged{TablePattern::Parse("*.*"), {}, {}, {}, {}};
  for (const TableOverride& o : overrides) {
    if (!o.table.Matches(table, default_schema)) continue;
    if (o.strategy) merged.strategy = o.strategy;
    if (o.partitions) merged.partitions = o.partitions;
    if (o.write_mode) merged.write_mode = o.write_mode;
    if (o.key) merged.key = o.key;
    if (o.watermark) merged.watermark = o.watermark;
  }
  return merged;
}

std::vector<std::string> Job::UnmatchedOverrides(const std::vector<TableName>& all,
                                                 const std::string& source_default_schema) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < overrides.size(); ++i) {
    const bool used = std::any_of(all.begin(), all.end(), [&](const TableName& t) {
      return overrides[i].table.Matches(t, source_default_schema);
    });
    if (!used) {
      out.push_back(fmt::format("tables[{}]: match '{}' matches no source table", i,
                                overrides[i].table.text()));
    }
  }
  return out;
}

}  // namespace ferry
