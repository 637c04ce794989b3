#include "drivers/run_state_tables.hpp"

#include <fmt/format.h>

#include <iterator>

namespace ferry {

namespace {

ColumnType Varchar(int64_t length) {
  ColumnType t;
  t.kind = TypeKind::kVarchar;
  t.length = length;
  return t;
}

ColumnType Text() {
  ColumnType t;
  t.kind = TypeKind::kText;
  return t;
}

ColumnType Integer(int bits) {
  ColumnType t;
  t.kind = TypeKind::kInteger;
  t.width_bits = bits;
  return t;
}

ColumnType Double() {
  ColumnType t;
  t.kind = TypeKind::kDouble;
  return t;
}

struct Def {
  const char* name;
  ColumnType type;
  bool key;
};

Table MakeTable(const TableName& name, const std::vector<Def>& defs, const Dialect& dialect) {
  Table t;
  t.name = name;
  for (const Def& d : defs) {
    Column c;
    c.name = d.name;
    c.type = dialect.MapType(d.type, Engine::kOther);
    c.nullable = !d.key;
    if (d.key) t.primary_key.push_back(int(t.columns.size()));
    t.columns.push_back(std::move(c));
  }
  return t;
}

}  // namespace

std::vector<Table> RunStateTables(const Dialect& dialect,
                                  const std::function<TableName(const char*)>& home) {
  return {
      MakeTable(home("runs"),
                {{"run_id", Varchar(64), true},
                 {"scope", Varchar(64), false},
                 {"command", Varchar(16), false},
                 {"status", Varchar(16), false},
                 {"started_at", Varchar(32), false},
                 {"finished_at", Varchar(32), false},
                 {"source", Text(), false},
                 {"destination", Text(), false},
                 {"plan_fingerprint", Varchar(64), false},
                 {"plan", Text(), false},
                 {"host", Varchar(255), false},
                 {"pid", Integer(64), false},
                 {"summary", Text(), false},
                 {"owner_token", Varchar(64), false},
                 {"lease_ms", Integer(64), false}},
                dialect),
      MakeTable(home("tables"),
                {{"run_id", Varchar(64), true},
                 {"table_index", Integer(32), true},
                 {"source_schema", Varchar(255), false},
                 {"source_name", Varchar(255), false},
                 {"dest_schema", Varchar(255), false},
                 {"dest_name", Varchar(255), false},
                 {"state", Varchar(16), false},
                 {"created", Integer(32), false},
                 {"row_count", Integer(64), false},
                 {"byte_count", Integer(64), false},
                 {"seconds", Double(), false},
                 {"units", Integer(32), false},
                 {"units_done", Integer(32), false},
                 {"attempts", Integer(32), false},
                 {"estimated_rows", Integer(64), false},
                 {"error", Text(), false},
                 {"warnings", Text(), false},  // one a line
                 {"started_at", Varchar(32), false}},
                dialect),
      MakeTable(home("units"),
                {{"run_id", Varchar(64), true},
                 {"table_index", Integer(32), true},
                 {"part", Integer(32), true},
                 {"state", Varchar(16), false},
                 {"row_count", Integer(64), false},
                 {"byte_count", Integer(64), false},
                 {"attempts", Integer(32), false},
                 {"key_range", Text(), false},
                 {"error", Text(), false},
                 {"worker", Varchar(255), false},
                 {"lease_until", Integer(64), false},
                 {"generation", Integer(64), false},
                 // UnitTiming: what the report page draws (epoch seconds, stage seconds).
                 {"started_at", Double(), false},
                 {"finished_at", Double(), false},
                 {"read_s", Double(), false},
                 {"convert_s", Double(), false},
                 {"wait_slot_s", Double(), false},
                 {"wait_data_s", Double(), false},
                 {"write_s", Double(), false},
                 {"reader_thread", Integer(32), false},
                 {"writer_thread", Integer(32), false}},
                dialect),
      // A shared run's workers and build leases (RunLeases).
      MakeTable(home("workers"),
                {{"run_id", Varchar(64), true},
                 {"worker", Varchar(255), true},
                 {"host", Varchar(255), false},
                 {"pid", Integer(64), false},
                 {"shard", Varchar(32), false},
                 {"started_at", Varchar(32), false},
                 {"state", Varchar(16), false},
                 {"until_ms", Integer(64), false}},
                dialect),
      MakeTable(home("leases"),
                {{"run_id", Varchar(64), true},
                 {"lease_name", Varchar(64), true},
                 {"holder", Varchar(255), false},
                 {"until_ms", Integer(64), false},
                 {"generation", Integer(64), false},
                 {"done", Integer(32), false}},
                dialect),
      // Destination foreign keys set aside for a load (HeldForeignKey), by the table holding
      // them: recorded before they are dropped, forgotten once back.
      MakeTable(home("held_keys"),
                {{"dest_schema", Varchar(255), true},
                 {"dest_name", Varchar(255), true},
                 {"key_name", Varchar(255), true},
                 {"run_id", Varchar(64), false},
                 {"definition", Text(), false},
                 {"ref_schema", Varchar(255), false},
                 {"ref_name", Varchar(255), false},
                 {"validated", Integer(32), false},
                 {"state", Varchar(16), false}},
                dialect),
  };
}

bool HasColumns(SqlSession& session, const Dialect& dialect, const std::vector<Table>& tables) {
  std::string columns, from;
  for (size_t i = 0; i < tables.size(); ++i) {
    const std::string alias = "t" + std::to_string(i);
    from += (i > 0 ? ", " : "") + dialect.QualifiedName(tables[i].name) + " " + alias;
    for (const Column& c : tables[i].columns) {
      columns += (columns.empty() ? "" : ", ") + alias + "." + dialect.Quote(c.name);
    }
  }
  try {
    session.Query("SELECT " + columns + " FROM " + from + " WHERE 1 = 0");
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string UnitTimingSet(const UnitTiming& t) {
  if (!t.Recorded()) return "";
  return fmt::format(
      ", started_at = {:.6f}, finished_at = {:.6f}, read_s = {:.6f}, convert_s = {:.6f}, "
      "wait_slot_s = {:.6f}, wait_data_s = {:.6f}, write_s = {:.6f}, reader_thread = {}, "
      "writer_thread = {}",
      t.started_at, t.finished_at, t.read, t.convert, t.wait_slot, t.wait_data, t.write, t.reader,
      t.writer);
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// Run state an older ferry kept among the application's tables moves to its own place: its
// rows are copied (those not there yet, so a move cut short is completed), then its tables
// dropped.
void MoveLegacyState(SqlSession& session, const Dialect& dialect, const std::vector<Table>& tables,
                     const std::string& legacy_schema, const std::string& prefix,
                     const std::function<void(const std::string&)>& exec) {
  const TableName old_runs{legacy_schema, prefix + "runs"};
  if (!dialect.DescribeTable(session, old_runs)) return;
  const char* keys[] = {"run_id", "run_id, table_index", "run_id, table_index, part"};
  // An older ferry kept runs, tables and units (the first three); nothing of a shared run.
  for (size_t i = 0; i < std::size(keys); ++i) {
    const Table& t = tables[i];
    const TableName old_name{legacy_schema, t.name.name};
    std::optional<Table> old_table = dialect.DescribeTable(session, old_name);
    if (!old_table) continue;
    std::string columns;
    for (const Column& c : t.columns) {
      if (!old_table->FindColumn(c.name)) continue;
      columns += (columns.empty() ? "" : ", ") + dialect.Quote(c.name);
    }
    std::string match;
    std::string key_list = keys[i];
    for (size_t at = 0; at < key_list.size();) {
      size_t end = key_list.find(", ", at);
      const std::string key = key_list.substr(at, end == std::string::npos ? end : end - at);
      match += fmt::format("{}n.{} = o.{}", match.empty() ? "" : " AND ", dialect.Quote(key),
                           dialect.Quote(key));
      at = end == std::string::npos ? key_list.size() : end + 2;
    }
    std::string selected;
    for (size_t at = 0; at < columns.size();) {
      size_t end = columns.find(", ", at);
      selected += (selected.empty() ? "o." : ", o.") +
                  columns.substr(at, end == std::string::npos ? end : end - at);
      at = end == std::string::npos ? columns.size() : end + 2;
    }
    exec(
        fmt::format("INSERT INTO {} ({}) SELECT {} FROM {} o WHERE NOT EXISTS (SELECT 1 FROM "
                    "{} n WHERE {})",
                    dialect.QualifiedName(t.name), columns, selected,
                    dialect.QualifiedName(old_name), dialect.QualifiedName(t.name), match));
  }
  for (const char* table : {"units", "tables", "runs"}) {
    const TableName old_name{legacy_schema, prefix + table};
    if (dialect.DescribeTable(session, old_name)) {
      exec("DROP TABLE " + dialect.QualifiedName(old_name));
    }
  }
}

std::string RunStateWriteAdvice(const Error& e) {
  for (const Diagnostic& d : e.diagnostics()) {
    if (d.sqlstate != "42501") continue;
    return "ferry could not update its run state in the destination: its user needs to create "
           "and write the state's schema and tables (CREATE on the database for schema "
           "ferry_state, or --state-schema naming a schema it may create tables in)";
  }
  return "ferry could not update its run state in the destination";
}

std::string SpoolUnitSql(const std::string& units, const std::string& run, int table, int part,
                         int64_t rows, int64_t bytes) {
  return fmt::format(
      "UPDATE {} SET state = 'spooled', row_count = {}, byte_count = {} WHERE run_id = {} AND "
      "table_index = {} AND part = {} AND state <> 'done'",
      units, rows, bytes, run, table, part);
}

std::string UnspoolSql(const std::string& units, const std::string& run) {
  return fmt::format(
      "UPDATE {} SET state = 'pending', row_count = 0, byte_count = 0 WHERE run_id = {} AND "
      "state = 'spooled'",
      units, run);
}

}  // namespace ferry
