#include "copier/log_gaps.hpp"

#include <algorithm>
#include <stdexcept>

namespace ferry {

namespace {

std::vector<std::string> Split(const std::string& text, char by) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t at = 0;
  for (;;) {
    const size_t end = text.find(by, at);
    out.push_back(text.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) return out;
    at = end + 1;
  }
}

int64_t Number(const std::string& text) {
  size_t used = 0;
  const int64_t n = std::stoll(text, &used);
  if (used != text.size()) throw std::invalid_argument("not a number: " + text);
  return n;
}

}  // namespace

std::string FormatGaps(const std::vector<LogGap>& gaps) {
  std::string out;
  for (size_t i = 0; i < gaps.size(); ++i) {
    const bool same = i > 0 && gaps[i].writers == gaps[i - 1].writers;
    out += i == 0 ? "" : same ? "," : ";";
    out += std::to_string(gaps[i].first) + "-" + std::to_string(gaps[i].last);
    const bool last_of_group = i + 1 == gaps.size() || gaps[i + 1].writers != gaps[i].writers;
    if (!last_of_group) continue;
    out += "@";
    for (size_t w = 0; w < gaps[i].writers.size(); ++w) {
      out += (w ? "," : "") + gaps[i].writers[w];
    }
  }
  return out;
}

std::vector<LogGap> ParseGaps(const std::string& text) {
  std::vector<LogGap> out;
  for (const std::string& group : Split(text, ';')) {
    const size_t at = group.find('@');
    if (at == std::string::npos) throw std::invalid_argument("no writers in " + group);
    const std::vector<std::string> writers = Split(group.substr(at + 1), ',');
    for (const std::string& range : Split(group.substr(0, at), ',')) {
      // Log numbers are positive: the first '-' after the start separates the two.
      const size_t dash = range.find('-', 1);
      if (dash == std::string::npos) throw std::invalid_argument("not a range: " + range);
      LogGap g;
      g.first = Number(range.substr(0, dash));
      g.last = Number(range.substr(dash + 1));
      if (g.last < g.first) throw std::invalid_argument("an empty range: " + range);
      g.writers = writers;
      out.push_back(std::move(g));
    }
  }
  return out;
}

std::vector<LogGap> ResolveGaps(const std::vector<LogGap>& gaps,
                                const std::vector<std::string>& open,
                                const std::vector<bool>& complete) {
  std::vector<LogGap> out;
  for (size_t i = 0; i < gaps.size(); ++i) {
    if (i < complete.size() && complete[i]) continue;
    LogGap kept = gaps[i];
    kept.writers.clear();
    for (const std::string& w : gaps[i].writers) {
      if (std::find(open.begin(), open.end(), w) != open.end()) kept.writers.push_back(w);
    }
    if (!kept.writers.empty()) out.push_back(std::move(kept));
  }
  return out;
}

int64_t PurgeFloor(int64_t applied, const std::vector<LogGap>& gaps) {
  int64_t floor = applied;
  for (const LogGap& g : gaps) floor = std::min(floor, g.first - 1);
  return floor;
}

std::vector<LogGap> GapsUpTo(const std::vector<LogGap>& gaps, int64_t sequence) {
  std::vector<LogGap> out;
  for (const LogGap& g : gaps) {
    if (g.first <= sequence) out.push_back(g);
  }
  return out;
}

std::vector<std::string> GapWriters(const std::vector<LogGap>& gaps) {
  std::vector<std::string> out;
  for (const LogGap& g : gaps) {
    for (const std::string& w : g.writers) {
      if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
    }
  }
  return out;
}

}  // namespace ferry
