#include "scheduler/profile.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

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

const char* UnitStateName(const UnitResult& u) {
  if (u.Interrupted()) return "interrupted";
  switch (u.state) {
    case UnitState::kDone:
      return "done";
    case UnitState::kFailed:
      return "failed";
    case UnitState::kSkipped:
      return "skipped";
  }
  return "unknown";
}

// The host's memory, from sysconf; 0 when unknown.
int64_t MemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? int64_t(pages) * size : 0;
}

}  // namespace

std::string BoundingStage(const TableOutcome& t) {
  const StageTimes& s = t.times;
  // Readers waiting for free batches means writers are behind; writers waiting for batches
  // means reading or converting is.
  if (s.wait_slot > s.wait_data) return "write";
  return s.convert > s.read ? "convert" : "read";
}

void WriteProfile(const CopyReport& report, const std::string& path,
                  const ProfileContext& context) {
  nlohmann::json tables = nlohmann::json::array();
  for (const TableOutcome& t : report.tables) {
    nlohmann::json units = nlohmann::json::array();
    for (const UnitResult& u : t.unit_results) {
      units.push_back({{"part", u.part},
                       {"state", UnitStateName(u)},
                       {"attempts", u.attempts},
                       {"rows", u.rows},
                       {"bytes", u.bytes},
                       {"started_at_s", u.started_at},
                       {"finished_at_s", u.finished_at},
                       {"seconds_wall", u.seconds},
                       {"stages", Times(u.times)}});
    }
    const double secs = t.seconds > 0 ? t.seconds : 1e-9;
    tables.push_back({{"source", DisplayName(t.source)},
                      {"destination", DisplayName(t.destination)},
                      {"state", TableStateName(t.state)},
                      {"rows", t.rows},
                      {"bytes", t.bytes},
                      {"seconds", t.seconds},
                      {"seconds_wall", t.seconds},
                      {"rows_per_second", double(t.rows) / secs},
                      {"mb_per_second", double(t.bytes) / 1e6 / secs},
                      {"strategy", StrategyName(t.strategy)},
                      {"why", t.reason},
                      {"pass_through", t.pass_through},
                      {"read_method", t.read_method},
                      {"write_method", t.write_method},
                      {"bound_by", BoundingStage(t)},
                      {"stages_summed_over_threads", Times(t.times)},
                      {"key_build_s", t.key_seconds},
                      {"units", units}});
  }
  StageTimes all;
  for (const TableOutcome& t : report.tables) {
    all.read += t.times.read;
    all.convert += t.times.convert;
    all.wait_slot += t.times.wait_slot;
    all.wait_data += t.times.wait_data;
    all.write += t.times.write;
    all.commit += t.times.commit;
  }
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [key, value] : context.settings) settings[key] = value;
  nlohmann::json doc = {
      {"run_id", context.run_id},
      {"ferry_version", context.version},
      {"build_type", context.build_type},
      {"host", {{"cores", std::thread::hardware_concurrency()}, {"memory_bytes", MemoryBytes()}}},
      {"source", context.source},
      {"destination", context.destination},
      {"settings", settings},
      {"seconds", report.seconds},
      {"seconds_wall", report.seconds},
      {"stages_summed_over_threads", Times(all)},
      {"consistency", report.consistency},
      {"tables", tables}};
  std::ofstream out(path);
  if (!out) throw Error(ErrorCode::kIo, fmt::format("cannot write the profile to {}", path));
  out << doc.dump(2) << "\n";
  if (!out) throw Error(ErrorCode::kIo, fmt::format("cannot write the profile to {}", path));
}

}  // namespace ferry
