// A staging directory's manifest as a reader following docs/staging-format.md sees it: while the
// export runs, the units it committed since manifest.json was last written are in the journal the
// manifest names ("The journal"). Read here with the tests' own JSON code, not ferry's reader.
#pragma once

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace ferry::test {

inline std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A table event (manifest version 3): the table's entry, its units kept unless cleared.
inline void ApplyTableEntry(nlohmann::json& m, const nlohmann::json& entry) {
  auto& tables = m.at("tables");
  auto at = tables.begin();
  while (at != tables.end() && at->at("table").at("name") != entry.at("table")) ++at;
  if (entry.at("entry").is_null()) {
    if (at != tables.end()) tables.erase(at);
    return;
  }
  nlohmann::json t = entry.at("entry");
  const bool kept = at != tables.end() && !entry.at("clear_units").get<bool>();
  t["units"] = kept ? at->at("units") : nlohmann::json::array();
  if (at == tables.end()) {
    tables.push_back(t);
  } else {
    *at = t;
  }
}

// The manifest of `folder` with its journal's whole lines applied; manifest.json's own text when
// it names no journal (a finished export), so a test may look for its exact spelling.
inline std::string StagedManifestText(const std::string& folder) {
  const std::string text = ReadWhole(folder + "/manifest.json");
  nlohmann::json m = nlohmann::json::parse(text);
  const std::string journal = m.value("journal", "");
  if (journal.empty()) return text;
  std::istringstream lines(ReadWhole(folder + "/" + journal));
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // no newline after it: still being written
    const nlohmann::json entry = nlohmann::json::parse(line).at("entry");
    if (entry.at("kind") == "table_entry") {
      ApplyTableEntry(m, entry);
      continue;
    }
    if (entry.at("kind") != "unit") continue;
    for (auto& t : m.at("tables")) {
      if (t.at("table").at("name") != entry.at("table")) continue;
      auto& units = t.at("units");
      const int part = entry.at("unit").at("part");
      for (auto u = units.begin(); u != units.end();) {
        u = u->at("part") == part ? units.erase(u) : u + 1;
      }
      auto at = units.begin();
      while (at != units.end() && at->at("part") < part) ++at;
      units.insert(at, entry.at("unit"));
    }
  }
  return m.dump(1);
}

}  // namespace ferry::test
