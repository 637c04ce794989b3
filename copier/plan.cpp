#include "copier/plan.hpp"

#include <fmt/format.h>
#include <xxhash.h>
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "copier/error.hpp"
#include "copier/planner.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

using nlohmann::json;

json Name(const TableName& n) {
  return {{"schema", n.schema}, {"name", n.name}};
}

json Bound(const std::optional<std::vector<std::string>>& b) {
  return b ? json(*b) : json(nullptr);
}

// Reads a plan with the path of every value at hand, so errors can say where they are.
class Reader {
 public:
  Reader(std::string file, bool strict) : file_(std::move(file)), strict_(strict) {}

  // A field this version does not read, in a plan file a person edited: a misspelt
  // "write-mode" or "destination_typ" would otherwise be dropped without a word and the copy
  // made as if the edit had not been made. (Stored plans are read leniently: an older or newer
  // ferry wrote them.)
  void Known(const json& object, const std::string& path,
             std::initializer_list<const char*> fields) const {
    if (!strict_ || !object.is_object()) return;
    for (auto it = object.begin(); it != object.end(); ++it) {
      const std::string& key = it.key();
      if (std::any_of(fields.begin(), fields.end(), [&](const char* f) { return key == f; })) {
        continue;
      }
      std::string nearest, list;
      size_t best = 3;  // at most two edits away
      for (const char* f : fields) {
        list += (list.empty() ? "" : ", ") + std::string(f);
        if (const size_t d = EditDistance(key, f); d < best) {
          best = d;
          nearest = f;
        }
      }
      Fail(path + "." + key, nearest.empty()
                                 ? fmt::format("unknown field (the fields here are {})", list)
                                 : fmt::format("unknown field: did you mean {}?", nearest));
    }
  }

  [[noreturn]] void Fail(const std::string& path, const std::string& what) const {
    throw Error(ErrorCode::kUsage, fmt::format("plan {}: {}: {}", file_, path, what));
  }

  const json& Field(const json& object, const std::string& path, const char* key) const {
    if (!object.is_object()) Fail(path, "expected an object");
    auto it = object.find(key);
    if (it == object.end()) Fail(path + "." + key, "missing");
    return *it;
  }

  std::string String(const json& object, const std::string& path, const char* key,
                     bool required = true, const std::string& fallback = "") const {
    if (!object.contains(key)) {
      if (required) Fail(path + "." + key, "missing");
      return fallback;
    }
    const json& v = object.at(key);
    if (!v.is_string()) Fail(path + "." + key, "expected a string");
    return v.get<std::string>();
  }

  bool Bool(const json& object, const std::string& path, const char* key, bool fallback) const {
    if (!object.contains(key)) return fallback;
    const json& v = object.at(key);
    if (!v.is_boolean()) Fail(path + "." + key, "expected true or false");
    return v.get<bool>();
  }

  int64_t Int(const json& object, const std::string& path, const char* key,
              int64_t fallback) const {
    if (!object.contains(key)) return fallback;
    const json& v = object.at(key);
    if (!v.is_number_integer()) Fail(path + "." + key, "expected an integer");
    return v.get<int64_t>();
  }

  double Number(const json& object, const std::string& path, const char* key,
                double fallback) const {
    if (!object.contains(key)) return fallback;
    const json& v = object.at(key);
    if (!v.is_number()) Fail(path + "." + key, "expected a number");
    return v.get<double>();
  }

  std::vector<std::string> Strings(const json& object, const std::string& path, const char* key,
                                   bool required = false) const {
    if (!object.contains(key)) {
      if (required) Fail(path + "." + key, "missing");
      return {};
    }
    return StringList(object.at(key), path + "." + key);
  }

  std::vector<std::string> StringList(const json& v, const std::string& path) const {
    if (!v.is_array()) Fail(path, "expected a list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) Fail(fmt::format("{}[{}]", path, i), "expected a string");
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }

  TableName Table(const json& object, const std::string& path, const char* key) const {
    const json& v = Field(object, path, key);
    const std::string here = path + "." + key;
    return TableName{String(v, here, "schema"), String(v, here, "name")};
  }

  std::optional<std::vector<std::string>> OptionalBound(const json& object, const std::string& path,
                                                        const char* key) const {
    if (!object.contains(key) || object.at(key).is_null()) return std::nullopt;
    return StringList(object.at(key), path + "." + key);
  }

 private:
  std::string file_;
  bool strict_ = false;
};

}  // namespace

std::vector<ShapeColumn> ShapeOf(const Table& table) {
  std::vector<ShapeColumn> out;
  for (const Column& c : table.columns) out.push_back({c.name, c.type.native, c.nullable});
  return out;
}

std::string ShapeFingerprint(const Table& table) {
  std::string canonical = table.name.schema + "." + table.name.name + "\n";
  for (const Column& c : table.columns) {
    canonical += c.name + "\t" + c.type.native + "\t" + (c.nullable ? "null" : "not null") + "\n";
  }
  canonical += "key";
  for (int k : table.primary_key) canonical += "\t" + table.columns[size_t(k)].name;
  return fmt::format("xxh64:{:016x}", XXH64(canonical.data(), canonical.size(), 0));
}

std::vector<std::string> ShapeDrift(const TablePlan& plan, const Table& now) {
  std::vector<std::string> out;
  for (const ShapeColumn& was : plan.source_shape) {
    auto index = now.FindColumn(was.name);
    if (!index) {
      out.push_back(fmt::format("column {} no longer exists", was.name));
      continue;
    }
    const Column& c = now.columns[size_t(*index)];
    if (c.type.native != was.type) {
      out.push_back(
          fmt::format("column {} changed type from {} to {}", was.name, was.type, c.type.native));
    }
    if (c.nullable != was.nullable) {
      out.push_back(
          fmt::format("column {} is now {}", was.name, c.nullable ? "nullable" : "NOT NULL"));
    }
  }
  for (const Column& c : now.columns) {
    bool known = false;
    for (const ShapeColumn& was : plan.source_shape) known = known || was.name == c.name;
    if (!known) out.push_back(fmt::format("column {} ({}) was added", c.name, c.type.native));
  }
  std::vector<std::string> key;
  for (int k : now.primary_key) key.push_back(now.columns[size_t(k)].name);
  if (key != plan.source_key) {
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
      return s.empty() ? std::string("none") : "(" + s + ")";
    };
    out.push_back(
        fmt::format("the primary key changed from {} to {}", list(plan.source_key), list(key)));
  }
  return out;
}

PlannedUnit ToPlannedUnit(const KeyRange& range) {
  return PlannedUnit{range.lo, range.hi, range.null_keys, range.by_location};
}

std::string DdlFingerprint(const TablePlan& t) {
  json columns = json::array();
  for (const PlannedColumn& c : t.columns) columns.push_back({c.destination, c.destination_type});
  json indexes = json::array();
  for (const PlannedIndex& i : t.indexes) {
    indexes.push_back({i.name, i.columns, i.unique, i.native_definition + i.On()});
  }
  json fks = json::array();
  for (const PlannedForeignKey& f : t.foreign_keys) {
    fks.push_back(
        {f.name, f.columns, Name(f.references), f.referenced_columns, f.on_delete, f.on_update});
    if (!f.deferrable.empty()) fks.back().push_back(f.deferrable);  // older plans' print stays
    if (!f.partition.name.empty()) fks.back().push_back(f.On());
  }
  const std::string text = json{Name(t.destination), columns, t.primary_key, indexes, fks}.dump();
  return fmt::format("xxh64:{:016x}", XXH64(text.data(), text.size(), 0));
}

std::string PlanToJson(const Plan& plan) {
  json tables = json::array();
  for (const TablePlan& t : plan.tables) {
    json columns = json::array();
    for (const PlannedColumn& c : t.columns) {
      columns.push_back({{"source", c.source},
                         {"source_type", c.source_type},
                         {"destination", c.destination},
                         {"destination_type", c.destination_type}});
    }
    json units = json::array();
    for (const PlannedUnit& u : t.units) {
      json unit = {{"lo", Bound(u.lo)}, {"hi", Bound(u.hi)}};
      if (u.null_keys) unit["null_keys"] = true;
      if (u.by_location) unit["pages"] = true;
      units.push_back(unit);
    }
    json indexes = json::array();
    for (const PlannedIndex& i : t.indexes) {
      json index = {{"name", i.name}, {"columns", i.columns}, {"unique", i.unique}};
      if (!i.native_definition.empty()) index["definition"] = i.native_definition;
      if (!i.partition.name.empty()) index["partition"] = Name(i.partition);
      indexes.push_back(index);
    }
    json fks = json::array();
    for (const PlannedForeignKey& f : t.foreign_keys) {
      fks.push_back({{"name", f.name},
                     {"columns", f.columns},
                     {"references", Name(f.references)},
                     {"referenced_columns", f.referenced_columns},
                     {"on_delete", f.on_delete},
                     {"on_update", f.on_update}});
      if (!f.deferrable.empty()) fks.back()["deferrable"] = f.deferrable;
      if (!f.partition.name.empty()) fks.back()["partition"] = Name(f.partition);
    }
    json shape = json::array();
    for (const ShapeColumn& c : t.source_shape) {
      shape.push_back({{"name", c.name}, {"type", c.type}, {"nullable", c.nullable}});
    }
    tables.push_back(
        {{"source", Name(t.source)},
         {"destination", Name(t.destination)},
         {"create", t.create},
         {"write_mode", WriteModeName(t.write_mode)},
         {"strategy", StrategyName(t.strategy)},
         {"why", t.why},
         {"partitions", t.partitions},
         {"split_key", t.split_key},
         {"units", units},
         {"columns", columns},
         {"primary_key", t.primary_key},
         {"indexes", indexes},
         {"foreign_keys", fks},
         {"ddl_fingerprint", DdlFingerprint(t)},
         {"estimated_rows", t.estimated_rows},
         {"estimated_bytes", t.estimated_bytes},
         {"estimated_seconds", t.estimated_seconds},
         {"source_shape",
          {{"fingerprint", t.fingerprint}, {"primary_key", t.source_key}, {"columns", shape}}}});
  }
  json doc = {{"ferry_plan", Plan::kFormat},
              {"created_at", plan.created_at},
              {"source", plan.source},
              {"destination", plan.destination},
              {"schema_only", plan.schema_only},
              {"data_only", plan.data_only},
              {"tables", tables}};
  return doc.dump(2) + "\n";
}

namespace {

// The parts of a plan's table, read into `t` (paths name the fields in errors).
void ReadUnits(Reader& r, const json& j, const std::string& path, TablePlan& t) {
  if (j.contains("units")) {
    const json& units = j.at("units");
    if (!units.is_array()) r.Fail(path + ".units", "expected a list");
    for (size_t u = 0; u < units.size(); ++u) {
      const std::string up = fmt::format("{}.units[{}]", path, u);
      r.Known(units[u], up, {"lo", "hi", "null_keys", "pages"});
      PlannedUnit unit;
      unit.lo = r.OptionalBound(units[u], up, "lo");
      unit.hi = r.OptionalBound(units[u], up, "hi");
      unit.null_keys = r.Bool(units[u], up, "null_keys", false);
      unit.by_location = r.Bool(units[u], up, "pages", false);
      size_t width = unit.by_location ? 1 : t.split_key.size();
      for (const auto* bound : {&unit.lo, &unit.hi}) {
        if (*bound && (*bound)->size() != width) {
          r.Fail(up, fmt::format("a bound has {} values but the split key has {} columns",
                                 (*bound)->size(), width));
        }
      }
      if (!unit.by_location && !unit.lo && !unit.hi && !unit.null_keys && !t.split_key.empty() &&
          units.size() > 1) {
        r.Fail(up, "a unit with neither bound would overlap the others");
      }
      t.units.push_back(std::move(unit));
    }
  }
}

std::string BoundText(const std::optional<std::vector<std::string>>& bound) {
  if (!bound) return "none";
  std::string out;
  for (const std::string& v : *bound) out += (out.empty() ? "" : ", ") + v;
  return "(" + out + ")";
}

// -1, 0 or 1 where both bounds are whole numbers in every column; nullopt where the order
// depends on types and collations a plan does not hold.
std::optional<int> NumericOrder(const std::vector<std::string>& a,
                                const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    long long x = 0, y = 0;
    size_t used_x = 0, used_y = 0;
    try {
      x = std::stoll(a[i], &used_x);
      y = std::stoll(b[i], &used_y);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (used_x != a[i].size() || used_y != b[i].size()) return std::nullopt;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// An edited plan's ranges must still cover the key space once: each unit starting where
// another ends, one starting below every key and one ending above all, and the rows whose key
// is NULL in a unit of their own when the key may be NULL. A gap would lose the rows in it and
// an overlap would copy them twice, while the run still reported success.
void CheckUnitsCover(const Reader& r, const std::string& path, const TablePlan& t) {
  // Bounds compare as numbers only where every split key column holds integers: a text key's
  // bounds ("10" before "9") are in its collation's order.
  bool integer_key = !t.split_key.empty();
  for (const std::string& k : t.split_key) {
    auto c = std::find_if(t.source_shape.begin(), t.source_shape.end(),
                          [&](const ShapeColumn& s) { return s.name == k; });
    const std::string type = c == t.source_shape.end() ? "" : Lower(c->type);
    integer_key = integer_key && type.find("int") != std::string::npos &&
                  type.find("interval") == std::string::npos &&
                  type.find("point") == std::string::npos;
  }
  for (const bool pages : {false, true}) {
    std::vector<size_t> group;
    for (size_t u = 0; u < t.units.size(); ++u) {
      if (!t.units[u].null_keys && t.units[u].by_location == pages) group.push_back(u);
    }
    if (group.size() <= 1 && (group.empty() || (!t.units[group[0]].lo && !t.units[group[0]].hi))) {
      continue;
    }
    auto name = [&](size_t u) {
      return fmt::format("units[{}] [{}, {})", u, BoundText(t.units[u].lo),
                         BoundText(t.units[u].hi));
    };
    std::optional<size_t> first;
    std::map<std::vector<std::string>, size_t> by_lo;
    for (size_t u : group) {
      const PlannedUnit& unit = t.units[u];
      if ((pages || integer_key) && unit.lo && unit.hi &&
          NumericOrder(*unit.lo, *unit.hi).value_or(-1) >= 0) {
        r.Fail(path + ".units", fmt::format("{} ends where it starts or before", name(u)));
      }
      if (!unit.lo) {
        if (first) {
          r.Fail(path + ".units", fmt::format("{} and {} both start below every key: their "
                                              "rows would be copied twice",
                                              name(*first), name(u)));
        }
        first = u;
      } else if (auto [at, fresh] = by_lo.emplace(*unit.lo, u); !fresh) {
        r.Fail(path + ".units", fmt::format("{} and {} start at the same key: their rows would "
                                            "be copied twice",
                                            name(at->second), name(u)));
      }
    }
    if (!first) {
      r.Fail(path + ".units",
             "no unit starts below every key (each has a lo): the rows below the smallest lo "
             "would not be copied");
    }
    size_t at = *first, reached = 1;
    while (t.units[at].hi) {
      auto next = by_lo.find(*t.units[at].hi);
      if (next == by_lo.end()) {
        r.Fail(path + ".units", fmt::format("no unit starts where {} ends: the rows from {} to "
                                            "the next unit's start would not be copied",
                                            name(at), BoundText(t.units[at].hi)));
      }
      at = next->second;
      if (++reached > group.size()) break;  // a cycle; named below
    }
    if (reached != group.size()) {
      r.Fail(path + ".units",
             fmt::format("the units do not follow one another from the lowest key to the "
                         "highest ({} of {} do): some rows would be copied twice or not at all",
                         std::min(reached, group.size()), group.size()));
    }
  }
  if (t.split_key.empty() || t.source_shape.empty()) return;
  const bool has_null_unit =
      std::any_of(t.units.begin(), t.units.end(), [](const PlannedUnit& u) { return u.null_keys; });
  const bool ranged = std::any_of(t.units.begin(), t.units.end(), [](const PlannedUnit& u) {
    return !u.by_location && (u.lo || u.hi);
  });
  for (const ShapeColumn& c : t.source_shape) {
    if (c.name != t.split_key[0] || !c.nullable || !ranged || has_null_unit) continue;
    r.Fail(path + ".units",
           fmt::format("the split key {} may be NULL and no unit has null_keys: the rows whose "
                       "key is NULL would not be copied",
                       c.name));
  }
}

void ReadColumns(Reader& r, const json& j, const std::string& path, TablePlan& t) {
  const json& columns = r.Field(j, path, "columns");
  if (!columns.is_array() || columns.empty()) r.Fail(path + ".columns", "expected a list");
  for (size_t c = 0; c < columns.size(); ++c) {
    const std::string cp = fmt::format("{}.columns[{}]", path, c);
    r.Known(columns[c], cp, {"source", "source_type", "destination", "destination_type"});
    PlannedColumn column;
    column.source = r.String(columns[c], cp, "source");
    column.destination = r.String(columns[c], cp, "destination", false, column.source);
    column.source_type = r.String(columns[c], cp, "source_type", false);
    column.destination_type = r.String(columns[c], cp, "destination_type", false);
    for (const PlannedColumn& other : t.columns) {
      if (other.destination == column.destination) {
        r.Fail(cp + ".destination", fmt::format("column {} is written twice", column.destination));
      }
    }
    t.columns.push_back(std::move(column));
  }
}

void ReadIndexesAndKeys(Reader& r, const json& j, const std::string& path, TablePlan& t) {
  if (j.contains("indexes")) {
    const json& list = j.at("indexes");
    if (!list.is_array()) r.Fail(path + ".indexes", "expected a list");
    for (size_t x = 0; x < list.size(); ++x) {
      const std::string ip = fmt::format("{}.indexes[{}]", path, x);
      r.Known(list[x], ip, {"name", "columns", "unique", "definition", "partition"});
      PlannedIndex index;
      index.name = r.String(list[x], ip, "name");
      index.columns = r.Strings(list[x], ip, "columns", true);
      index.unique = r.Bool(list[x], ip, "unique", false);
      index.native_definition = r.String(list[x], ip, "definition", false);
      if (list[x].contains("partition")) index.partition = r.Table(list[x], ip, "partition");
      t.indexes.push_back(std::move(index));
    }
  }
  if (j.contains("foreign_keys")) {
    const json& list = j.at("foreign_keys");
    if (!list.is_array()) r.Fail(path + ".foreign_keys", "expected a list");
    for (size_t x = 0; x < list.size(); ++x) {
      const std::string fp = fmt::format("{}.foreign_keys[{}]", path, x);
      r.Known(list[x], fp,
              {"name", "columns", "references", "referenced_columns", "on_delete", "on_update",
               "deferrable", "partition"});
      PlannedForeignKey fk;
      fk.name = r.String(list[x], fp, "name");
      fk.columns = r.Strings(list[x], fp, "columns", true);
      fk.references = r.Table(list[x], fp, "references");
      fk.referenced_columns = r.Strings(list[x], fp, "referenced_columns", true);
      fk.on_delete = r.String(list[x], fp, "on_delete", false, "NO ACTION");
      fk.on_update = r.String(list[x], fp, "on_update", false, "NO ACTION");
      fk.deferrable = r.String(list[x], fp, "deferrable", false, "");
      if (list[x].contains("partition")) fk.partition = r.Table(list[x], fp, "partition");
      if (fk.columns.size() != fk.referenced_columns.size()) {
        r.Fail(fp, "columns and referenced_columns differ in length");
      }
      t.foreign_keys.push_back(std::move(fk));
    }
  }
}

void ReadSourceShape(Reader& r, const json& j, const std::string& path, TablePlan& t) {
  const json& shape = r.Field(j, path, "source_shape");
  const std::string sp = path + ".source_shape";
  r.Known(shape, sp, {"fingerprint", "primary_key", "columns"});
  t.fingerprint = r.String(shape, sp, "fingerprint");
  t.source_key = r.Strings(shape, sp, "primary_key");
  const json& shape_columns = r.Field(shape, sp, "columns");
  if (!shape_columns.is_array()) r.Fail(sp + ".columns", "expected a list");
  for (size_t c = 0; c < shape_columns.size(); ++c) {
    const std::string cp = fmt::format("{}.columns[{}]", sp, c);
    r.Known(shape_columns[c], cp, {"name", "type", "nullable"});
    t.source_shape.push_back({r.String(shape_columns[c], cp, "name"),
                              r.String(shape_columns[c], cp, "type"),
                              r.Bool(shape_columns[c], cp, "nullable", true)});
  }
  for (const PlannedColumn& c : t.columns) {
    bool known = false;
    for (const ShapeColumn& s : t.source_shape) known = known || s.name == c.source;
    if (!known) {
      r.Fail(path + ".columns",
             fmt::format("source column {} is not in the source shape", c.source));
    }
  }
}

TablePlan ReadTable(Reader& r, const json& j, const std::string& path) {
  r.Known(
      j, path,
      {"source", "destination", "create", "write_mode", "strategy", "why", "partitions",
       "split_key", "units", "columns", "primary_key", "indexes", "foreign_keys", "ddl_fingerprint",
       "estimated_rows", "estimated_bytes", "estimated_seconds", "source_shape"});
  TablePlan t;
  t.source = r.Table(j, path, "source");
  t.destination = r.Table(j, path, "destination");
  t.create = r.Bool(j, path, "create", false);
  std::string mode = r.String(j, path, "write_mode", false, "create");
  auto parsed = ParseWriteMode(mode);
  if (!parsed) {
    r.Fail(path + ".write_mode",
           fmt::format("'{}' is not one of create, truncate, append, upsert", mode));
  }
  t.write_mode = *parsed;
  const std::string strategy = r.String(j, path, "strategy", false, "single");
  if (std::optional<Strategy> known = ParseStrategy(strategy)) {
    t.strategy = *known;
  } else {
    r.Fail(path + ".strategy",
           fmt::format("'{}' is not one of single, key ranges, page ranges, skip", strategy));
  }
  t.why = r.String(j, path, "why", false);
  const int64_t partitions = r.Int(j, path, "partitions", 1);
  t.split_key = r.Strings(j, path, "split_key");
  ReadUnits(r, j, path, t);
  const bool listed = t.units.size() > 1 && int64_t(t.units.size()) == partitions;
  const int64_t most = listed ? 100000 : PartitionOptions{}.max_units;
  if (partitions < 1 || partitions > most) {
    r.Fail(path + ".partitions",
           fmt::format("must be 1 to {}{}", most,
                       listed ? "" : ", as it differs from the units listed"));
  }
  t.partitions = int(partitions);
  ReadColumns(r, j, path, t);
  t.primary_key = r.Strings(j, path, "primary_key");
  ReadIndexesAndKeys(r, j, path, t);
  // A plan of an older ferry has none: taken as ferry wrote it.
  const std::string ddl = r.String(j, path, "ddl_fingerprint", false);
  t.ddl_edited = !ddl.empty() && ddl != DdlFingerprint(t);
  t.estimated_rows = r.Int(j, path, "estimated_rows", -1);
  t.estimated_bytes = r.Int(j, path, "estimated_bytes", -1);
  t.estimated_seconds = r.Number(j, path, "estimated_seconds", -1);
  ReadSourceShape(r, j, path, t);
  CheckUnitsCover(r, path, t);
  return t;
}

}  // namespace

Plan PlanFromJson(const std::string& text, const std::string& file, bool edited_by_hand) {
  Reader r(file, edited_by_hand);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // Where an editor shows it: the line and column of the byte the parser stopped at.
    const size_t at = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const size_t line = 1 + size_t(std::count(text.begin(), text.begin() + long(at), '\n'));
    const size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
    const size_t column = line_start == std::string::npos || at == 0 ? at + 1 : at - line_start;
    throw Error(ErrorCode::kUsage,
                fmt::format("plan {}: not valid JSON at line {}, column {} (byte {}): {}", file,
                            line, column, e.byte, e.what()));
  }
  if (!doc.is_object()) r.Fail("$", "expected an object");
  r.Known(
      doc, "$",
      {"ferry_plan", "created_at", "source", "destination", "schema_only", "data_only", "tables"});
  if (r.Int(doc, "$", "ferry_plan", -1) != Plan::kFormat) {
    r.Fail("$.ferry_plan",
           fmt::format("expected {} (a plan written by `ferry plan`)", Plan::kFormat));
  }
  Plan plan;
  plan.source = r.String(doc, "$", "source");
  plan.destination = r.String(doc, "$", "destination");
  plan.created_at = r.String(doc, "$", "created_at", false);
  plan.schema_only = r.Bool(doc, "$", "schema_only", false);
  plan.data_only = r.Bool(doc, "$", "data_only", false);
  if (plan.schema_only && plan.data_only) r.Fail("$", "schema_only and data_only are both true");
  const json& tables = r.Field(doc, "$", "tables");
  if (!tables.is_array()) r.Fail("$.tables", "expected a list");
  for (size_t i = 0; i < tables.size(); ++i) {
    const std::string path = fmt::format("$.tables[{}]", i);
    TablePlan t = ReadTable(r, tables[i], path);
    for (const TablePlan& other : plan.tables) {
      if (other.destination == t.destination) {
        r.Fail(path + ".destination", fmt::format("{} is the destination of another table too",
                                                  DisplayName(t.destination)));
      }
    }
    plan.tables.push_back(std::move(t));
  }
  return plan;
}

}  // namespace ferry
