#include "drivers/sqlite/sqlite_create_text.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

namespace ferry {

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The table's definitions (columns and table constraints), split at top-level commas (quotes and
// parentheses respected).
std::vector<std::string> Definitions(const std::string& create) {
  std::vector<std::string> parts;
  const size_t open = create.find('(');
  if (open == std::string::npos) return parts;
  std::string part;
  int depth = 0;
  char quote = 0;
  for (size_t i = open + 1; i < create.size(); ++i) {
    const char c = create[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'' || c == '`' || c == '[') {
      quote = c == '[' ? ']' : c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth-- == 0) break;
    } else if (c == ',' && depth == 0) {
      parts.push_back(part);
      part.clear();
      continue;
    }
    part += c;
  }
  parts.push_back(part);
  return parts;
}

// The name at `at` (bare or quoted), `at` moved past it.
std::string NameAt(const std::string& p, size_t& at) {
  if (at < p.size() && (p[at] == '"' || p[at] == '`' || p[at] == '[' || p[at] == '\'')) {
    const char close = p[at] == '[' ? ']' : p[at];
    std::string name;
    for (++at; at < p.size(); ++at) {
      if (p[at] != close) {
        name += p[at];
      } else if (close != ']' && at + 1 < p.size() && p[at + 1] == close) {
        name += p[++at];
      } else {
        ++at;
        break;
      }
    }
    return name;
  }
  const size_t b = at;
  while (at < p.size() && (std::isalnum(static_cast<unsigned char>(p[at])) || p[at] == '_' ||
                           static_cast<unsigned char>(p[at]) >= 0x80)) {
    ++at;
  }
  return p.substr(b, at - b);
}

// The CHECK clauses of one definition, read at its top level: "CONSTRAINT name" names the
// clause that follows it.
void ChecksOf(const std::string& p, std::vector<CheckConstraint>& out) {
  std::string name;
  char quote = 0;
  for (size_t at = 0; at < p.size();) {
    const char c = p[at];
    if (quote) {
      if (c == quote) quote = 0;
      ++at;
    } else if (c == '"' || c == '\'' || c == '`' || c == '[') {
      quote = c == '[' ? ']' : c;
      ++at;
    } else if (c == '(') {
      int depth = 0;  // a type's size, a default's expression: nothing of ours inside
      for (; at < p.size(); ++at) {
        if (p[at] == '(') ++depth;
        if (p[at] == ')' && --depth == 0) break;
      }
      ++at;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::string word = Lower(NameAt(p, at));
      if (word == "constraint") {
        while (at < p.size() && std::isspace(static_cast<unsigned char>(p[at]))) ++at;
        name = NameAt(p, at);
        continue;
      }
      if (word != "check") {
        name.clear();
        continue;
      }
      while (at < p.size() && std::isspace(static_cast<unsigned char>(p[at]))) ++at;
      if (at >= p.size() || p[at] != '(') continue;
      const size_t open = at;
      int depth = 0;
      char q = 0;
      for (; at < p.size(); ++at) {
        if (q) {
          if (p[at] == q) q = 0;
        } else if (p[at] == '\'' || p[at] == '"' || p[at] == '`') {
          q = p[at];
        } else if (p[at] == '(') {
          ++depth;
        } else if (p[at] == ')' && --depth == 0) {
          break;
        }
      }
      out.push_back({name, p.substr(open + 1, at - open - 1)});
      name.clear();
      ++at;
    } else {
      ++at;
    }
  }
}

// The definition of `column` in a CREATE TABLE statement, and where its name ends in it.
std::optional<std::pair<std::string, size_t>> ColumnText(const std::string& create,
                                                         const std::string& column) {
  for (const std::string& p : Definitions(create)) {
    size_t at = p.find_first_not_of(" \t\r\n");
    if (at == std::string::npos) continue;
    std::string name;
    size_t end;
    if (p[at] == '"' || p[at] == '`' || p[at] == '[') {
      const char close = p[at] == '[' ? ']' : p[at];
      end = p.find(close, at + 1);
      if (end == std::string::npos) continue;
      name = p.substr(at + 1, end - at - 1);
      ++end;
    } else {
      end = p.find_first_of(" \t\r\n", at);
      name = p.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
    if (Lower(name) != Lower(column) || end == std::string::npos) continue;
    return std::make_pair(p, end);
  }
  return std::nullopt;
}

}  // namespace

std::string GeneratedExpression(const std::string& create, const std::string& column) {
  const auto found = ColumnText(create, column);
  if (!found) return "";
  const auto& [p, end] = *found;
  const std::string rest = Lower(p.substr(end));
  size_t as = rest.find(" as ");
  if (as == std::string::npos) as = rest.find(" as(");
  if (as == std::string::npos) return "";
  const size_t paren = rest.find('(', as);
  if (paren == std::string::npos) return "";
  int level = 0;
  for (size_t i = paren; i < rest.size(); ++i) {
    if (rest[i] == '(') ++level;
    if (rest[i] == ')' && --level == 0) return p.substr(end + paren + 1, i - paren - 1);
  }
  return "";
}

std::string ColumnCollation(const std::string& create, const std::string& column) {
  const auto found = ColumnText(create, column);
  if (!found) return "";
  const auto& [p, end] = *found;
  // Words at the definition's top level (not inside a default's or a check's parentheses, nor
  // in quotes): the one after COLLATE.
  int depth = 0;
  bool after_collate = false;
  for (size_t at = end; at < p.size();) {
    const char c = p[at];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const size_t start = at;
      std::string quoted = NameAt(p, at);
      if (at == start) ++at;
      if (depth == 0 && after_collate) return Lower(quoted);
      after_collate = false;
    } else if (c == '(' || c == ')') {
      depth += c == '(' ? 1 : -1;
      ++at;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::string word = Lower(NameAt(p, at));
      if (depth == 0 && after_collate) return word;
      after_collate = depth == 0 && word == "collate";
    } else {
      ++at;
    }
  }
  return "";
}

std::vector<CheckConstraint> CheckConstraints(const std::string& create) {
  std::vector<CheckConstraint> out;
  for (const std::string& p : Definitions(create)) ChecksOf(p, out);
  return out;
}

std::string ForeignKeyDeferrable(const std::string& create, const std::string& column) {
  for (const std::string& p : Definitions(create)) {
    // The definition's top-level words (names as written, keywords compared in lower case), and
    // the first column a FOREIGN KEY (...) clause lists.
    std::vector<std::string> words;
    std::string key_column;
    int depth = 0;
    for (size_t at = 0; at < p.size();) {
      const char c = p[at];
      if (c == '(' || c == ')') {
        depth += c == '(' ? 1 : -1;
        ++at;
        continue;
      }
      const bool quoted = c == '\'' || c == '"' || c == '`' || c == '[';
      if (!quoted && !std::isalpha(static_cast<unsigned char>(c)) && c != '_') {
        ++at;
        continue;
      }
      const size_t start = at;
      const std::string word = NameAt(p, at);
      if (at == start) ++at;
      if (depth == 0) {
        words.push_back(quoted ? word : Lower(word));
      } else if (depth == 1 && key_column.empty() && !words.empty() && words.back() == "key") {
        key_column = word;
      }
    }
    const auto references = std::find(words.begin(), words.end(), "references");
    if (references == words.end() || words.empty()) continue;
    const bool table_key = std::find(words.begin(), references, "foreign") != references;
    if (Lower(table_key ? key_column : words.front()) != Lower(column)) continue;
    const auto deferrable = std::find(references, words.end(), "deferrable");
    if (deferrable == words.end() || *(deferrable - 1) == "not") return "";
    const auto initially = std::find(deferrable, words.end(), "initially");
    const bool deferred =
        initially != words.end() && initially + 1 != words.end() && *(initially + 1) == "deferred";
    return deferred ? "DEFERRABLE INITIALLY DEFERRED" : "DEFERRABLE";
  }
  return "";
}

}  // namespace ferry
