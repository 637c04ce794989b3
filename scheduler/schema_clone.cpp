#include "scheduler/schema_clone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "scheduler/planning.hpp"

namespace ferry {

namespace {

// Whether `table` lands under the same name: the same schema, or each end's default schema
// where the engine's objects are created unqualified (MariaDB's database, SQLite's main).
bool SameName(const TablePlan& t, const EndpointInfo& from, const EndpointInfo& to) {
  if (t.source.name != t.destination.name) return false;
  if (t.source.schema == t.destination.schema) return true;
  return from.traits.schema_dump_unqualified && t.source.schema == from.default_schema &&
         t.destination.schema == to.default_schema;
}

std::string Describe(const SchemaObject& o) {
  std::string kind = o.kind;
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return kind + " " + o.name;
}

// An object an interrupted attempt of the run already made.
bool AlreadyThere(const Error& e) {
  const std::string text = e.what();
  return text.find("already exists") != std::string::npos ||
         text.find("multiple primary keys") != std::string::npos ||
         text.find("is already attached") != std::string::npos ||
         text.find("Duplicate key name") != std::string::npos;
}

}  // namespace

namespace {

// What a clone of the plan's copied tables asks the source to dump, or nullopt (and `why_not`)
// where the copy cannot clone: a table there already, edited DDL, a rename.
std::optional<SchemaRequest> CloneRequest(Endpoint& source, const EndpointInfo& to,
                                          const Plan& plan, const std::vector<bool>& copied,
                                          const CloneOptions& options, std::string* why_not) {
  const EndpointInfo& from = source.info();
  auto refuse = [&](const std::string& why) -> std::optional<SchemaRequest> {
    if (why_not) *why_not = why;
    return std::nullopt;
  };
  if (options.from == SchemaFrom::kFerry) return refuse("--schema-from ferry");
  if (plan.data_only) return std::nullopt;
  SchemaRequest request;
  request.routines = options.routines;
  request.keep_definers = options.keep_definers;
  for (size_t i = 0; i < plan.tables.size(); ++i) {
    const TablePlan& t = plan.tables[i];
    if (!copied[i]) {
      request.excluded.push_back(t.source);
      continue;
    }
    if (!t.create) {
      return refuse(
          fmt::format("destination table {} exists, so the schema there is kept as it "
                      "is (ferry creates only the missing tables)",
                      DisplayName(t.destination)));
    }
    if (t.ddl_edited) {
      return refuse(
          fmt::format("the plan file's columns, keys or indexes of table {} were edited, "
                      "so the tables are made as the file says",
                      DisplayName(t.source)));
    }
    if (!SameName(t, from, to)) {
      return refuse(fmt::format("table {} is renamed to {}", DisplayName(t.source),
                                DisplayName(t.destination)));
    }
    for (const PlannedColumn& c : t.columns) {
      if (c.source != c.destination) {
        return refuse(fmt::format("column {} of table {} is renamed to {}", c.source,
                                  DisplayName(t.source), c.destination));
      }
    }
    request.tables.push_back(t.source);
  }
  if (request.tables.empty()) return std::nullopt;
  // Tables of the same schemas the job leaves out stay out, with what is theirs.
  for (const TableName& t : source.ListTables()) {
    bool schema_in_scope = false, in_scope = false;
    for (const TableName& s : request.tables) {
      schema_in_scope |= s.schema == t.schema;
      in_scope |= s == t;
    }
    if (schema_in_scope && !in_scope &&
        std::find(request.excluded.begin(), request.excluded.end(), t) == request.excluded.end()) {
      request.excluded.push_back(t);
    }
  }
  return request;
}

constexpr const char* kNoDump =
    "the source's schema cannot be read with the engine's own tools here (MariaDB: tables "
    "outside the connection's database, or a connection only ODBC can make)";

}  // namespace

std::unique_ptr<SchemaClone> SchemaClone::Prepare(Endpoint& source, Endpoint& destination,
                                                  const Plan& plan, const std::vector<bool>& copied,
                                                  const CloneOptions& options,
                                                  std::string* why_not) {
  const EndpointInfo& from = source.info();
  const EndpointInfo& to = destination.info();
  if (from.engine != to.engine || !from.traits.schema_clone) {
    return nullptr;
  }
  std::optional<SchemaRequest> request = CloneRequest(source, to, plan, copied, options, why_not);
  if (!request) return nullptr;
  std::optional<SchemaDump> dump = source.DumpSchema(*request);
  if (!dump) {
    const std::string why = source.WhyNoSchemaDump(*request);
    if (why_not) *why_not = why.empty() ? kNoDump : why;
    return nullptr;
  }
  auto clone = std::unique_ptr<SchemaClone>(new SchemaClone());
  clone->dump_ = std::move(*dump);
  if (from.traits.schema_dump_unqualified) {
    clone->from_schema_ = from.default_schema;
    clone->to_schema_ = to.default_schema;
  }
  clone->FitDestination(destination);
  clone->LeaveOutForeignKeys(plan, request->tables);
  clone->LeaveOutViewsReadingOutside();
  clone->NoteCarriedOtherwise();
  return clone;
}

std::optional<KeptSchema> SchemaClone::ReadForExport(Endpoint& source, Endpoint& destination,
                                                     const Plan& plan,
                                                     const std::vector<bool>& copied,
                                                     const CloneOptions& options) {
  const EndpointInfo& from = source.info();
  if (!destination.KeepsSchema() || !from.traits.schema_clone) return std::nullopt;
  std::optional<SchemaRequest> request =
      CloneRequest(source, destination.info(), plan, copied, options, nullptr);
  if (!request) return std::nullopt;
  // The source's DEFINERs are kept whatever --keep-definers says: the import applies its own.
  request->keep_definers = true;
  std::optional<SchemaDump> dump = source.DumpSchema(*request);
  if (!dump) return std::nullopt;
  // Kept whole: the import leaves out, as a direct clone does, what its destination cannot make
  // and what reads outside the scope (so that its check says so).
  KeptSchema kept{std::move(*dump),
                  std::move(*request),
                  from.traits.schema_dump_unqualified,
                  from.default_schema,
                  {}};
  std::vector<std::string> schemas;
  for (const TableName& t : kept.request.tables) {
    if (std::find(schemas.begin(), schemas.end(), t.schema) != schemas.end()) continue;
    schemas.push_back(t.schema);
    for (auto& [kind, object] : source.OtherObjects(t.schema)) {
      kept.other_objects.push_back({t.schema, kind, object});
    }
  }
  return kept;
}

namespace {

// What the copy can do without: left out, and said, where the destination cannot make it.
// Everything else (a table, a type, a key, an index, a row-security policy) would make the copy
// wrong or less safe if it were missing, so the clone is refused instead.
bool CanLeaveOut(const std::string& kind) {
  static const std::set<std::string> kOptional = {"VIEW",
                                                  "MATERIALIZED VIEW",
                                                  "MATERIALIZED VIEW DATA",
                                                  "FUNCTION",
                                                  "PROCEDURE",
                                                  "AGGREGATE",
                                                  "TRIGGER",
                                                  "EVENT TRIGGER",
                                                  "RULE",
                                                  "COMMENT",
                                                  "ACL",
                                                  "DEFAULT ACL",
                                                  "EXTENSION",
                                                  "FOREIGN TABLE"};
  return kOptional.count(kind) > 0;
}

// How a note names a dump object: a grant by its statement, others by kind and name.
std::string NoteName(const SchemaObject& o) {
  if (o.kind == "ACL" || o.kind == "DEFAULT ACL") return o.sql;
  std::string out = Describe(o);
  if (!o.schema.empty() && o.table.name.empty() && o.kind != "ACL") {
    out = Describe(SchemaObject{o.kind, o.schema + "." + o.name});
  } else if (!o.table.name.empty() &&
             (o.kind == "TABLE" || o.kind == "VIEW" || o.kind == "MATERIALIZED VIEW" ||
              o.kind == "FOREIGN TABLE")) {
    out = Describe(SchemaObject{o.kind, DisplayName(o.table)});
  }
  return out;
}

constexpr const char* kCannotCreate =
    "objects the destination user cannot create are left out of the clone (the run summary "
    "lists them too)";

}  // namespace

void SchemaClone::FitDestination(Endpoint& destination) {
  std::vector<CloneNeed> needs;
  for (const auto* list : {&dump_.before_data, &dump_.after_data}) {
    for (const SchemaObject& o : *list) needs.insert(needs.end(), o.needs.begin(), o.needs.end());
  }
  if (needs.empty()) return;
  const std::vector<std::string> unmet = destination.UnmetNeeds(needs);
  size_t at = 0;
  std::vector<std::string> blocked;
  std::set<std::string> gone;  // "KIND name" of objects left out, as comments and grants name them
  std::set<TableName> gone_relations;  // views and foreign tables left out
  auto fit = [&](std::vector<SchemaObject>& list) {
    std::vector<SchemaObject> kept;
    for (SchemaObject& o : list) {
      std::string why;
      // A grant or policy for a role the destination lacks concerns no one there.
      bool only_roles = true;
      for (const CloneNeed& n : o.needs) {
        const std::string& missing = unmet[at++];
        if (missing.empty()) continue;
        if (why.empty()) why = fmt::format("{} ({})", missing, n.why);
        only_roles &= n.kind == CloneNeed::Kind::kRole;
      }
      if (why.empty()) {
        kept.push_back(std::move(o));
      } else if (!only_roles && !CanLeaveOut(o.kind)) {
        blocked.push_back(fmt::format("{}: {}", NoteName(o), why));
      } else {
        notes_.push_back({"not carried", kCannotCreate, NoteName(o), why});
        left_out_.emplace_back(o.table, fmt::format("{} not created: {}", NoteName(o), why));
        gone.insert(o.kind + " " + o.name);
        if (o.kind == "FOREIGN TABLE") gone.insert("TABLE " + o.table.name);
        if (o.kind == "VIEW" || o.kind == "MATERIALIZED VIEW" || o.kind == "FOREIGN TABLE") {
          gone_relations.insert(o.table);
        }
      }
    }
    list = std::move(kept);
  };
  fit(dump_.before_data);
  fit(dump_.after_data);
  if (!blocked.empty()) {
    std::string list;
    for (const std::string& b : blocked) list += (list.empty() ? "" : "; ") + b;
    throw Error(ErrorCode::kSchema,
                fmt::format("the schema clone needs what the destination cannot give, for objects "
                            "the copy cannot do without: {} (give the destination user what is "
                            "missing, or copy with --schema-from ferry)",
                            list));
  }
  // A comment, grant, index, trigger or contents of an object left out would fail: they go
  // with it.
  auto theirs = [&](const SchemaObject& o) {
    if (!o.table.name.empty() && gone_relations.count(o.table)) return true;
    if (o.kind == "MATERIALIZED VIEW DATA") return gone.count("MATERIALIZED VIEW " + o.name) > 0;
    if (o.kind != "COMMENT" && o.kind != "ACL") return false;
    if (gone.count(o.name)) return true;
    for (const std::string& g : gone) {
      if (g.rfind("TABLE ", 0) == 0 && o.name.rfind("COLUMN " + g.substr(6) + ".", 0) == 0) {
        return true;
      }
    }
    return false;
  };
  for (auto* list : {&dump_.before_data, &dump_.after_data}) {
    list->erase(std::remove_if(list->begin(), list->end(), theirs), list->end());
  }
}

// What the dump leaves out or the clone carries otherwise, though every object was made.
void SchemaClone::NoteCarriedOtherwise() {
  for (const CloneNote& n : dump_.not_carried) {
    notes_.push_back({"not carried", n.why, n.object, ""});
    left_out_.emplace_back(TableName{}, fmt::format("{} not carried: {}", n.object, n.why));
  }
  for (const SchemaObject& o : dump_.before_data) {
    // Its attributes come before its body ("LANGUAGE sql SECURITY DEFINER\n    AS $$...").
    const size_t security = o.sql.find(" SECURITY DEFINER");
    if ((o.kind == "FUNCTION" || o.kind == "PROCEDURE") && security != std::string::npos &&
        security < o.sql.find(" AS ")) {
      notes_.push_back({"owner",
                        "SECURITY DEFINER routines run with their owner's rights, and owners are "
                        "not carried: at the destination the connecting user owns them (change "
                        "the owner there if they must run as another role)",
                        NoteName(o), ""});
    }
  }
}

// A view that reads a table or view the clone does not create (one left out of the scope, or in
// a schema not cloned) would fail, or read whatever is there by that name: it is left out with
// what is its own (indexes, rules, triggers, comments, grants, a materialized view's contents),
// and said, as a foreign key to a table outside the scope is (ferry check says it first).
void SchemaClone::LeaveOutViewsReadingOutside() {
  auto is_view = [](const SchemaObject& o) {
    return o.kind == "VIEW" || o.kind == "MATERIALIZED VIEW";
  };
  std::set<TableName> made;
  for (const auto* list : {&dump_.before_data, &dump_.after_data}) {
    for (const SchemaObject& o : *list) {
      if (is_view(o) || o.kind == "TABLE" || o.kind == "SEQUENCE" || o.kind == "FOREIGN TABLE") {
        made.insert(o.table);
      }
    }
  }
  std::set<TableName> dropped;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto* list : {&dump_.before_data, &dump_.after_data}) {
      for (const SchemaObject& o : *list) {
        if (!is_view(o) || dropped.count(o.table)) continue;
        auto missing = std::find_if(o.reads.begin(), o.reads.end(), [&](const TableName& t) {
          return !made.count(t) || dropped.count(t);
        });
        if (missing == o.reads.end()) continue;
        dropped.insert(o.table);
        const std::string kind = o.kind == "VIEW" ? "view" : "materialized view";
        views_left_out_.push_back({o.table, kind, *missing});
        left_out_.emplace_back(
            o.table, fmt::format("{} {} not created: it reads {}, which the copy does not create "
                                 "(add it to the scope, or create the {} once it is there)",
                                 kind, DisplayName(o.table), DisplayName(*missing), kind));
        changed = true;
      }
    }
  }
  if (dropped.empty()) return;
  // Comments and grants are named after what they are on: "VIEW v", "TABLE v", "COLUMN v.c".
  auto belongs = [&](const SchemaObject& o) {
    if (dropped.count(o.table)) return true;
    for (const TableName& d : dropped) {
      if (o.kind == "MATERIALIZED VIEW DATA" && o.name == d.name) return true;
      if ((o.kind == "COMMENT" || o.kind == "ACL") &&
          (o.name == "VIEW " + d.name || o.name == "MATERIALIZED VIEW " + d.name ||
           o.name == "TABLE " + d.name || o.name.rfind("COLUMN " + d.name + ".", 0) == 0)) {
        return true;
      }
    }
    return false;
  };
  for (auto* list : {&dump_.before_data, &dump_.after_data}) {
    list->erase(std::remove_if(list->begin(), list->end(), belongs), list->end());
  }
}

// The one place a clone decides which foreign keys it builds: a key to a table outside the copy's
// scope would fail, or hold only where that table happens to exist, so it is left out of the
// dump and said, as ferry's own DDL does (ferry check says it first).
void SchemaClone::LeaveOutForeignKeys(const Plan& plan, const std::vector<TableName>& scope) {
  auto in_scope = [&](const TableName& t) {
    return std::find(scope.begin(), scope.end(), t) != scope.end();
  };
  std::vector<SchemaObject> kept;
  for (SchemaObject& o : dump_.after_data) {
    if (o.kind == "FK CONSTRAINT" && !o.references.name.empty() && !in_scope(o.references)) {
      continue;
    }
    kept.push_back(std::move(o));
  }
  dump_.after_data = std::move(kept);
  for (const TablePlan& t : plan.tables) {
    if (!in_scope(t.source)) continue;
    // A planned key names the table it references as the destination will call it.
    for (const PlannedForeignKey& fk : t.foreign_keys) {
      if (!ReferencesInScope(plan, fk)) {
        left_out_.emplace_back(t.source, OutOfScopeNote(fk));
      }
    }
  }
}

std::vector<std::pair<TableName, std::string>> SchemaClone::CreateBeforeData(Endpoint& destination,
                                                                             bool resuming) {
  std::unique_ptr<SchemaSession> session = destination.OpenSchemaSession(dump_);
  std::vector<const SchemaObject*> created;
  std::vector<std::pair<TableName, std::string>> failed;
  // The destination's names: MariaDB's dump names the source's database, which may be on the
  // same server (its tables would be taken for the clone's, and dropped below).
  std::vector<TableName> sequences;
  if (resuming) {
    std::set<std::string> schemas;
    for (const TableName& n : SequencesThere()) schemas.insert(n.schema);
    if (!schemas.empty()) sequences = destination.ListSequences({schemas.begin(), schemas.end()});
  }
  auto made_before = [&](const SchemaObject& o) {
    if (!resuming) return false;
    if (o.kind == "SEQUENCE") {
      return std::find(sequences.begin(), sequences.end(), There(o.table)) != sequences.end();
    }
    return o.kind == "TABLE" && destination.DescribeTable(There(o.table)).has_value();
  };
  session->Begin();
  for (const SchemaObject& o : dump_.before_data) {
    if (made_before(o)) {
      created.push_back(&o);  // the clone's: dropped with the rest if a later object fails
      continue;
    }
    // Nothing the tables need: a view or routine that cannot be made (it reads a table left out
    // of scope, say) is named in the summary, and the rest of the clone goes on.
    const bool optional = o.kind == "VIEW" || o.kind == "MATERIALIZED VIEW" ||
                          o.kind == "COMMENT" || o.kind == "RULE" || o.kind == "PROCEDURE" ||
                          o.kind == "FUNCTION" || o.kind == "AGGREGATE";
    if (optional && session->Savepoints()) {
      session->Run("SAVEPOINT ferry_clone_object");
      try {
        session->Run(o.sql);
        session->Run("RELEASE SAVEPOINT ferry_clone_object");
      } catch (const Error& e) {
        session->Run("ROLLBACK TO SAVEPOINT ferry_clone_object");
        failed.emplace_back(o.table, fmt::format("{}: {}", Describe(o), e.what()));
      }
      continue;
    }
    try {
      session->Run(o.sql);
      created.push_back(&o);
    } catch (const Error& e) {
      session->Rollback();
      // Where DDL commits by itself (MariaDB), the tables and sequences made so far go again.
      for (auto it = created.rbegin(); it != created.rend(); ++it) {
        const TableName there = There((*it)->table);
        try {
          if ((*it)->kind == "SEQUENCE") {
            destination.DropSequence(there);
          } else if ((*it)->kind == "TABLE" && destination.DescribeTable(there)) {
            destination.DropTable(there);
          }
        } catch (const Error&) {
        }
      }
      // A lock another session held for all of --lock-wait is a busy destination (exit 6).
      throw Error(e.code() == ErrorCode::kBusy ? ErrorCode::kBusy : ErrorCode::kSchema,
                  fmt::format("cloning the schema with {} failed at {}: {} (nothing of the clone "
                              "is left at the destination; --schema-from ferry creates the tables "
                              "from ferry's own model instead)",
                              dump_.tool, Describe(o), e.what()),
                  ErrorContext{o.table.name.empty() ? "" : DisplayName(o.table), "", "", ""});
    }
  }
  session->Commit();
  return failed;
}

std::vector<std::pair<TableName, std::string>> SchemaClone::CreateAfterData(
    Endpoint& destination, int threads, bool resuming,
    const std::function<bool(const TableName&)>& failed) {
  auto waits = [&](const SchemaObject& o) {
    if (!o.table.name.empty() && failed(o.table)) return true;
    if (!o.references.name.empty() && failed(o.references)) return true;
    return std::any_of(o.reads.begin(), o.reads.end(), failed);
  };
  std::map<int, std::vector<const SchemaObject*>> waves;
  for (const SchemaObject& o : dump_.after_data) {
    if (!waits(o)) waves[o.wave].push_back(&o);
  }
  std::vector<std::pair<TableName, std::string>> errors;
  std::mutex mutex;
  auto run = [&](SchemaSession& session, const SchemaObject& o) {
    for (int attempt = 1;; ++attempt) {
      try {
        session.RunAfterData(o);
        return;
      } catch (const Error& e) {
        // Building two partitions' keys at once can deadlock on their parent: again.
        if (IsTransient(e) && attempt < 5) continue;
        if (resuming && AlreadyThere(e)) return;
        std::lock_guard lock(mutex);
        errors.emplace_back(o.table, fmt::format("{}: {}", Describe(o), e.what()));
        return;
      }
    }
  };
  std::vector<std::unique_ptr<SchemaSession>> sessions;
  for (auto& [wave, objects] : waves) {
    const size_t workers = std::min<size_t>(std::max(threads, 1), objects.size());
    while (sessions.size() < workers) sessions.push_back(destination.OpenSchemaSession(dump_));
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (size_t w = 0; w < workers; ++w) {
      pool.emplace_back([&, w] {
        for (size_t i = next++; i < objects.size(); i = next++) run(*sessions[w], *objects[i]);
      });
    }
    for (std::thread& t : pool) t.join();
  }
  return errors;
}

std::vector<TableName> SchemaClone::Sequences() const {
  std::vector<TableName> names;
  for (const SchemaObject& o : dump_.before_data) {
    if (o.kind == "SEQUENCE" && !o.table.name.empty()) names.push_back(o.table);
  }
  return names;
}

std::vector<TableName> SchemaClone::SequencesThere() const {
  std::vector<TableName> names = Sequences();
  for (TableName& n : names) n = There(n);
  return names;
}

TableName SchemaClone::There(const TableName& name) const {
  if (!from_schema_.empty() && name.schema == from_schema_) return {to_schema_, name.name};
  return name;
}

void SchemaClone::RefuseExistingSequences(Endpoint& destination) const {
  const std::vector<TableName> names = SequencesThere();
  std::set<std::string> schemas;
  for (const TableName& n : names) schemas.insert(n.schema);
  if (schemas.empty()) return;
  for (const TableName& there : destination.ListSequences({schemas.begin(), schemas.end()})) {
    if (std::find(names.begin(), names.end(), there) == names.end()) continue;
    throw Error(ErrorCode::kSchema,
                fmt::format("destination sequence {} exists, and the schema clone creates the "
                            "source's sequence of that name (drop it there, or copy with "
                            "--schema-from ferry, which sets it to the source's state)",
                            DisplayName(there)));
  }
}

std::vector<std::string> SchemaClone::CopySequences(Endpoint& source, Endpoint& destination) {
  const std::vector<TableName> names = Sequences();
  std::vector<std::string> errors;
  for (const SequenceState& state : source.ReadSequences(names)) {
    try {
      destination.SetSequence(state);
    } catch (const Error& e) {
      errors.push_back(fmt::format("sequence {}: {}", DisplayName(state.name), e.what()));
    }
  }
  return errors;
}

std::vector<IdentityNext> SourceCounters(Endpoint& source, const TableCopyPlan& copy) {
  std::vector<IdentityNext> out;
  for (IdentityNext& n : source.IdentityCounters(copy.source)) {
    auto column = copy.source.FindColumn(n.column);
    if (!column) continue;
    for (size_t i = 0; i < copy.source_columns.size(); ++i) {
      if (copy.source_columns[i] != *column) continue;
      n.column = copy.destination.columns[size_t(copy.destination_columns[i])].name;
      out.push_back(n);
    }
  }
  return out;
}

int CarrySequences(Endpoint& source, Endpoint& destination,
                   const std::vector<std::pair<std::string, std::string>>& schemas, bool create,
                   std::vector<std::string>* errors) {
  if (!destination.info().traits.sequences) return 0;  // no sequences to hold them
  std::vector<std::string> from, to;
  auto destination_schema = [&](const std::string& schema) -> std::optional<std::string> {
    for (const auto& [s, d] : schemas) {
      if (s == schema) return d;
    }
    return std::nullopt;
  };
  for (const auto& [s, d] : schemas) {
    if (std::find(from.begin(), from.end(), s) == from.end()) from.push_back(s);
    if (std::find(to.begin(), to.end(), d) == to.end()) to.push_back(d);
  }
  const std::vector<TableName> names = source.ListSequences(from);
  if (names.empty()) return 0;
  const std::vector<TableName> there = destination.ListSequences(to);
  int set = 0;
  for (SequenceState state : source.ReadSequences(names)) {
    // A column's own sequence is its table's counter: SyncIdentity moves it, forwards only.
    if (state.owned) continue;
    const TableName at{*destination_schema(state.name.schema), state.name.name};
    const bool exists = std::find(there.begin(), there.end(), at) != there.end();
    try {
      state.name = at;
      if (!exists) {
        if (!create) continue;
        destination.CreateSequence(state);
      }
      destination.SetSequence(state);
      ++set;
    } catch (const Error& e) {
      errors->push_back(fmt::format("sequence {}: {}", DisplayName(at), e.what()));
    }
  }
  return set;
}

std::vector<std::string> ContinueCounters(Endpoint& source, Endpoint& destination, const Job& job,
                                          int* counters_set) {
  std::vector<std::string> errors;
  int set = 0;
  Job as_is = job;
  as_is.write_mode = WriteMode::kAppend;  // the destination's tables as they are
  for (TableOverride& o : as_is.overrides) o.write_mode.reset();
  PlannedRun run = PlanAndPrepare(source, destination, as_is, PartitionOptions{});
  std::vector<std::string> schemas;
  for (const PreparedTable& t : run.tables) {
    if (t.skip || t.copy.create) continue;
    if (std::find(schemas.begin(), schemas.end(), t.copy.source.name.schema) == schemas.end()) {
      schemas.push_back(t.copy.source.name.schema);
    }
    bool identity = false;
    for (const Column& c : t.copy.destination.columns) identity |= c.identity;
    if (!identity) continue;
    try {
      destination.SyncIdentity(t.copy.destination, SourceCounters(source, t.copy));
      ++set;
    } catch (const Error& e) {
      errors.push_back(
          fmt::format("{}: identity counter: {}", DisplayName(t.copy.destination.name), e.what()));
    }
  }
  std::vector<std::pair<std::string, std::string>> mapped;
  for (const PreparedTable& t : run.tables) {
    if (!t.skip && !t.copy.create) {
      mapped.emplace_back(t.copy.source.name.schema, t.copy.destination.name.schema);
    }
  }
  set += CarrySequences(source, destination, mapped, false, &errors);
  if (counters_set) *counters_set = set;
  return errors;
}

}  // namespace ferry
