// CHECK conditions across engines (copier/defaults.hpp), and the tokens defaults and conditions
// are read in (copier/sql_tokens.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "copier/defaults.hpp"
#include "copier/expression.hpp"
#include "copier/sql_tokens.hpp"
#include "copier/text.hpp"

namespace ferry {

using expression::NotTranslated;
using expression::Refuse;

namespace sql_tokens {

const char* Product(Engine engine) {
  switch (engine) {
    case Engine::kPostgres:
      return "PostgreSQL";
    case Engine::kMariaDB:
      return "MariaDB";
    case Engine::kSQLite:
      return "SQLite";
    default:
      return "that engine";
  }
}

std::string StringLiteral(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

namespace {

// A quoted string or name from `at` (on its opening quote); `at` ends after the closing one.
// MariaDB prints the characters of a string it must escape with a backslash (whatever the
// session's NO_BACKSLASH_ESCAPES): they are read back into the value. PostgreSQL (with
// standard_conforming_strings, ferry's sessions' and the default) and SQLite print a backslash
// as itself.
std::string Quoted(const std::string& s, size_t& at, char close, Engine from) {
  std::string text;
  for (++at; at < s.size(); ++at) {
    const char c = s[at];
    if (c == close) {
      if (close != ']' && at + 1 < s.size() && s[at + 1] == close) {
        text += close;
        ++at;
        continue;
      }
      ++at;
      return text;
    }
    if (c == '\\' && close == '\'' && from == Engine::kMariaDB && at + 1 < s.size()) {
      const char next = s[++at];
      static const std::string kEscaped = "\\'\"nrtbZ";
      static const std::string kMeans = "\\'\"\n\r\t\b\x1a";
      const size_t escape = kEscaped.find(next);
      if (next == '0') Refuse("a string holds a NUL character");
      if (escape == std::string::npos) Refuse(fmt::format("of the escape \\{} in a string", next));
      text += kMeans[escape];
      continue;
    }
    text += c;
  }
  Refuse("it has an unterminated quote");
}

}  // namespace

std::vector<Token> Tokenize(const std::string& s, Engine from) {
  std::vector<Token> out;
  std::string space;
  auto push = [&](Type type, std::string text) {
    out.push_back({type, std::move(text), std::move(space)});
    space.clear();
  };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      space += char(c);
      ++i;
    } else if (c == '\'') {
      push(Type::kString, Quoted(s, i, '\'', from));
    } else if ((c == '"' && from != Engine::kMariaDB) || (c == '`' && from != Engine::kPostgres) ||
               (c == '[' && from == Engine::kSQLite)) {
      push(Type::kQuoted, Quoted(s, i, c == '[' ? ']' : char(c), from));
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      const size_t b = i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      push(Type::kNumber, s.substr(b, i - b));
    } else if (std::isalpha(c) || c == '_') {
      const size_t b = i;
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) {
        ++i;
      }
      push(Type::kWord, s.substr(b, i - b));
    } else {
      static const char* const kPairs[] = {"::", "<>", "!=", "<=", ">=", "=="};
      std::string two = s.substr(i, 2);
      if (two == "||") Refuse("of ||, which MariaDB reads as OR");
      if (std::find(std::begin(kPairs), std::end(kPairs), two) != std::end(kPairs)) {
        push(Type::kSymbol, two);
        i += 2;
      } else if (std::string("(),[]=<>+-*/").find(char(c)) != std::string::npos) {
        push(Type::kSymbol, std::string(1, char(c)));
        ++i;
      } else {
        Refuse(fmt::format("of the operator '{}'", char(c)));
      }
    }
  }
  out.push_back({Type::kEnd, "", space});
  return out;
}

}  // namespace sql_tokens

namespace {

using sql_tokens::Product;
using sql_tokens::Token;
using sql_tokens::Type;

enum class CastTo { kText, kNumber, kTemporal, kEnum };

bool TextKind(TypeKind k) {
  return k == TypeKind::kChar || k == TypeKind::kVarchar || k == TypeKind::kText;
}
bool NumberKind(TypeKind k) {
  return k == TypeKind::kInteger || k == TypeKind::kDecimal || k == TypeKind::kReal ||
         k == TypeKind::kDouble;
}

bool IsNumber(const std::string& text) {
  size_t at = text[0] == '-' || text[0] == '+' ? 1 : 0;
  bool digits = false, point = false;
  for (; at < text.size(); ++at) {
    if (std::isdigit(static_cast<unsigned char>(text[at]))) {
      digits = true;
    } else if (text[at] == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return digits;
}

// Writes a condition in the destination's terms, token by token.
class ConditionWriter {
 public:
  ConditionWriter(std::vector<Token> tokens, const ConditionTerms& terms)
      : t_(std::move(tokens)), terms_(terms) {}

  std::string Write() { return Range(0, t_.size() - 1) + t_.back().space; }

 private:
  // What the last value written was, for the cast after it.
  enum class Last { kNone, kString, kNumber, kColumn };

  bool Word(size_t i, const char* word) const {
    return t_[i].type == Type::kWord && Lower(t_[i].text) == word;
  }
  bool Symbol(size_t i, const char* symbol) const {
    return t_[i].type == Type::kSymbol && t_[i].text == symbol;
  }
  // The index of the bracket closing the one at `open`.
  size_t Closing(size_t open, const char* o, const char* c) const {
    int depth = 0;
    for (size_t i = open; i + 1 < t_.size(); ++i) {
      if (Symbol(i, o)) ++depth;
      if (Symbol(i, c) && --depth == 0) return i;
    }
    Refuse("its brackets do not match");
  }

  // The cast at `at` (on "::"): what it casts to; `at` ends after it. `array` when it is an array.
  CastTo Cast(size_t& at, bool* array) {
    std::string type;
    ++at;
    while (t_[at].type == Type::kWord || t_[at].type == Type::kQuoted) {
      type += (type.empty() ? "" : " ") + Lower(t_[at++].text);
    }
    if (Symbol(at, "(")) at = Closing(at, "(", ")") + 1;
    *array = false;
    while (Symbol(at, "[") && Symbol(at + 1, "]")) {
      *array = true;
      at += 2;
    }
    static const std::set<std::string> kText = {
        "text", "character varying", "varchar", "character", "char", "bpchar"};
    static const std::set<std::string> kNumber = {
        "integer", "int",  "int2",    "int4",   "int8",   "smallint",         "bigint",
        "numeric", "real", "decimal", "float4", "float8", "double precision",
    };
    static const std::set<std::string> kTemporal = {
        "date",        "timestamp", "timestamp without time zone", "timestamp with time zone",
        "timestamptz", "time",      "time without time zone"};
    if (kText.count(type)) return CastTo::kText;
    if (kNumber.count(type)) return CastTo::kNumber;
    if (kTemporal.count(type)) return CastTo::kTemporal;
    const auto& enums = terms_.enum_types;
    if (std::find(enums.begin(), enums.end(), type) != enums.end()) return CastTo::kEnum;
    Refuse(fmt::format("of a cast to {}", type));
  }

  // A cast of the value just written is left out where it changes nothing the engines compare:
  // literals of their own kind, columns to their own kind.
  void DropCast(CastTo to, bool array) {
    if (array) Refuse("of a cast to an array");
    const bool literal_ok = (last_ == Last::kString && to != CastTo::kNumber) ||
                            (last_ == Last::kNumber && to == CastTo::kNumber);
    const bool column_ok =
        last_ == Last::kColumn && ((to == CastTo::kText && TextKind(last_kind_)) ||
                                   (to == CastTo::kNumber && NumberKind(last_kind_)));
    if (!literal_ok && !column_ok) Refuse("of a cast that changes the value's type");
    if (to == CastTo::kTemporal &&
        last_text_.find_first_not_of("0123456789-:. ") != std::string::npos) {
      Refuse(
          fmt::format("of the date or time '{}', which the engines read differently", last_text_));
    }
  }

  // "= ANY (ARRAY[...])" from `at` (on ANY or ALL): " IN (...)"; `at` ends after it.
  std::string AnyArray(size_t& at, bool negated) {
    if (!Symbol(at + 1, "(")) Refuse("of ANY without a list");
    const size_t close = Closing(at + 1, "(", ")");
    size_t array = at + 2;
    while (Symbol(array, "(")) ++array;
    if (!Word(array, "array") || !Symbol(array + 1, "[")) Refuse("of ANY of something not a list");
    const size_t end = Closing(array + 1, "[", "]");
    for (size_t i = end + 1; i < close; ++i) {
      if (!Symbol(i, ")") && !Symbol(i, "::") && !Symbol(i, "[") && !Symbol(i, "]") &&
          t_[i].type != Type::kWord) {
        Refuse("of ANY of something not a list");
      }
    }
    std::string items = Range(array + 2, end);
    at = close + 1;
    last_ = Last::kNone;
    return std::string(negated ? " NOT IN (" : " IN (") + items + ")";
  }

  std::string Function(size_t& at) {
    const std::string f = Lower(t_[at].text);
    const Engine from = terms_.from, to = terms_.to;
    if (!terms_.functions) Refuse(fmt::format("of the function {}()", f));
    std::string name;
    if (f == "char_length" || f == "character_length" ||
        (f == "length" && from != Engine::kMariaDB)) {
      name = to == Engine::kMariaDB  ? "CHAR_LENGTH"
             : to == Engine::kSQLite ? "length"
                                     : "char_length";
    } else if ((f == "lower" || f == "upper") && from != Engine::kSQLite && to != Engine::kSQLite) {
      name = Upper(f);
    } else if (f == "abs" || f == "coalesce") {
      name = Upper(f);
    } else {
      Refuse(fmt::format("of the function {}(), which ferry does not carry to {}", f, Product(to)));
    }
    const size_t close = Closing(at + 1, "(", ")");
    const bool length = name == "CHAR_LENGTH" || name == "length" || name == "char_length";
    length_depth_ += length;
    std::string out =
        t_[at].space + name + t_[at + 1].space + "(" + Range(at + 2, close) + t_[close].space + ")";
    length_depth_ -= length;
    at = close + 1;
    last_ = Last::kNone;
    return out;
  }

  static std::string Upper(std::string s) {
    for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }

  // Text is ordered by each database's collation ('B' < 'a' in bytes, not in en_US): an order
  // comparison next to a text column (at `at`, the operator) does not mean the same elsewhere.
  void RefuseTextOrder(size_t at) {
    bool text = last_ == Last::kColumn && TextKind(last_kind_);
    size_t next = at + 1;
    while (Symbol(next, "(")) ++next;
    if ((t_[next].type == Type::kWord || t_[next].type == Type::kQuoted) &&
        !Symbol(next + 1, "(") && terms_.resolve) {
      std::string why;
      auto name = terms_.resolve(t_[next].text, t_[next].type == Type::kQuoted, &why);
      text = text || (name && TextKind(name->kind));
    }
    if (text) Refuse("it orders text, which each database orders by its own collation");
  }

  std::string Name(size_t at) {
    std::string why;
    std::optional<ConditionName> name =
        terms_.resolve ? terms_.resolve(t_[at].text, t_[at].type == Type::kQuoted, &why)
                       : std::nullopt;
    if (!name) Refuse(why.empty() ? fmt::format("of {}", t_[at].text) : why);
    if (terms_.from == Engine::kMariaDB && TextKind(name->kind) && length_depth_ == 0) {
      Refuse(fmt::format(
          "it compares text column {}, which MariaDB compares by its collation (case and "
          "trailing spaces may not count) and {} exactly",
          t_[at].text, Product(terms_.to)));
    }
    last_ = Last::kColumn;
    last_kind_ = name->kind;
    return t_[at].space + name->sql;
  }

  std::string WordAt(size_t& at) {
    static const std::set<std::string> kKeywords = {"and", "or",   "not",     "is",   "null",
                                                    "in",  "true", "between", "false"};
    const std::string word = Lower(t_[at].text);
    const bool sqlite = terms_.from == Engine::kSQLite || terms_.to == Engine::kSQLite;
    if (word == "like" && sqlite) Refuse("of LIKE, which ignores case in SQLite only");
    if (word == "between") RefuseTextOrder(at);
    if (word == "not" && Word(at + 1, "between")) return t_[at++].space + "NOT";  // keeps last_
    if (kKeywords.count(word) || word == "like") {
      last_ = Last::kNone;
      return t_[at++].space + Upper(word);
    }
    if (word[0] == '_' && t_[at + 1].type == Type::kString && terms_.from == Engine::kMariaDB) {
      std::string space = t_[at++].space;  // a character set introducer: _utf8mb4'text'
      return space + String(at);
    }
    if (Symbol(at + 1, "(")) return Function(at);
    return Name(at++);
  }

  std::string String(size_t& at) {
    const Token& s = t_[at++];
    last_text_ = s.text;
    // A number PostgreSQL prints quoted ('-1'::integer) is a number.
    bool array = false;
    if (Symbol(at, "::")) {
      size_t after = at;
      if (Cast(after, &array) == CastTo::kNumber && !array && IsNumber(s.text)) {
        at = after;
        last_ = Last::kNumber;
        return s.space + s.text;
      }
    }
    last_ = Last::kString;
    return s.space + sql_tokens::StringLiteral(s.text);
  }

  std::string Range(size_t begin, size_t end) {
    std::string out;
    for (size_t at = begin; at < end;) {
      const Token& t = t_[at];
      switch (t.type) {
        case Type::kString:
          out += String(at);
          break;
        case Type::kNumber:
          last_ = Last::kNumber;
          last_text_ = t.text;
          out += t.space + t.text;
          ++at;
          break;
        case Type::kWord:
          out += WordAt(at);
          break;
        case Type::kQuoted:
          if (Symbol(at + 1, "(")) Refuse(fmt::format("of the function {}()", t.text));
          out += Name(at++);
          break;
        case Type::kSymbol:
          out += SymbolAt(at);
          break;
        case Type::kEnd:
          Refuse("it ends early");
      }
    }
    return out;
  }

  std::string SymbolAt(size_t& at) {
    const Token& t = t_[at];
    if (t.text == "::") {
      bool array = false;
      const CastTo to = Cast(at, &array);
      DropCast(to, array);
      return "";
    }
    if (t.text == "[" || t.text == "]") Refuse("of an array");
    if (t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">=") RefuseTextOrder(at);
    const bool equal = t.text == "=" || t.text == "==";
    const bool differ = t.text == "<>" || t.text == "!=";
    if ((equal && Word(at + 1, "any")) || (differ && Word(at + 1, "all"))) {
      std::string space = t.space;
      ++at;
      return space + AnyArray(at, differ).substr(1);
    }
    if (Word(at + 1, "any") || Word(at + 1, "all") || Word(at + 1, "some")) {
      Refuse(fmt::format("of {} {}", t.text, t_[at + 1].text));
    }
    const bool one_value = t.text == ")" && OneValueInParentheses(at);
    ++at;
    if (!one_value) last_ = Last::kNone;
    return t.space + (equal ? "=" : differ ? "<>" : t.text);
  }

  // "(st)::text", "('On Time'::character varying)::text" (how PostgreSQL before 10 printed IN
  // lists, kept by every database dumped and restored since): a cast after parentheses around one
  // value, itself perhaps cast, applies to that value.
  bool OneValueInParentheses(size_t close) const {
    size_t open = close;
    for (int depth = 0;; --open) {
      if (Symbol(open, ")")) ++depth;
      if (Symbol(open, "(") && --depth == 0) break;
      if (open == 0) return false;
    }
    size_t at = open + 1;
    if (at >= close || t_[at].type == Type::kSymbol) return false;
    for (++at; at < close;) {
      if (!Symbol(at, "::")) return false;
      const size_t type = ++at;
      while (t_[at].type == Type::kWord || t_[at].type == Type::kQuoted) ++at;
      if (at == type) return false;
      if (Symbol(at, "(")) at = Closing(at, "(", ")") + 1;
      while (Symbol(at, "[") && Symbol(at + 1, "]")) at += 2;
    }
    return at == close;
  }

  std::vector<Token> t_;
  const ConditionTerms& terms_;
  Last last_ = Last::kNone;
  TypeKind last_kind_ = TypeKind::kUnsupported;
  std::string last_text_;
  int length_depth_ = 0;  // inside length functions, where text is measured, not compared
};

std::string QuoteFor(Engine to, const std::string& name) {
  const char q = to == Engine::kMariaDB ? '`' : '"';
  std::string out(1, q);
  for (char c : name) {
    if (c == q) out += q;
    out += c;
  }
  return out + q;
}

// Whether `name` is one MariaDB gives a check itself: CONSTRAINT_1, or a column check's column.
bool GeneratedCheckName(const Table& table, const std::string& name, Engine from) {
  if (from != Engine::kMariaDB) return false;
  if (name.rfind("CONSTRAINT_", 0) == 0 &&
      name.find_first_not_of("0123456789", 11) == std::string::npos) {
    return true;
  }
  return table.FindColumn(name).has_value();
}

// `name` cut to `max_bytes` on a character boundary, with `suffix` kept.
std::string Fit(const std::string& name, const std::string& suffix, size_t max_bytes) {
  if (max_bytes == 0 || name.size() + suffix.size() <= max_bytes) return name + suffix;
  size_t keep = max_bytes > suffix.size() ? max_bytes - suffix.size() : 0;
  while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
  return name.substr(0, keep) + suffix;
}

}  // namespace

Carried TranslateCondition(const std::string& condition, const ConditionTerms& terms) {
  try {
    std::vector<Token> tokens = sql_tokens::Tokenize(condition, terms.from);
    return {ConditionWriter(std::move(tokens), terms).Write(), ""};
  } catch (const NotTranslated& e) {
    const bool of = e.why.rfind("of ", 0) == 0;
    return {"", fmt::format("not translated to {}: {}", Product(terms.to),
                            of ? e.why.substr(3) : e.why)};
  }
}

std::string PortableCheck(const std::string& condition, const std::string& quoted_column) {
  ConditionTerms terms;
  terms.from = Engine::kPostgres;  // domains are PostgreSQL's
  terms.to = Engine::kOther;
  terms.functions = false;
  terms.resolve = [&](const std::string& name, bool quoted,
                      std::string*) -> std::optional<ConditionName> {
    if (quoted || Lower(name) != "value") return std::nullopt;
    return ConditionName{quoted_column, TypeKind::kUnsupported};
  };
  return TranslateCondition(condition, terms).sql;
}

bool IsJsonValidCheck(const std::string& condition) {
  return condition.rfind("json_valid(`", 0) == 0 && condition.back() == ')' &&
         condition.find('`', 12) == condition.size() - 2;
}

std::vector<CheckConstraint> CarryChecks(
    const Table& source, Engine from, Engine to,
    const std::function<std::optional<std::string>(int)>& name_of, const std::string& destination,
    size_t max_name_bytes, std::vector<std::pair<CheckConstraint, std::string>>* not_carried) {
  ConditionTerms terms;
  terms.from = from;
  terms.to = to;
  for (const Column& c : source.columns) {
    if (!c.type.labels.empty()) terms.enum_types.push_back(Lower(c.type.native));
  }
  std::vector<CheckConstraint> out;
  std::set<std::string> taken;
  for (const CheckConstraint& check : source.checks) {
    std::vector<int> used;
    terms.resolve = [&](const std::string& name, bool quoted,
                        std::string* why) -> std::optional<ConditionName> {
      std::optional<int> column = source.FindColumn(name);
      if (!column && (from != Engine::kPostgres || !quoted)) {
        for (size_t i = 0; i < source.columns.size() && !column; ++i) {
          if (Lower(source.columns[i].name) == Lower(name)) column = int(i);
        }
      }
      if (!column) {
        *why = fmt::format("it names {}, which is not a column of the table", name);
        return std::nullopt;
      }
      std::optional<std::string> there = name_of(*column);
      if (!there) {
        *why = fmt::format("it names column {}, which is not copied", name);
        return std::nullopt;
      }
      used.push_back(*column);
      const Column& c = source.columns[size_t(*column)];
      if (c.case_insensitive && from != to) {  // its comparisons would start minding case
        *why = fmt::format("it reads column {}, which the source compares ignoring case", name);
        return std::nullopt;
      }
      return ConditionName{QuoteFor(to, *there),
                           c.type.labels.empty() ? c.type.kind : TypeKind::kText};
    };
    Carried carried = TranslateCondition(check.condition, terms);
    if (carried.sql.empty()) {
      if (not_carried) not_carried->emplace_back(check, carried.why_not);
      continue;
    }
    std::string base = check.name;
    if (base.empty() || GeneratedCheckName(source, base, from)) {
      std::sort(used.begin(), used.end());
      used.erase(std::unique(used.begin(), used.end()), used.end());
      base = destination + (used.size() == 1 ? "_" + *name_of(used[0]) : "") + "_check";
    }
    std::string name = Fit(base, "", max_name_bytes);
    for (int n = 1; taken.count(Lower(name)); ++n) {
      name = Fit(base, std::to_string(n), max_name_bytes);
    }
    taken.insert(Lower(name));
    out.push_back({name, carried.sql});
  }
  return out;
}

}  // namespace ferry
