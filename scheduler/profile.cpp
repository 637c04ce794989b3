#include "scheduler/profile.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "copier/profile_compare.hpp"

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

// The host's memory, from sysconf; 0 when unknown.
int64_t MemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? int64_t(pages) * size : 0;
}

// What every profile starts with: its format, the command, and the run's context.
nlohmann::json Header(const char* command, const ProfileContext& context, double seconds) {
  nlohmann::json settings = nlohmann::json::object();
  for (const auto& [key, value] : context.settings) settings[key] = value;
  return {
      {"format", kProfileFormat},
      {"format_version", kProfileFormatVersion},
      {"command", command},
      {"run_id", context.run_id},
      {"ferry_version", context.version},
      {"build_type", context.build_type},
      {"host", {{"cores", std::thread::hardware_concurrency()}, {"memory_bytes", MemoryBytes()}}},
      {"source", context.source},
      {"destination", context.destination},
      {"settings", settings},
      {"seconds", seconds},
      {"seconds_wall", seconds}};
}

nlohmann::json UnitJson(const UnitResult& u) {
  return {{"part", u.part},
          {"state", UnitStateName(u)},
          {"attempts", u.attempts},
          {"rows", u.rows},
          {"bytes", u.bytes},
          {"started_at_s", u.started_at},
          {"finished_at_s", u.finished_at},
          {"seconds_wall", u.seconds},
          {"reader", u.reader},
          {"writer", u.writer},
          {"read_finished_at_s", u.read_finished_at},
          {"write_started_at_s", u.write_started_at},
          {"commit_started_at_s", u.commit_started_at},
          {"stages", Times(u.times)}};
}

}  // namespace

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
    for (const UnitResult& u : t.unit_results) units.push_back(UnitJson(u));
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
  for (const TableOutcome& t : report.tables) all += t.times;
  nlohmann::json doc = Header("run", context, report.seconds);
  doc["stages_summed_over_threads"] = Times(all);
  doc["consistency"] = report.consistency;
  doc["tables"] = tables;
  WriteWholeFile(path, doc.dump(2) + "\n", "profile");
}

void WriteVerifyProfile(const VerifyReport& report, const std::string& path,
                        const ProfileContext& context) {
  nlohmann::json tables = nlohmann::json::array();
  double all = 0;
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const TableVerification& t = report.tables[i];
    nlohmann::json ranges = nlohmann::json::array();
    double compare = 0;
    for (const TableVerification::RangeTiming& r : t.timings) {
      compare += r.finished_at - r.started_at;
      ranges.push_back({{"worker", r.worker},
                        {"range", r.range},
                        {"sub_range", !r.top},
                        {"started_at_s", r.started_at},
                        {"finished_at_s", r.finished_at}});
    }
    all += compare;
    nlohmann::json repair = nlohmann::json::array();
    for (const UnitResult& u : report.repair_units) {
      if (u.table == i) repair.push_back(UnitJson(u));
    }
    const double secs = t.seconds > 0 ? t.seconds : 1e-9;
    tables.push_back({{"source", DisplayName(t.source)},
                      {"destination", DisplayName(t.destination)},
                      {"verdict", VerdictName(t.verdict)},
                      {"rows", t.source_rows},
                      {"destination_rows", t.destination_rows},
                      {"seconds", t.seconds},
                      {"seconds_wall", t.seconds},
                      {"rows_per_second", double(t.source_rows) / secs},
                      {"hash", t.hash},
                      {"ranges", t.ranges},
                      {"ranges_checked", t.ranges_checked},
                      {"ranges_differing", t.ranges_differing},
                      {"ranges_split", t.ranges_split},
                      {"stages_summed_over_threads", {{"compare_s", compare}}},
                      {"comparisons", ranges},
                      {"repair_units", repair}});
  }
  nlohmann::json doc = Header("verify", context, report.seconds);
  doc["stages_summed_over_threads"] = {{"compare_s", all}};
  doc["consistency"] = report.consistency;
  doc["sample_percent"] = report.sample_percent;
  doc["tables"] = tables;
  WriteWholeFile(path, doc.dump(2) + "\n", "profile");
}

void WriteSyncProfile(const SyncReport& report, const std::string& path,
                      const ProfileContext& context) {
  nlohmann::json tables = nlohmann::json::array();
  double all = 0;
  for (const TableSync& t : report.tables) {
    const int64_t rows = t.inserted + t.updated + t.deleted + t.upserted;
    all += t.seconds;
    tables.push_back({{"source", DisplayName(t.source)},
                      {"destination", DisplayName(t.destination)},
                      {"mode", t.mode},
                      {"state", t.interrupted ? "interrupted"
                                : t.failed    ? "failed"
                                              : "done"},
                      {"rows", rows},
                      {"inserted", t.inserted},
                      {"updated", t.updated},
                      {"deleted", t.deleted},
                      {"upserted", t.upserted},
                      {"log_entries", t.log_entries},
                      {"batches", t.batches},
                      {"started_at_s", t.started_at},
                      {"seconds", t.seconds},
                      {"seconds_wall", t.seconds},
                      {"rows_per_second", t.seconds > 0 ? double(rows) / t.seconds : 0},
                      {"stages_summed_over_threads", {{"sync_s", t.seconds}}}});
  }
  nlohmann::json doc = Header("sync", context, report.seconds);
  doc["stages_summed_over_threads"] = {{"sync_s", all}};
  doc["tables"] = tables;
  WriteWholeFile(path, doc.dump(2) + "\n", "profile");
}

void CheckWritable(const std::string& path, const std::string& what) {
  const std::string temporary = fmt::format("{}.tmp-{}", path, getpid());
  std::FILE* f = std::fopen(temporary.c_str(), "w");
  if (!f) {
    throw Error(ErrorCode::kIo,
                fmt::format("cannot write the {} to {}: {}", what, path, std::strerror(errno)));
  }
  std::fclose(f);
  std::remove(temporary.c_str());
}

void WriteWholeFile(const std::string& path, const std::string& text, const std::string& what) {
  const std::string temporary = fmt::format("{}.tmp-{}", path, getpid());
  auto fail = [&](const char* step) {
    const std::string reason = std::strerror(errno);
    std::remove(temporary.c_str());
    throw Error(ErrorCode::kIo,
                fmt::format("cannot write the {} to {}: {}: {}", what, path, step, reason));
  };
  std::FILE* f = std::fopen(temporary.c_str(), "w");
  if (!f) fail("creating a temporary file beside it");
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !written) fail("writing");
  if (std::rename(temporary.c_str(), path.c_str()) != 0) fail("renaming");
}

}  // namespace ferry
