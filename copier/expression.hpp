// A small reader of the SQL expressions engines print for generated columns (PostgreSQL's
// pg_get_expr, MariaDB's GENERATION_EXPRESSION, SQLite's CREATE TABLE text): column references,
// literals, unary minus, + - * / % || DIV MOD, function calls, CAST and PostgreSQL's ::, each
// engine's precedence of ||. What it cannot read is refused (NotTranslated), never guessed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/endpoint.hpp"

namespace ferry::expression {

// Why an expression cannot be read or translated: the end of a sentence starting "it does not
// translate because" ("of the function now()", say).
struct NotTranslated {
  std::string why;
};

// Throws NotTranslated{why}.
[[noreturn]] void Refuse(std::string why);

// What the translator knows a value to be: the engines agree on these.
enum class Class { kNull, kInt, kDecimal, kFloat, kText };

struct Node {
  enum Kind { kColumn, kNumber, kString, kNull, kNegate, kBinary, kCall, kCast } kind = kNull;
  std::string text;  // number, string value, operator ("+", "div", "||"...), function name
  int column = -1;
  Class target = Class::kNull;   // a cast's
  int precision = 0, scale = 0;  // a cast to decimal (0: none given)
  std::vector<std::unique_ptr<Node>> args;
};
using NodePtr = std::unique_ptr<Node>;

// The parse of `text`, written for engine `from`, whose column references are columns of
// `table`. Throws NotTranslated.
NodePtr Parse(const std::string& text, const Table& table, Engine from);

}  // namespace ferry::expression
