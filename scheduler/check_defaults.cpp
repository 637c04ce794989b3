#include "scheduler/check_defaults.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "copier/defaults.hpp"

namespace ferry {

namespace {

size_t Characters(const std::string& text) {
  return size_t(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Table and column comments: none where the destination keeps none (SQLite), cut where it keeps
// shorter ones (MariaDB refuses longer ones; Dialect::CommentLiteral cuts them).
void NoteComments(const Table& source, const TableCopyPlan& copy, const EndpointInfo& to,
                  std::vector<NotCarried>& out) {
  const EngineTraits& t = to.traits;
  auto note = [&](const std::string& column, const std::string& comment, size_t longest) {
    if (comment.empty()) return;
    const std::string quoted =
        fmt::format("COMMENT '{}'", comment.size() > 60 ? comment.substr(0, 57) + "..." : comment);
    if (!t.comments) {
      out.push_back(
          {"not carried",
           fmt::format("table and column comments are not carried: {} has none", to.product),
           column, quoted, "comments"});
    } else if (longest > 0 && Characters(comment) > longest) {
      out.push_back({"comment",
                     fmt::format("comments longer than {} keeps ({} characters for a table, {} "
                                 "for a column) are cut to that length there",
                                 to.product, t.longest_table_comment, t.longest_column_comment),
                     column, fmt::format("{} characters", Characters(comment)), "comments"});
    }
  };
  note("", source.comment, t.longest_table_comment);
  for (int c : copy.source_columns) {
    const Column& s = source.columns[size_t(c)];
    note(s.name, s.comment, t.longest_column_comment);
  }
}

}  // namespace

void NotePartitionsDropped(const Table& source, const TableCopyPlan& copy, const std::string& shown,
                           GroupedWarnings& grouped) {
  if (!source.partitioned || !copy.destination.partition_key.empty()) return;
  grouped.Add("partitioned table",
              "partitioned tables whose columns the copy renames, leaves out or reorders are made "
              "as one plain table holding every partition's rows (no partitions, nor their own "
              "indexes)",
              shown, "", "");
}

std::vector<NotCarried> DefaultsAndChecksNotCarried(const Table& source, const TableCopyPlan& copy,
                                                    const EndpointInfo& from,
                                                    const EndpointInfo& to) {
  std::vector<NotCarried> out;
  // The destination's name of each source column it has (nullopt: not created there).
  auto name_of = [&](int c) -> std::optional<std::string> {
    auto at = std::find(copy.source_columns.begin(), copy.source_columns.end(), c);
    if (at != copy.source_columns.end()) {
      return copy.destination
          .columns[size_t(copy.destination_columns[size_t(at - copy.source_columns.begin())])]
          .name;
    }
    const Column& s = source.columns[size_t(c)];
    if (!s.generated.empty() && copy.destination.FindColumn(s.name)) return s.name;
    return std::nullopt;
  };
  for (size_t i = 0; i < copy.source_columns.size(); ++i) {
    const Column& s = source.columns[size_t(copy.source_columns[i])];
    const Column& d = copy.destination.columns[size_t(copy.destination_columns[i])];
    if (!s.on_update.empty()) {
      out.push_back({"on update",
                     fmt::format("{} has no ON UPDATE: these columns keep their default, but are "
                                 "not set again when their row changes (a trigger there can do "
                                 "it)",
                                 to.product),
                     s.name, "ON UPDATE " + s.on_update});
    }
    const Carried carried = CarryDefault(s, from.engine, d.type, to.engine);
    if (carried.why_not.empty()) continue;
    out.push_back({"default",
                   fmt::format("column defaults {} cannot give the meaning they have in {} are "
                               "not created (set them there if they are needed)",
                               to.product, from.product),
                   s.name, fmt::format("DEFAULT {}; {}", s.default_value, carried.why_not)});
  }
  std::vector<std::pair<CheckConstraint, std::string>> not_carried;
  CarryChecks(source, from.engine, to.engine, name_of, copy.destination.name.name,
              to.traits.max_identifier_length, &not_carried);
  for (const auto& [check, why] : not_carried) {
    out.push_back({"check constraint",
                   fmt::format("CHECK constraints {} cannot read as {} does are not created "
                               "(recreate them there if they are needed)",
                               to.product, from.product),
                   "",
                   fmt::format("{}CHECK ({}); {}", check.name.empty() ? "" : check.name + ": ",
                               check.condition, why),
                   "checks"});
  }
  NoteComments(source, copy, to, out);
  return out;
}

}  // namespace ferry
