#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "copier/error.hpp"
#include "copier/scope.hpp"

using namespace ferry;

namespace {

bool Matches(const std::string& pattern, const std::string& schema, const std::string& name,
             const std::string& default_schema = "public") {
  return TablePattern::Parse(pattern).Matches(TableName{schema, name}, default_schema);
}

// The ErrorCode and message of the Error that parsing `pattern` throws.
std::pair<ErrorCode, std::string> ParseFailure(const std::string& pattern) {
  try {
    TablePattern::Parse(pattern);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  FAIL("pattern '" << pattern << "' was accepted");
  return {ErrorCode::kInternal, ""};
}

std::vector<std::string> Names(const std::vector<TableName>& tables) {
  std::vector<std::string> out;
  for (const TableName& t : tables) out.push_back(t.schema + "." + t.name);
  return out;
}

Scope MakeScope(const std::vector<std::string>& include,
                const std::vector<std::string>& exclude = {}) {
  std::vector<TablePattern> in, ex;
  for (const std::string& p : include) in.push_back(TablePattern::Parse(p));
  for (const std::string& p : exclude) ex.push_back(TablePattern::Parse(p));
  return Scope(std::move(in), std::move(ex));
}

const std::vector<TableName> kCatalog = {
    {"public", "orders"},       {"public", "order_lines"}, {"public", "orderXlines"},
    {"public", "customers"},    {"public", "audit_2023"},  {"public", "audit_2024"},
    {"sales", "orders"},        {"sales", "invoices"},     {"sales_eu", "orders"},
    {"archive", "orders_2019"}, {"my.schema", "t"},
};

}  // namespace

// --- parsing and matching ------------------------------------------------------------------

TEST_CASE("a bare table name matches that table in the default schema only", "[scope]") {
  CHECK(Matches("orders", "public", "orders"));
  CHECK_FALSE(Matches("orders", "sales", "orders"));
  CHECK(Matches("orders", "sales", "orders", "sales"));
  CHECK_FALSE(Matches("orders", "public", "orders", "sales"));
  CHECK_FALSE(Matches("orders", "public", "order"));
  CHECK_FALSE(Matches("orders", "public", "orders2"));
  CHECK_FALSE(Matches("orders", "public", "Orders"));  // names compare exactly
}

TEST_CASE("schema.table matches only that schema and table", "[scope]") {
  CHECK(Matches("sales.orders", "sales", "orders"));
  CHECK_FALSE(Matches("sales.orders", "public", "orders"));
  CHECK_FALSE(Matches("sales.orders", "sales", "invoices"));
  CHECK_FALSE(Matches("sales.orders", "sales_eu", "orders"));
  // An explicit schema ignores the default one.
  CHECK(Matches("sales.orders", "sales", "orders", "public"));
  CHECK(Matches("public.orders", "public", "orders", "sales"));
}

TEST_CASE("'*' matches any run of characters, including none", "[scope][wildcard]") {
  CHECK(Matches("*", "public", "anything"));
  CHECK_FALSE(Matches("*", "sales", "anything"));  // bare: default schema only
  CHECK(Matches("order*", "public", "order"));
  CHECK(Matches("order*", "public", "orders"));
  CHECK(Matches("order*", "public", "order_lines"));
  CHECK_FALSE(Matches("order*", "public", "customers"));
  CHECK(Matches("*_lines", "public", "order_lines"));
  CHECK_FALSE(Matches("*_lines", "public", "order_lines2"));
  CHECK(Matches("o*s", "public", "orders"));
  CHECK(Matches("o*s", "public", "os"));
  CHECK_FALSE(Matches("o*s", "public", "o"));
  CHECK(Matches("a*b*c", "public", "abc"));
  CHECK(Matches("a*b*c", "public", "aXbYc"));
  CHECK(Matches("a*b*c", "public", "abbbc"));
  CHECK_FALSE(Matches("a*b*c", "public", "acb"));
  CHECK_FALSE(Matches("ab*ba", "public", "aba"));  // the pieces may not overlap
  CHECK(Matches("ab*ba", "public", "abba"));
  CHECK(Matches("*x*", "public", "x"));
  CHECK(Matches("*x*", "public", "axb"));
  CHECK_FALSE(Matches("*x*", "public", "ab"));
  CHECK(Matches("a**b", "public", "ab"));
  CHECK(Matches("*a*a*", "public", "aa"));
  CHECK_FALSE(Matches("*a*a*", "public", "a"));
}

TEST_CASE("wildcards work in the schema part, the table part, or both", "[scope][wildcard]") {
  CHECK(Matches("sales*.orders", "sales", "orders"));
  CHECK(Matches("sales*.orders", "sales_eu", "orders"));
  CHECK_FALSE(Matches("sales*.orders", "public", "orders"));
  CHECK(Matches("*.orders", "archive", "orders"));
  CHECK(Matches("*.orders", "public", "orders"));
  CHECK(Matches("sales.*", "sales", "invoices"));
  CHECK_FALSE(Matches("sales.*", "sales_eu", "orders"));
  CHECK(Matches("*.*", "anything", "at_all"));
  CHECK(Matches("*.orders_*", "archive", "orders_2019"));
}

TEST_CASE("'_' and '%' are literal, not SQL LIKE wildcards", "[scope][wildcard]") {
  CHECK(Matches("order_lines", "public", "order_lines"));
  CHECK_FALSE(Matches("order_lines", "public", "orderXlines"));
  CHECK_FALSE(Matches("order%", "public", "orders"));
  CHECK(Matches("order%", "public", "order%"));
  CHECK(Matches("100%_done", "public", "100%_done"));
  CHECK_FALSE(Matches("_", "public", "x"));
}

TEST_CASE("escaped star, dot and backslash are literal characters", "[scope][escape]") {
  CHECK(Matches("a\\*b", "public", "a*b"));
  CHECK_FALSE(Matches("a\\*b", "public", "aXb"));
  CHECK(Matches("my\\.table", "public", "my.table"));
  CHECK_FALSE(Matches("my\\.table", "my", "table"));
  CHECK(Matches("my\\.schema.t", "my.schema", "t"));
  CHECK(Matches("back\\\\slash", "public", "back\\slash"));
  CHECK(Matches("a\\**", "public", "a*"));
  CHECK(Matches("a\\**", "public", "a*xyz"));
  CHECK_FALSE(Matches("a\\**", "public", "axyz"));
  CHECK(TablePattern::Parse("a\\*b").IsExact());
}

TEST_CASE("a part in double quotes is literal, with \"\" for a quote", "[scope][quote]") {
  CHECK(Matches("\"my.table\"", "public", "my.table"));
  CHECK(Matches("\"my.schema\".t", "my.schema", "t"));
  CHECK(Matches("\"my.schema\".\"t\"", "my.schema", "t"));
  CHECK(Matches("sales.\"Orders\"", "sales", "Orders"));
  CHECK(Matches("\"*\"", "public", "*"));
  CHECK_FALSE(Matches("\"*\"", "public", "orders"));
  CHECK(Matches("\"order*\"", "public", "order*"));
  CHECK_FALSE(Matches("\"order*\"", "public", "orders"));
  CHECK(Matches("\"say \"\"hi\"\"\"", "public", "say \"hi\""));
  CHECK(Matches("\"\"\"\"", "public", "\""));
  CHECK(Matches("\"a\\b\"", "public", "a\\b"));  // no escapes inside quotes
  CHECK(Matches("\"with space\"", "public", "with space"));
  CHECK(Matches("\"sales\".*", "sales", "invoices"));
  CHECK(Matches("*.\"x.y\"", "s", "x.y"));
  CHECK(TablePattern::Parse("\"order*\"").IsExact());
}

TEST_CASE("non-ASCII names match byte for byte", "[scope]") {
  CHECK(Matches("clients_été", "public", "clients_été"));
  CHECK(Matches("клиенты*", "public", "клиенты_2024"));
  CHECK(Matches("\"日本.表\"", "public", "日本.表"));
}

TEST_CASE("IsExact is true only for patterns without a wildcard", "[scope]") {
  CHECK(TablePattern::Parse("orders").IsExact());
  CHECK(TablePattern::Parse("sales.orders").IsExact());
  CHECK_FALSE(TablePattern::Parse("*").IsExact());
  CHECK_FALSE(TablePattern::Parse("order*").IsExact());
  CHECK_FALSE(TablePattern::Parse("sales.*").IsExact());
  CHECK_FALSE(TablePattern::Parse("*.orders").IsExact());
  CHECK_FALSE(TablePattern::Parse("s*.o*").IsExact());
}

TEST_CASE("a pattern keeps the text it was parsed from", "[scope]") {
  CHECK(TablePattern::Parse("\"a.b\".c*").text() == "\"a.b\".c*");
}

TEST_CASE("malformed patterns are usage errors that quote the pattern", "[scope][error]") {
  for (const char* bad : {
           "",                // nothing
           "a.b.c",           // two dots
           "sales.",          // no table
           "\"unterminated",  // open quote
           "\"a\"b",          // text after a closing quote
           "a\"b\"",          // quote inside an unquoted part
           "trailing\\",      // escape with nothing after it
           "\"a\".\"b",       // open quote in the table part
           "\"\"",            // empty quoted name
           ".",               // neither schema nor table
           "s.t.",            // trailing dot
       }) {
    CAPTURE(bad);
    auto [code, message] = ParseFailure(bad);
    CHECK(code == ErrorCode::kUsage);
    CHECK_THAT(message, Catch::Contains("'" + std::string(bad) + "'"));
  }
}

TEST_CASE("a pattern with an empty schema part is a usage error", "[scope][error]") {
  for (const char* bad : {".orders", "\"\".orders"}) {
    CAPTURE(bad);
    auto [code, message] = ParseFailure(bad);
    CHECK(code == ErrorCode::kUsage);
    CHECK_THAT(message, Catch::Contains(bad));
  }
}

TEST_CASE("the two-dots error tells the user to quote names with dots", "[scope][error]") {
  auto [code, message] = ParseFailure("my.schema.t");
  CHECK(code == ErrorCode::kUsage);
  CHECK_THAT(message, Catch::Contains("quote"));
}

// --- selection -----------------------------------------------------------------------------

TEST_CASE("with no include patterns every table of the default schema is in scope",
          "[scope][select]") {
  auto selected = Scope().Select(kCatalog, "public");
  CHECK(Names(selected) == std::vector<std::string>{"public.orders", "public.order_lines",
                                                    "public.orderXlines", "public.customers",
                                                    "public.audit_2023", "public.audit_2024"});
  CHECK(Names(Scope().Select(kCatalog, "sales")) ==
        std::vector<std::string>{"sales.orders", "sales.invoices"});
  CHECK(Scope().Select(kCatalog, "nowhere").empty());
  CHECK(Scope().Select({}, "public").empty());
}

TEST_CASE("include patterns select in catalog order, each table once", "[scope][select]") {
  // Both patterns match public.orders; it is listed once, where the catalog has it.
  auto selected = MakeScope({"customers", "order*", "orders"}).Select(kCatalog, "public");
  CHECK(Names(selected) == std::vector<std::string>{"public.orders", "public.order_lines",
                                                    "public.orderXlines", "public.customers"});
}

TEST_CASE("include patterns can reach other schemas", "[scope][select]") {
  auto selected = MakeScope({"*.orders"}).Select(kCatalog, "public");
  CHECK(Names(selected) ==
        std::vector<std::string>{"public.orders", "sales.orders", "sales_eu.orders"});
  CHECK(Names(MakeScope({"sales.*", "\"my.schema\".t"}).Select(kCatalog, "public")) ==
        std::vector<std::string>{"sales.orders", "sales.invoices", "my.schema.t"});
}

TEST_CASE("exclude patterns remove tables from what include selected", "[scope][select]") {
  CHECK(Names(MakeScope({}, {"audit_*"}).Select(kCatalog, "public")) ==
        std::vector<std::string>{"public.orders", "public.order_lines", "public.orderXlines",
                                 "public.customers"});
  CHECK(Names(MakeScope({"*.*"}, {"sales*.*", "public.*", "my\\.schema.*"})
                  .Select(kCatalog, "public")) == std::vector<std::string>{"archive.orders_2019"});
  // A bare exclude applies to the default schema only.
  CHECK(Names(MakeScope({"*.orders"}, {"orders"}).Select(kCatalog, "public")) ==
        std::vector<std::string>{"sales.orders", "sales_eu.orders"});
}

TEST_CASE("an exclude that matches nothing is not an error", "[scope][select]") {
  CHECK(MakeScope({"orders"}, {"no_such_table"}).Select(kCatalog, "public").size() == 1);
}

TEST_CASE("exclude wins over an exact include", "[scope][select]") {
  CHECK(MakeScope({"orders"}, {"orders"}).Select(kCatalog, "public").empty());
}

TEST_CASE("an exact include that matches no table is a not-found error naming the pattern",
          "[scope][select][error]") {
  for (const char* pattern : {"ordrs", "sales.ordrs", "nosuch.orders", "\"Orders\""}) {
    CAPTURE(pattern);
    try {
      MakeScope({"customers", pattern}).Select(kCatalog, "public");
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kNotFound);
      CHECK_THAT(std::string(e.what()), Catch::Contains(std::string("'") + pattern + "'"));
      CHECK_THAT(std::string(e.what()), Catch::Contains("public"));
    }
  }
}

TEST_CASE("a bare exact include is looked up in the default schema only",
          "[scope][select][error]") {
  // sales.invoices exists, but "invoices" means public.invoices.
  CHECK_THROWS_AS(MakeScope({"invoices"}).Select(kCatalog, "public"), Error);
  CHECK(Names(MakeScope({"invoices"}).Select(kCatalog, "sales")) ==
        std::vector<std::string>{"sales.invoices"});
}

TEST_CASE("a wildcard include that matches nothing selects nothing without error",
          "[scope][select]") {
  CHECK(MakeScope({"zzz*"}).Select(kCatalog, "public").empty());
  CHECK(MakeScope({"nosuch.*"}).Select(kCatalog, "public").empty());
}
