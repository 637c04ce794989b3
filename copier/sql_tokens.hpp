// The tokens of a default or check condition as an engine's catalog prints it, for
// copier/defaults.hpp: words, quoted names, strings (their value, unescaped), numbers and
// symbols, each with the whitespace before it. A string's value is read as its engine prints it
// (MariaDB's backslash escapes undone), and written back with quotes doubled, which every
// engine reads alike in ferry's sessions (standard strings). What an engine would read
// differently (||) is refused (expression::NotTranslated), never guessed.
#pragma once

#include <string>
#include <vector>

#include "copier/endpoint.hpp"

namespace ferry::sql_tokens {

enum class Type { kEnd, kWord, kQuoted, kString, kNumber, kSymbol };

struct Token {
  Type type = Type::kEnd;
  std::string text;   // a string's or quoted name's value; a word, number or symbol as written
  std::string space;  // the whitespace before it
};

// The tokens of `text` written for engine `from`, ending with a kEnd token. Throws
// expression::NotTranslated.
std::vector<Token> Tokenize(const std::string& text, Engine from);

// `value` as a string literal every engine reads alike (quotes doubled).
std::string StringLiteral(const std::string& value);

// "PostgreSQL", "MariaDB", "SQLite".
const char* Product(Engine engine);

}  // namespace ferry::sql_tokens
