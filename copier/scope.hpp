// Which tables a command works on: include and exclude patterns over schema.table.
// A pattern is `table` or `schema.table`; `*` matches any run of characters, everything
// else matches itself (an underscore is an underscore). `\*`, `\.` and `\\` are literal;
// a part in double quotes is literal too ("my.table", ""quoted"" doubles a quote).
// A bare table pattern matches tables in the connection's default schema only.
#pragma once

#include <string>
#include <vector>

#include "copier/catalog.hpp"

namespace ferry {

class TablePattern {
 public:
  // Throws Error(kUsage) naming the pattern when it is malformed.
  static TablePattern Parse(const std::string& text);

  bool Matches(const TableName& table, const std::string& default_schema) const;
  // True when the pattern names one table exactly (no wildcard), as `--include orders` does;
  // such a pattern must match something or the user mistyped it.
  bool IsExact() const;
  const std::string& text() const { return text_; }

 private:
  struct Part {
    std::vector<std::string> pieces;  // literal pieces between '*'
    bool any = false;                 // the whole part is "*"
    bool HasWildcard() const { return pieces.size() > 1; }
    bool Matches(const std::string& s) const;
  };

  std::string text_;
  bool has_schema_ = false;
  Part schema_;
  Part table_;
};

class Scope {
 public:
  Scope() = default;
  Scope(std::vector<TablePattern> include, std::vector<TablePattern> exclude)
      : include_(std::move(include)), exclude_(std::move(exclude)) {}

  // Tables of `all` in scope, in the order given. With no include patterns every table in
  // the default schema is in scope. Throws Error(kNotFound) when an exact include pattern
  // matches no table, naming it.
  std::vector<TableName> Select(const std::vector<TableName>& all,
                                const std::string& default_schema) const;

 private:
  std::vector<TablePattern> include_;
  std::vector<TablePattern> exclude_;
};

}  // namespace ferry
