// Domain CHECK conditions carried to another engine: only what every engine reads alike.
#include <catch2/catch.hpp>

#include "copier/catalog.hpp"

using namespace ferry;

TEST_CASE("a domain check of comparisons on VALUE is rewritten for the column", "[catalog]") {
  CHECK(PortableCheck("(((VALUE >= 1901) AND (VALUE <= 2155)))", "`release_year`") ==
        "(((`release_year` >= 1901) AND (`release_year` <= 2155)))");
  CHECK(PortableCheck("((VALUE IN ('a', 'it''s')) OR VALUE IS NULL)", "\"c\"") ==
        "((\"c\" IN ('a', 'it''s')) OR \"c\" IS NULL)");
  CHECK(PortableCheck("(VALUE between 1 and 10)", "x") == "(x BETWEEN 1 AND 10)");
}

TEST_CASE("a domain check in one engine's own terms is not portable", "[catalog]") {
  CHECK(PortableCheck("((VALUE)::text ~ '^[0-9]{5}$'::text)", "x").empty());  // cast, regex
  CHECK(PortableCheck("(length(VALUE) > 2)", "x").empty());                   // a function
  CHECK(PortableCheck("((VALUE || 'x') <> 'y')", "x").empty());               // ||
  CHECK(PortableCheck("(VALUE <> 'open", "x").empty());                       // unterminated
  // PostgreSQL prints a backslash as itself, which ferry's sessions everywhere read so.
  CHECK(PortableCheck("(VALUE <> 'a\\b')", "x") == "(x <> 'a\\b')");
}
