// What a schema clone would fail on at the destination, found by ferry check before the run
// writes anything (issue 14: check predicts the run). The run refuses a clone whose objects the
// destination has already (exit 4, nothing written) or reports them failed after the data; check
// names every such object first, by kind and qualified name.
//
// PostgreSQL: the clone itself is tried, in one transaction that is rolled back. Listing the
// dump's objects and probing the destination's catalog by name would need a parser for every
// kind pg_dump writes (a function's name is its signature with argument names and modes, an
// operator's its operand types) and would still miss what fails for another reason; the
// destination itself says exactly what its CREATE would say. Every statement of a pg_dump
// pre-data and post-data section is transactional (no CREATE DATABASE, TABLESPACE, INDEX
// CONCURRENTLY or ALTER TYPE ... ADD VALUE: pg_dump writes an enum's labels in its CREATE TYPE),
// and no sequence is advanced, so nothing of the trial remains
// (clone_exists_test proves it with pg_dump of the destination before and after check).
// MariaDB's DDL commits by itself, so there the destination's objects of the clone's names are
// looked up instead: its tables are new (a clone creates every table), its views, routines,
// triggers, events and sequences may be there.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "copier/error.hpp"
#include "scheduler/schema_clone.hpp"

namespace ferry {

namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return text;
}

bool IsRoutineKind(const std::string& kind) {
  return kind == "FUNCTION" || kind == "PROCEDURE" || kind == "AGGREGATE" || kind == "TRIGGER" ||
         kind == "EVENT TRIGGER" || kind == "EVENT";
}

bool SaysExists(const std::string& message) {
  return message.find("already exists") != std::string::npos ||
         message.find("multiple primary keys") != std::string::npos;
}

// How check names a dump object: kind and qualified name ("domain public.year", "function
// public.f(a integer)", "index public.film_pkey"), a grant by its statement.
std::string ObjectName(const SchemaObject& o, const TableName& where) {
  if (o.kind == "ACL" || o.kind == "DEFAULT ACL") return o.sql;
  std::string name = o.name;
  if (!where.name.empty() && (o.kind == "TABLE" || o.kind == "VIEW" ||
                              o.kind == "MATERIALIZED VIEW" || o.kind == "SEQUENCE")) {
    name = DisplayName(where);
  } else if (!o.schema.empty() && o.kind != "SCHEMA" && o.kind != "COMMENT") {
    name = o.schema + "." + o.name;
  }
  return Lower(o.kind) + " " + name;
}

}  // namespace

std::vector<SchemaClone::Obstacle> SchemaClone::Obstacles(Endpoint& destination) const {
  std::vector<Obstacle> out;
  if (destination.info().engine != Engine::kPostgres) {
    // By name: what the destination's schema holds besides tables (kind, "schema.name", or
    // "name on schema.table" for a trigger).
    std::map<std::string, std::vector<std::string>> there;
    const std::string schema = to_schema_.empty() ? destination.info().default_schema : to_schema_;
    for (auto& [kind, name] : destination.OtherObjects(schema)) there[kind].push_back(name);
    for (const auto* list : {&dump_.before_data, &dump_.after_data}) {
      for (const SchemaObject& o : *list) {
        const std::string kind = Lower(o.kind);
        const TableName at =
            There(TableName{from_schema_.empty() ? o.schema : from_schema_, o.name});
        for (const std::string& name : there[kind]) {
          const bool same =
              name == o.name || name == DisplayName(at) || name.rfind(o.name + " on ", 0) == 0;
          if (!same) continue;
          out.push_back({kind + " " + DisplayName(at),
                         fmt::format("the destination has a {} of that name", kind), true,
                         IsRoutineKind(o.kind)});
          break;
        }
      }
    }
    return out;
  }
  std::unique_ptr<SchemaSession> session = destination.OpenSchemaSession(dump_);
  std::vector<const SchemaObject*> after;
  // A materialized view's contents are refreshed, not made: over the trial's empty tables its
  // query could fail where the loaded rows would not (a division by their count).
  for (const SchemaObject& o : dump_.after_data) {
    if (o.kind != "MATERIALIZED VIEW DATA") after.push_back(&o);
  }
  std::stable_sort(after.begin(), after.end(),
                   [](const SchemaObject* a, const SchemaObject* b) { return a->wave < b->wave; });
  std::vector<const SchemaObject*> all;
  for (const SchemaObject& o : dump_.before_data) all.push_back(&o);
  all.insert(all.end(), after.begin(), after.end());
  session->Begin();
  try {
    for (const SchemaObject* o : all) {
      session->Run("SAVEPOINT ferry_clone_trial");
      try {
        session->Run(o->sql);
        session->Run("RELEASE SAVEPOINT ferry_clone_trial");
      } catch (const Error& e) {
        // Another session held a lock for all of --lock-wait: the trial ends there, as the run
        // would (every later object of that table would wait as long again).
        if (e.code() == ErrorCode::kBusy) {
          throw Error(ErrorCode::kBusy,
                      fmt::format("the schema clone could not make {} at the destination: {}",
                                  ObjectName(*o, There(o->table)), e.message()),
                      e.context(), e.diagnostics());
        }
        session->Run("ROLLBACK TO SAVEPOINT ferry_clone_trial");
        out.push_back({ObjectName(*o, There(o->table)), e.what(), SaysExists(e.what()),
                       IsRoutineKind(o->kind)});
      }
    }
  } catch (...) {
    session->Rollback();
    throw;
  }
  session->Rollback();
  return out;
}

void SchemaClone::RefuseObstacles(Endpoint& destination) const {
  // A sequence there already is refused first, as the run does, with its own advice.
  std::string message;
  try {
    RefuseExistingSequences(destination);
  } catch (const Error& e) {
    message = e.message();
  }
  std::string there, failing;
  bool routines_only = true;
  int failures = 0;  // the first few said whole: one cause (no right to create) fails them all
  for (const Obstacle& o : Obstacles(destination)) {
    if (o.object.rfind("sequence ", 0) == 0 && !message.empty()) continue;
    if (o.exists) {
      there += (there.empty() ? "" : ", ") + o.object;
      routines_only &= o.routine;
    } else if (++failures <= 5) {
      failing += fmt::format("{}{}: {}", failing.empty() ? "" : "; ", o.object, o.error);
    }
  }
  if (failures > 5) failing += fmt::format("; and {} more objects", failures - 5);
  if (!there.empty()) {
    message += fmt::format(
        "{}"
        "the destination already has objects the schema clone creates: {} (drop them there, "
        "{}or copy with --schema-from ferry, which makes the tables from ferry's own model)",
        message.empty() ? "" : "; ", there,
        routines_only ? "or leave routines, triggers and events out with --no-routines, " : "");
  }
  if (!failing.empty()) {
    message += fmt::format("{}the schema clone would fail at the destination on {}",
                           message.empty() ? "" : "; ", failing);
  }
  if (!message.empty()) throw Error(ErrorCode::kSchema, message);
}

}  // namespace ferry
