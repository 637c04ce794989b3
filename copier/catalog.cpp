#include "copier/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace ferry {

std::string DisplayName(const TableName& name) {
  return name.schema.empty() ? name.name : name.schema + "." + name.name;
}

std::vector<int> Table::RowKey() const {
  if (!primary_key.empty()) return primary_key;
  for (const Index& index : unique_indexes) {
    bool all_not_null = true;
    for (int c : index.columns) all_not_null = all_not_null && !columns[c].nullable;
    if (all_not_null && !index.columns.empty()) return index.columns;
  }
  return {};
}

std::optional<int> Table::FindColumn(const std::string& column_name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column_name) return int(i);
  }
  return std::nullopt;
}

std::string PortableCheck(const std::string& condition, const std::string& quoted_column) {
  static const char* const kWords[] = {"AND", "OR",      "NOT",  "IS",   "NULL",
                                       "IN",  "BETWEEN", "TRUE", "FALSE"};
  std::string out;
  const size_t size = condition.size();
  for (size_t i = 0; i < size;) {
    const unsigned char c = static_cast<unsigned char>(condition[i]);
    if (c == '\'') {
      size_t end = i + 1;
      for (;; ++end) {
        if (end >= size || condition[end] == '\\') return "";  // escapes differ per engine
        if (condition[end] != '\'') continue;
        if (end + 1 < size && condition[end + 1] == '\'') {
          ++end;
          continue;
        }
        break;
      }
      out += condition.substr(i, end + 1 - i);
      i = end + 1;
    } else if (std::isalpha(c) || c == '_') {
      size_t end = i;
      while (end < size &&
             (std::isalnum(static_cast<unsigned char>(condition[end])) || condition[end] == '_')) {
        ++end;
      }
      std::string upper;
      for (size_t k = i; k < end; ++k) {
        upper += char(std::toupper(static_cast<unsigned char>(condition[k])));
      }
      if (upper == "VALUE") {
        out += quoted_column;
      } else if (std::find(std::begin(kWords), std::end(kWords), upper) != std::end(kWords)) {
        out += upper;
      } else {
        return "";
      }
      i = end;
    } else if (std::isdigit(c) || std::isspace(c) ||
               std::string_view("()<>=!,+-*/.").find(char(c)) != std::string_view::npos) {
      out += char(c);
      ++i;
    } else {
      return "";
    }
  }
  return out;
}

}  // namespace ferry
