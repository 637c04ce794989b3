#include "drivers/files/manifest_journal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "copier/error.hpp"
#include "drivers/files/disk.hpp"

namespace ferry::staging {

namespace {

using nlohmann::json;

constexpr const char* kJournalPrefix = "manifest.journal-";

json EntryJson(const JournalEntry& e) {
  if (e.kind == JournalEntry::Kind::kTable) {
    return {{"kind", "table"}, {"run", e.run}, {"record", TableRecordJson(e.record)}};
  }
  if (e.kind == JournalEntry::Kind::kChangeLog) {
    return {{"kind", "change_log"},
            {"table", NameJson(e.position.table)},
            {"generation", e.position.generation},
            {"applied", e.position.applied}};
  }
  json done = json::array();
  for (const DoneUnit& d : e.done) {
    done.push_back({{"run", d.run},
                    {"table", d.table},
                    {"part", d.part},
                    {"attempts", d.attempts},
                    {"rows", d.rows},
                    {"bytes", d.bytes}});
  }
  return {{"kind", "unit"},
          {"table", NameJson(e.table)},
          {"unit", UnitEntryJson(e.unit)},
          {"done", done}};
}

JournalEntry EntryFrom(const json& j) {
  JournalEntry e;
  const std::string kind = j.at("kind");
  if (kind == "table") {
    e.kind = JournalEntry::Kind::kTable;
    e.run = j.at("run");
    e.record = TableRecordFrom(j.at("record"));
    return e;
  }
  if (kind == "change_log") {
    e.kind = JournalEntry::Kind::kChangeLog;
    e.position = {NameFrom(j.at("table")), j.at("generation"), j.at("applied")};
    return e;
  }
  if (kind != "unit") throw std::invalid_argument("unknown entry kind " + kind);
  e.table = NameFrom(j.at("table"));
  e.unit = UnitEntryFrom(j.at("unit"));
  for (const json& d : j.at("done")) {
    e.done.push_back(
        {d.at("run"), d.at("table"), d.at("part"), d.at("attempts"), d.at("rows"), d.at("bytes")});
  }
  return e;
}

// The entry of one line, or nullopt when the line is not one whole entry.
std::optional<JournalEntry> ParseLine(const std::string& line) {
  try {
    const json j = json::parse(line);
    const json& entry = j.at("entry");
    if (j.at("sha256") != Checksum(entry)) return std::nullopt;
    return EntryFrom(entry);
  } catch (const std::exception&) {  // json's, and an unknown kind
    return std::nullopt;
  }
}

void ApplyUnit(Manifest& m, const JournalEntry& e, std::vector<std::string>* replaced) {
  TableEntry* t = m.Find(e.table);
  if (!t) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("{} is not in the staging directory's manifest", DisplayName(e.table)));
  }
  // Both looked up, not looked through: an export of n units applies n entries, and so does
  // every reading of its journal.
  for (const DoneUnit& d : e.done) {
    if (UnitRecord* u = FindUnitRecord(m.run_units[d.run], d.table, d.part)) {
      u->state = UnitRecordState::kDone;
      u->rows = d.rows;
      u->bytes = d.bytes;
      u->attempts = d.attempts;
      u->error.clear();
    }
  }
  // The table's units are kept in part order; an entry for a part replaces the one there.
  auto at = t->UnitAt(e.unit.part);
  auto end = at;
  for (; end != t->units.end() && end->part == e.unit.part; ++end) {
    if (replaced) {
      for (const ChunkEntry& c : end->chunks) replaced->push_back(c.file);
    }
  }
  t->units.insert(t->units.erase(at, end), e.unit);
}

}  // namespace

std::string JournalLine(const JournalEntry& entry) {
  json e = EntryJson(entry);
  const std::string sum = Checksum(e);
  return json{{"entry", std::move(e)}, {"sha256", sum}}.dump() + "\n";
}

void ApplyJournalEntry(Manifest& m, const JournalEntry& entry, std::vector<std::string>* replaced) {
  if (entry.kind == JournalEntry::Kind::kUnit) {
    ApplyUnit(m, entry, replaced);
    return;
  }
  if (entry.kind == JournalEntry::Kind::kChangeLog) {
    std::erase_if(m.change_logs,
                  [&](const ChangeLogPosition& p) { return p.table == entry.position.table; });
    m.change_logs.push_back(entry.position);
    return;
  }
  for (TableRecord& t : m.run_tables[entry.run]) {
    if (t.index != entry.record.index) continue;
    TableRecord updated = entry.record;
    updated.source = t.source;
    updated.destination = t.destination;
    if (updated.started_at.empty()) updated.started_at = t.started_at;
    t = std::move(updated);
  }
}

std::vector<JournalEntry> ReadJournal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowIo("cannot read", path, errno);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(text, line)) lines.push_back(line);
  // A last line without its newline was being written when the file was read.
  const std::string all = text.str();
  if (!all.empty() && all.back() != '\n' && !lines.empty()) lines.pop_back();
  std::vector<JournalEntry> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::optional<JournalEntry> e = ParseLine(lines[i]);
    if (e) {
      out.push_back(std::move(*e));
      continue;
    }
    if (i + 1 == lines.size()) break;  // an append cut short by its process's end
    throw Error(ErrorCode::kIo,
                fmt::format("{}: line {} is not a journal entry ferry wrote (edited, or damaged); "
                            "the units after it cannot be trusted: run the export again into a "
                            "new directory",
                            path, i + 1));
  }
  return out;
}

std::string NewJournalName() {
  std::random_device random;
  const uint64_t n = (uint64_t(random()) << 32) | random();
  return fmt::format("{}{:016x}", kJournalPrefix, n);
}

bool IsJournalName(const std::string& file_name) {
  return file_name.rfind(kJournalPrefix, 0) == 0 && !IsTempName(file_name);
}

std::optional<Manifest> LoadManifest(const std::string& folder, bool checked,
                                     uint64_t* manifest_bytes) {
  const std::string path = folder + "/" + kManifestName;
  for (int attempt = 1;; ++attempt) {
    if (!std::filesystem::exists(path)) return std::nullopt;
    const std::string text = ReadWholeFile(path);
    Manifest m = ManifestFromJson(text, path, checked);
    if (manifest_bytes) *manifest_bytes = text.size();
    if (m.journal.empty()) return m;
    const std::string journal = folder + "/" + m.journal;
    if (!std::filesystem::exists(journal)) {
      if (attempt < 5) continue;  // folded into the manifest written since
      return m;
    }
    std::vector<JournalEntry> entries;
    try {
      entries = ReadJournal(journal);
    } catch (const Error&) {
      if (attempt < 5 && !std::filesystem::exists(journal)) continue;
      throw;
    }
    for (const JournalEntry& e : entries) ApplyJournalEntry(m, e);
    return m;
  }
}

}  // namespace ferry::staging
