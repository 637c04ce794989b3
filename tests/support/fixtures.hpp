// The SQL scripts and files under tests/fixtures, by name (SourceDir() is the checkout).
#pragma once

#include <string>

#include "tests/support/test_paths.hpp"

namespace ferry::test {

inline std::string Fixture(const std::string& name) {
  return SourceDir() + "/tests/fixtures/" + name;
}

}  // namespace ferry::test
