// How a test says it did not run: CTest reports a test as skipped when its output holds
// kSkipMarker (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt), because Catch2 2.x, Debian 12's,
// has no SKIP of its own and a test that returns early would otherwise count as passed.
#pragma once

#include <string>

namespace ferry::test {

inline constexpr const char* kSkipMarker = "FERRY-TEST-SKIPPED";

// Prints the marker and the reason; the caller returns from the test case right after.
void MarkSkipped(const std::string& reason);

// Compares `actual` with the golden file at `path`. With FERRY_UPDATE_GOLDEN set it rewrites
// the file instead and marks the test skipped, so an update run can never pass as a check.
// Returns the file's text (empty when updating) for the caller's CHECK.
struct GoldenResult {
  bool updated = false;
  std::string expected;
};
GoldenResult ReadOrUpdateGolden(const std::string& path, const std::string& actual);

}  // namespace ferry::test
