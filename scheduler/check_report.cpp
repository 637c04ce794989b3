// `ferry check --json`: the report as one JSON document.
#include <nlohmann/json.hpp>

#include "scheduler/checking.hpp"

namespace ferry {

std::string CheckReportToJson(const CheckReport& r) {
  using nlohmann::ordered_json;
  auto end = [](const EndCheck& e) {
    return ordered_json{{"connection", e.display},
                        {"engine", e.engine},
                        {"product", e.product},
                        {"version", e.version}};
  };
  auto name = [](const TableName& n) {
    return ordered_json{{"schema", n.schema}, {"name", n.name}};
  };
  ordered_json out;
  out["source"] = end(r.source);
  out["destination"] = end(r.destination);
  out["pair_supported"] = r.pair_supported;
  out["blocked"] = r.blockers() > 0;
  out["blockers"] = r.blockers();
  out["warnings"] = r.warnings();
  out["schemas"] = ordered_json::array();
  for (const SchemaCheck& s : r.schemas) {
    out["schemas"].push_back({{"name", s.name},
                              {"tables", s.tables},
                              {"estimated_rows", s.estimated_rows},
                              {"estimated_bytes", s.estimated_bytes}});
  }
  out["tables"] = ordered_json::array();
  for (const TableCheck& t : r.tables) {
    ordered_json j{{"source", name(t.source)},
                   {"destination", name(t.destination)},
                   {"destination_exists", t.destination_exists},
                   {"estimated_rows", t.estimated_rows},
                   {"estimated_bytes", t.estimated_bytes},
                   {"key", t.key},
                   {"key_note", t.key_note},
                   {"split_key", t.split_key},
                   {"strategy", StrategyName(t.strategy)},
                   {"why", t.why},
                   {"partitions", t.partitions},
                   {"sampled", t.sampled},
                   {"sync_mode", t.sync_mode},
                   {"sync_note", t.sync_note}};
    j["estimated_seconds"] =
        t.estimated_seconds >= 0 ? ordered_json(t.estimated_seconds) : ordered_json(nullptr);
    out["tables"].push_back(std::move(j));
  }
  out["findings"] = ordered_json::array();
  for (const Finding& f : r.findings) {
    out["findings"].push_back({{"severity", SeverityName(f.severity)},
                               {"kind", f.kind},
                               {"table", f.table},
                               {"column", f.column},
                               {"message", f.message}});
  }
  out["estimate"] = {
      {"note",
       "an estimate: one stream's read rate measured on a short sample, extrapolated by "
       "the catalog's table sizes; writing, indexes and the network can make the copy "
       "slower"},
      {"sample_tables",
       [&] {
         ordered_json names = ordered_json::array();
         for (const TableName& t : r.sample.tables) names.push_back(DisplayName(t));
         return names;
       }()},
      {"sample_rows", r.sample.rows},
      {"sample_seconds", r.sample.seconds},
      {"bytes_per_second", r.sample.bytes_per_second},
      {"readers", r.readers},
      {"seconds",
       r.estimated_seconds >= 0 ? ordered_json(r.estimated_seconds) : ordered_json(nullptr)}};
  return out.dump(2) + "\n";
}

}  // namespace ferry
