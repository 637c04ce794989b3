// Which names are ferry's own objects (left out of clones, listings and scope) and which are a
// user's that merely start with "ferry_" (a ferry operator's ferry_routes).
#include <catch2/catch.hpp>

#include "copier/run_state.hpp"

using namespace ferry;

TEST_CASE("ferry's own objects are told from a user's tables that start with ferry_",
          "[run_state]") {
  for (const char* own : {"ferry_runs", "ferry_units_pkey", "ferry_held_keys", "ferry_log_film",
                          "ferry_log_film_fn", "ferry_tracking", "ferry_track_consumers",
                          "ferry_sync_state", "ferry_upsert_rows", "ferry_rebuild_film"}) {
    INFO(own);
    CHECK(IsFerryObjectName(own));
  }
  for (const char* users :
       {"ferry_routes", "ferry_routes_pkey", "ferry_schedule", "ferry", "film", "ferry_runsheet"}) {
    INFO(users);
    CHECK_FALSE(IsFerryObjectName(users));
  }
  CHECK(NamesFerryObject("trigger ferry_log_film_ins on shop.film"));
  CHECK(NamesFerryObject("public.ferry_log_film"));
  CHECK(NamesFerryObject("public.ferry_log_film_fn()"));
  CHECK_FALSE(NamesFerryObject("view public.ferry_routes_by_port"));
  CHECK_FALSE(NamesFerryObject("trigger audit on public.ferry_routes"));
}
