// How key ranges are cut from a sorted sample, pinned by golden files (tests/golden/*.txt;
// FERRY_UPDATE_GOLDEN=1 rewrites them after a deliberate change).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "copier/planner.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry;
using ferry::test::GoldenResult;
using ferry::test::ReadOrUpdateGolden;

namespace {

std::string Render(const std::vector<KeyRange>& ranges) {
  auto tuple = [](const std::vector<std::string>& v) {
    std::string out = "(";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out + ")";
  };
  std::string out;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const KeyRange& r = ranges[i];
    out += "unit " + std::to_string(i) + ": ";
    if (r.null_keys) {
      out += "key IS NULL\n";
      continue;
    }
    out += "[" + (r.lo ? tuple(*r.lo) : std::string("-inf")) + ", " +
           (r.hi ? tuple(*r.hi) : std::string("+inf")) + ")\n";
  }
  return out;
}

void CheckGolden(const std::string& name, const std::string& actual) {
  const std::string path = ferry::test::SourceDir() + "/tests/golden/" + name + ".txt";
  const GoldenResult golden = ReadOrUpdateGolden(path, actual);
  if (golden.updated) return;
  REQUIRE(!golden.expected.empty());
  CHECK(actual == golden.expected);
}

std::vector<std::vector<std::string>> Ints(const std::vector<long>& values) {
  std::vector<std::vector<std::string>> out;
  for (long v : values) out.push_back({std::to_string(v)});
  return out;
}

}  // namespace

TEST_CASE("ranges are cut at sample quantiles, first and last open-ended", "[planner]") {
  std::vector<long> keys;
  for (long k = 1; k <= 100; ++k) keys.push_back(k * 10);
  CheckGolden("planner_uniform", Render(RangesFromSample(Ints(keys), {0}, 4, false)));
}

TEST_CASE("a skewed sample gives narrow ranges where the keys are dense", "[planner]") {
  // 90 of 100 sampled keys within the first 1% of the key space.
  std::vector<long> keys;
  for (long k = 0; k < 90; ++k) keys.push_back(1000 + k * 111);
  for (long k = 0; k < 10; ++k) keys.push_back(1'000'000 + k * 9'900'000);
  CheckGolden("planner_skewed", Render(RangesFromSample(Ints(keys), {0}, 5, false)));
}

TEST_CASE("a heavy key value is never split across two ranges", "[planner]") {
  std::vector<long> keys(60, 7);
  for (long k = 0; k < 40; ++k) keys.push_back(100 + k);
  CheckGolden("planner_heavy_value", Render(RangesFromSample(Ints(keys), {0}, 4, false)));
}

TEST_CASE("composite and text keys are cut on whole tuples", "[planner]") {
  std::vector<std::vector<std::string>> sample;
  for (const char* tenant : {"acme", "globex", "initech", "umbrella"}) {
    for (int order = 1; order <= 5; ++order) sample.push_back({tenant, std::to_string(order)});
  }
  CheckGolden("planner_composite", Render(RangesFromSample(sample, {0, 1}, 4, false)));
}

TEST_CASE("a nullable key gets a unit of its own for NULLs", "[planner]") {
  CheckGolden("planner_nullable", Render(RangesFromSample(Ints({1, 2, 3, 4, 5, 6}), {0}, 3, true)));
}

TEST_CASE("an empty sample gives one open range", "[planner]") {
  CheckGolden("planner_empty", Render(RangesFromSample({}, {0}, 4, false)));
}
