#include "tests/support/test_paths.hpp"

namespace ferry::test {

const std::string& FerryBinary() {
  static const std::string path = FERRY_BINARY;
  return path;
}

}  // namespace ferry::test
