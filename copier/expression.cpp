#include "copier/expression.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "copier/text.hpp"

namespace ferry::expression {

[[noreturn]] void Refuse(std::string why) {
  throw NotTranslated{std::move(why)};
}

namespace {

NodePtr Make(Node::Kind kind, std::string text = "") {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->text = std::move(text);
  return n;
}

enum class TokenType { kEnd, kWord, kQuoted, kString, kNumber, kSymbol };

struct Token {
  TokenType type = TokenType::kEnd;
  std::string text;
};

// A MariaDB string's backslash escapes (its default sql_mode), as the server reads them.
char Unescape(char c, std::string& out) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case '0':
      return '\0';
    case 'b':
      return '\b';
    case 'Z':
      return '\x1a';
    case '%':
    case '_':
      out += '\\';  // kept as they are: they matter to LIKE only
      return c;
    default:
      return c;
  }
}

std::vector<Token> Tokenize(const std::string& s, Engine from) {
  std::vector<Token> out;
  size_t i = 0;
  auto quoted = [&](char quote) {
    std::string text;
    for (++i; i < s.size(); ++i) {
      if (s[i] == quote) {
        if (i + 1 < s.size() && s[i + 1] == quote) {
          text += quote;
          ++i;
          continue;
        }
        ++i;
        return text;
      }
      if (quote == '\'' && s[i] == '\\' && from == Engine::kMariaDB && i + 1 < s.size()) {
        ++i;
        const char c = Unescape(s[i], text);
        text += c;
        continue;
      }
      text += s[i];
    }
    Refuse("it has an unterminated quote");
  };
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (c == '\'') {
      out.push_back({TokenType::kString, quoted('\'')});
    } else if ((c == '"' && from != Engine::kMariaDB) || (c == '`' && from != Engine::kPostgres)) {
      out.push_back({TokenType::kQuoted, quoted(char(c))});
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      size_t b = i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      out.push_back({TokenType::kNumber, s.substr(b, i - b)});
    } else if (std::isalpha(c) || c == '_') {
      size_t b = i;
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) {
        ++i;
      }
      out.push_back({TokenType::kWord, s.substr(b, i - b)});
    } else if (s.compare(i, 2, "||") == 0 || s.compare(i, 2, "::") == 0) {
      out.push_back({TokenType::kSymbol, s.substr(i, 2)});
      i += 2;
    } else if (std::string("+-*/%(),").find(char(c)) != std::string::npos) {
      out.push_back({TokenType::kSymbol, std::string(1, char(c))});
      ++i;
    } else {
      Refuse(fmt::format("of the operator or character '{}'", char(c)));
    }
  }
  out.push_back({TokenType::kEnd, ""});
  return out;
}

class Parser {
 public:
  Parser(const std::string& expression, const Table& table, Engine from)
      : tokens_(Tokenize(expression, from)), table_(table), from_(from) {}

  NodePtr Parse() {
    NodePtr n = Expression(0);
    if (Peek().type != TokenType::kEnd) Refuse(fmt::format("of '{}'", Peek().text));
    return n;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(at_ + ahead, tokens_.size() - 1)];
  }
  Token Next() {
    Token t = Peek();
    if (at_ < tokens_.size() - 1) ++at_;
    return t;
  }
  bool IsWord(const Token& t, const char* word) const {
    return t.type == TokenType::kWord && Lower(t.text) == word;
  }
  bool IsSymbol(const Token& t, const char* symbol) const {
    return t.type == TokenType::kSymbol && t.text == symbol;
  }
  void Expect(const char* symbol) {
    if (!IsSymbol(Next(), symbol)) Refuse(fmt::format("it is not read as expected ('{}')", symbol));
  }

  int Digits() {
    const Token t = Next();
    if (t.type != TokenType::kNumber || t.text.size() > 4 ||
        t.text.find_first_not_of("0123456789") != std::string::npos) {
      Refuse("of a type's size that is not a number");
    }
    return std::stoi(t.text);
  }

  // The binary operator at the cursor and its precedence (higher binds tighter), or -1.
  // PostgreSQL's || ranks below + and -; SQLite's above * and /; MariaDB's means OR.
  int Precedence(std::string* op) const {
    const Token& t = Peek();
    if (t.type == TokenType::kSymbol) {
      *op = t.text;
      if (t.text == "+" || t.text == "-") return 4;
      if (t.text == "*" || t.text == "/" || t.text == "%") return 5;
      if (t.text == "||") {
        if (from_ == Engine::kMariaDB) Refuse("|| means OR in MariaDB");
        return from_ == Engine::kSQLite ? 6 : 3;
      }
      return -1;
    }
    if (from_ == Engine::kMariaDB && (IsWord(t, "div") || IsWord(t, "mod"))) {
      *op = IsWord(t, "div") ? "div" : "%";
      return 5;
    }
    return -1;
  }

  NodePtr Expression(int min_precedence) {
    NodePtr left = Unary();
    for (;;) {
      std::string op;
      const int p = Precedence(&op);
      if (p < 0 || p < min_precedence) return left;
      Next();
      NodePtr right = Expression(p + 1);
      NodePtr n = Make(Node::kBinary, op);
      n->args.push_back(std::move(left));
      n->args.push_back(std::move(right));
      left = std::move(n);
    }
  }

  NodePtr Unary() {
    if (IsSymbol(Peek(), "-")) {
      Next();
      NodePtr n = Make(Node::kNegate);
      n->args.push_back(Unary());
      return n;
    }
    if (IsSymbol(Peek(), "+")) {
      Next();
      return Unary();
    }
    NodePtr n = Primary();
    while (IsSymbol(Peek(), "::")) {  // PostgreSQL's cast, tighter than anything else
      Next();
      n = CastTo(std::move(n));
    }
    return n;
  }

  // A cast's target type: words, then an optional (precision[, scale]).
  NodePtr CastTo(NodePtr value) {
    std::vector<std::string> words;
    while (Peek().type == TokenType::kWord && !IsWord(Peek(), "from") && !IsWord(Peek(), "for")) {
      words.push_back(Lower(Next().text));
    }
    NodePtr n = Make(Node::kCast);
    bool sized = false;
    if (IsSymbol(Peek(), "(")) {
      Next();
      sized = true;
      n->precision = Digits();
      if (IsSymbol(Peek(), ",")) {
        Next();
        n->scale = Digits();
      }
      Expect(")");
    }
    // MariaDB: CHAR CHARSET utf8mb3 (or CHARACTER SET): a text cast all the same.
    for (size_t w = 1; w < words.size(); ++w) {
      if (words[w] == "charset" ||
          (words[w] == "character" && w + 1 < words.size() && words[w + 1] == "set")) {
        words.resize(w);
        break;
      }
    }
    std::string type;
    for (const std::string& w : words) type += (type.empty() ? "" : " ") + w;
    static const char* const kInts[] = {"integer", "int",  "int4",   "smallint",      "int2",
                                        "bigint",  "int8", "signed", "signed integer"};
    static const char* const kTexts[] = {"text", "char", "character", "varchar",
                                         "character varying"};
    if (std::find(std::begin(kInts), std::end(kInts), type) != std::end(kInts)) {
      n->target = Class::kInt;
    } else if (type == "numeric" || type == "decimal") {
      n->target = Class::kDecimal;
      // MariaDB's DECIMAL without digits is DECIMAL(10,0).
      if (!sized && from_ == Engine::kMariaDB) n->precision = 10;
    } else if (type == "double precision" || type == "float8" || type == "double") {
      n->target = Class::kFloat;
    } else if (std::find(std::begin(kTexts), std::end(kTexts), type) != std::end(kTexts)) {
      if (sized) Refuse("of a cast to text of a fixed length, which the engines cut differently");
      n->target = Class::kText;
    } else {
      Refuse(fmt::format("of a cast to {}", type.empty() ? "an unnamed type" : type));
    }
    n->args.push_back(std::move(value));
    return n;
  }

  int ColumnNamed(const std::string& name, bool quoted) const {
    for (size_t i = 0; i < table_.columns.size(); ++i) {
      if (table_.columns[i].name == name) return int(i);
    }
    // MariaDB and SQLite compare column names ignoring case; PostgreSQL folds bare ones.
    if (from_ != Engine::kPostgres || !quoted) {
      for (size_t i = 0; i < table_.columns.size(); ++i) {
        if (Lower(table_.columns[i].name) == Lower(name)) return int(i);
      }
    }
    Refuse(fmt::format("it names {}, which is not a column of the table", name));
  }

  NodePtr Call(const std::string& name) {
    Expect("(");
    if (name == "cast") {
      NodePtr value = Expression(0);
      if (!IsWord(Next(), "as")) Refuse("a CAST without AS");
      NodePtr n = CastTo(std::move(value));
      Expect(")");
      return n;
    }
    NodePtr n = Make(Node::kCall, name);
    if (IsSymbol(Peek(), ")")) {
      Next();
      return n;
    }
    n->args.push_back(Expression(0));
    // PostgreSQL prints substr as SUBSTRING(x FROM a FOR b).
    if (name == "substring" && IsWord(Peek(), "from")) {
      Next();
      n->args.push_back(Expression(0));
      if (IsWord(Peek(), "for")) {
        Next();
        n->args.push_back(Expression(0));
      }
    }
    while (IsSymbol(Peek(), ",")) {
      Next();
      n->args.push_back(Expression(0));
    }
    Expect(")");
    return n;
  }

  NodePtr Primary() {
    Token t = Next();
    switch (t.type) {
      case TokenType::kNumber:
        return Make(Node::kNumber, t.text);
      case TokenType::kString:
        return Make(Node::kString, t.text);
      case TokenType::kQuoted:
        if (IsSymbol(Peek(), "(")) return Call(Lower(t.text));  // PostgreSQL's "substring"(...)
        return ColumnRef(ColumnNamed(t.text, true));
      case TokenType::kWord: {
        const std::string word = Lower(t.text);
        if (word == "null") return Make(Node::kNull);
        // MariaDB's character set introducer: _utf8mb4'text'.
        if (word[0] == '_' && Peek().type == TokenType::kString) return Primary();
        if (IsSymbol(Peek(), "(")) return Call(word);
        return ColumnRef(ColumnNamed(t.text, false));
      }
      case TokenType::kSymbol:
        if (t.text == "(") {
          NodePtr n = Expression(0);
          Expect(")");
          return n;
        }
        Refuse(fmt::format("of '{}'", t.text));
      case TokenType::kEnd:
        break;
    }
    Refuse("it ends early");
  }

  NodePtr ColumnRef(int column) {
    NodePtr n = Make(Node::kColumn);
    n->column = column;
    return n;
  }

  std::vector<Token> tokens_;
  size_t at_ = 0;
  const Table& table_;
  Engine from_;
};

}  // namespace

NodePtr Parse(const std::string& text, const Table& table, Engine from) {
  return Parser(text, table, from).Parse();
}

}  // namespace ferry::expression
