#include "copier/generated.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "copier/expression.hpp"
#include "copier/sql_tokens.hpp"
#include "copier/text.hpp"

namespace ferry {

using expression::Class;
using expression::Node;
using expression::NodePtr;
using expression::NotTranslated;
using expression::Refuse;

namespace {

// What class a column's values are, for the types the engines compute alike; refused otherwise.
Class ClassOf(const Column& c) {
  const ColumnType& t = c.type;
  if (t.kind == TypeKind::kInteger && !t.is_unsigned) return Class::kInt;
  if (t.kind == TypeKind::kDecimal) return Class::kDecimal;
  if (t.kind == TypeKind::kDouble) return Class::kFloat;
  if ((t.kind == TypeKind::kVarchar || t.kind == TypeKind::kText) && t.labels.empty()) {
    return Class::kText;
  }
  Refuse(fmt::format("column {} is {}, which the engines do not compute alike", c.name,
                     t.native.empty() ? "of another type" : t.native));
}

bool IsNumeric(Class c) {
  return c == Class::kInt || c == Class::kDecimal || c == Class::kFloat || c == Class::kNull;
}

}  // namespace

namespace {

// Writes a parsed expression in the destination's terms, fully parenthesised, refusing whatever
// the two engines would compute differently.
class Emitter {
 public:
  Emitter(const Table& table, size_t self, Engine from, Engine to,
          const std::function<std::string(int)>& name_of)
      : table_(table), self_(self), from_(from), to_(to), name_of_(name_of) {}

  std::string Emit(const Node& n, Class* cls) {
    switch (n.kind) {
      case Node::kColumn:
        return Column(n.column, cls);
      case Node::kNumber:
        return Number(n.text, cls);
      case Node::kString:
        *cls = Class::kText;
        return String(n.text);
      case Node::kNull:
        *cls = Class::kNull;
        return "NULL";
      case Node::kNegate: {
        std::string x = Emit(*n.args[0], cls);
        if (!IsNumeric(*cls)) Refuse("of a minus sign before text");
        NoDecimalWithSQLite(*cls);
        return "(- " + Widen(x, *cls) + ")";
      }
      case Node::kBinary:
        return n.text == "||" ? Concat(n.args, cls) : Arithmetic(n, cls);
      case Node::kCall:
        return Call(n, cls);
      case Node::kCast:
        return Cast(n, cls);
    }
    Refuse("of an unknown part");
  }

 private:
  std::string Quote(const std::string& name) const {
    const char q = to_ == Engine::kMariaDB ? '`' : '"';
    std::string out(1, q);
    for (char c : name) {
      if (c == q) out += q;
      out += c;
    }
    return out + q;
  }

  std::string Column(int column, Class* cls) {
    const ferry::Column& c = table_.columns[size_t(column)];
    *cls = ClassOf(c);
    if (!c.generated.empty()) {
      if (to_ == Engine::kPostgres) {
        Refuse(
            fmt::format("it reads generated column {}, and PostgreSQL computes no generated "
                        "column from another",
                        c.name));
      }
      if (to_ == Engine::kMariaDB && size_t(column) > self_) {
        Refuse(
            fmt::format("it reads generated column {}, defined after it, and MariaDB computes "
                        "generated columns in their order",
                        c.name));
      }
    }
    return Quote(name_of_ ? name_of_(column) : c.name);
  }

  std::string Number(const std::string& text, Class* cls) {
    const bool point = text.find('.') != std::string::npos;
    const bool exponent = text.find_first_of("eE") != std::string::npos;
    // 1.5 is exact (numeric, DECIMAL) in PostgreSQL and MariaDB, a double in SQLite.
    *cls = exponent || (point && from_ == Engine::kSQLite) ? Class::kFloat
           : point                                         ? Class::kDecimal
                                                           : Class::kInt;
    NoDecimalWithSQLite(*cls);
    if (*cls != Class::kFloat) return text;
    if (to_ == Engine::kPostgres) return "CAST(" + text + " AS double precision)";
    if (to_ == Engine::kMariaDB && !exponent) return text + "e0";
    return point || exponent ? text : text + ".0";
  }

  std::string String(const std::string& value) const {
    if (to_ == Engine::kMariaDB && value.find('\\') != std::string::npos) {
      Refuse("a string holds a backslash, which MariaDB reads as an escape");
    }
    std::string out = "'";
    for (char c : value) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += "'";
    return to_ == Engine::kPostgres ? out + "::text" : out;
  }

  // SQLite computes decimals as doubles: their digits would differ.
  void NoDecimalWithSQLite(Class cls) const {
    if (cls == Class::kDecimal && (from_ == Engine::kSQLite || to_ == Engine::kSQLite)) {
      Refuse("SQLite computes decimals as doubles, so its digits would differ");
    }
  }

  // PostgreSQL adds and multiplies integer columns in their own width (an int overflows past
  // 2^31), MariaDB and SQLite in 64 bits: bigint there too.
  std::string Widen(const std::string& x, Class cls) const {
    const bool literal = x.find_first_not_of("0123456789") == std::string::npos;
    return to_ == Engine::kPostgres && cls == Class::kInt && !literal ? "CAST(" + x + " AS bigint)"
                                                                      : x;
  }

  std::string Arithmetic(const Node& n, Class* cls) {
    Class a, b;
    std::string x = Emit(*n.args[0], &a);
    std::string y = Emit(*n.args[1], &b);
    if (!IsNumeric(a) || !IsNumeric(b)) Refuse(fmt::format("of arithmetic ({}) on text", n.text));
    *cls = a == Class::kFloat || b == Class::kFloat       ? Class::kFloat
           : a == Class::kDecimal || b == Class::kDecimal ? Class::kDecimal
           : a == Class::kInt || b == Class::kInt         ? Class::kInt
                                                          : Class::kNull;
    NoDecimalWithSQLite(*cls);
    std::string op = n.text;
    if (op == "/" || op == "div" || op == "%") {
      if (*cls == Class::kDecimal) {
        Refuse("of a division of decimals, whose digits the engines round differently");
      }
      if (op == "/" && from_ == Engine::kMariaDB && *cls != Class::kFloat) {
        Refuse("MariaDB's / on integers gives a decimal with div_precision_increment digits");
      }
      if (op == "div" && *cls != Class::kInt) Refuse("of DIV on numbers that are not integers");
      if (op == "%" && *cls != Class::kInt) Refuse("of a modulo of numbers that are not integers");
      // MariaDB and SQLite give NULL for a zero divisor where PostgreSQL stops the insert.
      const bool nonzero = y.find_first_not_of("0123456789") == std::string::npos &&
                           y.find_first_not_of('0') != std::string::npos;
      if (to_ == Engine::kPostgres && from_ != Engine::kPostgres && !nonzero) {
        y = "NULLIF(" + y + ", 0)";
      }
      if (op == "div" || (op == "/" && *cls == Class::kInt)) {
        op = to_ == Engine::kMariaDB ? "DIV" : "/";
      } else if (op == "%") {
        op = to_ == Engine::kMariaDB ? "MOD" : "%";
      }
      return "(" + x + " " + op + " " + y + ")";
    }
    return "(" + Widen(x, a) + " " + op + " " + Widen(y, b) + ")";
  }

  // || and MariaDB's CONCAT: NULL if any part is NULL, in every engine. Integers print alike.
  std::string Concat(const std::vector<NodePtr>& parts, Class* cls) {
    std::vector<std::string> out;
    for (const NodePtr& p : parts) {
      Class c;
      std::string x = Emit(*p, &c);
      if (c != Class::kText && c != Class::kInt && c != Class::kNull) {
        Refuse("of a concatenation of numbers that are not integers, which print differently");
      }
      if (to_ == Engine::kPostgres && c != Class::kText) x = "CAST(" + x + " AS text)";
      out.push_back(std::move(x));
    }
    *cls = Class::kText;
    std::string joined;
    for (const std::string& x : out) {
      joined += (joined.empty() ? "" : to_ == Engine::kMariaDB ? ", " : " || ") + x;
    }
    return to_ == Engine::kMariaDB ? "CONCAT(" + joined + ")" : "(" + joined + ")";
  }

  std::vector<std::string> Args(const Node& n, size_t least, size_t most,
                                std::vector<Class>* classes) {
    if (n.args.size() < least || n.args.size() > most) {
      Refuse(fmt::format("{}() takes {} arguments here", n.text, n.args.size()));
    }
    std::vector<std::string> out;
    for (const NodePtr& a : n.args) {
      Class c;
      out.push_back(Emit(*a, &c));
      classes->push_back(c);
    }
    return out;
  }

  // A positive integer literal: substr's bounds (the engines count a negative start apart).
  static bool PositiveLiteral(const Node& n, bool zero_too) {
    if (n.kind != Node::kNumber || n.text.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    return zero_too || n.text.find_first_not_of('0') != std::string::npos;
  }

  std::string Call(const Node& n, Class* cls) {
    const std::string& f = n.text;
    std::vector<Class> c;
    auto text_arg = [&](size_t i) {
      if (c[i] != Class::kText && c[i] != Class::kNull)
        Refuse(f + "() of a value that is not text");
    };
    if (f == "concat" && from_ == Engine::kMariaDB) return Concat(n.args, cls);
    if (f == "lower" || f == "lcase" || f == "upper" || f == "ucase") {
      if (from_ == Engine::kSQLite || to_ == Engine::kSQLite) {
        Refuse(f + "(): SQLite changes the case of ASCII letters only");
      }
      std::vector<std::string> a = Args(n, 1, 1, &c);
      text_arg(0);
      *cls = Class::kText;
      return (f[0] == 'l' ? "LOWER(" : "UPPER(") + a[0] + ")";
    }
    const bool chars = f == "char_length" || f == "character_length" ||
                       (f == "length" && from_ != Engine::kMariaDB);
    if (chars) {
      std::vector<std::string> a = Args(n, 1, 1, &c);
      text_arg(0);
      *cls = Class::kInt;
      return (to_ == Engine::kMariaDB  ? "CHAR_LENGTH("
              : to_ == Engine::kSQLite ? "length("
                                       : "char_length(") +
             a[0] + ")";
    }
    if (f == "coalesce" || f == "ifnull" || f == "nvl") {
      std::vector<std::string> a = Args(n, 1, 64, &c);
      *cls = Class::kNull;
      for (Class x : c) {
        if (x == Class::kNull) continue;
        if (*cls != Class::kNull && *cls != x) Refuse(f + "() of values of different types");
        *cls = x;
      }
      std::string out;
      for (const std::string& x : a) out += (out.empty() ? "" : ", ") + x;
      return "COALESCE(" + out + ")";
    }
    if (f == "substr" || f == "substring") {
      std::vector<std::string> a = Args(n, 2, 3, &c);
      text_arg(0);
      if (!PositiveLiteral(*n.args[1], false) ||
          (a.size() == 3 && !PositiveLiteral(*n.args[2], true))) {
        Refuse(f + "() with bounds that are not positive numbers, which the engines count apart");
      }
      *cls = Class::kText;
      std::string out = to_ == Engine::kMariaDB ? "SUBSTRING(" : "substr(";
      for (size_t i = 0; i < a.size(); ++i) out += (i ? ", " : "") + a[i];
      return out + ")";
    }
    if (f == "left") {  // MariaDB's and PostgreSQL's left(x, n): substr(x, 1, n)
      std::vector<std::string> a = Args(n, 2, 2, &c);
      text_arg(0);
      if (!PositiveLiteral(*n.args[1], true)) {
        Refuse("left() of a length that is not a positive number, which the engines count apart");
      }
      *cls = Class::kText;
      return (to_ == Engine::kMariaDB ? "SUBSTRING(" : "substr(") + a[0] + ", 1, " + a[1] + ")";
    }
    if (f == "abs") {
      std::vector<std::string> a = Args(n, 1, 1, &c);
      if (!IsNumeric(c[0])) Refuse("abs() of text");
      *cls = c[0];
      return "ABS(" + a[0] + ")";
    }
    Refuse(fmt::format("of the function {}(), which ferry does not translate", f));
  }

  std::string Cast(const Node& n, Class* cls) {
    Class from;
    std::string x = Emit(*n.args[0], &from);
    *cls = n.target;
    const bool pg = to_ == Engine::kPostgres, maria = to_ == Engine::kMariaDB;
    switch (n.target) {
      case Class::kText:
        if (from == Class::kText) return x;  // varchar to text: the same characters
        if (from != Class::kText && from != Class::kInt && from != Class::kNull) {
          Refuse("of a cast to text of a number that is not an integer");
        }
        return pg      ? "CAST(" + x + " AS text)"
               : maria ? "CAST(" + x + " AS CHAR)"
                       : "CAST(" + x + " AS TEXT)";
      case Class::kInt:
        if (from != Class::kInt && from != Class::kNull) {
          Refuse("of a cast to an integer, which the engines round differently");
        }
        return pg      ? "CAST(" + x + " AS bigint)"
               : maria ? "CAST(" + x + " AS SIGNED)"
                       : "CAST(" + x + " AS INTEGER)";
      case Class::kDecimal: {
        NoDecimalWithSQLite(Class::kDecimal);
        if (from != Class::kInt && from != Class::kDecimal && from != Class::kNull) {
          Refuse("of a cast to decimal of a value that is not exact");
        }
        if (n.precision == 0) return pg ? "CAST(" + x + " AS numeric)" : x;  // exact already
        return fmt::format("CAST({} AS {}({}, {}))", x, pg ? "numeric" : "DECIMAL", n.precision,
                           n.scale);
      }
      case Class::kFloat:
        if (from != Class::kInt && from != Class::kFloat && from != Class::kNull) {
          Refuse("of a cast to double of a value that is not an integer or a double");
        }
        return pg      ? "CAST(" + x + " AS double precision)"
               : maria ? "CAST(" + x + " AS DOUBLE)"
                       : "CAST(" + x + " AS REAL)";
      case Class::kNull:
        break;
    }
    Refuse("of a cast");
  }

  const Table& table_;
  size_t self_;
  Engine from_, to_;
  const std::function<std::string(int)>& name_of_;
};

// Whether a value of class `value` lands in a column of class `column` the same way everywhere.
bool Assignable(Class value, Class column) {
  return value == column || value == Class::kNull ||
         (value == Class::kInt &&
          (column == Class::kDecimal || column == Class::kFloat || column == Class::kText)) ||
         (value == Class::kDecimal && column == Class::kInt);
}

}  // namespace

std::string TranslateExpression(const Table& table, size_t column, Engine from, Engine to,
                                std::string* why_not,
                                const std::function<std::string(int)>& name_of) {
  const Column& c = table.columns[column];
  try {
    if (from == to) return c.generated;
    if ((from != Engine::kPostgres && from != Engine::kMariaDB && from != Engine::kSQLite) ||
        (to != Engine::kPostgres && to != Engine::kMariaDB && to != Engine::kSQLite)) {
      Refuse(
          fmt::format("ferry translates expressions between PostgreSQL, MariaDB and SQLite only"));
    }
    NodePtr tree = expression::Parse(c.generated, table, from);
    Emitter emitter(table, column, from, to, name_of);
    Class value;
    std::string out = emitter.Emit(*tree, &value);
    const Class target = ClassOf(c);
    if (!Assignable(value, target)) {
      Refuse("its value's type differs from the column's, and the engines convert it apart");
    }
    return out;
  } catch (const NotTranslated& e) {
    if (why_not) {
      const bool of = e.why.rfind("of ", 0) == 0;
      *why_not = fmt::format("not translated to {}: {}", sql_tokens::Product(to),
                             of ? e.why.substr(3) : e.why);
    }
    return "";
  }
}

std::vector<GeneratedPlan> PlanGenerated(const Table& table, Engine from, Engine to,
                                         const std::function<std::string(int)>& name_of) {
  std::vector<GeneratedPlan> out(table.columns.size());
  bool plain = false;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& c = table.columns[i];
    if (c.generated.empty()) {
      plain = true;
      continue;
    }
    if (from == to) {
      out[i].expression = c.generated;
      continue;
    }
    if (std::find(table.primary_key.begin(), table.primary_key.end(), int(i)) !=
        table.primary_key.end()) {
      out[i].why_not = "it is part of the primary key, which ferry builds on plain columns";
      continue;
    }
    out[i].expression = TranslateExpression(table, i, from, to, &out[i].why_not, name_of);
  }
  if (to == Engine::kSQLite && !plain && from != to) {
    for (GeneratedPlan& g : out) {
      if (g.expression.empty()) continue;
      g.expression.clear();
      g.why_not = "SQLite tables need at least one column that is not generated";
    }
  }
  return out;
}

}  // namespace ferry
