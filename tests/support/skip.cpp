#include "tests/support/skip.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace ferry::test {

void MarkSkipped(const std::string& reason) {
  std::cout << kSkipMarker << ": " << reason << std::endl;
}

GoldenResult ReadOrUpdateGolden(const std::string& path, const std::string& actual) {
  GoldenResult result;
  if (std::getenv("FERRY_UPDATE_GOLDEN")) {
    std::ofstream(path) << actual;
    MarkSkipped("FERRY_UPDATE_GOLDEN is set: rewrote " + path + " instead of comparing");
    result.updated = true;
    return result;
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  result.expected = text.str();
  return result;
}

}  // namespace ferry::test
