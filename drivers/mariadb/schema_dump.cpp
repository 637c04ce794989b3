#include "drivers/mariadb/schema_dump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/mariadb/mariadb_catalog.hpp"

namespace ferry::mariadb {

namespace {

std::string Backtick(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The first backticked identifier in `text` from `at` on.
std::string FirstIdentifier(const std::string& text, size_t at = 0) {
  size_t open = text.find('`', at);
  if (open == std::string::npos) return "";
  std::string out;
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '`') {
      if (i + 1 < text.size() && text[i + 1] == '`') {
        out += '`';
        ++i;
        continue;
      }
      break;
    }
    out += text[i];
  }
  return out;
}

// SHOW CREATE TABLE writes its literals with backslash escapes ('\0' in a BINARY default,
// 'a\\b') whatever the session's NO_BACKSLASH_ESCAPES, which ferry's sessions set: the CREATE
// is run as it was written, under ferry's sql_mode less that one (MariaDBSchemaSession::Run
// restores the session's own afterwards).
const std::string kBackslashEscapes =
    std::string(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,"
        "NO_AUTO_VALUE_ON_ZERO,ERROR_FOR_DIVISION_BY_ZERO'") +
    kStatementSeparator;

bool StartsWith(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

// What a routine, trigger, view or event was created under, so it is stored the same again.
std::string CreatedUnder(const std::optional<std::string>& sql_mode,
                         const std::optional<std::string>& charset,
                         const std::optional<std::string>& collation) {
  std::string out;
  if (sql_mode) out += "SET SESSION sql_mode = " + Literal(*sql_mode) + kStatementSeparator;
  if (charset && collation) {
    out += "SET SESSION character_set_client = " + Literal(*charset) +
           ", collation_connection = " + Literal(*collation) + kStatementSeparator;
  }
  return out;
}

// SHOW CREATE's "DEFINER=`user`@`host`" as "DEFINER=CURRENT_USER": the object belongs to the
// destination's connecting user, as an account of the source's may not exist there.
std::string Definer(std::string sql, bool keep) {
  const size_t at = sql.find("DEFINER=`");
  if (keep || at == std::string::npos) return sql;
  size_t end = at + 8;
  for (int part = 0; part < 2 && end < sql.size() && sql[end] == '`'; ++part) {
    for (++end; end < sql.size(); ++end) {
      if (sql[end] != '`') continue;
      if (end + 1 < sql.size() && sql[end + 1] == '`') {
        ++end;
        continue;
      }
      ++end;
      break;
    }
    if (part == 0 && end < sql.size() && sql[end] == '@') ++end;
  }
  return sql.replace(at, end - at, "DEFINER=CURRENT_USER");
}

// "... REFERENCES `language` (`language_id`)", or `db`.`language` in another database.
TableName ReferencedTable(const std::string& sql, const std::string& schema) {
  size_t at = sql.find(" REFERENCES `");
  if (at == std::string::npos) return {};
  at += 12;
  const std::string first = FirstIdentifier(sql, at);
  const size_t after = sql.find('`', at + 1 + first.size());  // the closing backtick (no `` in it)
  if (after != std::string::npos && after + 1 < sql.size() && sql[after + 1] == '.') {
    return {first, FirstIdentifier(sql, after + 2)};
  }
  return {schema, first};
}

}  // namespace

SplitTable SplitCreateTable(const std::string& create, const std::string& quoted_table) {
  SplitTable out;
  std::vector<std::string> lines;
  std::istringstream in(create);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (lines.size() < 3) {
    out.create = create;
    return out;
  }
  // The column AUTO_INCREMENT is on must stay a key's first column.
  std::string auto_column;
  std::string primary_first;
  for (const std::string& line : lines) {
    if (StartsWith(line, "  `") && line.find(" AUTO_INCREMENT") != std::string::npos) {
      auto_column = FirstIdentifier(line);
    }
    if (StartsWith(line, "  PRIMARY KEY (")) primary_first = FirstIdentifier(line);
  }
  std::vector<std::string> kept;
  std::vector<std::string> plain_indexes;
  size_t close = lines.size();
  for (size_t i = 1; i < lines.size(); ++i) {
    if (StartsWith(lines[i], ")")) {
      close = i;
      break;
    }
    std::string body = lines[i];
    while (!body.empty() && (body.back() == ',' || body.back() == ' ')) body.pop_back();
    const std::string definition = body.substr(2);
    const bool index = StartsWith(definition, "KEY ") || StartsWith(definition, "UNIQUE KEY ") ||
                       StartsWith(definition, "FULLTEXT KEY ") ||
                       StartsWith(definition, "SPATIAL KEY ");
    const bool foreign = StartsWith(definition, "CONSTRAINT ") &&
                         definition.find(" FOREIGN KEY ") != std::string::npos;
    if (index) {
      size_t columns = definition.find(" (");
      const std::string first =
          columns == std::string::npos ? "" : FirstIdentifier(definition, columns);
      if (!auto_column.empty() && first == auto_column && primary_first != auto_column) {
        kept.push_back(body);
        continue;
      }
      if (StartsWith(definition, "FULLTEXT KEY ")) {
        out.indexes.push_back("ALTER TABLE " + quoted_table + " ADD " + definition);
      } else {
        plain_indexes.push_back("ADD " + definition);
      }
      continue;
    }
    if (foreign) {
      out.foreign_keys.push_back("ALTER TABLE " + quoted_table + " ADD " + definition);
      continue;
    }
    kept.push_back(body);
  }
  if (!plain_indexes.empty()) {
    std::string all;
    for (const std::string& p : plain_indexes) all += (all.empty() ? "" : ", ") + p;
    out.indexes.insert(out.indexes.begin(), "ALTER TABLE " + quoted_table + " " + all);
  }
  out.create = lines[0] + "\n";
  for (size_t i = 0; i < kept.size(); ++i) {
    out.create += kept[i] + (i + 1 < kept.size() ? ",\n" : "\n");
  }
  for (size_t i = close; i < lines.size(); ++i) {
    out.create += lines[i] + (i + 1 < lines.size() ? "\n" : "");
  }
  return out;
}

// Whether SHOW CREATE TABLE's text declares a spatial column ("  `c` point NOT NULL,").
// information_schema.geometry_columns opens every table of every database on the server
// whatever the WHERE says (0.12 s a question beside 400 other tables; 0.3 to 1.6 s in the test
// suite, where cloning 120 tables took a minute of them), so it is asked only about tables
// that have one.
bool DeclaresSpatialColumn(const std::string& create) {
  for (const char* type : {"geometry", "point", "linestring", "polygon", "multipoint",
                           "multilinestring", "multipolygon", "geometrycollection"}) {
    const std::string declared = std::string("` ") + type;
    for (size_t at = create.find(declared); at != std::string::npos;
         at = create.find(declared, at + 1)) {
      const size_t end = at + declared.size();
      if (end == create.size() || create[end] == ' ' || create[end] == ',' || create[end] == '\n') {
        return true;
      }
    }
  }
  return false;
}

std::string WithSrids(const std::string& create,
                      const std::vector<std::pair<std::string, std::string>>& srids) {
  std::string out;
  std::istringstream in(create);
  for (std::string line; std::getline(in, line);) {
    for (const auto& [column, srid] : srids) {
      const std::string start = "  " + Backtick(column) + " ";
      if (!StartsWith(line, start.c_str()) || line.find(" REF_SYSTEM_ID=") != std::string::npos) {
        continue;
      }
      const size_t type_end = line.find_first_of(" ,", start.size());
      line.insert(type_end == std::string::npos ? line.size() : type_end, " REF_SYSTEM_ID=" + srid);
    }
    out += (out.empty() ? "" : "\n") + line;
  }
  return out;
}

// Views, each after the views it reads (a name in backticks in its definition), each with
// what it reads.
void AddViews(SqlSession& session, const std::string& schema, bool keep_definers, SchemaDump& dump,
              int& wave) {
  auto ferrys = [](const std::string& name) { return IsFerryObjectName(name); };
  std::vector<std::pair<std::string, std::string>> views;  // name, statements
  std::vector<std::string> definitions;
  for (auto& r : QueryWhole(
           session,
           "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1",
           {schema})) {
    if (ferrys(*r[0])) continue;
    auto created = session.Query("SHOW CREATE VIEW " + Backtick(*r[0]));
    // View | Create View | character_set_client | collation_connection
    if (created.empty() || !created[0][1]) continue;
    views.emplace_back(*r[0], CreatedUnder(std::nullopt, created[0][2], created[0][3]) +
                                  Definer(*created[0][1], keep_definers));
    definitions.push_back(*created[0][1]);
  }
  // What each view reads: the schema's tables and views its definition names (SHOW CREATE VIEW
  // writes every name in backticks).
  std::vector<std::string> relations;
  for (auto& r : QueryWhole(
           session, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
           {schema})) {
    relations.push_back(*r[0]);
  }
  std::vector<std::vector<TableName>> reads(views.size());
  for (size_t v = 0; v < views.size(); ++v) {
    const size_t body = definitions[v].find(" AS ");
    for (const std::string& name : relations) {
      if (name != views[v].first && body != std::string::npos &&
          definitions[v].find(Backtick(name), body) != std::string::npos) {
        reads[v].push_back({schema, name});
      }
    }
  }
  std::vector<bool> placed(views.size(), false);
  for (size_t round = 0; round < views.size(); ++round) {
    for (size_t v = 0; v < views.size(); ++v) {
      if (placed[v]) continue;
      // Ready once every view it reads is placed (information_schema.TABLES lists views too).
      bool ready = true;
      for (size_t w = 0; w < views.size() && ready; ++w) {
        if (w == v || placed[w]) continue;
        ready = std::find(reads[v].begin(), reads[v].end(), TableName{schema, views[w].first}) ==
                reads[v].end();
      }
      if (!ready && round + 1 < views.size()) continue;
      placed[v] = true;
      SchemaObject view{"VIEW", views[v].first, {schema, views[v].first}, views[v].second, wave++};
      view.reads = reads[v];
      dump.after_data.push_back(std::move(view));
    }
  }
}

SchemaDump DumpSchema(SqlSession& session, const SchemaRequest& request) {
  SchemaDump dump;
  auto version = session.Query("SELECT VERSION()");
  dump.tool = "SHOW CREATE (MariaDB " + (version.empty() ? "" : version[0][0].value_or("")) + ")";
  const std::string schema = request.tables.front().schema;
  auto in_scope = [&](const std::string& table) {
    for (const TableName& t : request.tables) {
      if (t.name == table) return true;
    }
    return false;
  };
  auto ferrys = [](const std::string& name) { return IsFerryObjectName(name); };

  for (auto& r : QueryWhole(session,
                            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                            "TABLE_SCHEMA = ? AND TABLE_TYPE = 'SEQUENCE' ORDER BY 1",
                            {schema})) {
    if (ferrys(*r[0])) continue;
    auto created = session.Query("SHOW CREATE SEQUENCE " + Backtick(*r[0]));
    if (created.empty() || !created[0][1]) continue;
    dump.before_data.push_back(
        {"SEQUENCE", *r[0], {schema, *r[0]}, kBackslashEscapes + *created[0][1], 0});
  }
  for (const TableName& t : request.tables) {
    auto created = session.Query("SHOW CREATE TABLE " + Backtick(t.name));
    if (created.empty() || !created[0][1]) {
      throw Error(ErrorCode::kNotFound, "SHOW CREATE TABLE returned nothing",
                  ErrorContext{DisplayName(t), "", "", ""});
    }
    std::vector<std::pair<std::string, std::string>> srids;
    if (DeclaresSpatialColumn(*created[0][1])) {
      for (auto& r : session.Query(
               "SELECT g_geometry_column, srid FROM information_schema.geometry_columns WHERE "
               "g_table_schema = ? AND g_table_name = ? AND srid <> 0",
               {t.schema, t.name})) {
        if (r[0] && r[1]) srids.emplace_back(*r[0], *r[1]);
      }
    }
    SplitTable split = SplitCreateTable(WithSrids(*created[0][1], srids), Backtick(t.name));
    dump.before_data.push_back({"TABLE", t.name, t, kBackslashEscapes + split.create, 0});
    for (const std::string& sql : split.indexes) {
      dump.after_data.push_back({"INDEX", t.name, t, kBackslashEscapes + sql, 0});
    }
    // InnoDB checks every row while it adds a foreign key with foreign_key_checks on: the
    // copy's rows are checked as the source's were.
    for (const std::string& sql : split.foreign_keys) {
      SchemaObject fk{"FK CONSTRAINT", t.name, t,
                      std::string("SET SESSION foreign_key_checks = 1") + kStatementSeparator + sql,
                      2};
      fk.references = ReferencedTable(sql, schema);
      dump.after_data.push_back(std::move(fk));
    }
  }
  int wave = 10;
  if (request.routines) {
    for (auto& r :
         session.Query("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                       "WHERE ROUTINE_SCHEMA = ? ORDER BY CREATED, ROUTINE_NAME",
                       {schema})) {
      if (ferrys(*r[1])) continue;
      auto created = session.Query("SHOW CREATE " + *r[0] + " " + Backtick(*r[1]));
      // Function | sql_mode | Create Function | character_set_client | collation_connection | ...
      if (created.empty() || !created[0][2]) continue;
      dump.after_data.push_back({*r[0],
                                 *r[1],
                                 {},
                                 CreatedUnder(created[0][1], created[0][3], created[0][4]) +
                                     Definer(*created[0][2], request.keep_definers),
                                 wave++});
    }
  }
  AddViews(session, schema, request.keep_definers, dump, wave);
  if (request.routines) {
    for (auto& r : QueryWhole(
             session,
             "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE "
             "TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER",
             {schema})) {
      if (ferrys(*r[0]) || !in_scope(*r[1])) continue;
      auto created = session.Query("SHOW CREATE TRIGGER " + Backtick(*r[0]));
      // Trigger | sql_mode | SQL Original Statement | character_set_client | collation_connection
      if (created.empty() || !created[0][2]) continue;
      dump.after_data.push_back({"TRIGGER",
                                 *r[0],
                                 {schema, *r[1]},
                                 CreatedUnder(created[0][1], created[0][3], created[0][4]) +
                                     Definer(*created[0][2], request.keep_definers),
                                 wave++});
    }
    for (auto& r : session.Query(
             "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1",
             {schema})) {
      if (ferrys(*r[0])) continue;
      auto created = session.Query("SHOW CREATE EVENT " + Backtick(*r[0]));
      // Event | sql_mode | time_zone | Create Event | character_set_client | ...
      if (created.empty() || !created[0][3]) continue;
      std::string sql = CreatedUnder(created[0][1], created[0][4], created[0][5]);
      if (created[0][2])
        sql += "SET SESSION time_zone = " + Literal(*created[0][2]) + kStatementSeparator;
      dump.after_data.push_back(
          {"EVENT", *r[0], {}, sql + Definer(*created[0][3], request.keep_definers), wave++});
    }
  }
  return dump;
}

}  // namespace ferry::mariadb
