#include "drivers/files/kept_schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "copier/error.hpp"
#include "drivers/files/manifest.hpp"

namespace ferry::staging {

namespace {

using nlohmann::json;

// A need's kind as a word, not its enum's number, so the file reads alone.
constexpr std::pair<CloneNeed::Kind, const char*> kNeedKinds[] = {
    {CloneNeed::Kind::kSuperuser, "superuser"},
    {CloneNeed::Kind::kExtension, "extension"},
    {CloneNeed::Kind::kRole, "role"},
    {CloneNeed::Kind::kMemberOf, "member_of"},
    {CloneNeed::Kind::kForeignServer, "foreign_server"},
};

std::string NeedKindName(CloneNeed::Kind kind) {
  for (const auto& [k, name] : kNeedKinds) {
    if (k == kind) return name;
  }
  return "superuser";
}

CloneNeed::Kind NeedKindFrom(const std::string& name) {
  for (const auto& [k, n] : kNeedKinds) {
    if (name == n) return k;
  }
  throw Error(ErrorCode::kIo, "the manifest's schema names an unknown need: '" + name + "'");
}

json NamesJson(const std::vector<TableName>& names) {
  json out = json::array();
  for (const TableName& n : names) out.push_back(NameJson(n));
  return out;
}

std::vector<TableName> NamesFrom(const json& j) {
  std::vector<TableName> out;
  for (const json& n : j) out.push_back(NameFrom(n));
  return out;
}

json ObjectJson(const SchemaObject& o) {
  json needs = json::array();
  for (const CloneNeed& n : o.needs) {
    needs.push_back({{"kind", NeedKindName(n.kind)}, {"name", n.name}, {"why", n.why}});
  }
  return {{"kind", o.kind},
          {"name", o.name},
          {"table", NameJson(o.table)},
          {"sql", o.sql},
          {"wave", o.wave},
          {"references", NameJson(o.references)},
          {"reads", NamesJson(o.reads)},
          {"needs", needs},
          {"schema", o.schema},
          {"used_by", NamesJson(o.used_by)}};
}

SchemaObject ObjectFrom(const json& j) {
  SchemaObject o;
  o.kind = j.at("kind");
  o.name = j.at("name");
  o.table = NameFrom(j.at("table"));
  o.sql = j.at("sql");
  o.wave = j.at("wave");
  o.references = NameFrom(j.at("references"));
  o.reads = NamesFrom(j.at("reads"));
  for (const json& n : j.at("needs")) {
    o.needs.push_back({NeedKindFrom(n.at("kind")), n.at("name"), n.at("why")});
  }
  o.schema = j.at("schema");
  o.used_by = NamesFrom(j.at("used_by"));
  return o;
}

json ObjectsJson(const std::vector<SchemaObject>& objects) {
  json out = json::array();
  for (const SchemaObject& o : objects) out.push_back(ObjectJson(o));
  return out;
}

std::vector<SchemaObject> ObjectsFrom(const json& j) {
  std::vector<SchemaObject> out;
  for (const json& o : j) out.push_back(ObjectFrom(o));
  return out;
}

// Where an object's DEFINER=`user`@`host` clause is, and its account ("user@host", each name
// unquoted); `length` 0 where it names none.
struct DefinerClause {
  size_t at = 0, length = 0;
  std::string account;
};

DefinerClause FindDefiner(const std::string& sql) {
  DefinerClause out;
  const size_t at = sql.find("DEFINER=`");
  if (at == std::string::npos) return out;
  size_t end = at + 8;
  std::string names[2];
  for (int part = 0; part < 2; ++part) {
    if (end >= sql.size() || sql[end] != '`') return out;
    for (++end; end < sql.size(); ++end) {
      if (sql[end] != '`') {
        names[part] += sql[end];
      } else if (end + 1 < sql.size() && sql[end + 1] == '`') {
        names[part] += '`';
        ++end;
      } else {
        break;
      }
    }
    ++end;  // past the closing backtick
    if (part == 0) {
      if (end >= sql.size() || sql[end] != '@') return out;
      ++end;
    }
  }
  return {at, end - at, names[0] + "@" + names[1]};
}

}  // namespace

void DefinersToCurrentUser(SchemaDump& dump) {
  for (auto* list : {&dump.before_data, &dump.after_data}) {
    for (SchemaObject& o : *list) {
      const DefinerClause d = FindDefiner(o.sql);
      if (d.length > 0) o.sql.replace(d.at, d.length, "DEFINER=CURRENT_USER");
    }
  }
}

std::vector<std::pair<std::string, std::string>> DumpDefiners(const SchemaDump& dump,
                                                              const std::string& schema) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto* list : {&dump.before_data, &dump.after_data}) {
    for (const SchemaObject& o : *list) {
      const DefinerClause d = FindDefiner(o.sql);
      if (d.length == 0) continue;
      std::string kind = o.kind;
      std::transform(kind.begin(), kind.end(), kind.begin(),
                     [](unsigned char c) { return char(std::tolower(c)); });
      out.emplace_back(o.kind == "TRIGGER"
                           ? fmt::format("trigger {} on {}.{}", o.name, schema, o.table.name)
                           : fmt::format("{} {}.{}", kind, schema, o.name),
                       d.account);
    }
  }
  return out;
}

json KeptSchemaJson(const KeptSchema& schema) {
  const SchemaDump& d = schema.dump;
  json not_carried = json::array();
  for (const CloneNote& n : d.not_carried) {
    not_carried.push_back({{"object", n.object}, {"why", n.why}});
  }
  const SchemaRequest& r = schema.request;
  return {{"tool", d.tool},
          {"session_setup", d.session_setup},
          {"before_data", ObjectsJson(d.before_data)},
          {"after_data", ObjectsJson(d.after_data)},
          {"not_carried", not_carried},
          {"request",
           {{"tables", NamesJson(r.tables)},
            {"excluded", NamesJson(r.excluded)},
            {"routines", r.routines},
            {"keep_definers", r.keep_definers}}},
          {"unqualified", schema.unqualified},
          {"default_schema", schema.default_schema},
          {"other_objects", schema.other_objects}};
}

KeptSchema KeptSchemaFrom(const json& j) {
  KeptSchema schema;
  SchemaDump& d = schema.dump;
  d.tool = j.at("tool");
  d.session_setup = j.at("session_setup").get<std::vector<std::string>>();
  d.before_data = ObjectsFrom(j.at("before_data"));
  d.after_data = ObjectsFrom(j.at("after_data"));
  for (const json& n : j.at("not_carried")) d.not_carried.push_back({n.at("object"), n.at("why")});
  const json& r = j.at("request");
  schema.request.tables = NamesFrom(r.at("tables"));
  schema.request.excluded = NamesFrom(r.at("excluded"));
  schema.request.routines = r.at("routines");
  schema.request.keep_definers = r.at("keep_definers");
  schema.unqualified = j.at("unqualified");
  schema.default_schema = j.at("default_schema");
  schema.other_objects = j.at("other_objects").get<std::vector<std::vector<std::string>>>();
  for (const auto& o : schema.other_objects) {
    if (o.size() != 3)
      throw Error(ErrorCode::kIo, "the manifest's schema.other_objects is damaged");
  }
  return schema;
}

json SequencesJson(const std::vector<SequenceState>& states) {
  json out = json::array();
  for (const SequenceState& s : states) {
    out.push_back({{"name", NameJson(s.name)},
                   {"last_value", s.last_value},
                   {"is_called", s.is_called},
                   {"start", s.start},
                   {"increment", s.increment},
                   {"min_value", s.min_value},
                   {"max_value", s.max_value},
                   {"cycle", s.cycle},
                   {"owned", s.owned}});
  }
  return out;
}

std::vector<SequenceState> SequencesFrom(const json& j) {
  std::vector<SequenceState> out;
  for (const json& s : j) {
    SequenceState state;
    state.name = NameFrom(s.at("name"));
    state.last_value = s.at("last_value");
    state.is_called = s.at("is_called");
    state.start = s.at("start");
    state.increment = s.at("increment");
    state.min_value = s.at("min_value");
    state.max_value = s.at("max_value");
    state.cycle = s.at("cycle");
    state.owned = s.at("owned");
    out.push_back(std::move(state));
  }
  return out;
}

}  // namespace ferry::staging
