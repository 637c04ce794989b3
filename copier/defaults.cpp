// Column defaults across engines (copier/defaults.hpp).
#include "copier/defaults.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "copier/expression.hpp"
#include "copier/sql_tokens.hpp"
#include "copier/text.hpp"

namespace ferry {

using expression::NotTranslated;
using expression::Refuse;

namespace {

using sql_tokens::Product;
using sql_tokens::StringLiteral;
using sql_tokens::Token;
using sql_tokens::Type;

// What a default means, whoever wrote it.
struct Meaning {
  enum Kind { kNull, kNumber, kString, kBool, kNow, kToday, kTimeNow, kUuid } kind = kNull;
  std::string text;  // a number as written, a string's value, "1"/"0" for a boolean
};

bool IsSymbol(const Token& t, const char* symbol) {
  return t.type == Type::kSymbol && t.text == symbol;
}

// Reads the default's tokens from `at` into what it means; `at` ends after what it read.
Meaning Read(const std::vector<Token>& t, size_t& at) {
  Meaning m;
  const Token& first = t[at];
  if (IsSymbol(first, "(")) {
    ++at;
    m = Read(t, at);
    if (!IsSymbol(t[at], ")")) Refuse("it is an expression ferry does not translate");
    ++at;
    return m;
  }
  if ((IsSymbol(first, "-") || IsSymbol(first, "+")) && t[at + 1].type == Type::kNumber) {
    at += 2;
    return {Meaning::kNumber, (first.text == "-" ? "-" : "") + t[at - 1].text};
  }
  if (first.type == Type::kNumber) return {Meaning::kNumber, t[at++].text};
  if (first.type == Type::kString) return {Meaning::kString, t[at++].text};
  if (first.type != Type::kWord) Refuse("it is an expression ferry does not translate");
  const std::string word = Lower(first.text);
  ++at;
  if (word == "null") return {Meaning::kNull, ""};
  if (word == "true" || word == "false") return {Meaning::kBool, word == "true" ? "1" : "0"};
  std::vector<Token> args;
  const bool call = IsSymbol(t[at], "(");
  if (call) {
    for (++at; !IsSymbol(t[at], ")"); ++at) {
      if (t[at].type == Type::kEnd) Refuse("it ends early");
      args.push_back(t[at]);
    }
    ++at;
  }
  // A precision, current_timestamp(6), changes nothing: the column's own decides.
  const bool no_args = args.empty() || (args.size() == 1 && args[0].type == Type::kNumber);
  const bool sqlite_now =
      args.size() == 1 && args[0].type == Type::kString && Lower(args[0].text) == "now";
  if (no_args && (word == "current_timestamp" || word == "localtimestamp" ||
                  (call && (word == "now" || word == "transaction_timestamp")))) {
    return {Meaning::kNow, ""};
  }
  if (sqlite_now && word == "datetime") return {Meaning::kNow, ""};
  if ((no_args && (word == "current_date" || (call && word == "curdate"))) ||
      (sqlite_now && word == "date")) {
    return {Meaning::kToday, ""};
  }
  if ((no_args && (word == "current_time" || word == "localtime" || (call && word == "curtime"))) ||
      (sqlite_now && word == "time")) {
    return {Meaning::kTimeNow, ""};
  }
  if (call && args.empty() &&
      (word == "gen_random_uuid" || word == "uuid_generate_v4" || word == "uuid")) {
    return {Meaning::kUuid, ""};
  }
  Refuse(call ? fmt::format("of the function {}()", word)
              : fmt::format("of {}, which ferry does not translate", first.text));
}

// PostgreSQL's casts after a default ('active'::character varying, '-1'::integer, now()::date).
void ReadCasts(const std::vector<Token>& t, size_t& at, Meaning& m) {
  while (IsSymbol(t[at], "::")) {
    std::string type;
    for (++at; t[at].type == Type::kWord || t[at].type == Type::kQuoted; ++at) {
      type += (type.empty() ? "" : " ") + Lower(t[at].text);
    }
    if (IsSymbol(t[at], "(")) {
      while (!IsSymbol(t[at], ")") && t[at].type != Type::kEnd) ++at;
      ++at;
    }
    if (IsSymbol(t[at], "[")) Refuse("of a cast to an array");
    if (m.kind == Meaning::kNow && type == "date") {
      m.kind = Meaning::kToday;
    } else if ((type == "integer" || type == "bigint" || type == "smallint" || type == "numeric") &&
               m.kind == Meaning::kString) {
      m.kind = Meaning::kNumber;  // '-1'::integer
    } else if (m.kind == Meaning::kNow && type.rfind("timestamp", 0) == 0) {
      // the current timestamp still
    } else if (m.kind != Meaning::kString && m.kind != Meaning::kNumber &&
               m.kind != Meaning::kBool) {
      Refuse(fmt::format("of a cast to {}", type));
    }
  }
}

size_t Characters(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool Matches(const std::string& s, const char* pattern) {
  // pattern: 9 a digit, anything else itself
  size_t i = 0;
  for (; pattern[i]; ++i) {
    if (i >= s.size()) return false;
    if (pattern[i] == '9' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != pattern[i]) {
      return false;
    }
  }
  return i == s.size();
}

bool Date(const std::string& s) {
  if (!Matches(s, "9999-99-99")) return false;
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  if (s.substr(0, 4) == "0000" || month == 0 || day == 0) {
    Refuse(fmt::format("'{}' is a zero date, which the destination cannot hold", s));
  }
  return month <= 12 && day <= 31;
}

// HH:MM:SS with up to six fractional digits.
bool Clock(const std::string& s) {
  if (s.size() < 8 || !Matches(s.substr(0, 8), "99:99:99")) return false;
  if (s.size() == 8) return true;
  return s[8] == '.' && s.size() <= 15 && s.size() > 9 &&
         s.find_first_not_of("0123456789", 9) == std::string::npos;
}

// A number as a default of a column of `type` at `to`.
std::string Number(const std::string& n, const ColumnType& type, Engine to) {
  const bool integral = n.find_first_of(".eE") == std::string::npos;
  switch (type.kind) {
    case TypeKind::kBoolean:
      if (n != "0" && n != "1") Refuse(fmt::format("{} is not a boolean", n));
      return to == Engine::kPostgres ? (n == "1" ? "true" : "false") : n;
    case TypeKind::kInteger:
      if (!integral) Refuse(fmt::format("{} is not an integer", n));
      if (type.is_unsigned && n[0] == '-') Refuse(fmt::format("{} is negative", n));
      return n;
    case TypeKind::kDecimal: {
      if (n.find_first_of("eE") != std::string::npos) Refuse("of a number with an exponent");
      const size_t point = n.find('.');
      const size_t sign = n[0] == '-' || n[0] == '+' ? 1 : 0;
      const size_t whole = (point == std::string::npos ? n.size() : point) - sign;
      const size_t fraction = point == std::string::npos ? 0 : n.size() - point - 1;
      if (type.precision > 0 &&
          (int(fraction) > type.scale || int(whole) > type.precision - type.scale)) {
        Refuse(fmt::format("{} does not fit {}", n, DescribeType(type)));
      }
      return n;
    }
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return n;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
      if (type.length > 0 && int64_t(n.size()) > type.length)
        Refuse("it is longer than the column");
      return StringLiteral(n);
    default:
      Refuse(fmt::format("a number is no {} value", DescribeType(type)));
  }
}

// A string as a default of a column of `type` at `to`.
std::string String(const std::string& s, const Column& source, const ColumnType& type, Engine to) {
  switch (type.kind) {
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
      if (!source.type.labels.empty() &&
          std::find(source.type.labels.begin(), source.type.labels.end(), s) ==
              source.type.labels.end()) {
        Refuse(fmt::format("'{}' is not one of the column's labels", s));
      }
      if (type.length > 0 && int64_t(Characters(s)) > type.length) {
        Refuse("it is longer than the column");
      }
      return StringLiteral(s);
    case TypeKind::kBoolean: {
      const std::string v = Lower(s);
      if (v == "t" || v == "true" || v == "1" || v == "y" || v == "yes" || v == "on") {
        return Number("1", type, to);
      }
      if (v == "f" || v == "false" || v == "0" || v == "n" || v == "no" || v == "off") {
        return Number("0", type, to);
      }
      Refuse(fmt::format("'{}' is not a boolean", s));
    }
    case TypeKind::kInteger:
    case TypeKind::kDecimal:
    case TypeKind::kReal:
    case TypeKind::kDouble:
      if (s.empty() || s.find_first_not_of("0123456789.-+") != std::string::npos) {
        Refuse(fmt::format("'{}' is not a number", s));
      }
      return Number(s, type, to);
    case TypeKind::kDate:
      if (!Date(s)) Refuse(fmt::format("'{}' is not a date in ISO form", s));
      return StringLiteral(s);
    case TypeKind::kTime:
      if (!Clock(s)) Refuse(fmt::format("'{}' is not a time of day in ISO form", s));
      return StringLiteral(s);
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      if (s.size() < 19 || !Date(s.substr(0, 10)) || (s[10] != ' ' && s[10] != 'T') ||
          !Clock(s.substr(11))) {
        Refuse(fmt::format("'{}' is not a timestamp in ISO form without a time zone", s));
      }
      return StringLiteral(s);
    case TypeKind::kUuid:
      if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' ||
          s.find_first_not_of("0123456789abcdefABCDEF-") != std::string::npos) {
        Refuse(fmt::format("'{}' is not a UUID", s));
      }
      return StringLiteral(s);
    case TypeKind::kJson:
      if (!nlohmann::json::accept(s)) Refuse(fmt::format("'{}' is not JSON", s));
      return StringLiteral(s);
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      // No bytes, as MediaWiki's BLOB columns default: '' in every engine (PostgreSQL's bytea
      // reads it as no bytes). Other bytes each engine spells its own way.
      if (s.empty()) return StringLiteral(s);
      Refuse(fmt::format("the engines spell {} values differently", DescribeType(type)));
    default:
      Refuse(fmt::format("the engines spell {} values differently", DescribeType(type)));
  }
}

// The default meaning `m` for a column of `type` created by `to`.
std::string Write(const Meaning& m, const Column& source, const ColumnType& type, Engine to) {
  const bool pg = to == Engine::kPostgres, maria = to == Engine::kMariaDB;
  const TypeKind k = type.kind;
  switch (m.kind) {
    case Meaning::kNull:
      return "";  // every column's default already
    case Meaning::kNumber:
      return Number(m.text, type, to);
    case Meaning::kString:
      return String(m.text, source, type, to);
    case Meaning::kBool:
      if (k != TypeKind::kBoolean && k != TypeKind::kInteger) {
        Refuse(fmt::format("a boolean is no {} value", DescribeType(type)));
      }
      return Number(m.text, type, to);
    case Meaning::kNow:
      if (k != TypeKind::kTimestamp && k != TypeKind::kTimestampTz) break;
      if (maria) {
        return type.precision > 0 ? fmt::format("current_timestamp({})", type.precision)
                                  : "current_timestamp()";
      }
      return "CURRENT_TIMESTAMP";
    case Meaning::kToday:
      if (k != TypeKind::kDate) break;
      return maria ? "curdate()" : "CURRENT_DATE";
    case Meaning::kTimeNow:
      if (k != TypeKind::kTime) break;
      if (maria) {
        return type.precision > 0 ? fmt::format("curtime({})", type.precision) : "curtime()";
      }
      return pg ? "LOCALTIME" : "CURRENT_TIME";
    case Meaning::kUuid: {
      const bool text = (k == TypeKind::kChar || k == TypeKind::kVarchar || k == TypeKind::kText) &&
                        (type.length < 0 || type.length >= 36) && type.labels.empty();
      if (k != TypeKind::kUuid && !text) break;
      if (to == Engine::kSQLite) Refuse("SQLite has no function that makes a UUID");
      if (maria) return "uuid()";
      return k == TypeKind::kUuid ? "gen_random_uuid()" : "(gen_random_uuid())::text";
    }
  }
  Refuse(fmt::format("its value is not {}", DescribeType(type)));
}

}  // namespace

Carried CarryDefault(const Column& column, Engine from, const ColumnType& to_type, Engine to) {
  if (column.default_value.empty() || column.identity || !column.generated.empty()) return {};
  if (from == to) return {column.default_value, ""};
  try {
    if ((from != Engine::kPostgres && from != Engine::kMariaDB && from != Engine::kSQLite) ||
        (to != Engine::kPostgres && to != Engine::kMariaDB && to != Engine::kSQLite)) {
      Refuse("ferry translates defaults between PostgreSQL, MariaDB and SQLite only");
    }
    std::vector<Token> tokens = sql_tokens::Tokenize(column.default_value, from);
    size_t at = 0;
    Meaning m = Read(tokens, at);
    ReadCasts(tokens, at, m);
    if (tokens[at].type != Type::kEnd) Refuse("it is an expression ferry does not translate");
    return {Write(m, column, to_type, to), ""};
  } catch (const NotTranslated& e) {
    const bool of = e.why.rfind("of ", 0) == 0;
    return {"", fmt::format("not translated to {}: {}", Product(to), of ? e.why.substr(3) : e.why)};
  }
}

}  // namespace ferry
