// The SQL scripts and files under tests/fixtures, by name (FERRY_SOURCE_DIR is the checkout).
#pragma once

#include <string>

namespace ferry::test {

inline std::string Fixture(const std::string& name) {
  return std::string(FERRY_SOURCE_DIR) + "/tests/fixtures/" + name;
}

}  // namespace ferry::test
