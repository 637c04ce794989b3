#include "tests/support/test_paths.hpp"

namespace ferry::test {

const std::string& SourceDir() {
  static const std::string dir = FERRY_SOURCE_DIR;
  return dir;
}

}  // namespace ferry::test
