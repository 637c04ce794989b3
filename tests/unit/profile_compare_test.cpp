// `ferry profile compare` (copier/profile_compare.hpp).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "copier/error.hpp"
#include "copier/profile_compare.hpp"

using namespace ferry;
using json = nlohmann::json;

namespace {

json Profile(double wall, double table_wall, double read, double write,
             const std::string& readers) {
  json stages = {{"read_s", read},          {"convert_s", 0.5}, {"wait_for_slot_s", 0},
                 {"wait_for_data_s", 0.25}, {"write_s", write}, {"commit_s", 0.1}};
  return {{"format", kProfileFormat},
          {"format_version", kProfileFormatVersion},
          {"command", "run"},
          {"run_id", "r-" + readers},
          {"ferry_version", "0.1.0"},
          {"settings", {{"readers", readers}, {"writers", "4"}}},
          {"seconds_wall", wall},
          {"stages_summed_over_threads", stages},
          {"tables",
           {{{"source", "public.orders"},
             {"destination", "public.orders"},
             {"seconds_wall", table_wall},
             {"rows", 1000},
             {"rows_per_second", 1000 / table_wall},
             {"bound_by", "read"},
             {"stages_summed_over_threads", stages}}}}};
}

std::string Compare(const json& a, const json& b) {
  return CompareProfiles({"a.json", a.dump()}, {"b.json", b.dump()});
}

}  // namespace

TEST_CASE("profile compare prints wall and summed stage changes per run and table, with shares",
          "[profile]") {
  const std::string out = Compare(Profile(10, 8, 6, 12, "4"), Profile(5, 4, 3, 12, "8"));
  CHECK_THAT(out, Catch::Contains("readers: \"4\" -> \"8\""));
  CHECK(out.find("writers") == std::string::npos);  // the same in both
  // The run: 10 s -> 5 s wall.
  CHECK_THAT(out, Catch::Contains("seconds (wall)") && Catch::Contains("-5.00 (-50.0%)"));
  CHECK_THAT(out, Catch::Contains("read_s (summed over threads)"));
  CHECK_THAT(out, Catch::Contains("-3.00 (-50.0%)"));
  CHECK_THAT(out, Catch::Contains("+0.00 (+0.0%)"));  // write_s unchanged
  CHECK_THAT(out, Catch::Contains("public.orders:"));
  CHECK_THAT(out, Catch::Contains("-4.00 (-50.0%)"));  // the table's wall
  CHECK_THAT(out, Catch::Contains("+125 (+100.0%)"));  // its rows per second
}

TEST_CASE("profile compare lists tables found in one profile only", "[profile]") {
  json b = Profile(5, 4, 3, 12, "4");
  b["tables"][0]["source"] = "public.items";
  b["tables"][0]["destination"] = "public.items";
  const std::string out = Compare(Profile(10, 8, 6, 12, "4"), b);
  CHECK_THAT(out, Catch::Contains("public.orders (only in A)"));
  CHECK_THAT(out, Catch::Contains("public.items (only in B)"));
}

TEST_CASE("profile compare refuses profiles of different format versions, naming both",
          "[profile]") {
  json old = Profile(10, 8, 6, 12, "4");
  old.erase("format");
  old.erase("format_version");  // a profile from before they were versioned: version 1
  try {
    Compare(old, Profile(5, 4, 3, 12, "4"));
    FAIL("compared");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUsage);
    CHECK_THAT(e.what(), Catch::Contains("a.json is a profile of format version 1") &&
                             Catch::Contains("b.json of version 2"));
  }
}

TEST_CASE("profile compare refuses what is not a profile, and profiles of different commands",
          "[profile]") {
  CHECK_THROWS_WITH(CompareProfiles({"x.json", "{not json"}, {"b.json", "{}"}),
                    Catch::Contains("x.json is not JSON"));
  CHECK_THROWS_WITH(CompareProfiles({"trace.json", R"({"traceEvents": []})"}, {"b.json", "{}"}),
                    Catch::Contains("trace.json is not a ferry profile"));
  json verify = Profile(5, 4, 3, 12, "4");
  verify["command"] = "verify";
  CHECK_THROWS_WITH(Compare(Profile(10, 8, 6, 12, "4"), verify),
                    Catch::Contains("a.json profiles a run and b.json a verify"));
}
