#include "copier/profile_compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "copier/error.hpp"

namespace ferry {

namespace {

using json = nlohmann::json;

// The stages every profile names, in pipeline order.
constexpr const char* kStages[] = {"read_s",          "convert_s", "wait_for_slot_s",
                                   "wait_for_data_s", "write_s",   "commit_s"};

json Parse(const ProfileFile& f) {
  json doc;
  try {
    doc = json::parse(f.text);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kUsage, fmt::format("{} is not JSON ({}): give two profiles written by "
                                               "--profile",
                                               f.name, e.what()));
  }
  const bool versioned = doc.is_object() && doc.contains("format");
  if (!doc.is_object() || (versioned && doc["format"] != kProfileFormat) ||
      (!versioned && !(doc.contains("tables") && doc.contains("stages_summed_over_threads")))) {
    throw Error(ErrorCode::kUsage,
                fmt::format("{} is not a ferry profile (written by --profile)", f.name));
  }
  return doc;
}

int VersionOf(const json& doc) {
  return doc.contains("format_version") ? doc["format_version"].get<int>() : 1;
}

std::string CommandOf(const json& doc) {
  return doc.contains("command") ? doc["command"].get<std::string>() : "run";
}

double Number(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_number() ? it->get<double>() : 0;
}

// "+1.23 (+12.5%)"; the share is "new" when A had none.
std::string Change(double a, double b, int decimals) {
  const double d = b - a;
  std::string share = a != 0   ? fmt::format("{:+.1f}%", 100 * d / std::fabs(a))
                      : b != 0 ? "new"
                               : "0%";
  return fmt::format("{:+.{}f} ({})", d, decimals, share);
}

void Row(std::string& out, const std::string& label, double a, double b, int decimals = 2) {
  out += fmt::format("  {:<38} {:>14.{}f} {:>14.{}f}  {}\n", label, a, decimals, b, decimals,
                     Change(a, b, decimals));
}

void Stages(std::string& out, const json& a, const json& b) {
  const json none = json::object();
  const json& sa =
      a.contains("stages_summed_over_threads") ? a["stages_summed_over_threads"] : none;
  const json& sb =
      b.contains("stages_summed_over_threads") ? b["stages_summed_over_threads"] : none;
  // A copy's stages in pipeline order, then those of other commands (verify's compare_s).
  std::vector<std::string> stages(std::begin(kStages), std::end(kStages));
  for (const json* s : {&sa, &sb}) {
    for (auto it = s->begin(); it != s->end(); ++it) {
      if (std::find(stages.begin(), stages.end(), it.key()) == stages.end()) {
        stages.push_back(it.key());
      }
    }
  }
  for (const std::string& stage : stages) {
    if (!sa.contains(stage) && !sb.contains(stage)) continue;
    Row(out, fmt::format("{} (summed over threads)", stage), Number(sa, stage.c_str()),
        Number(sb, stage.c_str()));
  }
}

double Wall(const json& doc) {
  return doc.contains("seconds_wall") ? Number(doc, "seconds_wall") : Number(doc, "seconds");
}

std::string Describe(const ProfileFile& f, const json& doc) {
  return fmt::format("{}: run {}, ferry {} {}", f.name, doc.value("run_id", "?"),
                     doc.value("ferry_version", "?"), doc.value("build_type", ""));
}

std::string TableName(const json& t) {
  std::string name = t.value("source", "?");
  const std::string dest = t.value("destination", name);
  return dest == name ? name : name + " -> " + dest;
}

void Settings(std::string& out, const json& a, const json& b) {
  const json none = json::object();
  const json& sa = a.contains("settings") ? a["settings"] : none;
  const json& sb = b.contains("settings") ? b["settings"] : none;
  std::set<std::string> keys;
  for (auto it = sa.begin(); it != sa.end(); ++it) keys.insert(it.key());
  for (auto it = sb.begin(); it != sb.end(); ++it) keys.insert(it.key());
  std::string changed;
  for (const std::string& k : keys) {
    const std::string va = sa.contains(k) ? sa[k].dump() : "(unset)";
    const std::string vb = sb.contains(k) ? sb[k].dump() : "(unset)";
    if (va != vb) changed += fmt::format("  {}: {} -> {}\n", k, va, vb);
  }
  out += changed.empty() ? "settings: the same\n" : "settings that differ:\n" + changed;
  for (const char* end : {"source", "destination"}) {
    if (a.value(end, "") != b.value(end, "")) {
      out += fmt::format("{} differs: {} -> {}\n", end, a.value(end, ""), b.value(end, ""));
    }
  }
}

}  // namespace

std::string CompareProfiles(const ProfileFile& fa, const ProfileFile& fb) {
  const json a = Parse(fa);
  const json b = Parse(fb);
  if (VersionOf(a) != VersionOf(b)) {
    throw Error(ErrorCode::kUsage,
                fmt::format("{} is a profile of format version {} and {} of version {}: profiles "
                            "of different format versions are not compared (their fields mean "
                            "different things); profile both runs with the same ferry",
                            fa.name, VersionOf(a), fb.name, VersionOf(b)));
  }
  if (CommandOf(a) != CommandOf(b)) {
    throw Error(ErrorCode::kUsage,
                fmt::format("{} profiles a {} and {} a {}: only profiles of the same command are "
                            "compared",
                            fa.name, CommandOf(a), fb.name, CommandOf(b)));
  }
  std::string out = fmt::format("A = {}\nB = {}\n", Describe(fa, a), Describe(fb, b));
  Settings(out, a, b);
  out += fmt::format("\n  {:<38} {:>14} {:>14}  {}\n", "", "A", "B", "B - A");
  out += "run:\n";
  Row(out, "seconds (wall)", Wall(a), Wall(b));
  Stages(out, a, b);
  std::vector<std::string> order;
  std::map<std::string, std::pair<const json*, const json*>> tables;
  const json empty = json::array();
  for (const json& t : a.contains("tables") ? a["tables"] : empty) {
    order.push_back(TableName(t));
    tables[order.back()].first = &t;
  }
  for (const json& t : b.contains("tables") ? b["tables"] : empty) {
    if (!tables.count(TableName(t))) order.push_back(TableName(t));
    tables[TableName(t)].second = &t;
  }
  std::vector<std::string> only;
  for (const std::string& name : order) {
    const auto [ta, tb] = tables[name];
    if (!ta || !tb) {
      only.push_back(fmt::format("{} (only in {})", name, ta ? "A" : "B"));
      continue;
    }
    out += fmt::format("{}:\n", name);
    Row(out, "seconds (wall)", Wall(*ta), Wall(*tb));
    Row(out, "rows", Number(*ta, "rows"), Number(*tb, "rows"), 0);
    Row(out, "rows per second (wall)", Number(*ta, "rows_per_second"),
        Number(*tb, "rows_per_second"), 0);
    if (ta->value("bound_by", "") != tb->value("bound_by", "")) {
      out += fmt::format("  bound by: {} -> {}\n", ta->value("bound_by", "?"),
                         tb->value("bound_by", "?"));
    }
    Stages(out, *ta, *tb);
  }
  for (const std::string& o : only) out += fmt::format("{}\n", o);
  return out;
}

}  // namespace ferry
