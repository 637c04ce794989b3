// The bookkeeping of gaps in a change log read without waiting for its writers
// (copier/log_gaps.hpp): how they are kept in the sync state, when one is dropped, and how far
// the log may be purged while they are pending.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "copier/log_gaps.hpp"

using namespace ferry;

namespace {

LogGap Gap(int64_t first, int64_t last, std::vector<std::string> writers) {
  return LogGap{first, last, std::move(writers)};
}

bool Same(const std::vector<LogGap>& a, const std::vector<LogGap>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || a[i].last != b[i].last || a[i].writers != b[i].writers) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("pending gaps are written into the sync state and read back as they were", "[gaps]") {
  const std::vector<LogGap> gaps = {Gap(101, 101, {"7.1733470000", "9.1733470001"}),
                                    Gap(105, 107, {"7.1733470000", "9.1733470001"}),
                                    Gap(230, 230, {"12.1733470100"})};
  const std::string text = FormatGaps(gaps);
  // Gaps seen with the same writers share them.
  CHECK(text == "101-101,105-107@7.1733470000,9.1733470001;230-230@12.1733470100");
  CHECK(Same(ParseGaps(text), gaps));
  CHECK(FormatGaps({}).empty());
  CHECK(ParseGaps("").empty());
}

TEST_CASE("sync state text that is not a gap list is refused, not half read", "[gaps]") {
  CHECK_THROWS_AS(ParseGaps("101-101"), std::invalid_argument);        // no writers
  CHECK_THROWS_AS(ParseGaps("101@7.1"), std::invalid_argument);        // not a range
  CHECK_THROWS_AS(ParseGaps("105-101@7.1"), std::invalid_argument);    // backwards
  CHECK_THROWS_AS(ParseGaps("10x-101@7.1"), std::invalid_argument);    // not a number
  CHECK_THROWS_AS(ParseGaps("101-101@7.1;x"), std::invalid_argument);  // a bad second group
}

TEST_CASE(
    "a gap is dropped once its entries are all there or every writer kept with it has ended, "
    "and stays otherwise with the writers still open",
    "[gaps]") {
  const std::vector<LogGap> gaps = {Gap(10, 10, {"a", "b"}), Gap(20, 21, {"b", "c"}),
                                    Gap(30, 30, {"d"}), Gap(40, 40, {"a"})};
  // b is still open; a, c and d ended. The entries of 40 appeared.
  const std::vector<LogGap> left = ResolveGaps(gaps, {"b"}, {false, false, false, true});
  CHECK(Same(left, {Gap(10, 10, {"b"}), Gap(20, 21, {"b"})}));
  // Nothing open any more: whatever is still missing never comes.
  CHECK(ResolveGaps(left, {}, {false, false}).empty());
  // Every entry there: dropped though its writer lives on (it committed other changes since).
  CHECK(ResolveGaps({Gap(50, 51, {"e"})}, {"e"}, {true}).empty());
}

TEST_CASE(
    "a consumer registers below its first pending gap, so the log is never purged at or above "
    "one",
    "[gaps]") {
  CHECK(PurgeFloor(500, {}) == 500);
  CHECK(PurgeFloor(500, {Gap(230, 230, {"x"}), Gap(101, 103, {"y"})}) == 100);
  CHECK(PurgeFloor(500, {Gap(700, 700, {"x"})}) == 500);
}

TEST_CASE("a batch's position keeps the new gaps it has passed and no later ones", "[gaps]") {
  const std::vector<LogGap> gaps = {Gap(101, 101, {"x"}), Gap(150, 152, {"x"}),
                                    Gap(200, 200, {"x"})};
  CHECK(GapsUpTo(gaps, 100).empty());
  CHECK(Same(GapsUpTo(gaps, 160), {Gap(101, 101, {"x"}), Gap(150, 152, {"x"})}));
  CHECK(GapWriters({Gap(1, 1, {"x", "y"}), Gap(2, 2, {"y", "z"})}) ==
        std::vector<std::string>{"x", "y", "z"});
}
