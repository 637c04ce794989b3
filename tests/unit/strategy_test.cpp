// Split strategies are an enum inside ferry and keep their spelling in plan files.
#include <catch2/catch.hpp>

#include "copier/error.hpp"
#include "copier/job.hpp"
#include "copier/plan.hpp"

using namespace ferry;

namespace {

std::string PlanWithStrategy(const std::string& strategy_field) {
  return R"({"ferry_plan": 1, "source": "s", "destination": "d", "tables": [{
    "source": {"schema": "main", "name": "t"}, "destination": {"schema": "main", "name": "t"},
    )" + strategy_field +
         R"(
    "columns": [{"source": "id", "destination": "id"}],
    "source_shape": {"fingerprint": "f", "primary_key": ["id"],
                     "columns": [{"name": "id", "type": "integer", "nullable": false}]}}]})";
}

}  // namespace

TEST_CASE("every strategy is spelt in plan files as before and read back", "[strategy]") {
  for (Strategy s :
       {Strategy::kSingle, Strategy::kKeyRanges, Strategy::kPageRanges, Strategy::kSkip}) {
    REQUIRE(ParseStrategy(StrategyName(s)));
    CHECK(*ParseStrategy(StrategyName(s)) == s);
  }
  CHECK(std::string(StrategyName(Strategy::kKeyRanges)) == "key ranges");
  CHECK(std::string(StrategyName(Strategy::kPageRanges)) == "page ranges");
  Plan plan = PlanFromJson(PlanWithStrategy(R"("strategy": "page ranges",)"), "p.json");
  CHECK(plan.tables[0].strategy == Strategy::kPageRanges);
  const std::string written = PlanToJson(plan);
  CHECK(written.find(R"("strategy": "page ranges")") != std::string::npos);
  CHECK(PlanFromJson(written, "again.json").tables[0].strategy == Strategy::kPageRanges);
}

TEST_CASE("a plan without a strategy is split as one unit, and an unknown one is refused",
          "[strategy]") {
  CHECK(PlanFromJson(PlanWithStrategy(""), "old.json").tables[0].strategy == Strategy::kSingle);
  CHECK_THROWS_WITH(PlanFromJson(PlanWithStrategy(R"("strategy": "halves",)"), "bad.json"),
                    Catch::Contains("$.tables[0].strategy") && Catch::Contains("'halves'"));
}

TEST_CASE("a plan's partition count that has the table cut again is refused outside 1 to 256",
          "[strategy][mistakes]") {
  // The re-cut made at most 256 units of an edited 1000 without a word.
  auto with = [](int partitions) {
    return PlanWithStrategy(R"("strategy": "key ranges", "split_key": ["id"], "partitions": )" +
                            std::to_string(partitions) + ",");
  };
  CHECK_THROWS_WITH(PlanFromJson(with(1000), "edited.json"),
                    Catch::Contains("$.tables[0].partitions") && Catch::Contains("1 to 256"));
  CHECK_THROWS_WITH(PlanFromJson(with(0), "edited.json"),
                    Catch::Contains("$.tables[0].partitions") && Catch::Contains("1 to 256"));
  CHECK(PlanFromJson(with(256), "edited.json").tables[0].partitions == 256);
}
