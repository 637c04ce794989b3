// Where the checkout and the built ferry are. Both paths are compiled into one small source
// each (test_paths.cpp, ferry_binary.cpp), never into the test files themselves: a path in a
// compile definition makes every object that sees it differ between checkouts, so ccache could
// not share the test objects of two worktrees.
#pragma once

#include <string>

namespace ferry::test {

// The checkout's root directory (README.md, tests/fixtures, deploy/ are under it).
const std::string& SourceDir();

// The ferry binary of this build (integration tests only).
const std::string& FerryBinary();

}  // namespace ferry::test
