#include "drivers/postgres/pg_types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "copier/sql_tokens.hpp"
#include "drivers/postgres/pg_clone_needs.hpp"
#include "drivers/postgres/postgres_catalog.hpp"

namespace ferry::pg {

namespace {

// FirstNormalObjectId: objects below it are the system's, there in every database.
constexpr long long kFirstUserOid = 16384;

std::string Quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool IsUserOid(const std::optional<std::string>& oid) {
  return oid && !oid->empty() && std::stoll(*oid) >= kFirstUserOid;
}

// What ferry cannot make from the catalog: the destination must have it already, else creating
// it fails with `message` (check's trial says so before the run).
std::string RequireSql(const std::string& missing_test, const std::string& message) {
  return fmt::format(
      "DO $ferry$ BEGIN IF {} THEN RAISE EXCEPTION USING ERRCODE = 'undefined_object', "
      "MESSAGE = {}; END IF; END $ferry$",
      missing_test, sql_tokens::StringLiteral(message));
}

// The extension that owns an object (deptype 'e'), its name and schema.
std::string ExtensionOf(const std::string& classid, const std::string& objid) {
  return fmt::format(
      "LEFT JOIN LATERAL (SELECT e.extname, en.nspname FROM pg_catalog.pg_depend d "
      "JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid JOIN pg_catalog.pg_namespace en ON "
      "en.oid = e.extnamespace WHERE d.classid = '{}'::pg_catalog.regclass AND d.objid = {} AND "
      "d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e' "
      "LIMIT 1)",
      classid, objid);
}

const std::string& TypeSql() {
  static const std::string sql =
      "SELECT t.typtype, pg_catalog.format('%I.%I', n.nspname, t.typname), "
      "t.typtype = 'b' AND t.typcategory = 'A' AND t.typelem <> 0, t.typelem::text, "
      "t.typbasetype::text, CASE WHEN t.typtype = 'd' THEN "
      "pg_catalog.format_type(t.typbasetype, t.typtypmod) END, t.typnotnull, "
      "pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass), "
      "CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation IS DISTINCT FROM "
      "(SELECT b.typcollation FROM pg_catalog.pg_type b WHERE b.oid = t.typbasetype) THEN "
      "(SELECT pg_catalog.format('%I.%I', cn.nspname, co.collname) FROM "
      "pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
      "WHERE co.oid = t.typcollation) END, t.typrelid::text, (SELECT c.relkind FROM "
      "pg_catalog.pg_class c WHERE c.oid = t.typrelid), x.extname, x.nspname, n.nspname "
      "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace " +
      ExtensionOf("pg_catalog.pg_type", "t.oid") + " x ON true WHERE t.oid = ?::pg_catalog.oid";
  return sql;
}

const std::string& FunctionSql() {
  static const std::string sql =
      "SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, "
      "pg_catalog.pg_get_function_identity_arguments(p.oid)), l.lanname, l.lanpltrusted, "
      "CASE WHEN l.lanname NOT IN ('c', 'internal') AND p.prokind IN ('f', 'p') THEN "
      "pg_catalog.pg_get_functiondef(p.oid) END, x.extname, x.nspname, lx.extname, lx.nspname, "
      "n.nspname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = "
      "p.pronamespace JOIN pg_catalog.pg_language l ON l.oid = p.prolang " +
      ExtensionOf("pg_catalog.pg_proc", "p.oid") + " x ON true " +
      ExtensionOf("pg_catalog.pg_language", "l.oid") +
      " lx ON true WHERE p.oid = ?::pg_catalog.oid";
  return sql;
}

// What an object's definition names (types, functions) beyond itself: a domain's base type and
// the functions and types of its default and checks, a function's argument and result types
// (and what a SQL-standard body calls).
const std::string& DependsSql() {
  static const std::string sql =
      "SELECT d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass, d.refobjid::text "
      "FROM pg_catalog.pg_depend d WHERE d.deptype = 'n' AND d.refobjid >= 16384 AND "
      "d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, "
      "'pg_catalog.pg_type'::pg_catalog.regclass) AND ((d.classid = ?::pg_catalog.regclass AND "
      "d.objid = ?::pg_catalog.oid) OR (d.classid = 'pg_catalog.pg_constraint'::pg_catalog."
      "regclass AND d.objid IN (SELECT c.oid FROM pg_catalog.pg_constraint c WHERE c.contypid = "
      "?::pg_catalog.oid AND ?::pg_catalog.regclass = 'pg_catalog.pg_type'::pg_catalog.regclass"
      "))) ORDER BY d.refobjid";
  return sql;
}

// Walks from the columns' types to everything they need, depth first, so each object is listed
// after what it needs (pg_dump's order for these kinds: it sorts by dependencies too).
class TypeWalk {
 public:
  explicit TypeWalk(SqlSession& session) : session_(session) {}

  // The key of the object that makes type `oid`, "" where there is nothing to make.
  std::string Type(const std::string& oid) {
    if (!IsUserOid(oid)) return "";
    if (auto a = alias_.find(oid); a != alias_.end()) return a->second;
    const std::string key = "type " + oid;
    if (!visiting_.insert(key).second) return "";  // a cycle: already on its way
    auto rows = session_.Query(TypeSql(), {oid});
    if (rows.empty()) return "";
    const SqlSession::Row& r = rows[0];
    std::string made;
    if (IsTrue(r[2])) {
      made = Type(*r[3]);  // an array: made with its element type
    } else if (r[11]) {
      made = Extension(*r[11], *r[12]);
    } else if (*r[0] == "m") {
      auto range = session_.Query(
          "SELECT r.rngtypid::text FROM pg_catalog.pg_range r WHERE (pg_catalog.to_jsonb(r.*) "
          "->> 'rngmultitypid')::pg_catalog.oid = ?::pg_catalog.oid",
          {oid});
      made = range.empty() ? "" : Type(*range[0][0]);  // made with its range type
    } else {
      Node node;
      node.object.name = *r[1];
      node.object.schema = *r[13];
      BuildType(oid, r, node);
      Add(key, std::move(node));
      made = key;
    }
    alias_[oid] = made;
    return made;
  }

  std::string Function(const std::string& oid) {
    if (!IsUserOid(oid)) return "";
    if (auto a = alias_.find("f" + oid); a != alias_.end()) return a->second;
    const std::string key = "function " + oid;
    if (!visiting_.insert(key).second) return "";
    auto rows = session_.Query(FunctionSql(), {oid});
    if (rows.empty()) return "";
    const SqlSession::Row& r = rows[0];
    std::string made = key;
    if (r[4]) {
      made = Extension(*r[4], *r[5]);
    } else {
      Node node;
      node.object.kind = "FUNCTION";
      node.object.name = *r[0];
      node.object.schema = *r[8];
      if (!r[3]) {
        node.object.sql = RequireSql(
            "pg_catalog.to_regprocedure(" + sql_tokens::StringLiteral(*r[0]) + ") IS NULL",
            fmt::format("function {} (language {}) is the source's own and ferry cannot make it "
                        "from the catalog; have it made at the destination first",
                        *r[0], *r[1]));
      } else {
        Depends("pg_catalog.pg_proc", oid, node);
        if (r[6]) node.deps.push_back(Extension(*r[6], *r[7]));  // its language's
        node.object.sql = *r[3];
        const std::string replace = "CREATE OR REPLACE ";
        if (node.object.sql.rfind(replace, 0) == 0) node.object.sql.erase(7, 11);
        if (!IsTrue(r[2])) {
          node.object.needs.push_back(
              {CloneNeed::Kind::kSuperuser, "", "it is written in untrusted language " + *r[1]});
        }
      }
      Add(key, std::move(node));
    }
    alias_["f" + oid] = made;
    return made;
  }

  std::string Extension(const std::string& name, const std::string& schema) {
    const std::string key = "extension " + name;
    if (!nodes_.count(key)) {
      Node node;
      node.object.kind = "EXTENSION";
      node.object.name = name;
      node.object.sql = CreateExtensionSql(name, schema);
      node.object.needs.push_back({CloneNeed::Kind::kExtension, name, "a column's type needs it"});
      Add(key, std::move(node));
    }
    return key;
  }

  // Every object, each after what it needs, with the tables that need it; the schemas they are
  // in first.
  SchemaDump Result(const std::map<TableName, std::vector<std::string>>& roots) {
    for (const auto& [table, keys] : roots) {
      std::set<std::string> seen;
      std::vector<std::string> todo = keys;
      while (!todo.empty()) {
        const std::string key = todo.back();
        todo.pop_back();
        auto node = nodes_.find(key);
        if (key.empty() || !seen.insert(key).second || node == nodes_.end()) continue;
        node->second.object.used_by.push_back(table);
        todo.insert(todo.end(), node->second.deps.begin(), node->second.deps.end());
      }
    }
    SchemaDump dump;
    dump.tool = "the source's catalog";
    // As pg_dump: bodies are not checked (a function may read a table made later), and every
    // name is written qualified.
    dump.session_setup = {"SET check_function_bodies = false",
                          "SELECT pg_catalog.set_config('search_path', '', false)"};
    std::map<std::string, SchemaObject> schemas;
    for (const std::string& key : order_) {
      const SchemaObject& o = nodes_[key].object;
      if (o.schema.empty() || o.schema == "public") continue;
      SchemaObject& s = schemas[o.schema];
      s.kind = "SCHEMA";
      s.name = o.schema;
      s.sql = fmt::format(
          "DO $ferry$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname "
          "= {}) THEN CREATE SCHEMA {}; END IF; END $ferry$",
          sql_tokens::StringLiteral(o.schema), Quoted(o.schema));
      for (const TableName& t : o.used_by) {
        if (std::find(s.used_by.begin(), s.used_by.end(), t) == s.used_by.end()) {
          s.used_by.push_back(t);
        }
      }
    }
    for (auto& [name, s] : schemas) dump.before_data.push_back(std::move(s));
    for (const std::string& key : order_) {
      if (!nodes_[key].object.used_by.empty()) {
        dump.before_data.push_back(std::move(nodes_[key].object));
      }
    }
    return dump;
  }

 private:
  struct Node {
    SchemaObject object;
    std::vector<std::string> deps;  // keys of what it needs
  };

  void Add(const std::string& key, Node node) {
    std::erase(node.deps, std::string());
    nodes_[key] = std::move(node);
    order_.push_back(key);
  }

  void Depends(const std::string& classid, const std::string& oid, Node& node) {
    for (auto& d : session_.Query(DependsSql(), {classid, oid, oid, classid})) {
      node.deps.push_back(IsTrue(d[0]) ? Function(*d[1]) : Type(*d[1]));
    }
  }

  void BuildType(const std::string& oid, const SqlSession::Row& r, Node& node);
  void BuildDomain(const std::string& oid, const SqlSession::Row& r, Node& node);
  void BuildRange(const std::string& oid, Node& node);

  SqlSession& session_;
  std::map<std::string, Node> nodes_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> alias_;  // oid (functions "f" oid) -> key
  std::set<std::string> visiting_;
};

void TypeWalk::BuildType(const std::string& oid, const SqlSession::Row& r, Node& node) {
  const std::string& name = *r[1];
  const std::string kind = *r[0];
  SchemaObject& o = node.object;
  o.kind = "TYPE";
  if (kind == "d") {
    BuildDomain(oid, r, node);
  } else if (kind == "e") {
    std::string labels;
    for (auto& l : session_.Query("SELECT pg_catalog.quote_literal(enumlabel) FROM "
                                  "pg_catalog.pg_enum WHERE enumtypid = ?::pg_catalog.oid "
                                  "ORDER BY enumsortorder",
                                  {oid})) {
      labels += (labels.empty() ? "" : ", ") + *l[0];
    }
    o.sql = "CREATE TYPE " + name + " AS ENUM (" + labels + ")";
  } else if (kind == "c" && r[10] && *r[10] == "c") {
    std::string attributes;
    for (auto& a : session_.Query(
             "SELECT pg_catalog.format('%I %s', a.attname, pg_catalog.format_type(a.atttypid, "
             "a.atttypmod)) || CASE WHEN a.attcollation <> 0 AND a.attcollation IS DISTINCT "
             "FROM t.typcollation THEN ' COLLATE ' || pg_catalog.format('%I.%I', cn.nspname, "
             "co.collname) ELSE '' END, a.atttypid::text FROM pg_catalog.pg_attribute a JOIN "
             "pg_catalog.pg_type t ON t.oid = a.atttypid LEFT JOIN pg_catalog.pg_collation co "
             "ON co.oid = a.attcollation LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = "
             "co.collnamespace WHERE a.attrelid = ?::pg_catalog.oid AND a.attnum > 0 AND NOT "
             "a.attisdropped ORDER BY a.attnum",
             {*r[9]})) {
      node.deps.push_back(Type(*a[1]));
      attributes += (attributes.empty() ? "" : ", ") + *a[0];
    }
    o.sql = "CREATE TYPE " + name + " AS (" + attributes + ")";
  } else if (kind == "r") {
    BuildRange(oid, node);
  } else {
    const std::string what =
        kind == "c" ? "the row type of a table or view" : "a base type with functions written in C";
    o.sql = RequireSql("pg_catalog.to_regtype(" + sql_tokens::StringLiteral(name) + ") IS NULL",
                       fmt::format("type {} is {} of the source's own, which ferry cannot make "
                                   "from the catalog; have it made at the destination first",
                                   name, what));
  }
}

void TypeWalk::BuildDomain(const std::string& oid, const SqlSession::Row& r, Node& node) {
  node.object.kind = "DOMAIN";
  node.deps.push_back(Type(*r[4]));
  Depends("pg_catalog.pg_type", oid, node);
  std::string sql = "CREATE DOMAIN " + *r[1] + " AS " + *r[5];
  if (r[8]) sql += " COLLATE " + *r[8];
  if (r[7]) sql += " DEFAULT " + *r[7];
  if (IsTrue(r[6])) sql += " NOT NULL";
  std::string later;
  for (auto& c : session_.Query(
           "SELECT pg_catalog.quote_ident(conname), pg_catalog.pg_get_constraintdef(oid), "
           "convalidated FROM pg_catalog.pg_constraint WHERE contypid = ?::pg_catalog.oid AND "
           "contype = 'c' ORDER BY conname",
           {oid})) {
    if (IsTrue(c[2])) {
      sql += " CONSTRAINT " + *c[0] + " " + *c[1];
    } else {  // NOT VALID: rows from before it may not satisfy it
      later += "; ALTER DOMAIN " + *r[1] + " ADD CONSTRAINT " + *c[0] + " " + *c[1];
    }
  }
  node.object.sql = sql + later;
}

void TypeWalk::BuildRange(const std::string& oid, Node& node) {
  auto rows = session_.Query(
      "SELECT r.rngsubtype::text, pg_catalog.format_type(r.rngsubtype, NULL), CASE WHEN "
      "r.rngcollation <> 0 AND r.rngcollation IS DISTINCT FROM st.typcollation THEN (SELECT "
      "pg_catalog.format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation co "
      "JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = "
      "r.rngcollation) END, CASE WHEN NOT opc.opcdefault THEN pg_catalog.format('%I.%I', "
      "opn.nspname, opc.opcname) END, r.rngcanonical::pg_catalog.oid::text, "
      "r.rngsubdiff::pg_catalog.oid::text, CASE WHEN r.rngsubdiff <> 0 THEN (SELECT "
      "pg_catalog.format('%I.%I', pn.nspname, p.proname) FROM pg_catalog.pg_proc p JOIN "
      "pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace WHERE p.oid = r.rngsubdiff) END, "
      "(SELECT pg_catalog.format('%I.%I', mn.nspname, m.typname) FROM pg_catalog.pg_type m "
      "JOIN pg_catalog.pg_namespace mn ON mn.oid = m.typnamespace WHERE m.oid = "
      "(pg_catalog.to_jsonb(r.*) ->> 'rngmultitypid')::pg_catalog.oid) "
      "FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype "
      "JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc JOIN pg_catalog.pg_namespace "
      "opn ON opn.oid = opc.opcnamespace WHERE r.rngtypid = ?::pg_catalog.oid",
      {oid});
  SchemaObject& o = node.object;
  if (rows.empty()) return;
  const SqlSession::Row& r = rows[0];
  if (*r[4] != "0") {  // a canonical function takes the range's shell type: written in C
    o.sql = RequireSql("pg_catalog.to_regtype(" + sql_tokens::StringLiteral(o.name) + ") IS NULL",
                       fmt::format("range type {} has a canonical function, written in C, which "
                                   "ferry cannot make; have the type made at the destination first",
                                   o.name));
    return;
  }
  node.deps.push_back(Type(*r[0]));
  node.deps.push_back(Function(*r[5]));
  std::string sql = "CREATE TYPE " + o.name + " AS RANGE (subtype = " + *r[1];
  if (r[3]) sql += ", subtype_opclass = " + *r[3];
  if (r[2]) sql += ", collation = " + *r[2];
  if (r[6]) sql += ", subtype_diff = " + *r[6];
  if (r[7]) sql += ", multirange_type_name = " + *r[7];
  o.sql = sql + ")";
}

}  // namespace

std::string CreateExtensionSql(const std::string& name, const std::string& schema) {
  return fmt::format(
      "DO $ferry$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = "
      "{}) THEN CREATE SCHEMA {}; END IF; END $ferry$; CREATE EXTENSION IF NOT EXISTS {} "
      "WITH SCHEMA {} CASCADE",
      sql_tokens::StringLiteral(schema), Quoted(schema), Quoted(name), Quoted(schema));
}

SchemaDump ColumnTypes(SqlSession& session, const std::vector<TableName>& tables) {
  std::vector<std::string> names;
  for (const TableName& t : tables) names.push_back(Quoted(t.schema) + "." + Quoted(t.name));
  TypeWalk walk(session);
  std::map<TableName, std::vector<std::string>> roots;
  for (auto& r : session.Query(
           "SELECT n.nspname, c.relname, a.atttypid::text FROM pg_catalog.pg_attribute a JOIN "
           "pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid "
           "= c.relnamespace WHERE c.oid IN (SELECT pg_catalog.to_regclass(x.name) FROM "
           "pg_catalog.unnest(?::text[]) AS x(name)) AND a.attnum > 0 AND NOT a.attisdropped "
           "AND a.atttypid >= 16384 ORDER BY c.oid, a.attnum",
           {ArrayLiteral(names)})) {
    roots[{*r[0], *r[1]}].push_back(walk.Type(*r[2]));
  }
  return walk.Result(roots);
}

}  // namespace ferry::pg
