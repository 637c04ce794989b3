// Prometheus metrics in the text exposition format, as node_exporter's textfile collector reads
// them: each family's HELP and TYPE once, then its samples; label values escaped; no timestamps
// (the collector stamps them, and a stale file shows in node_textfile_mtime_seconds).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsText {
 public:
  // Declares a family; its samples follow in the order they are added. `type` is "gauge" or
  // "counter" (a counter's name ends in _total).
  void Family(const std::string& name, const std::string& type, const std::string& help);
  // A sample of the family declared last with `name`.
  void Sample(const std::string& name, const MetricLabels& labels, double value);
  std::string Render() const;

 private:
  struct Entry {
    std::string name;
    std::string type;
    std::string help;
    std::vector<std::string> lines;
  };
  std::vector<Entry> families_;
};

// `value` with backslash, double quote and newline escaped, as a label value needs.
std::string EscapeLabelValue(const std::string& value);

}  // namespace ferry
