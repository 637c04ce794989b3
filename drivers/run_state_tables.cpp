#include "drivers/run_state_tables.hpp"

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

}  // namespace ferry
