#include "copier/metrics.hpp"

#include <fmt/format.h>

#include <cmath>

#include "copier/error.hpp"

namespace ferry {

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricsText::Family(const std::string& name, const std::string& type,
                         const std::string& help) {
  families_.push_back({name, type, help, {}});
}

void MetricsText::Sample(const std::string& name, const MetricLabels& labels, double value) {
  for (auto it = families_.rbegin(); it != families_.rend(); ++it) {
    if (it->name != name) continue;
    std::string text = name;
    if (!labels.empty()) {
      text += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        text += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", labels[i].first,
                            EscapeLabelValue(labels[i].second));
      }
      text += '}';
    }
    if (std::isnan(value)) {
      text += " NaN";
    } else if (std::isinf(value)) {
      text += value > 0 ? " +Inf" : " -Inf";
    } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
      text += fmt::format(" {}", int64_t(value));
    } else {
      text += fmt::format(" {}", value);
    }
    it->lines.push_back(std::move(text));
    return;
  }
  throw Error(ErrorCode::kInternal, fmt::format("metric {} has no family", name));
}

std::string MetricsText::Render() const {
  std::string out;
  for (const Entry& f : families_) {
    if (f.lines.empty()) continue;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
    for (const std::string& line : f.lines) out += line + "\n";
  }
  return out;
}

}  // namespace ferry
