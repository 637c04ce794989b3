#include "drivers/postgres/pg_clone_needs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

namespace ferry::pg {

namespace {

// The role named at `at` in a grant as pg_dump writes it (quoted with "" doubled, or bare).
std::string RoleAt(const std::string& text, size_t at) {
  std::string out;
  if (at < text.size() && text[at] == '"') {
    for (++at; at < text.size(); ++at) {
      if (text[at] != '"') {
        out += text[at];
      } else if (at + 1 < text.size() && text[at + 1] == '"') {
        out += '"';
        ++at;
      } else {
        break;
      }
    }
    return out;
  }
  while (at < text.size() && text[at] != ';' && text[at] != ',' && text[at] != ' ') {
    out += text[at++];
  }
  // Unquoted identifiers are folded to lower case; PUBLIC is a keyword, no role.
  std::string lower = out;
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  return lower == "public" ? "" : lower;
}

// Roles every PostgreSQL server has (pg_read_all_data, pg_database_owner...).
bool Predefined(const std::string& role) {
  return role.rfind("pg_", 0) == 0;
}

void NeedRole(const std::string& role, const std::string& why, CloneNeed::Kind kind,
              std::vector<CloneNeed>& needs) {
  if (role.empty() || Predefined(role)) return;
  CloneNeed need{kind, role, why};
  if (std::find(needs.begin(), needs.end(), need) == needs.end()) needs.push_back(need);
}

// The needs of one grant statement (or SET SESSION AUTHORIZATION group).
std::vector<CloneNeed> GrantNeeds(const std::string& sql) {
  std::vector<CloneNeed> needs;
  std::istringstream in(sql);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("SET SESSION AUTHORIZATION ", 0) == 0) {
      needs.push_back({CloneNeed::Kind::kSuperuser, "",
                       "it was granted by another role than the object's owner, which only a "
                       "superuser may act as"});
      continue;
    }
    if (line.rfind("ALTER DEFAULT PRIVILEGES FOR ROLE ", 0) == 0) {
      NeedRole(RoleAt(line, 34), "it sets the default privileges of that role",
               CloneNeed::Kind::kMemberOf, needs);
    }
    size_t to = std::string::npos;
    if (line.find(" GRANT ") != std::string::npos || line.rfind("GRANT ", 0) == 0) {
      to = line.rfind(" TO ");
      if (to != std::string::npos) to += 4;
    } else if (line.find(" REVOKE ") != std::string::npos || line.rfind("REVOKE ", 0) == 0) {
      to = line.rfind(" FROM ");
      if (to != std::string::npos) to += 6;
    }
    if (to == std::string::npos) continue;
    // "TO a, b" (a role granted to several).
    while (to < line.size()) {
      NeedRole(RoleAt(line, to), "it is granted to that role", CloneNeed::Kind::kRole, needs);
      size_t comma = line.find(", ", to);
      if (comma == std::string::npos) break;
      to = comma + 2;
    }
  }
  return needs;
}

struct Dependent {
  std::string root;      // the extension's or function's name
  std::string language;  // the function's untrusted language ("" for an extension)
  std::string kind;      // TABLE, INDEX, VIEW, CONSTRAINT, TYPE, TRIGGER, RULE, POLICY, FUNCTION
  std::string schema, table, name;
};

// What in `schemas` depends on an object of an extension or on a function of `schemas` in an
// untrusted language (the function itself listed as its own dependent), as pg_depend records it.
std::vector<Dependent> Dependents(SqlSession& catalog, const std::vector<std::string>& schemas) {
  static const std::string kSql =
      "WITH roots(root, language, classid, objid) AS (SELECT e.extname, ''::text, m.classid, "
      "m.objid "
      "FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_depend m ON m.refclassid = "
      "'pg_catalog.pg_extension'::regclass AND m.refobjid = e.oid AND m.deptype = 'e' WHERE "
      "e.extname <> 'plpgsql' UNION ALL SELECT p.proname, l.lanname::text, "
      "'pg_catalog.pg_proc'::regclass::oid, p.oid FROM pg_catalog.pg_proc p JOIN "
      "pg_catalog.pg_language l ON l.oid = p.prolang JOIN pg_catalog.pg_namespace n ON n.oid = "
      "p.pronamespace WHERE NOT l.lanpltrusted AND n.nspname = ANY (?::text[]) AND NOT EXISTS "
      "(SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_proc'::regclass "
      "AND e.objid = p.oid AND e.deptype = 'e')), "
      "x AS (SELECT r.root, r.language, d.classid, d.objid FROM roots r JOIN "
      "pg_catalog.pg_depend d ON d.refclassid = r.classid AND d.refobjid = r.objid AND "
      "d.deptype = 'n' WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = "
      "d.classid AND e.objid = d.objid AND e.deptype = 'e') "
      "UNION ALL SELECT r.root, r.language, r.classid, r.objid FROM roots r WHERE r.language "
      "<> '') "
      "SELECT * FROM (SELECT x.root, x.language, CASE WHEN c.relkind IN ('i', 'I') THEN 'INDEX' "
      "WHEN c.relkind IN ('v', 'm') THEN 'VIEW' ELSE 'TABLE' END AS kind, n.nspname AS nsp, "
      "COALESCE((SELECT t.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class t ON "
      "t.oid = i.indrelid WHERE i.indexrelid = c.oid), c.relname) AS tbl, c.relname AS name FROM "
      "x JOIN pg_catalog.pg_class c ON x.classid = 'pg_catalog.pg_class'::regclass AND c.oid = "
      "x.objid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "UNION ALL SELECT x.root, x.language, 'TABLE', n.nspname, c.relname, c.relname FROM x JOIN "
      "pg_catalog.pg_attrdef a ON x.classid = 'pg_catalog.pg_attrdef'::regclass AND a.oid = "
      "x.objid JOIN pg_catalog.pg_class c ON c.oid = a.adrelid JOIN pg_catalog.pg_namespace n "
      "ON n.oid = c.relnamespace "
      "UNION ALL SELECT x.root, x.language, CASE WHEN co.conrelid <> 0 THEN 'CONSTRAINT' ELSE "
      "'TYPE' END, n.nspname, COALESCE(c.relname, t.typname), CASE WHEN co.conrelid <> 0 THEN "
      "co.conname ELSE t.typname END FROM x JOIN pg_catalog.pg_constraint co ON x.classid = "
      "'pg_catalog.pg_constraint'::regclass AND co.oid = x.objid LEFT JOIN pg_catalog.pg_class c "
      "ON c.oid = co.conrelid LEFT JOIN pg_catalog.pg_type t ON t.oid = co.contypid JOIN "
      "pg_catalog.pg_namespace n ON n.oid = co.connamespace "
      "UNION ALL SELECT x.root, x.language, 'TRIGGER', n.nspname, c.relname, g.tgname FROM x JOIN "
      "pg_catalog.pg_trigger g ON x.classid = 'pg_catalog.pg_trigger'::regclass AND g.oid = "
      "x.objid JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid JOIN pg_catalog.pg_namespace n ON "
      "n.oid = c.relnamespace "
      "UNION ALL SELECT x.root, x.language, CASE WHEN w.rulename = '_RETURN' THEN 'VIEW' ELSE "
      "'RULE' END, n.nspname, c.relname, w.rulename FROM x JOIN pg_catalog.pg_rewrite w ON "
      "x.classid = 'pg_catalog.pg_rewrite'::regclass AND w.oid = x.objid JOIN "
      "pg_catalog.pg_class c ON c.oid = w.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = "
      "c.relnamespace "
      "UNION ALL SELECT x.root, x.language, 'POLICY', n.nspname, c.relname, p.polname FROM x JOIN "
      "pg_catalog.pg_policy p ON x.classid = 'pg_catalog.pg_policy'::regclass AND p.oid = "
      "x.objid JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN pg_catalog.pg_namespace n "
      "ON n.oid = c.relnamespace "
      "UNION ALL SELECT x.root, x.language, 'TYPE', n.nspname, '', t.typname FROM x JOIN "
      "pg_catalog.pg_type t ON x.classid = 'pg_catalog.pg_type'::regclass AND t.oid = x.objid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
      "UNION ALL SELECT x.root, x.language, 'FUNCTION', n.nspname, '', p.proname FROM x JOIN "
      "pg_catalog.pg_proc p ON x.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = x.objid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace) s "
      "WHERE s.nsp = ANY (?::text[]) ORDER BY 1, 3, 4, 5, 6";
  std::vector<Dependent> out;
  const std::string in = ArrayLiteral(schemas);
  for (auto& r : catalog.Query(kSql, {in, in})) {
    out.push_back({*r[0], r[1].value_or(""), *r[2], *r[3], r[4].value_or(""), *r[5]});
  }
  return out;
}

bool IsConstraint(const std::string& kind) {
  return kind == "CONSTRAINT" || kind == "CHECK CONSTRAINT" || kind == "FK CONSTRAINT";
}

// Whether dump object `o` is the dependent `d` (pg_dump's tags: "table name" for what belongs to
// a table, "name(argument types)" for a function).
bool Is(const SchemaObject& o, const Dependent& d) {
  const TableName table{d.schema, d.table};
  if (d.kind == "TABLE") {
    return (o.kind == "TABLE" || o.kind == "SEQUENCE" || o.kind == "FOREIGN TABLE") &&
           o.table == table;
  }
  if (d.kind == "VIEW") {
    return (o.kind == "VIEW" || o.kind == "MATERIALIZED VIEW") && o.table == table;
  }
  if (d.kind == "INDEX") {
    // An index of a constraint (unique, exclusion) is made by the constraint.
    return (o.kind == "INDEX" && o.name == d.name && o.table.schema == d.schema) ||
           (IsConstraint(o.kind) && o.table == table && o.name == d.table + " " + d.name);
  }
  if (d.kind == "CONSTRAINT") {
    return IsConstraint(o.kind) && o.table == table && o.name == d.table + " " + d.name;
  }
  if (d.kind == "TYPE") {
    return (o.kind == "TYPE" || o.kind == "DOMAIN") && o.schema == d.schema && o.name == d.name;
  }
  if (d.kind == "FUNCTION") {
    return (o.kind == "FUNCTION" || o.kind == "PROCEDURE" || o.kind == "AGGREGATE") &&
           o.schema == d.schema && o.name.rfind(d.name + "(", 0) == 0;
  }
  return o.kind == d.kind && o.table.schema == d.schema && o.name == d.table + " " + d.name;
}

void Need(SchemaObject& o, const CloneNeed& need) {
  if (std::find(o.needs.begin(), o.needs.end(), need) == o.needs.end()) o.needs.push_back(need);
}

}  // namespace

// A PostgreSQL array literal of `items` (each quoted, \ before " and \).
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<SchemaObject> SplitGrants(const SchemaObject& acl) {
  std::vector<SchemaObject> out;
  std::istringstream in(acl.sql);
  std::string group;
  bool in_session = false;
  auto flush = [&] {
    if (group.empty()) return;
    SchemaObject o = acl;
    o.sql = group;
    while (!o.sql.empty() && o.sql.back() == '\n') o.sql.pop_back();
    o.needs = GrantNeeds(o.sql);
    out.push_back(std::move(o));
    group.clear();
  };
  for (std::string line; std::getline(in, line);) {
    // pg_dump's own comment lines: a group of nothing else would be an empty query.
    if (line.empty() || line.rfind("--", 0) == 0) continue;
    group += line + "\n";
    if (line.rfind("SET SESSION AUTHORIZATION ", 0) == 0) in_session = true;
    if (line.rfind("RESET SESSION AUTHORIZATION", 0) == 0) in_session = false;
    // One statement a line, as pg_dump writes grants; a line not ending one continues it.
    if (!in_session && line.back() == ';') flush();
  }
  flush();
  return out;
}

void MarkNeeds(SqlSession& catalog, const std::vector<std::string>& schemas, SchemaDump& dump) {
  std::vector<SchemaObject*> all;
  for (auto* list : {&dump.before_data, &dump.after_data}) {
    for (SchemaObject& o : *list) all.push_back(&o);
  }
  for (SchemaObject* o : all) {
    if (o->kind == "EVENT TRIGGER") {
      Need(*o, {CloneNeed::Kind::kSuperuser, "", "only a superuser may create an event trigger"});
    } else if (o->kind == "EXTENSION") {
      Need(*o, {CloneNeed::Kind::kExtension, o->name, "it is the extension"});
    } else if (o->kind == "POLICY") {
      // "CREATE POLICY p ON t [AS ...] [FOR ...] TO a, b USING (...)": roles before the
      // expressions.
      const size_t end = std::min(o->sql.find(" USING ("), o->sql.find(" WITH CHECK ("));
      size_t at = o->sql.substr(0, end).find(" TO ");
      for (at = at == std::string::npos ? end : at + 4; at < end;) {
        NeedRole(RoleAt(o->sql, at), "the policy applies to that role", CloneNeed::Kind::kRole,
                 o->needs);
        const size_t comma = o->sql.find(", ", at);
        if (comma == std::string::npos || comma > end) break;
        at = comma + 2;
      }
    } else if (o->kind == "FOREIGN TABLE") {
      // "CREATE FOREIGN TABLE ... )\nSERVER name" (OPTIONS may follow).
      size_t at = o->sql.find("\nSERVER ");
      if (at != std::string::npos) {
        Need(*o, {CloneNeed::Kind::kForeignServer, RoleAt(o->sql, at + 8),
                  "its rows live on that foreign server"});
      }
    }
  }
  for (const Dependent& d : Dependents(catalog, schemas)) {
    CloneNeed need =
        d.language.empty()
            ? CloneNeed{CloneNeed::Kind::kExtension, d.root,
                        fmt::format("it uses what extension {} provides", d.root)}
            : CloneNeed{CloneNeed::Kind::kSuperuser, "",
                        d.kind == "FUNCTION" && d.name == d.root
                            ? fmt::format("it is written in {}, an untrusted language that only a "
                                          "superuser may use",
                                          d.language)
                            : fmt::format("it uses function {}, written in the untrusted language "
                                          "{}",
                                          d.root, d.language)};
    bool found = false;
    for (SchemaObject* o : all) {
      if (!Is(*o, d)) continue;
      Need(*o, need);
      found = true;
    }
    // A check, default or column type inside CREATE TABLE has no object of its own.
    if (!found && !d.table.empty()) {
      for (SchemaObject* o : all) {
        if (o->kind == "TABLE" && o->table == TableName{d.schema, d.table}) Need(*o, need);
      }
    }
  }
}

std::vector<CloneNote> NotDumped(SqlSession& catalog, const std::vector<TableName>& tables) {
  std::vector<std::string> names;
  for (const TableName& t : tables) {
    std::string quoted = "\"";
    for (char c : t.schema) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\".\"";
    for (char c : t.name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    names.push_back(quoted + "\"");
  }
  std::vector<CloneNote> out;
  for (auto& r : catalog.Query(
           "SELECT p.pubname, p.puballtables FROM pg_catalog.pg_publication p WHERE "
           "p.puballtables OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr WHERE "
           "pr.prpubid = p.oid AND pr.prrelid IN (SELECT t.name::regclass::oid FROM "
           "pg_catalog.unnest(?::text[]) AS t(name))) ORDER BY 1",
           {ArrayLiteral(names)})) {
    out.push_back({"publication " + *r[0],
                   "publications are not carried (logical replication is set up anew at the "
                   "destination, with CREATE PUBLICATION)"});
  }
  for (auto& r : catalog.Query(
           "SELECT s.subname FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON "
           "d.oid = s.subdbid WHERE d.datname = pg_catalog.current_database() ORDER BY 1")) {
    out.push_back({"subscription " + *r[0],
                   "subscriptions are not carried (a copy that starts replicating into the "
                   "destination would change it behind the copy's back)"});
  }
  // A range type's casts to its multirange are the type's own (an internal dependency).
  for (auto& r : catalog.Query(
           "SELECT pg_catalog.format_type(c.castsource, NULL) || ' AS ' || "
           "pg_catalog.format_type(c.casttarget, NULL) FROM pg_catalog.pg_cast c WHERE c.oid >= "
           "16384 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = "
           "'pg_catalog.pg_cast'::regclass AND e.objid = c.oid AND e.deptype IN ('e', 'i')) "
           "ORDER BY 1")) {
    out.push_back({"cast (" + *r[0] + ")",
                   "casts belong to the database, not to a schema, and pg_dump -n does not dump "
                   "them: recreate them at the destination"});
  }
  return out;
}

const std::string& OtherObjectsQuery() {
  // Objects an extension owns belong to the extension, not to the schema's user.
  static const std::string kSql =
      "SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' "
      "ELSE 'sequence' END, n.nspname || '.' || c.relname FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
      "AND (c.relkind IN ('v', 'm') OR (c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM "
      "pg_catalog.pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))) "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.objid = c.oid "
      "AND e.deptype = 'e') "
      "UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' "
      "ELSE 'function' END, n.nspname || '.' || p.proname || '(' || "
      "pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' "
      "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
      "WHERE n.nspname = ? AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE "
      "e.objid = p.oid AND e.deptype IN ('e', 'i')) "
      "UNION ALL SELECT 'trigger', t.tgname || ' on ' || n.nspname || '.' || c.relname "
      "FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
      "AND NOT t.tgisinternal "
      "UNION ALL SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' "
      "WHEN 'r' THEN 'range type' ELSE 'composite type' END, n.nspname || '.' || t.typname "
      "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
      "WHERE n.nspname = ? AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND "
      "(SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')) "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.objid = t.oid AND "
      "e.deptype = 'e') "
      "UNION ALL SELECT 'rule', r.rulename || ' on ' || n.nspname || '.' || c.relname FROM "
      "pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN "
      "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND "
      "r.rulename <> '_RETURN' "
      "UNION ALL SELECT 'row security policy', p.polname || ' on ' || n.nspname || '.' || "
      "c.relname FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = "
      "p.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE "
      "n.nspname = ? "
      // Event triggers are the database's; each is listed with the schema of its function.
      "UNION ALL SELECT 'event trigger', e.evtname FROM pg_catalog.pg_event_trigger e JOIN "
      "pg_catalog.pg_proc p ON p.oid = e.evtfoid JOIN pg_catalog.pg_namespace n ON n.oid = "
      "p.pronamespace WHERE n.nspname = ? AND NOT EXISTS (SELECT 1 FROM "
      "pg_catalog.pg_depend e2 WHERE e2.objid = e.oid AND e2.deptype = 'e') "
      // An identity or serial counter that counts down or wraps around.
      "UNION ALL SELECT 'countdown or cycling identity column', n.nspname || '.' || "
      "c.relname || '.' || a.attname || CASE WHEN s.seqincrement < 0 THEN ' (INCREMENT BY ' "
      "|| s.seqincrement || ')' ELSE '' END || CASE WHEN s.seqcycle THEN ' (CYCLE)' ELSE '' "
      "END FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_sequence s ON s.seqrelid = "
      "d.objid JOIN pg_catalog.pg_class c ON c.oid = d.refobjid JOIN "
      "pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE d.classid = "
      "'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass "
      "AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 AND n.nspname = ? AND "
      "(s.seqincrement < 0 OR s.seqcycle) "
      // A foreign key one partition declares, not its parent: no other engine partitions.
      "UNION ALL SELECT 'partition foreign key', k.conname || ' on ' || n.nspname || '.' || "
      "c.relname FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = "
      "k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
      "AND c.relispartition AND k.contype = 'f' AND k.conparentid = 0 "
      // Columns, and indexes beyond their columns, compared by a collation the schemas define.
      "UNION ALL SELECT 'column collation', n.nspname || '.' || c.relname || '.' || a.attname "
      "|| ' (' || cn.nspname || '.' || co.collname || ')' FROM pg_catalog.pg_attribute a JOIN "
      "pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = "
      "c.relnamespace JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation JOIN "
      "pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE n.nspname = ? AND "
      "c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT "
      "a.attisdropped AND cn.nspname <> 'pg_catalog' "
      "UNION ALL SELECT 'index collation', ic.relname || ' on ' || n.nspname || '.' || "
      "c.relname || ' (' || cn.nspname || '.' || co.collname || ')' FROM pg_catalog.pg_index "
      "i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_class c ON "
      "c.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN "
      "pg_catalog.pg_collation co ON co.oid = ANY (i.indcollation::oid[]) JOIN "
      "pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE n.nspname = ? AND NOT "
      "c.relispartition AND cn.nspname <> 'pg_catalog' AND NOT EXISTS (SELECT 1 FROM "
      "pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attcollation = co.oid) "
      "ORDER BY 1, 2";
  return kSql;
}

const std::string& LargeObjectColumnsQuery() {
  // oid (and lo, a domain over oid) columns, where the database holds any large object.
  static const std::string kSql =
      "SELECT n.nspname || '.' || c.relname || '.' || a.attname "
      "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN "
      "pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_type y ON "
      "y.oid = a.atttypid WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
      "AND NOT a.attisdropped AND 'oid'::regtype IN (y.oid, y.typbasetype) AND EXISTS "
      "(SELECT FROM pg_catalog.pg_largeobject_metadata) ORDER BY 1";
  return kSql;
}

std::vector<std::string> UnmetNeeds(SqlSession& catalog, const std::vector<CloneNeed>& needs) {
  std::vector<std::string> out(needs.size());
  if (needs.empty()) return out;
  auto rows = catalog.Query(
      "SELECT current_user, CASE WHEN r.rolsuper THEN 'y' ELSE 'n' END, CASE WHEN "
      "pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') THEN 'y' "
      "ELSE 'n' END FROM pg_catalog.pg_roles r WHERE r.rolname = current_user");
  if (rows.empty()) return out;
  const std::string user = *rows[0][0];
  const bool superuser = rows[0][1] == "y", may_create = rows[0][2] == "y";
  std::map<std::pair<int, std::string>, std::string> asked;
  for (size_t i = 0; i < needs.size(); ++i) {
    const CloneNeed& n = needs[i];
    auto key = std::make_pair(int(n.kind), n.name);
    if (auto it = asked.find(key); it != asked.end()) {
      out[i] = it->second;
      continue;
    }
    std::string& why = asked[key];
    switch (n.kind) {
      case CloneNeed::Kind::kSuperuser:
        if (!superuser) why = fmt::format("the destination user {} is not a superuser", user);
        break;
      case CloneNeed::Kind::kExtension: {
        auto e = catalog.Query(
            "SELECT CASE WHEN a.installed_version IS NOT NULL THEN 'installed' WHEN v.trusted "
            "THEN 'trusted' ELSE 'untrusted' END FROM pg_catalog.pg_available_extensions a JOIN "
            "pg_catalog.pg_available_extension_versions v ON v.name = a.name AND v.version = "
            "a.default_version WHERE a.name = ?",
            {n.name});
        const std::string state = e.empty() ? "" : e[0][0].value_or("");
        if (state.empty()) {
          why = fmt::format(
              "extension {} is not available on the destination server (install its package "
              "there)",
              n.name);
        } else if (state == "trusted" && !superuser && !may_create) {
          why = fmt::format(
              "the destination user {} may not create extension {} (it lacks CREATE "
              "on the database)",
              user, n.name);
        } else if (state == "untrusted" && !superuser) {
          why = fmt::format(
              "extension {} is not trusted: only a superuser may create it, and the destination "
              "user {} is not one (have it created there first)",
              n.name, user);
        }
        break;
      }
      case CloneNeed::Kind::kRole:
        if (catalog.Query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?", {n.name})
                .empty()) {
          why = fmt::format("role {} does not exist at the destination", n.name);
        }
        break;
      case CloneNeed::Kind::kMemberOf: {
        auto m = catalog.Query(
            "SELECT CASE WHEN pg_catalog.pg_has_role(r.oid, 'MEMBER') THEN 'y' ELSE 'n' END FROM "
            "pg_catalog.pg_roles r WHERE r.rolname = ?",
            {n.name});
        if (m.empty()) {
          why = fmt::format("role {} does not exist at the destination", n.name);
        } else if (m[0][0] != "y") {
          why = fmt::format("the destination user {} is not a member of role {}", user, n.name);
        }
        break;
      }
      case CloneNeed::Kind::kForeignServer: {
        auto s = catalog.Query(
            "SELECT CASE WHEN pg_catalog.has_server_privilege(s.oid, 'USAGE') THEN 'y' ELSE 'n' "
            "END FROM pg_catalog.pg_foreign_server s WHERE s.srvname = ?",
            {n.name});
        if (s.empty()) {
          why = fmt::format(
              "foreign server {} does not exist at the destination (ferry carries no foreign "
              "servers or user mappings: they hold connection settings and passwords; create "
              "it there and copy again)",
              n.name);
        } else if (s[0][0] != "y") {
          why = fmt::format("the destination user {} may not use foreign server {}", user, n.name);
        }
        break;
      }
    }
    out[i] = why;
  }
  return out;
}

}  // namespace ferry::pg
