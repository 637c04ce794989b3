#include "scheduler/profile.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace ferry {

namespace {

nlohmann::json Times(const StageTimes& t) {
  return {{"read_s", t.read},
          {"convert_s", t.convert},
          {"wait_for_slot_s", t.wait_slot},
          {"wait_for_data_s", t.wait_data},
          {"write_s", t.write},
          {"commit_s", t.commit}};
}

const char* UnitStateName(UnitState s) {
  switch (s) {
    case UnitState::kDone:
      return "done";
    case UnitState::kFailed:
      return "failed";
    case UnitState::kSkipped:
      return "skipped";
  }
  return "unknown";
}

}  // namespace

std::string BoundingStage(const TableOutcome& t) {
  const StageTimes& s = t.times;
  // Readers waiting for free batches means writers are behind; writers waiting for batches
  // means reading or converting is.
  if (s.wait_slot > s.wait_data) return "write";
  return s.convert > s.read ? "convert" : "read";
}

void WriteProfile(const CopyReport& report, const std::string& path) {
  nlohmann::json tables = nlohmann::json::array();
  for (const TableOutcome& t : report.tables) {
    nlohmann::json units = nlohmann::json::array();
    for (const UnitResult& u : t.unit_results) {
      units.push_back({{"part", u.part},
                       {"state", UnitStateName(u.state)},
                       {"rows", u.rows},
                       {"bytes", u.bytes},
                       {"seconds", u.seconds},
                       {"stages", Times(u.times)}});
    }
    const double secs = t.seconds > 0 ? t.seconds : 1e-9;
    tables.push_back({{"source", DisplayName(t.source)},
                      {"destination", DisplayName(t.destination)},
                      {"state", TableStateName(t.state)},
                      {"rows", t.rows},
                      {"bytes", t.bytes},
                      {"seconds", t.seconds},
                      {"rows_per_second", double(t.rows) / secs},
                      {"mb_per_second", double(t.bytes) / 1e6 / secs},
                      {"strategy", StrategyName(t.strategy)},
                      {"why", t.reason},
                      {"pass_through", t.pass_through},
                      {"read_method", t.read_method},
                      {"write_method", t.write_method},
                      {"bound_by", BoundingStage(t)},
                      {"stages", Times(t.times)},
                      {"key_build_s", t.key_seconds},
                      {"units", units}});
  }
  nlohmann::json doc = {
      {"seconds", report.seconds}, {"consistency", report.consistency}, {"tables", tables}};
  std::ofstream out(path);
  if (!out) throw Error(ErrorCode::kIo, fmt::format("cannot write the profile to {}", path));
  out << doc.dump(2) << "\n";
  if (!out) throw Error(ErrorCode::kIo, fmt::format("cannot write the profile to {}", path));
}

}  // namespace ferry
