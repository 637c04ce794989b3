// ferry check's grouped warnings: one finding per rule with every column or table it meets.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/checking.hpp"

namespace ferry {

// Warnings of one rule, said once with every column (or table) it applies to: a dozen
// identical lines would bury the findings that matter. A rule that meets one column only keeps
// the table and column fields, as other findings have them.
class GroupedWarnings {
 public:
  // `noun` names what the items are in a group's count ("" : columns, or tables).
  void Add(const std::string& kind, const std::string& rule, const std::string& table,
           const std::string& column, const std::string& detail, const std::string& noun = "") {
    auto key = std::make_pair(kind, rule);
    if (!groups_.count(key)) order_.push_back(key);
    groups_[key].push_back({table, column, detail});
    if (!noun.empty()) nouns_[key] = noun;
  }
  void AppendTo(std::vector<Finding>& findings) const;

 private:
  struct Item {
    std::string table, column, detail;
  };
  std::vector<std::pair<std::string, std::string>> order_;
  std::map<std::pair<std::string, std::string>, std::vector<Item>> groups_;
  std::map<std::pair<std::string, std::string>, std::string> nouns_;
};

}  // namespace ferry
