// The fault-injection tests' last word: after whatever was done to the run, each named table
// holds the same rows at both ends, as the tests' own canonical reading sees them.
#pragma once

#include <catch2/catch.hpp>
#include <initializer_list>

#include "tests/support/canonical.hpp"
#include "tests/support/test_database.hpp"

namespace ferry::test {

inline void CheckTablesSame(TestDatabase& source, TestDatabase& dest,
                            std::initializer_list<const char*> tables) {
  for (const char* table : tables) {
    INFO("table " << table);
    TableContents a = ReadCanonical(source, table);
    TableContents b = ReadCanonical(dest, table);
    REQUIRE(b.rows.size() == a.rows.size());
    CHECK(FirstDifference(a, b) == "");
  }
}

}  // namespace ferry::test
