#include "copier/catalog.hpp"

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

}  // namespace ferry
