#include "copier/scope.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

// The source table an exact pattern that matched nothing most likely meant ("ordrs" ->
// orders, "Orders" -> orders, "sales.ordres" -> sales.orders), or "" when none is close (more
// than a third of the name differs).
std::string NearestTable(const std::string& typed, const std::vector<TableName>& all,
                         const std::string& default_schema) {
  const bool qualified = typed.find('.') != std::string::npos;
  std::string best;
  size_t best_distance = std::string::npos;
  for (const TableName& t : all) {
    const std::string name =
        qualified || t.schema != default_schema ? t.schema + "." + t.name : t.name;
    const size_t d = EditDistance(typed, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best_distance <= std::max<size_t>(1, typed.size() / 3) ? best : "";
}

// Splits one part of a pattern into literal pieces separated by unescaped '*'.
// `at` points at the part's first character and is left after it (at '.' or the end).
bool ParsePart(const std::string& text, size_t& at, std::vector<std::string>& pieces) {
  pieces.assign(1, "");
  if (at < text.size() && text[at] == '"') {
    ++at;
    for (;;) {
      if (at >= text.size()) return false;
      if (text[at] == '"') {
        if (at + 1 < text.size() && text[at + 1] == '"') {
          pieces.back() += '"';
          at += 2;
          continue;
        }
        ++at;
        break;
      }
      pieces.back() += text[at++];
    }
    return at == text.size() || text[at] == '.';
  }
  while (at < text.size() && text[at] != '.') {
    char c = text[at];
    if (c == '\\') {
      if (at + 1 >= text.size()) return false;
      pieces.back() += text[at + 1];
      at += 2;
    } else if (c == '*') {
      pieces.emplace_back();
      ++at;
    } else if (c == '"') {
      return false;
    } else {
      pieces.back() += c;
      ++at;
    }
  }
  return true;
}

}  // namespace

bool TablePattern::Part::Matches(const std::string& s) const {
  if (any) return true;
  if (pieces.size() == 1) return s == pieces[0];
  // Glob with '*' between pieces: first piece is a prefix, last a suffix, the rest in order.
  const std::string& first = pieces.front();
  const std::string& last = pieces.back();
  if (s.size() < first.size() + last.size()) return false;
  if (s.compare(0, first.size(), first) != 0) return false;
  if (s.compare(s.size() - last.size(), last.size(), last) != 0) return false;
  size_t at = first.size();
  size_t end = s.size() - last.size();
  for (size_t i = 1; i + 1 < pieces.size(); ++i) {
    size_t found = s.find(pieces[i], at);
    if (found == std::string::npos || found + pieces[i].size() > end) return false;
    at = found + pieces[i].size();
  }
  return true;
}

TablePattern TablePattern::Parse(const std::string& text) {
  TablePattern p;
  p.text_ = text;
  auto fail = [&](const char* why) {
    return Error(ErrorCode::kUsage, fmt::format("table pattern '{}': {}", text, why));
  };
  if (text.empty()) throw fail("empty pattern");
  size_t at = 0;
  std::vector<std::string> first;
  if (!ParsePart(text, at, first)) throw fail("unbalanced quote or escape");
  if (at < text.size()) {  // at the '.' between schema and table
    ++at;
    std::vector<std::string> second;
    if (!ParsePart(text, at, second)) throw fail("unbalanced quote or escape");
    if (at != text.size()) throw fail("more than one '.' (quote names that contain dots)");
    p.has_schema_ = true;
    p.schema_.pieces = std::move(first);
    p.table_.pieces = std::move(second);
  } else {
    p.table_.pieces = std::move(first);
  }
  for (Part* part : {&p.schema_, &p.table_}) {
    part->any = part->pieces.size() == 2 && part->pieces[0].empty() && part->pieces[1].empty();
  }
  if (p.table_.pieces.size() == 1 && p.table_.pieces[0].empty()) throw fail("no table name");
  // No engine has a schema named "", so ".orders" is a typo that would silently match nothing.
  if (p.has_schema_ && p.schema_.pieces.size() == 1 && p.schema_.pieces[0].empty()) {
    throw fail("no schema name before the '.'");
  }
  return p;
}

bool TablePattern::Matches(const TableName& table, const std::string& default_schema) const {
  if (has_schema_) {
    if (!schema_.Matches(table.schema)) return false;
  } else if (table.schema != default_schema) {
    return false;
  }
  return table_.Matches(table.name);
}

bool TablePattern::IsExact() const {
  return !table_.HasWildcard() && (!has_schema_ || !schema_.HasWildcard());
}

std::vector<TableName> Scope::Select(const std::vector<TableName>& all,
                                     const std::string& default_schema) const {
  for (const TablePattern& p : include_) {
    if (!p.IsExact()) continue;
    bool found = false;
    for (const TableName& t : all) found = found || p.Matches(t, default_schema);
    if (!found) {
      const std::string nearest = NearestTable(p.text(), all, default_schema);
      throw Error(ErrorCode::kNotFound,
                  fmt::format("--include '{}' matches no table in the source (default schema "
                              "'{}'){}",
                              p.text(), default_schema,
                              nearest.empty() ? "" : fmt::format("; did you mean {}?", nearest)));
    }
  }
  std::vector<TableName> selected;
  for (const TableName& t : all) {
    bool in = false;
    if (include_.empty()) {
      in = t.schema == default_schema;
    } else {
      for (const TablePattern& p : include_) in = in || p.Matches(t, default_schema);
    }
    for (const TablePattern& p : exclude_) in = in && !p.Matches(t, default_schema);
    if (in) selected.push_back(t);
  }
  return selected;
}

}  // namespace ferry
