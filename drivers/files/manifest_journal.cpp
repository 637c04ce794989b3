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

json PositionJson(const std::vector<std::pair<std::string, std::string>>& position) {
  json out = json::object();
  for (const auto& [name, value] : position) out[name] = value;
  return out;
}

// The version 5 entries: run-state changes and kept source facts, once whole-manifest rewrites.
std::optional<json> RecordJson(const JournalEntry& e) {
  switch (e.kind) {
    case JournalEntry::Kind::kUnitFailed:
      return json{{"kind", "unit_failed"},         {"run", e.run},
                  {"table", e.failed.table},       {"part", e.failed.part},
                  {"attempts", e.failed.attempts}, {"error", e.error}};
    case JournalEntry::Kind::kUnitsReset:
      return json{{"kind", "units_reset"}, {"run", e.run}, {"table", e.failed.table}};
    case JournalEntry::Kind::kType:
      return json{{"kind", "type"}, {"setup", e.type_setup}, {"statement", e.type_sql}};
    case JournalEntry::Kind::kSnapshot:
      return json{{"kind", "snapshot"},
                  {"run", e.snapshot.run},
                  {"taken_at", e.snapshot.taken_at},
                  {"position", PositionJson(e.snapshot.position)}};
    case JournalEntry::Kind::kLargeObjects: {
      json objects = json::array();
      for (const LargeObjectEntry& o : e.large_objects) objects.push_back(LargeObjectEntryJson(o));
      return json{{"kind", "large_objects"}, {"objects", objects}};
    }
    default:
      return std::nullopt;
  }
}

std::optional<JournalEntry> RecordFrom(const json& j, const std::string& kind) {
  JournalEntry e;
  if (kind == "unit_failed" || kind == "units_reset") {
    e.kind =
        kind == "unit_failed" ? JournalEntry::Kind::kUnitFailed : JournalEntry::Kind::kUnitsReset;
    e.run = j.at("run");
    e.failed.run = e.run;
    e.failed.table = j.at("table");
    if (kind == "units_reset") return e;
    e.failed.part = j.at("part");
    e.failed.attempts = j.at("attempts");
    e.error = j.at("error");
    return e;
  }
  if (kind == "type") {
    e.kind = JournalEntry::Kind::kType;
    e.type_setup = j.at("setup").get<std::vector<std::string>>();
    e.type_sql = j.at("statement");
    return e;
  }
  if (kind == "large_objects") {
    e.kind = JournalEntry::Kind::kLargeObjects;
    for (const json& o : j.at("objects")) e.large_objects.push_back(LargeObjectEntryFrom(o));
    return e;
  }
  if (kind == "snapshot") {
    e.kind = JournalEntry::Kind::kSnapshot;
    e.snapshot.run = j.at("run");
    e.snapshot.taken_at = j.at("taken_at");
    for (const auto& [name, value] : j.at("position").items()) {
      e.snapshot.position.emplace_back(name, value.get<std::string>());
    }
    return e;
  }
  return std::nullopt;
}

json EntryJson(const JournalEntry& e) {
  if (std::optional<json> record = RecordJson(e)) return std::move(*record);
  if (e.kind == JournalEntry::Kind::kTableEntry) {
    return {{"kind", "table_entry"},
            {"table", NameJson(e.table)},
            {"entry", e.entry ? TableEntryJson(*e.entry, false) : json(nullptr)},
            {"clear_units", e.clear_units}};
  }
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

JournalEntry EntryFrom(const json& j, const std::string& path) {
  const std::string kind = j.at("kind");
  if (std::optional<JournalEntry> record = RecordFrom(j, kind)) return std::move(*record);
  JournalEntry e;
  if (kind == "table_entry") {
    e.kind = JournalEntry::Kind::kTableEntry;
    e.table = NameFrom(j.at("table"));
    if (!j.at("entry").is_null()) e.entry = TableEntryFrom(j.at("entry"), path, false);
    e.clear_units = j.at("clear_units");
    return e;
  }
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

// The table a record names, read leniently (a record that fails its checksum may still name
// it), as shown to users; "" when it names none.
std::string TableNamed(const json& entry) {
  try {
    if (entry.contains("table") && entry["table"].is_object()) {
      return DisplayName(NameFrom(entry["table"]));
    }
    if (entry.value("kind", "") == "table") {
      return DisplayName(NameFrom(entry.at("record").at("destination")));
    }
  } catch (const std::exception&) {
  }
  return "";
}

// What a line says it is: "a unit record of public.t"; "" when it says nothing readable.
std::string Describe(const json& entry) {
  if (!entry.is_object() || !entry.contains("kind") || !entry["kind"].is_string()) return "";
  const std::string table = TableNamed(entry);
  return fmt::format("a {} record{}", entry["kind"].get<std::string>(),
                     table.empty() ? "" : " of " + table);
}

// The entry of one line, or the line's problem: what it says it is, and what is wrong.
struct Parsed {
  std::optional<JournalEntry> entry;
  std::string problem;
  std::string table;  // the table the line names, if it names one
};

Parsed ParseLine(const std::string& line, const std::string& path) {
  json j;
  try {
    j = json::parse(line);
  } catch (const std::exception&) {
    return {std::nullopt, "is not JSON"};
  }
  if (!j.is_object() || !j.contains("entry") || !j.contains("sha256")) {
    return {std::nullopt, "is not a journal record ({\"entry\": ..., \"sha256\": ...})"};
  }
  const std::string what = Describe(j["entry"]);
  const std::string prefix = what.empty() ? "" : "(" + what + ") ";
  const std::string table = j["entry"].is_object() ? TableNamed(j["entry"]) : "";
  if (j["sha256"] != Checksum(j["entry"])) {
    return {std::nullopt, prefix + "does not match its checksum: its content was changed", table};
  }
  try {
    return {EntryFrom(j["entry"], path), "", table};
  } catch (const std::exception& e) {  // json's, an unknown kind, a type it does not know
    return {std::nullopt, prefix + fmt::format("is not a record this ferry reads ({})", e.what()),
            table};
  }
}

void ChunksOf(const TableEntry& t, std::vector<std::string>* out) {
  if (!out) return;
  for (const UnitEntry& u : t.units) {
    for (const ChunkEntry& c : u.chunks) out->push_back(c.file);
  }
}

void ApplyTableEntry(Manifest& m, const JournalEntry& e, std::vector<std::string>* replaced,
                     TableLookup& tables) {
  const std::optional<size_t> at = tables.Find(e.table);
  if (!e.entry) {  // dropped
    if (!at) return;
    ChunksOf(m.tables[*at], replaced);
    m.tables.erase(m.tables.begin() + std::ptrdiff_t(*at));
    tables.Rebuild(m);
    return;
  }
  if (!at) {
    m.tables.push_back(*e.entry);
    m.tables.back().units.clear();
    tables.Added(m);
    return;
  }
  TableEntry& t = m.tables[*at];
  if (e.clear_units) ChunksOf(t, replaced);
  std::vector<UnitEntry> units = e.clear_units ? std::vector<UnitEntry>{} : std::move(t.units);
  t = *e.entry;
  t.units = std::move(units);
}

void ApplyUnit(Manifest& m, const JournalEntry& e, std::vector<std::string>* replaced,
               const TableLookup& tables) {
  const std::optional<size_t> at_table = tables.Find(e.table);
  if (!at_table) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("{} is not in the staging directory's manifest", DisplayName(e.table)));
  }
  TableEntry* t = &m.tables[*at_table];
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

// The version 5 entries' changes to the run state and the kept source facts; false for others.
bool ApplyRecord(Manifest& m, const JournalEntry& e) {
  switch (e.kind) {
    case JournalEntry::Kind::kUnitFailed:
      if (UnitRecord* u = FindUnitRecord(m.run_units[e.run], e.failed.table, e.failed.part)) {
        u->state = UnitRecordState::kFailed;
        u->attempts = e.failed.attempts;
        u->error = e.error;
      }
      return true;
    case JournalEntry::Kind::kUnitsReset:
      for (UnitRecord& u : m.run_units[e.run]) {
        if (u.table == e.failed.table) u.state = UnitRecordState::kPending;
      }
      return true;
    case JournalEntry::Kind::kType:
      m.type_setup = e.type_setup;
      if (std::find(m.types.begin(), m.types.end(), e.type_sql) == m.types.end()) {
        m.types.push_back(e.type_sql);
      }
      return true;
    case JournalEntry::Kind::kSnapshot:
      m.snapshots.push_back(e.snapshot);
      return true;
    case JournalEntry::Kind::kLargeObjects: {
      if (!m.large_objects) m.large_objects.emplace();
      std::vector<LargeObjectEntry>& list = *m.large_objects;
      for (const LargeObjectEntry& o : e.large_objects) {
        auto at = std::lower_bound(
            list.begin(), list.end(), o.object.oid,
            [](const LargeObjectEntry& x, uint32_t oid) { return x.object.oid < oid; });
        if (at != list.end() && at->object.oid == o.object.oid) {
          *at = o;
        } else {
          list.insert(at, o);
        }
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

std::string JournalLine(const JournalEntry& entry) {
  json e = EntryJson(entry);
  const std::string sum = Checksum(e);
  return json{{"entry", std::move(e)}, {"sha256", sum}}.dump() + "\n";
}

void ApplyJournalEntry(Manifest& m, const JournalEntry& entry, std::vector<std::string>* replaced,
                       TableLookup* tables) {
  std::optional<TableLookup> own;
  if (!tables &&
      (entry.kind == JournalEntry::Kind::kUnit || entry.kind == JournalEntry::Kind::kTableEntry)) {
    tables = &own.emplace(m);
  }
  if (entry.kind == JournalEntry::Kind::kUnit) {
    ApplyUnit(m, entry, replaced, *tables);
    return;
  }
  if (entry.kind == JournalEntry::Kind::kTableEntry) {
    ApplyTableEntry(m, entry, replaced, *tables);
    return;
  }
  if (ApplyRecord(m, entry)) return;
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

JournalRead ReadJournalLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowIo("cannot read", path, errno);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(text, line)) lines.push_back(line);
  JournalRead out;
  // A last line without its newline was being written when the file was read.
  const std::string all = text.str();
  if (!all.empty() && all.back() != '\n' && !lines.empty()) {
    lines.pop_back();
    out.torn = true;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    Parsed p = ParseLine(lines[i], path);
    if (p.entry) {
      out.entries.push_back(std::move(*p.entry));
      continue;
    }
    if (i + 1 == lines.size()) {  // an append cut short by its process's end
      out.torn = true;
      break;
    }
    out.bad_line = int(i + 1);
    out.problem = std::move(p.problem);
    out.bad_table = std::move(p.table);
    break;
  }
  return out;
}

std::vector<JournalEntry> ReadJournal(const std::string& path) {
  JournalRead read = ReadJournalLines(path);
  if (read.bad_line > 0) {
    throw Error(ErrorCode::kIo,
                fmt::format("{}: line {} {} (edited, or damaged); what the export did after it "
                            "cannot be trusted: run the export again into a new directory",
                            path, read.bad_line, read.problem));
  }
  return std::move(read.entries);
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
    TableLookup tables(m);
    for (const JournalEntry& e : entries) ApplyJournalEntry(m, e, nullptr, &tables);
    return m;
  }
}

}  // namespace ferry::staging
