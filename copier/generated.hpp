// Generated columns across engines: an expression written for one engine (PostgreSQL's
// pg_get_expr, MariaDB's GENERATION_EXPRESSION, SQLite's CREATE TABLE text) rewritten in another
// engine's terms, where both engines compute the same value for every row. What translates:
// column references, numbers, strings and NULL; + - * on integers, floats and (between
// PostgreSQL and MariaDB) decimals; integer and float division and modulo; concatenation (|| and
// MariaDB's CONCAT) of text and integers; lower/upper (PostgreSQL and MariaDB, whose case
// mappings cover Unicode; SQLite's folds ASCII only), character length, COALESCE/IFNULL, substr
// with positive literal bounds, abs; casts between integers, decimals, doubles and text. Anything
// else (another function, CHAR columns, dates, a decimal division whose digits the engines round
// differently) does not translate, and the column's values are copied into a plain column.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"

namespace ferry {

struct GeneratedPlan {
  // The expression in the destination's terms: the destination computes the column. "" when
  // the column is not generated, or its values are copied (then `why_not` says why).
  std::string expression;
  std::string why_not;
};

// The expression of generated column `column` of `table` (in `from`'s terms) in `to`'s terms,
// column references named by `name_of` (the destination's name of a source column; the source's
// own names when empty). Returns "" and sets `why_not` when it does not translate.
std::string TranslateExpression(const Table& table, size_t column, Engine from, Engine to,
                                std::string* why_not,
                                const std::function<std::string(int)>& name_of = {});

// One entry per column of `table`: which generated columns a destination of engine `to` computes
// (with their expressions) when `table` is created there from an engine `from` table, and why the
// others are copied as values. Between databases of one engine every generated column is
// computed, its expression as it is. Also applies the destinations' limits: PostgreSQL computes
// no generated column from another one; MariaDB only from one defined before it; no generated
// column in a primary key; a SQLite table keeps one column that is not generated.
std::vector<GeneratedPlan> PlanGenerated(const Table& table, Engine from, Engine to,
                                         const std::function<std::string(int)>& name_of = {});

}  // namespace ferry
