#include "drivers/files/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "copier/error.hpp"
#include "copier/planner.hpp"
#include "drivers/files/chunk_format.hpp"
#include "drivers/files/kept_schema.hpp"

namespace ferry::staging {

namespace {

using nlohmann::json;

// In TypeKind's order, which indexes it.
constexpr const char* kKindNames[] = {"boolean", "integer", "decimal", "real",       "double",
                                      "char",    "varchar", "text",    "binary",     "varbinary",
                                      "blob",    "date",    "time",    "timestamp",  "timestamptz",
                                      "uuid",    "json",    "any",     "unsupported"};
static_assert(std::size(kKindNames) == size_t(TypeKind::kUnsupported) + 1,
              "a name for every TypeKind");

std::string KindName(TypeKind kind) {
  return kKindNames[int(kind)];
}

TypeKind KindFromName(const std::string& name, const std::string& path) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (name == kKindNames[i]) return TypeKind(i);
  }
  throw Error(ErrorCode::kIo, fmt::format("{}: unknown column type kind '{}'", path, name));
}

json TypeJson(const ColumnType& t) {
  return {{"kind", KindName(t.kind)},
          {"width_bits", t.width_bits},
          {"unsigned", t.is_unsigned},
          {"precision", t.precision},
          {"scale", t.scale},
          {"length", t.length},
          {"max_bytes", t.max_bytes},
          {"binary_json", t.binary_json},
          {"database_specific", t.database_specific},
          {"text_form", t.text_form},
          {"native", t.native},
          {"labels", t.labels},
          {"spatial", t.spatial},
          {"srid", t.srid},
          {"srid_prefixed", t.srid_prefixed}};
}

ColumnType TypeFrom(const json& j, const std::string& path) {
  ColumnType t;
  t.kind = KindFromName(j.at("kind").get<std::string>(), path);
  t.width_bits = j.at("width_bits");
  t.is_unsigned = j.at("unsigned");
  t.precision = j.at("precision");
  t.scale = j.at("scale");
  t.length = j.at("length");
  t.max_bytes = j.at("max_bytes");
  t.binary_json = j.at("binary_json");
  t.database_specific = j.at("database_specific");
  t.text_form = j.value("text_form", false);  // absent in manifests written before it
  t.native = j.at("native");
  t.labels = j.at("labels").get<std::vector<std::string>>();
  // Absent in manifests written before spatial columns crossed engines.
  t.spatial = j.value("spatial", std::string());
  t.srid = j.value("srid", uint32_t(0));
  t.srid_prefixed = j.value("srid_prefixed", false);
  return t;
}

json IndexJson(const Index& i) {
  return {{"name", i.name},
          {"columns", i.columns},
          {"unique", i.unique},
          {"native_definition", i.native_definition}};
}

Index IndexFrom(const json& j) {
  return Index{j.at("name"), j.at("columns").get<std::vector<int>>(), j.at("unique"),
               j.at("native_definition")};
}

}  // namespace

json NameJson(const TableName& n) {
  return {{"schema", n.schema}, {"name", n.name}};
}

TableName NameFrom(const json& j) {
  return TableName{j.at("schema"), j.at("name")};
}

namespace {

json TableJson(const Table& t) {
  json columns = json::array();
  for (const Column& c : t.columns) {
    json column{{"name", c.name},
                {"type", TypeJson(c.type)},
                {"nullable", c.nullable},
                {"identity", c.identity},
                {"domain", c.domain},
                {"domain_check", c.domain_check},
                {"default", c.default_value},
                {"on_update", c.on_update}};
    // Only where there is one: manifests of columns without stay as they were.
    if (!c.extension.empty()) {
      column["extension"] = c.extension;
      column["extension_schema"] = c.extension_schema;
    }
    if (c.case_insensitive) column["case_insensitive"] = true;
    columns.push_back(std::move(column));
  }
  json unique = json::array(), plain = json::array(), fks = json::array();
  for (const Index& i : t.unique_indexes) unique.push_back(IndexJson(i));
  for (const Index& i : t.indexes) plain.push_back(IndexJson(i));
  for (const ForeignKey& fk : t.foreign_keys) {
    json key{{"name", fk.name},
             {"columns", fk.columns},
             {"references", NameJson(fk.references)},
             {"referenced_columns", fk.referenced_columns},
             {"on_delete", fk.on_delete},
             {"on_update", fk.on_update}};
    // Only where the key is deferrable: manifests of other keys stay as they were.
    if (!fk.deferrable.empty()) key["deferrable"] = fk.deferrable;
    fks.push_back(std::move(key));
  }
  json checks = json::array();
  for (const CheckConstraint& c : t.checks)
    checks.push_back({{"name", c.name}, {"condition", c.condition}});
  return {{"name", NameJson(t.name)}, {"columns", columns},
          {"checks", checks},         {"primary_key", t.primary_key},
          {"unique_indexes", unique}, {"indexes", plain},
          {"foreign_keys", fks},      {"estimated_bytes", t.estimated_bytes}};
}

Table TableFrom(const json& j, const std::string& path) {
  Table t;
  t.name = NameFrom(j.at("name"));
  for (const json& c : j.at("columns")) {
    Column col;
    col.name = c.at("name");
    col.type = TypeFrom(c.at("type"), path);
    col.nullable = c.at("nullable");
    col.identity = c.at("identity");
    col.domain = c.at("domain");
    col.domain_check = c.at("domain_check");
    // Manifests written before defaults were carried have none.
    col.default_value = c.value("default", "");
    col.on_update = c.value("on_update", "");
    col.extension = c.value("extension", "");
    col.extension_schema = c.value("extension_schema", "");
    col.case_insensitive = c.value("case_insensitive", false);
    t.columns.push_back(std::move(col));
  }
  t.primary_key = j.at("primary_key").get<std::vector<int>>();
  for (const json& i : j.at("unique_indexes")) t.unique_indexes.push_back(IndexFrom(i));
  for (const json& i : j.at("indexes")) t.indexes.push_back(IndexFrom(i));
  for (const json& f : j.at("foreign_keys")) {
    ForeignKey fk;
    fk.name = f.at("name");
    fk.columns = f.at("columns").get<std::vector<int>>();
    fk.references = NameFrom(f.at("references"));
    fk.referenced_columns = f.at("referenced_columns").get<std::vector<std::string>>();
    fk.on_delete = f.at("on_delete");
    fk.on_update = f.at("on_update");
    fk.deferrable = f.value("deferrable", "");  // absent: checked at each statement
    t.foreign_keys.push_back(std::move(fk));
  }
  for (const json& c : j.value("checks", json::array())) {
    t.checks.push_back({c.at("name"), c.at("condition")});
  }
  t.estimated_bytes = j.at("estimated_bytes");
  return t;
}

json BoundJson(const std::optional<std::vector<std::string>>& b) {
  return b ? json(*b) : json(nullptr);
}
std::optional<std::vector<std::string>> BoundFrom(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::vector<std::string>>();
}

json RunJson(const RunRecord& r) {
  return {{"id", r.id},
          {"scope", r.scope},
          {"command", r.command},
          {"status", RunStatusName(r.status)},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"source", r.source},
          {"destination", r.destination},
          {"plan_fingerprint", r.plan_fingerprint},
          {"plan", r.plan},
          {"host", r.host},
          {"pid", r.pid},
          {"summary", r.summary},
          {"owner_token", r.owner_token}};
}

RunRecord RunFrom(const json& j) {
  RunRecord r;
  r.id = j.at("id");
  r.scope = j.at("scope");
  r.command = j.at("command");
  r.status = ParseRunStatus(j.at("status")).value_or(RunStatus::kFailed);
  r.started_at = j.at("started_at");
  r.finished_at = j.at("finished_at");
  r.source = j.at("source");
  r.destination = j.at("destination");
  r.plan_fingerprint = j.at("plan_fingerprint");
  r.plan = j.at("plan");
  r.host = j.at("host");
  r.pid = j.at("pid");
  r.summary = j.at("summary");
  r.owner_token = j.at("owner_token");
  return r;
}

}  // namespace

json TableRecordJson(const TableRecord& t) {
  return {{"index", t.index},
          {"source", NameJson(t.source)},
          {"destination", NameJson(t.destination)},
          {"state", t.state},
          {"created", t.created},
          {"rows", t.rows},
          {"bytes", t.bytes},
          {"seconds", t.seconds},
          {"units", t.units},
          {"units_done", t.units_done},
          {"attempts", t.attempts},
          {"estimated_rows", t.estimated_rows},
          {"error", t.error},
          {"started_at", t.started_at}};
}

TableRecord TableRecordFrom(const json& j) {
  TableRecord t;
  t.index = j.at("index");
  t.source = NameFrom(j.at("source"));
  t.destination = NameFrom(j.at("destination"));
  t.state = j.at("state");
  t.created = j.at("created");
  t.rows = j.at("rows");
  t.bytes = j.at("bytes");
  t.seconds = j.at("seconds");
  t.units = j.at("units");
  t.units_done = j.at("units_done");
  t.attempts = j.at("attempts");
  t.estimated_rows = j.at("estimated_rows");
  t.error = j.at("error");
  t.started_at = j.value("started_at", "");  // absent from older manifests
  return t;
}

namespace {

json UnitRecordJson(const UnitRecord& u) {
  return {{"table", u.table}, {"part", u.part},   {"state", UnitRecordStateName(u.state)},
          {"rows", u.rows},   {"bytes", u.bytes}, {"attempts", u.attempts},
          {"range", u.range}, {"error", u.error}};
}

UnitRecord UnitRecordFrom(const json& j) {
  UnitRecord u;
  u.table = j.at("table");
  u.part = j.at("part");
  u.state = ParseUnitRecordState(j.at("state")).value_or(UnitRecordState::kPending);
  u.rows = j.at("rows");
  u.bytes = j.at("bytes");
  u.attempts = j.at("attempts");
  u.range = j.at("range");
  u.error = j.at("error");
  return u;
}

}  // namespace

json UnitEntryJson(const UnitEntry& u) {
  json chunks = json::array();
  for (const ChunkEntry& c : u.chunks) {
    chunks.push_back({{"file", c.file},
                      {"rows", c.rows},
                      {"bytes", c.bytes},
                      {"sha256", c.sha256},
                      {"row_sum", fmt::format("{:016x}", c.row_sum)}});
  }
  return {{"part", u.part},
          {"parts", u.parts},
          {"key", u.key},
          {"lo", BoundJson(u.lo)},
          {"hi", BoundJson(u.hi)},
          {"null_keys", u.null_keys},
          {"by_location", u.by_location},
          {"run", u.run},
          {"rows", u.rows()},
          {"chunks", chunks}};
}

UnitEntry UnitEntryFrom(const json& u) {
  UnitEntry unit;
  unit.part = u.at("part");
  unit.parts = u.at("parts");
  unit.key = u.at("key").get<std::vector<std::string>>();
  unit.lo = BoundFrom(u.at("lo"));
  unit.hi = BoundFrom(u.at("hi"));
  unit.null_keys = u.at("null_keys");
  unit.by_location = u.at("by_location");
  unit.run = u.at("run");
  for (const json& c : u.at("chunks")) {
    ChunkEntry chunk{c.at("file"), c.at("rows"), c.at("bytes"), c.at("sha256"),
                     std::stoull(c.at("row_sum").get<std::string>(), nullptr, 16)};
    unit.chunks.push_back(std::move(chunk));
  }
  return unit;
}

namespace {

json LargeObjectsJson(const std::optional<std::vector<LargeObjectEntry>>& objects) {
  if (!objects) return nullptr;
  json out = json::array();
  for (const LargeObjectEntry& e : *objects) out.push_back(LargeObjectEntryJson(e));
  return out;
}

json BodyJson(const Manifest& m) {
  json tables = json::array();
  for (const TableEntry& t : m.tables) tables.push_back(TableEntryJson(t, true));
  json runs = json::array();
  for (const RunRecord& r : m.runs) {
    json rt = json::array(), ru = json::array();
    if (auto it = m.run_tables.find(r.id); it != m.run_tables.end()) {
      for (const TableRecord& t : it->second) rt.push_back(TableRecordJson(t));
    }
    if (auto it = m.run_units.find(r.id); it != m.run_units.end()) {
      for (const UnitRecord& u : it->second) ru.push_back(UnitRecordJson(u));
    }
    runs.push_back({{"run", RunJson(r)}, {"tables", rt}, {"units", ru}});
  }
  json logs = json::array();
  for (const ChangeLogPosition& p : m.change_logs) {
    logs.push_back(
        {{"table", NameJson(p.table)}, {"generation", p.generation}, {"applied", p.applied}});
  }
  json snapshots = json::array();
  for (const SnapshotRecord& r : m.snapshots) {
    json position = json::object();
    for (const auto& [name, value] : r.position) position[name] = value;
    snapshots.push_back({{"run", r.run}, {"taken_at", r.taken_at}, {"position", position}});
  }
  return {{"format", "ferry-staging"},
          {"version", kManifestVersion},
          {"chunk_version", kChunkVersion},
          {"status", m.status},
          {"created_at", m.created_at},
          {"finished_at", m.finished_at},
          {"source", m.source},
          {"source_engine", m.source_engine},
          {"source_identity", m.source_identity},
          {"schema", m.schema ? KeptSchemaJson(*m.schema) : json(nullptr)},
          {"sequences", SequencesJson(m.sequences)},
          {"tables", tables},
          {"log_consumer", m.log_consumer},
          {"change_logs", logs},
          {"snapshots", snapshots},
          {"types", {{"setup", m.type_setup}, {"statements", m.types}}},
          {"large_objects", LargeObjectsJson(m.large_objects)},
          {"runs", runs},
          {"journal", m.journal}};
}

}  // namespace

json TableEntryJson(const TableEntry& t, bool with_units) {
  json identity = json::array();
  for (const IdentityNext& i : t.identity)
    identity.push_back({{"column", i.column}, {"next", i.next}});
  json out = {{"table", TableJson(t.shape)},
              {"row_hash_forms", t.forms},
              {"identity", identity},
              {"default_rows", t.default_rows}};
  if (!with_units) return out;
  json units = json::array();
  for (const UnitEntry& u : t.units) units.push_back(UnitEntryJson(u));
  out["rows"] = t.rows();
  out["units"] = std::move(units);
  return out;
}

TableEntry TableEntryFrom(const json& j, const std::string& path, bool with_units) {
  TableEntry e;
  e.shape = TableFrom(j.at("table"), path);
  e.forms = j.at("row_hash_forms").get<std::vector<std::string>>();
  for (const json& i : j.at("identity")) e.identity.push_back({i.at("column"), i.at("next")});
  e.default_rows = j.at("default_rows");
  if (with_units) {
    for (const json& u : j.at("units")) e.units.push_back(UnitEntryFrom(u));
  }
  return e;
}

void TableLookup::Rebuild(const Manifest& m) {
  at_.clear();
  for (size_t t = 0; t < m.tables.size(); ++t) at_.emplace(m.tables[t].shape.name, t);
}

void TableLookup::Added(const Manifest& m) {
  at_.emplace(m.tables.back().shape.name, m.tables.size() - 1);
}

std::optional<size_t> TableLookup::Find(const TableName& name) const {
  auto it = at_.find(name);
  return it == at_.end() ? std::nullopt : std::optional<size_t>(it->second);
}

std::string Checksum(const json& body) {
  Sha256 hash;
  hash.Update(body.dump());
  return hash.Hex();
}

uint64_t UnitEntry::rows() const {
  uint64_t n = 0;
  for (const ChunkEntry& c : chunks) n += c.rows;
  return n;
}

std::vector<UnitEntry>::iterator TableEntry::UnitAt(int part) {
  return std::lower_bound(units.begin(), units.end(), part,
                          [](const UnitEntry& u, int p) { return u.part < p; });
}

const UnitEntry* TableEntry::FindUnit(int part) const {
  auto at = const_cast<TableEntry*>(this)->UnitAt(part);
  return at != units.end() && at->part == part ? &*at : nullptr;
}

uint64_t TableEntry::rows() const {
  uint64_t n = 0;
  for (const UnitEntry& u : units) n += u.rows();
  return n;
}

TableEntry* Manifest::Find(const TableName& name) {
  for (TableEntry& t : tables) {
    if (t.shape.name == name) return &t;
  }
  return nullptr;
}

const TableEntry* Manifest::Find(const TableName& name) const {
  return const_cast<Manifest*>(this)->Find(name);
}

IndexedManifest::IndexedManifest(Manifest manifest) : manifest_(std::move(manifest)) {
  units_.resize(manifest_.tables.size());
  for (size_t t = 0; t < manifest_.tables.size(); ++t) {
    const TableEntry& table = manifest_.tables[t];
    tables_.emplace(table.shape.name, t);  // a later one of the same name is not the one found
    for (size_t u = 0; u < table.units.size(); ++u) {
      const UnitEntry& unit = table.units[u];
      units_[t].emplace(Bounds{unit.lo, unit.hi, unit.null_keys, unit.by_location}, u);
    }
  }
}

const TableEntry* IndexedManifest::Find(const TableName& name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &manifest_.tables[it->second];
}

std::vector<const UnitEntry*> IndexedManifest::UnitsWithBounds(const TableEntry& table,
                                                               const KeyRange& range) const {
  std::vector<const UnitEntry*> out;
  const size_t t = size_t(&table - manifest_.tables.data());
  // Equal keys keep their insertion (part) order.
  auto [from, to] =
      units_.at(t).equal_range(Bounds{range.lo, range.hi, range.null_keys, range.by_location});
  for (auto it = from; it != to; ++it) out.push_back(&table.units[it->second]);
  return out;
}

std::string ManifestToJson(const Manifest& manifest) {
  json body = BodyJson(manifest);
  body["checksum"] = Checksum(body);
  return body.dump(1) + "\n";
}

Manifest ManifestFromJson(const std::string& text, const std::string& path, bool checked) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kIo, fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
  Manifest m;
  try {
    if (j.value("format", "") != "ferry-staging") {
      throw Error(ErrorCode::kIo, fmt::format("{}: not a ferry staging manifest", path));
    }
    const int version = j.at("version");
    if (version < kOldestManifestVersion || version > kManifestVersion) {
      throw Error(ErrorCode::kIo,
                  fmt::format("{}: manifest version {}; this ferry reads versions {} to {}{}", path,
                              version, kOldestManifestVersion, kManifestVersion,
                              version > kManifestVersion
                                  ? " (a newer ferry wrote it: read it with that ferry or a newer "
                                    "one)"
                                  : ""));
    }
    if (checked) {
      json body = j;
      body.erase("checksum");
      if (j.value("checksum", "") != Checksum(body)) {
        throw Error(ErrorCode::kIo,
                    fmt::format("{}: the manifest was changed after ferry wrote it (its checksum "
                                "does not match its content)",
                                path));
      }
    }
    m.status = j.at("status");
    m.created_at = j.at("created_at");
    m.finished_at = j.at("finished_at");
    m.source = j.at("source");
    m.source_engine = j.at("source_engine");
    m.source_identity = j.value("source_identity", "");
    if (j.contains("schema") && !j["schema"].is_null()) m.schema = KeptSchemaFrom(j["schema"]);
    if (j.contains("sequences")) m.sequences = SequencesFrom(j["sequences"]);
    m.log_consumer = j.value("log_consumer", "");
    m.journal = j.value("journal", "");
    for (const json& p : j.value("change_logs", json::array())) {
      m.change_logs.push_back({NameFrom(p.at("table")), p.at("generation"), p.at("applied")});
    }
    for (const json& r : j.value("snapshots", json::array())) {
      SnapshotRecord record{r.at("run"), r.at("taken_at"), {}};
      for (const auto& [name, value] : r.at("position").items()) {
        record.position.emplace_back(name, value.get<std::string>());
      }
      m.snapshots.push_back(std::move(record));
    }
    if (j.contains("types")) {
      m.type_setup = j["types"].at("setup").get<std::vector<std::string>>();
      m.types = j["types"].at("statements").get<std::vector<std::string>>();
    }
    if (j.contains("large_objects") && !j["large_objects"].is_null()) {
      m.large_objects.emplace();
      for (const json& o : j["large_objects"]) {
        m.large_objects->push_back(LargeObjectEntryFrom(o));
      }
    }
    for (const json& t : j.at("tables")) m.tables.push_back(TableEntryFrom(t, path, true));
    for (const json& r : j.at("runs")) {
      RunRecord run = RunFrom(r.at("run"));
      for (const json& t : r.at("tables")) m.run_tables[run.id].push_back(TableRecordFrom(t));
      for (const json& u : r.at("units")) m.run_units[run.id].push_back(UnitRecordFrom(u));
      m.runs.push_back(std::move(run));
    }
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kIo,
                fmt::format("{}: not a manifest this ferry reads ({})", path, e.what()));
  }
  return m;
}

json LargeObjectEntryJson(const LargeObjectEntry& e) {
  json grants = json::array();
  for (const LargeObjectGrant& g : e.object.grants) {
    grants.push_back(
        {{"grantee", g.grantee}, {"privilege", g.privilege}, {"grantable", g.grantable}});
  }
  json out = {{"oid", e.object.oid}, {"owner", e.object.owner}, {"grants", grants},
              {"file", e.file},      {"bytes", e.bytes},        {"sha256", e.sha256}};
  if (!e.codec.empty()) {
    out["codec"] = e.codec;
    out["file_bytes"] = e.file_bytes;
    out["file_sha256"] = e.file_sha256;
  }
  return out;
}

LargeObjectEntry LargeObjectEntryFrom(const json& j) {
  LargeObjectEntry e;
  e.object.oid = j.at("oid");
  e.object.owner = j.at("owner");
  for (const json& g : j.at("grants")) {
    e.object.grants.push_back({g.at("grantee"), g.at("privilege"), g.at("grantable")});
  }
  e.file = j.at("file");
  e.bytes = j.at("bytes");
  e.sha256 = j.at("sha256");
  e.codec = j.value("codec", "");
  if (!e.codec.empty() && e.codec != "zstd") {
    throw Error(ErrorCode::kIo, fmt::format("large object {} is compressed with '{}', which this "
                                            "ferry does not read",
                                            e.object.oid, e.codec));
  }
  e.file_bytes = e.codec.empty() ? e.bytes : j.at("file_bytes").get<int64_t>();
  e.file_sha256 = e.codec.empty() ? e.sha256 : j.at("file_sha256").get<std::string>();
  return e;
}

KeyRange RangeOf(const UnitEntry& unit, const Table& table) {
  KeyRange r;
  for (const std::string& name : unit.key) {
    auto c = table.FindColumn(name);
    if (!c) {
      throw Error(ErrorCode::kIo, fmt::format("the manifest cuts {} on column {}, which it lacks",
                                              DisplayName(table.name), name));
    }
    r.key_columns.push_back(*c);
  }
  r.lo = unit.lo;
  r.hi = unit.hi;
  r.null_keys = unit.null_keys;
  r.by_location = unit.by_location;
  return r;
}

std::string DescribeUnit(const UnitEntry& unit) {
  KeyRange r;
  r.key_columns.assign(unit.key.size(), 0);
  r.lo = unit.lo;
  r.hi = unit.hi;
  r.null_keys = unit.null_keys;
  r.by_location = unit.by_location;
  return fmt::format("unit {} of {}, {}", unit.part + 1, unit.parts, DescribeRange(r));
}

}  // namespace ferry::staging
