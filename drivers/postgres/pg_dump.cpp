#include "drivers/postgres/pg_dump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/postgres/pg_clone_needs.hpp"
#include "drivers/postgres/pg_types.hpp"
#include "drivers/process.hpp"

namespace ferry::pg {

namespace {

// Objects ferry itself puts into a database it tracks or writes to (change-log triggers and
// their functions, run state) are never cloned.
bool IsFerryObject(const std::string& name) {
  // "film ferry_trg" (a trigger is named with its table) or "ferry_capture()".
  size_t space = name.rfind(' ');
  std::string last = space == std::string::npos ? name : name.substr(space + 1);
  return IsFerryObjectName(last) || IsFerryObjectName(name);
}

bool IsRoutine(const std::string& kind) {
  return kind == "FUNCTION" || kind == "PROCEDURE" || kind == "AGGREGATE" || kind == "TRIGGER" ||
         kind == "EVENT TRIGGER";
}

// A comment (or ACL) entry is named after what it is on: "FUNCTION f()", "TABLE film"; the
// routine kind it is on, or "".
std::string CommentTarget(const std::string& name) {
  for (const char* kind : {"FUNCTION ", "PROCEDURE ", "AGGREGATE ", "TRIGGER ", "EVENT TRIGGER "}) {
    if (name.rfind(kind, 0) == 0) return std::string(kind).substr(0, std::string(kind).size() - 1);
  }
  return "";
}

// One identifier as pg_dump writes it (quoted with "" doubled, or bare) starting at `at`;
// `at` moves past it.
std::string ReadIdentifier(const std::string& text, size_t& at) {
  std::string out;
  if (at < text.size() && text[at] == '"') {
    for (++at; at < text.size(); ++at) {
      if (text[at] == '"') {
        if (at + 1 < text.size() && text[at + 1] == '"') {
          out += '"';
          ++at;
        } else {
          ++at;
          break;
        }
      } else {
        out += text[at];
      }
    }
    return out;
  }
  while (at < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[at])) || text[at] == '_' ||
          text[at] == '$' || static_cast<unsigned char>(text[at]) >= 0x80)) {
    out += text[at++];
  }
  return out;
}

// The table an object is on: "ON [ONLY] schema.table" (an index, a trigger) or "ALTER TABLE
// [ONLY] schema.table" (a constraint).
TableName TableOf(const std::string& kind, const std::string& sql) {
  size_t at = std::string::npos;
  if (kind == "INDEX") {
    at = sql.find(" ON ");
    if (at != std::string::npos) at += 4;
  } else if (kind == "CONSTRAINT" || kind == "FK CONSTRAINT" || kind == "CHECK CONSTRAINT") {
    at = sql.find("ALTER TABLE ");
    if (at != std::string::npos) at += 12;
  } else if (kind == "TRIGGER" || kind == "RULE" || kind == "POLICY") {
    at = sql.find(" ON ");
    if (at != std::string::npos) at += 4;
  }
  if (at == std::string::npos) return {};
  if (sql.compare(at, 5, "ONLY ") == 0) at += 5;
  TableName out;
  out.schema = ReadIdentifier(sql, at);
  if (at < sql.size() && sql[at] == '.') {
    ++at;
    out.name = ReadIdentifier(sql, at);
  } else {
    out.name = out.schema;
    out.schema.clear();
  }
  return out;
}

int WaveOf(const std::string& kind, int order) {
  if (kind == "INDEX" || kind == "CONSTRAINT" || kind == "CHECK CONSTRAINT") return 0;
  if (kind == "INDEX ATTACH") return 1;
  if (kind == "FK CONSTRAINT") return 2;
  return 3 + order;  // triggers, rules, comments, grants...: one at a time, in the dump's order
}

std::string Trim(const std::string& text) {
  size_t b = text.find_first_not_of(" \n\t");
  if (b == std::string::npos) return "";
  size_t e = text.find_last_not_of(" \n\t");
  return text.substr(b, e - b + 1);
}

// A libpq connection string for pg_dump without the password, values quoted.
std::string Conninfo(const pq::ConnectParams& params, std::string* password) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (key == "password") {
      *password = value;
      continue;
    }
    if (key == "client_encoding") continue;  // pg_dump sets its own
    std::string quoted;
    for (char c : value) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    out += (out.empty() ? "" : " ") + key + "='" + quoted + "'";
  }
  return out;
}

int MajorOf(const std::string& version) {
  try {
    return std::stoi(version);
  } catch (...) {
    return 0;
  }
}

// "pg_dump (PostgreSQL) 15.18 (Debian ...)" -> "15.18".
std::string VersionOf(const std::string& program) {
  try {
    ProcessResult r = RunProcess({program, "--version"}, {});
    if (r.exit_code != 0) return "";
    size_t at = r.out.find(") ");
    if (at == std::string::npos) return "";
    std::istringstream in(r.out.substr(at + 2));
    std::string version;
    in >> version;
    return version;
  } catch (const Error&) {
    return "";
  }
}

// pg_dump waits --lock-wait for each table's lock, then fails naming the table, instead of
// waiting for as long as a session holding it exclusively lives.
std::string LockWaitArgument(int lock_wait) {
  return fmt::format("--lock-wait-timeout={}s", lock_wait);
}

// pg_dump gave up waiting for a table's lock (LockWaitArgument): Error(kBusy), as ferry's own
// lock waits.
void RefuseLockWait(const ProcessResult& r, const std::string& display, int lock_wait) {
  if (r.exit_code == 0 || r.err.find("LOCK TABLE") == std::string::npos ||
      r.err.find("statement timeout") == std::string::npos) {
    return;
  }
  throw Error(
      ErrorCode::kBusy,
      fmt::format(
          "pg_dump could not read the schema of {}: another session holds a "
          "lock on a table it must read, and it waited {} s (--lock-wait) for it in vain (an "
          "ALTER TABLE, TRUNCATE or LOCK TABLE left open): {}",
          display, lock_wait, r.err))
      .WithAdvice("end or commit that session's transaction, then run again");
}

struct PgDump {
  std::string path;
  std::string version;
};

// pg_dump refuses servers newer than itself; an older server it reads fine.
// `forced`: the user's choice (--pg-dump), or empty.
PgDump FindPgDump(const std::string& server_version, const std::string& forced) {
  const int server = MajorOf(server_version);
  if (!forced.empty()) {
    std::string version = VersionOf(forced);
    if (version.empty()) {
      throw Error(
          ErrorCode::kMissingDriver,
          fmt::format("--pg-dump (FERRY_PG_DUMP) names {}, which does not run as pg_dump", forced));
    }
    if (MajorOf(version) < server) {
      throw Error(ErrorCode::kMissingDriver,
                  fmt::format("--pg-dump (FERRY_PG_DUMP) names pg_dump {}, which cannot read a "
                              "PostgreSQL {} server; point it at pg_dump {} or newer, or copy "
                              "with ferry's own DDL (--schema-from ferry)",
                              version, server_version, server));
    }
    return {forced, version};
  }
  std::vector<PgDump> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string path = (entry.path() / "bin" / "pg_dump").string();
    if (!std::filesystem::exists(path, ec)) continue;
    std::string version = VersionOf(path);
    if (!version.empty()) found.push_back({path, version});
  }
  if (std::string version = VersionOf("pg_dump"); !version.empty()) {
    found.push_back({"pg_dump", version});
  }
  const PgDump* best = nullptr;
  for (const PgDump& d : found) {
    const int major = MajorOf(d.version);
    if (major < server) continue;
    // The server's own major version first, else the newest.
    if (!best || (major == server && MajorOf(best->version) != server) ||
        (MajorOf(best->version) != server && major > MajorOf(best->version))) {
      best = &d;
    }
  }
  if (!best) {
    throw Error(ErrorCode::kMissingDriver,
                fmt::format("cloning the schema of a PostgreSQL {} server needs pg_dump {} or "
                            "newer, and {}; install postgresql-client-{} (or name one with "
                            "--pg-dump), or copy with ferry's own DDL (--schema-from ferry)",
                            server_version, server,
                            found.empty() ? "none is installed"
                                          : "the newest installed is " + found.back().version,
                            server));
  }
  return *best;
}

std::string Pattern(const std::string& schema, const std::string& name = "") {
  auto quoted = [](const std::string& part) {
    std::string out = "\"";
    for (char c : part) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  return name.empty() ? quoted(schema) : quoted(schema) + "." + quoted(name);
}

// What each view of `schemas` reads, from its rules' dependencies (system catalogs and an
// extension's own tables are always there, so not counted).
void AddViewReads(SqlSession& catalog, const std::vector<std::string>& schemas, SchemaDump& dump) {
  std::map<TableName, SchemaObject*> views;
  for (SchemaObject& o : dump.before_data) {
    if (o.kind == "VIEW" || o.kind == "MATERIALIZED VIEW") views[o.table] = &o;
  }
  if (views.empty()) return;
  for (const std::string& s : schemas) {
    for (auto& r : catalog.Query(
             "SELECT DISTINCT vc.relname, rn.nspname, rc.relname FROM pg_catalog.pg_rewrite w "
             "JOIN pg_catalog.pg_class vc ON vc.oid = w.ev_class "
             "JOIN pg_catalog.pg_namespace vn ON vn.oid = vc.relnamespace "
             "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass "
             "AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass "
             "JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid AND rc.oid <> vc.oid "
             "JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
             "WHERE vc.relkind IN ('v', 'm') AND vn.nspname = ? "
             "AND rn.nspname NOT IN ('pg_catalog', 'information_schema') "
             "AND rn.nspname NOT LIKE 'pg\\_toast%' AND NOT EXISTS (SELECT 1 FROM "
             "pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_class'::regclass "
             "AND e.objid = rc.oid AND e.deptype = 'e')",
             {s})) {
      auto view = views.find({s, *r[0]});
      if (view != views.end()) view->second->reads.push_back({*r[1], *r[2]});
    }
  }
}

// The tables in scope need more than the schemas that hold them: partitions may live in another
// schema (pg_partman's layout: the parent in public, old partitions in an archive schema), and
// a column's type, a default's function or sequence, a check's function may come from a schema
// holding no table in scope (a "types" or "util" schema). pg_dump -n leaves such schemas out, and
// the clone would then route every row to a DEFAULT partition, or fail on a missing type. Each
// such schema is dumped too (-n), without its relations (-T) other than those partitions and the
// sequences the tables draw from. Objects of extensions are the extension's (created apart).
void AddNeededSchemas(SqlSession& catalog, const std::vector<TableName>& tables,
                      std::vector<std::string>& schemas, std::vector<TableName>& excluded) {
  std::vector<std::string> names;
  for (const TableName& t : tables) names.push_back(Pattern(t.schema, t.name));
  static const std::string kNeeded =
      "WITH RECURSIVE named AS (SELECT t.name::regclass::oid AS oid FROM "
      "pg_catalog.unnest(?::text[]) AS t(name)), rels AS (SELECT oid FROM named UNION SELECT "
      "p.relid FROM named, pg_catalog.pg_partition_tree(named.oid) p), "
      "deps(classid, objid) AS (SELECT 'pg_catalog.pg_class'::regclass::oid, oid FROM rels "
      "UNION SELECT 'pg_catalog.pg_attrdef'::regclass::oid, ad.oid FROM pg_catalog.pg_attrdef ad "
      "WHERE ad.adrelid IN (SELECT oid FROM rels) "
      "UNION SELECT 'pg_catalog.pg_constraint'::regclass::oid, co.oid FROM "
      "pg_catalog.pg_constraint co WHERE co.conrelid IN (SELECT oid FROM rels) "
      "UNION SELECT d.refclassid, d.refobjid FROM deps JOIN pg_catalog.pg_depend d ON "
      "d.classid = deps.classid AND d.objid = deps.objid WHERE d.deptype = 'n' AND "
      "d.refclassid IN ('pg_catalog.pg_type'::regclass, 'pg_catalog.pg_proc'::regclass, "
      "'pg_catalog.pg_class'::regclass, 'pg_catalog.pg_collation'::regclass) AND "
      "(deps.classid <> 'pg_catalog.pg_class'::regclass OR deps.objid IN (SELECT oid FROM "
      "rels))), "
      "needed(nsp, rel) AS (SELECT CASE d.classid WHEN 'pg_catalog.pg_type'::regclass THEN "
      "(SELECT typnamespace FROM pg_catalog.pg_type WHERE oid = d.objid) "
      "WHEN 'pg_catalog.pg_proc'::regclass THEN (SELECT pronamespace FROM pg_catalog.pg_proc "
      "WHERE oid = d.objid) WHEN 'pg_catalog.pg_collation'::regclass THEN (SELECT "
      "collnamespace FROM pg_catalog.pg_collation WHERE oid = d.objid) "
      "WHEN 'pg_catalog.pg_class'::regclass THEN (SELECT relnamespace FROM pg_catalog.pg_class "
      "WHERE oid = d.objid AND (relkind = 'S' OR oid IN (SELECT oid FROM rels))) END, "
      "CASE WHEN d.classid = 'pg_catalog.pg_class'::regclass THEN d.objid END FROM deps d "
      "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = d.classid AND "
      "e.objid = d.objid AND e.deptype = 'e')), "
      "extra AS (SELECT DISTINCT n.oid, n.nspname FROM needed JOIN pg_catalog.pg_namespace n ON "
      "n.oid = needed.nsp WHERE n.nspname <> ALL (?::text[]) AND n.nspname NOT IN "
      "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%') "
      "SELECT nspname, NULL FROM extra UNION ALL SELECT x.nspname, c.relname FROM "
      "pg_catalog.pg_class c JOIN extra x ON x.oid = c.relnamespace WHERE c.relkind IN ('r', "
      "'p', 'v', 'm', 'f', 'S') AND c.oid NOT IN (SELECT rel FROM needed WHERE rel IS NOT "
      "NULL) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = "
      "'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')";
  for (auto& r : catalog.Query(kNeeded, {ArrayLiteral(names), ArrayLiteral(schemas)})) {
    if (!r[1]) {
      schemas.push_back(*r[0]);
    } else {
      excluded.push_back({*r[0], *r[1]});
    }
  }
}

// Event triggers are the database's, not a schema's, so pg_dump -n leaves them out; those whose
// function the clone makes are made too, last of all (after materialized views are refreshed),
// so one that logs DDL logs none of the clone's. Creating one takes a superuser.
void AddEventTriggers(SqlSession& catalog, const std::vector<std::string>& schemas,
                      SchemaDump& dump) {
  int order = 2000000;
  for (auto& r : catalog.Query(
           "SELECT e.evtname, n.nspname, pg_catalog.format('CREATE EVENT TRIGGER %I ON %I%s "
           "EXECUTE FUNCTION %I.%I()', e.evtname, e.evtevent, CASE WHEN e.evttags IS NOT NULL "
           "THEN ' WHEN TAG IN (' || (SELECT string_agg(pg_catalog.quote_literal(t), ', ') FROM "
           "pg_catalog.unnest(e.evttags) t) || ')' ELSE '' END, n.nspname, p.proname), "
           "CASE e.evtenabled WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA' WHEN 'A' "
           "THEN 'ENABLE ALWAYS' END, CASE WHEN pg_catalog.obj_description(e.oid, "
           "'pg_event_trigger') IS NOT NULL THEN pg_catalog.format('COMMENT ON EVENT TRIGGER %I "
           "IS %L', e.evtname, pg_catalog.obj_description(e.oid, 'pg_event_trigger')) END "
           "FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid "
           "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE NOT EXISTS (SELECT 1 "
           "FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_event_trigger'::regclass "
           "AND d.objid = e.oid AND d.deptype = 'e') ORDER BY e.evtname")) {
    if (IsFerryObject(*r[0]) || std::find(schemas.begin(), schemas.end(), *r[1]) == schemas.end()) {
      continue;
    }
    std::string sql = *r[2];
    // Not enabled as created (origin): ALTER EVENT TRIGGER, as pg_dump writes it.
    if (r[3]) sql += "; ALTER EVENT TRIGGER " + Pattern(*r[0]) + " " + *r[3];
    if (r[4]) sql += "; " + *r[4];
    SchemaObject o;
    o.kind = "EVENT TRIGGER";
    o.name = *r[0];
    o.sql = sql;
    o.wave = order++;
    dump.after_data.push_back(std::move(o));
  }
}

// Extensions are the database's, not a schema's: pg_dump -n leaves them out. Those the source
// has are created first where the destination lacks them (their objects, such as btree_gist's
// operator classes, are what indexes and constraints use).
void AddExtensions(SqlSession& catalog, SchemaDump& dump) {
  std::vector<SchemaObject> extensions;
  for (auto& r : catalog.Query("SELECT e.extname, n.nspname FROM pg_catalog.pg_extension e "
                               "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
                               "WHERE e.extname <> 'plpgsql' ORDER BY e.oid")) {
    SchemaObject o;
    o.kind = "EXTENSION";
    o.name = *r[0];
    // Its schema may hold no table in scope (Supabase keeps extensions in "extensions"); made
    // only where missing, as IF NOT EXISTS still asks for CREATE on the database. CASCADE: a
    // copy that carries only the extensions its columns' types need (CopyRun::CarryTypes) gets
    // those they require too (earthdistance requires cube).
    o.sql = CreateExtensionSql(*r[0], *r[1]);
    extensions.push_back(std::move(o));
  }
  // After the schemas they may live in, before everything that may use them.
  auto first_use =
      std::find_if(dump.before_data.begin(), dump.before_data.end(), [](const SchemaObject& o) {
        return o.kind != "SCHEMA" && !(o.kind == "COMMENT" && o.name.rfind("SCHEMA ", 0) == 0);
      });
  dump.before_data.insert(first_use, extensions.begin(), extensions.end());
}

}  // namespace

std::vector<SchemaObject> SplitDump(const std::string& script, bool post_data,
                                    std::vector<std::string>* session_setup) {
  std::vector<SchemaObject> out;
  static const std::string kHeader = "--\n-- Name: ";
  size_t at = script.find(kHeader);
  // The preamble: SET lines every session runs.
  {
    std::istringstream in(script.substr(0, at == std::string::npos ? script.size() : at));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("SET ", 0) == 0 || line.rfind("SELECT pg_catalog.set_config(", 0) == 0) {
        if (session_setup &&
            std::find(session_setup->begin(), session_setup->end(), line) == session_setup->end()) {
          session_setup->push_back(line);
        }
      }
    }
  }
  int order = 0;
  while (at != std::string::npos) {
    size_t next = script.find(kHeader, at + kHeader.size());
    std::string chunk =
        script.substr(at, next == std::string::npos ? std::string::npos : next - at);
    at = next;
    // "--\n-- Name: film film_pkey; Type: CONSTRAINT; Schema: public; Owner: -\n--\n"
    size_t line_end = chunk.find('\n', 3);
    std::string header = chunk.substr(3, line_end - 3);
    size_t type_at = header.find("; Type: ");
    size_t schema_at = header.find("; Schema: ", type_at == std::string::npos ? 0 : type_at);
    if (type_at == std::string::npos || schema_at == std::string::npos) continue;
    SchemaObject object;
    object.name = header.substr(9, type_at - 9);
    object.kind = header.substr(type_at + 8, schema_at - type_at - 8);
    const size_t owner_at = header.find("; Owner: ", schema_at);
    const std::string schema = header.substr(schema_at + 10, owner_at - schema_at - 10);
    // The statements: every line after the header but psql's meta-commands (\restrict).
    std::istringstream in(chunk.substr(line_end + 1));
    std::string sql;
    bool in_header = true;
    for (std::string line; std::getline(in, line);) {
      if (in_header && line == "--") {
        in_header = false;
        continue;
      }
      if (!line.empty() && line[0] == '\\') continue;
      sql += line + "\n";
    }
    object.sql = Trim(sql);
    // Trailing "-- PostgreSQL database dump complete" and the like are comments: harmless.
    if (object.sql.empty()) continue;
    if (object.kind == "SCHEMA" && object.sql.rfind("CREATE SCHEMA ", 0) == 0) {
      // The destination may have the schema already (public always does).
      object.sql.insert(14, "IF NOT EXISTS ");
    }
    if (object.kind == "TABLE" || object.kind == "SEQUENCE" || object.kind == "VIEW" ||
        object.kind == "MATERIALIZED VIEW" || object.kind == "FOREIGN TABLE") {
      object.table = {schema, object.name};  // the object is a relation itself
    } else {
      object.table = TableOf(object.kind, object.sql);
    }
    if (object.table.schema.empty() && !object.table.name.empty()) object.table.schema = schema;
    if (schema != "-") object.schema = schema;
    if (object.kind == "FK CONSTRAINT") {
      // "... FOREIGN KEY (language_id) REFERENCES public.language(language_id) ..."
      size_t ref = object.sql.find(" REFERENCES ");
      if (ref != std::string::npos) {
        ref += 12;
        object.references.schema = ReadIdentifier(object.sql, ref);
        if (ref < object.sql.size() && object.sql[ref] == '.') {
          ++ref;
          object.references.name = ReadIdentifier(object.sql, ref);
        } else {
          object.references = {schema, object.references.schema};
        }
      }
    }
    object.wave = post_data ? WaveOf(object.kind, order++) : 0;
    out.push_back(std::move(object));
  }
  return out;
}

SchemaDump DumpSchema(const pq::ConnectParams& params, const std::string& server_version,
                      SqlSession& catalog, const SchemaRequest& request, const std::string& display,
                      const std::string& forced_pg_dump, int lock_wait) {
  const PgDump pg_dump = FindPgDump(server_version, forced_pg_dump);
  std::string password;
  const std::string conninfo = Conninfo(params, &password);
  std::vector<std::pair<std::string, std::string>> environment;
  if (!password.empty()) environment.emplace_back("PGPASSWORD", password);

  std::vector<std::string> schemas;
  for (const TableName& t : request.tables) {
    if (std::find(schemas.begin(), schemas.end(), t.schema) == schemas.end()) {
      schemas.push_back(t.schema);
    }
  }
  std::vector<std::string> args = {pg_dump.path,
                                   "--schema-only",
                                   "--no-owner",
                                   "--no-tablespaces",
                                   "--no-publications",
                                   "--no-subscriptions",
                                   "--no-security-labels",
                                   LockWaitArgument(lock_wait),
                                   "-d",
                                   conninfo};
  std::vector<TableName> not_needed;
  AddNeededSchemas(catalog, request.tables, schemas, not_needed);
  for (size_t i = 0; i < schemas.size(); ++i) {
    args.push_back("-n");
    args.push_back(Pattern(schemas[i]));
  }
  // An excluded table goes with its partitions (which scope never lists: they are the parent's).
  std::set<TableName> excluded(request.excluded.begin(), request.excluded.end());
  excluded.insert(not_needed.begin(), not_needed.end());
  for (const TableName& t : request.excluded) {
    auto rows = catalog.Query(
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_partition_tree(?::regclass) p "
        "JOIN pg_catalog.pg_class c ON c.oid = p.relid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE p.level > 0",
        {Pattern(t.schema, t.name)});
    for (auto& r : rows) excluded.insert({*r[0], *r[1]});
  }
  for (const TableName& t : excluded) {
    args.push_back("-T");
    args.push_back(Pattern(t.schema, t.name));
  }

  SchemaDump dump;
  dump.tool = "pg_dump " + pg_dump.version;
  int grants = 0;
  for (bool post : {false, true}) {
    std::vector<std::string> run = args;
    run.push_back(post ? "--section=post-data" : "--section=pre-data");
    ProcessResult r = RunProcess(run, environment);
    RefuseLockWait(r, display, lock_wait);
    if (r.exit_code != 0) {
      throw Error(ErrorCode::kDriver,
                  fmt::format("pg_dump could not read the schema of {}: {}", display, Trim(r.err)));
    }
    std::vector<SchemaObject> objects = SplitDump(r.out, post, &dump.session_setup);
    auto& into = post ? dump.after_data : dump.before_data;
    for (SchemaObject& o : objects) {
      if (IsFerryObject(o.name)) continue;
      // A left-out routine goes with its comment and its grants ("FUNCTION f(integer)").
      if (!request.routines && (IsRoutine(o.kind) || ((o.kind == "COMMENT" || o.kind == "ACL") &&
                                                      !CommentTarget(o.name).empty()))) {
        continue;
      }
      if (!post && (o.kind == "ACL" || o.kind == "DEFAULT ACL")) {
        // A grant to a role the destination lacks fails: after the data, where a failure is
        // reported and undoes nothing else; one statement an object, so a grant to a role the
        // destination lacks is left out alone (pg_clone_needs.hpp).
        // One at a time, in the dump's order: concurrent grants on one table's catalog rows
        // fail each other.
        for (SchemaObject& grant : SplitGrants(o)) {
          grant.wave = 900000 + grants++;
          dump.after_data.push_back(std::move(grant));
        }
        continue;
      }
      into.push_back(std::move(o));
    }
  }

  AddExtensions(catalog, dump);
  AddViewReads(catalog, schemas, dump);
  if (request.routines) AddEventTriggers(catalog, schemas, dump);
  MarkNeeds(catalog, schemas, dump);
  dump.not_carried = NotDumped(catalog, request.tables);

  // A schema-only dump creates materialized views WITH NO DATA; the source's populated ones are
  // refreshed once the tables they read are loaded and indexed, in creation order (one may
  // read another).
  int order = 1000000;
  for (const std::string& s : schemas) {
    for (auto& r : catalog.Query(
             "SELECT c.relname FROM pg_catalog.pg_class c "
             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relkind = 'm' AND c.relispopulated AND n.nspname = ? ORDER BY c.oid",
             {s})) {
      bool dumped = false;
      for (const SchemaObject& o : dump.before_data) {
        dumped |= o.kind == "MATERIALIZED VIEW" && o.name == *r[0];
      }
      if (!dumped) continue;
      SchemaObject o;
      o.kind = "MATERIALIZED VIEW DATA";
      o.name = *r[0];
      o.sql = "REFRESH MATERIALIZED VIEW " + Pattern(s, *r[0]);
      o.wave = order++;
      dump.after_data.push_back(std::move(o));
    }
  }
  return dump;
}

}  // namespace ferry::pg
