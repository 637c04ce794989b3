// Column defaults and CHECK constraints across engines. A default or a check read from one
// engine's catalog (PostgreSQL's pg_get_expr, MariaDB's information_schema, SQLite's CREATE
// TABLE text) is rewritten in another engine's terms where both engines give it one meaning,
// and never guessed at: what does not translate is left out at the destination and named by
// ferry check, with the reason.
//
// Defaults that translate: NULL, numbers, strings, booleans (MariaDB's and SQLite's 0 and 1),
// dates, times and timestamps written in ISO form, JSON text, the current timestamp, date and
// time (now(), CURRENT_TIMESTAMP, current_timestamp(6), curdate(), datetime('now'), ...) and
// UUID generators where the destination has one (gen_random_uuid(), uuid_generate_v4(),
// uuid()); PostgreSQL's casts of literals are dropped. Each must fit the destination's column.
// Checks that translate: comparisons, arithmetic, AND/OR/NOT, IS [NOT] NULL, [NOT] IN,
// BETWEEN, LIKE (not with SQLite, whose LIKE ignores case), character length, lower/upper
// (not with SQLite), abs and coalesce, PostgreSQL's = ANY (ARRAY[...]) and its casts of
// literals and of columns of their own kind. Not: text put in order (<, BETWEEN: each database
// orders text by its own collation), and MariaDB's comparisons of text columns (by the column's
// collation, which may ignore case and trailing spaces). Serial, identity and auto-increment
// counters are carried elsewhere (Column::identity); MariaDB's ON UPDATE has no equivalent
// elsewhere.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"

namespace ferry {

// What becomes of one default or check at the destination.
struct Carried {
  std::string sql;      // in the destination's terms; "" when nothing is carried
  std::string why_not;  // why it is not carried; "" when it is, or there is nothing to carry
};

// A name in a condition, as the destination spells it, and its column's type (kUnsupported
// when unknown: then no cast of it is dropped).
struct ConditionName {
  std::string sql;
  TypeKind kind = TypeKind::kUnsupported;
};
// Resolves a name a condition uses (as written, and whether it was quoted); nullopt with `why`
// set when it names nothing the destination has.
using NameResolver = std::function<std::optional<ConditionName>(const std::string& name,
                                                                bool quoted, std::string* why)>;

struct ConditionTerms {
  Engine from = Engine::kPostgres;
  Engine to = Engine::kPostgres;
  NameResolver resolve;
  std::vector<std::string> enum_types;  // type names a literal may be cast to (PostgreSQL enums)
  bool functions = true;                // whether the functions named above translate
};

// `condition`, written for `terms.from`, in `terms.to`'s terms (whitespace and parentheses as
// they were, keywords in upper case).
Carried TranslateCondition(const std::string& condition, const ConditionTerms& terms);

// The DEFAULT of source column `column` (an engine `from` table) for the column of type
// `to_type` a destination of engine `to` creates. Nothing for no default, a NULL default, an
// identity or a generated column; the default as it is between databases of one engine.
Carried CarryDefault(const Column& column, Engine from, const ColumnType& to_type, Engine to);

// The checks of `source` (an engine `from` table) for the table `destination` an engine `to`
// creates: conditions in `to`'s terms, columns named by `name_of` (nullopt: a column that is not
// created there), each under its source name or a derived one (`<table>_<column>_check`, unique
// in the table, at most `max_name_bytes` long when that is not 0). What does not translate goes
// into `not_carried` with the reason.
std::vector<CheckConstraint> CarryChecks(
    const Table& source, Engine from, Engine to,
    const std::function<std::optional<std::string>(int)>& name_of, const std::string& destination,
    size_t max_name_bytes,
    std::vector<std::pair<CheckConstraint, std::string>>* not_carried = nullptr);

// Whether a check of a MariaDB table is the one MariaDB keeps for a JSON column
// (json_valid(`c`)): the column's type, not a check of its own.
bool IsJsonValidCheck(const std::string& condition);

}  // namespace ferry
