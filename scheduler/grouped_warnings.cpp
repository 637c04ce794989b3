#include "scheduler/grouped_warnings.hpp"

#include <fmt/format.h>

namespace ferry {

void GroupedWarnings::AppendTo(std::vector<Finding>& findings) const {
  for (const auto& key : order_) {
    const std::vector<Item>& items = groups_.at(key);
    auto where = [](const Item& item) {
      std::string out = item.table;
      if (!item.column.empty()) out += "." + item.column;
      return item.detail.empty() ? out : out + " (" + item.detail + ")";
    };
    if (items.size() == 1) {
      findings.push_back({Severity::kWarning, key.first, items[0].table, items[0].column,
                          key.second + ": " + where(items[0])});
      continue;
    }
    std::string list;
    for (const Item& item : items) list += (list.empty() ? "" : ", ") + where(item);
    findings.push_back({Severity::kWarning, key.first, "", "",
                        fmt::format("{}: {} {}: {}", key.second, items.size(),
                                    nouns_.count(key)         ? nouns_.at(key)
                                    : items[0].column.empty() ? "tables"
                                                              : "columns",
                                    list)});
  }
}

}  // namespace ferry
