#include "drivers/run_records.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "copier/error.hpp"
#include "drivers/run_state_tables.hpp"

namespace ferry {

namespace run_sql {

std::string Int(int64_t v) {
  return std::to_string(v);
}

std::string Num(double v) {
  return fmt::format("{:.6f}", v);
}

}  // namespace run_sql

namespace {

using run_sql::Int;
using run_sql::Num;

std::string V(const std::optional<std::string>& v) {
  return v.value_or("");
}

}  // namespace

const char* RunRows::TableColumns() {
  return "run_id, table_index, source_schema, source_name, dest_schema, dest_name, state, "
         "created, row_count, byte_count, seconds, units, units_done, attempts, estimated_rows, "
         "error";
}

const char* RunRows::UnitColumns() {
  return "run_id, table_index, part, state, row_count, byte_count, attempts, key_range, error";
}

std::string RunRows::RunInsert(const std::string& runs, const RunRecord& r) const {
  return fmt::format(
      "INSERT INTO {} (run_id, scope, command, status, started_at, finished_at, source, "
      "destination, plan_fingerprint, plan, host, pid, summary, owner_token) VALUES ({}, {}, {}, "
      "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
      runs, S(r.id), S(r.scope), S(r.command), S(RunStatusName(r.status)), S(r.started_at),
      S(r.finished_at), S(r.source), S(r.destination), S(r.plan_fingerprint), S(r.plan), S(r.host),
      Int(r.pid), S(r.summary), S(r.owner_token));
}

std::string RunRows::TableValues(const std::string& run, const TableRecord& t) const {
  return fmt::format("({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})", S(run),
                     Int(t.index), S(t.source.schema), S(t.source.name), S(t.destination.schema),
                     S(t.destination.name), S(t.state), Int(t.created), Int(t.rows), Int(t.bytes),
                     Num(t.seconds), Int(t.units), Int(t.units_done), Int(t.attempts),
                     Int(t.estimated_rows), S(t.error));
}

std::string RunRows::UnitValues(const std::string& run, const UnitRecord& u) const {
  return fmt::format("({}, {}, {}, {}, {}, {}, {}, {}, {})", S(run), Int(u.table), Int(u.part),
                     S(UnitRecordStateName(u.state)), Int(u.rows), Int(u.bytes), Int(u.attempts),
                     S(u.range), S(u.error));
}

std::string RunRows::SelectRuns(const std::string& runs, const RunStateColumns& has) const {
  return fmt::format(
      "SELECT run_id, scope, command, status, started_at, finished_at, source, destination, "
      "plan_fingerprint, plan, host, pid, summary, {}, {} FROM {} ORDER BY "
      // Runs of one second (the timestamps' resolution) by their ids, which begin with the
      // millisecond they started (NewRunRecord).
      "started_at DESC, run_id DESC",
      has.owner_token ? "owner_token" : "''", has.leases ? "lease_ms" : "0", runs);
}

RunRecord RunRows::ParseRun(const SqlSession::Row& row) const {
  RunRecord r;
  r.id = V(row[0]);
  r.scope = V(row[1]);
  r.command = V(row[2]);
  auto status = ParseRunStatus(V(row[3]));
  if (!status) Tampered("runs", r.id, "status", V(row[3]));
  r.status = *status;
  r.started_at = V(row[4]);
  r.finished_at = V(row[5]);
  r.source = V(row[6]);
  r.destination = V(row[7]);
  r.plan_fingerprint = V(row[8]);
  r.plan = V(row[9]);
  r.host = V(row[10]);
  r.pid = Number(row[11], "runs", r.id, "pid");
  r.summary = V(row[12]);
  r.owner_token = V(row[13]);
  r.lease_ms = row[14] ? Number(row[14], "runs", r.id, "lease_ms") : 0;
  return r;
}

std::string RunRows::SelectTables(const std::string& tables, const std::string& run,
                                  const RunStateColumns& has) const {
  return fmt::format(
      "SELECT table_index, source_schema, source_name, dest_schema, dest_name, state, created, "
      "row_count, byte_count, seconds, units, units_done, attempts, estimated_rows, error, {}, {} "
      "FROM {} WHERE run_id = {} ORDER BY table_index",
      has.timing ? "warnings" : "''", has.table_start ? "started_at" : "''", tables, S(run));
}

TableRecord RunRows::ParseTable(const SqlSession::Row& row, const std::string& run) const {
  TableRecord t;
  t.index = int(Number(row[0], "tables", run, "table_index"));
  t.source = {V(row[1]), V(row[2])};
  t.destination = {V(row[3]), V(row[4])};
  t.state = V(row[5]);
  t.created = Number(row[6], "tables", run, "created") != 0;
  t.rows = Number(row[7], "tables", run, "row_count");
  t.bytes = Number(row[8], "tables", run, "byte_count");
  t.seconds = row[9] ? std::atof(row[9]->c_str()) : 0;
  t.units = int(Number(row[10], "tables", run, "units"));
  t.units_done = int(Number(row[11], "tables", run, "units_done"));
  t.attempts = int(Number(row[12], "tables", run, "attempts"));
  t.estimated_rows = Number(row[13], "tables", run, "estimated_rows");
  t.error = V(row[14]);
  t.warnings = SplitLines(V(row[15]));
  t.started_at = V(row[16]);
  return t;
}

std::string RunRows::SelectUnits(const std::string& units, const std::string& run,
                                 const RunStateColumns& has) const {
  return fmt::format(
      "SELECT table_index, part, state, row_count, byte_count, attempts, key_range, error, {}, {} "
      "FROM {} WHERE run_id = {} ORDER BY table_index, part",
      has.leases ? "worker, lease_until - " + dialect_.NowMillisSql() : "'', 0",
      has.timing ? "started_at, finished_at, read_s, convert_s, wait_slot_s, wait_data_s, "
                   "write_s, reader_thread, writer_thread"
                 : "0, 0, 0, 0, 0, 0, 0, -1, -1",
      units, S(run));
}

UnitRecord RunRows::ParseUnit(const SqlSession::Row& row, const std::string& run) const {
  UnitRecord u;
  u.table = int(Number(row[0], "units", run, "table_index"));
  u.part = int(Number(row[1], "units", run, "part"));
  std::optional<UnitRecordState> state = ParseUnitRecordState(V(row[2]));
  if (!state) Tampered("units", run, "state", V(row[2]));
  u.state = *state;
  u.rows = Number(row[3], "units", run, "row_count");
  u.bytes = Number(row[4], "units", run, "byte_count");
  u.attempts = int(Number(row[5], "units", run, "attempts"));
  u.range = V(row[6]);
  u.error = V(row[7]);
  u.worker = V(row[8]);
  u.lease_left_ms = row[9] ? Number(row[9], "units", run, "lease_until") : 0;
  u.timing = TimingOf(row, 10, run);
  return u;
}

std::string RunRows::SelectHeldKeys(const std::string& held_keys) {
  return fmt::format(
      "SELECT dest_schema, dest_name, key_name, run_id, definition, ref_schema, ref_name, "
      "validated, state FROM {} ORDER BY dest_schema, dest_name, key_name",
      held_keys);
}

HeldForeignKey RunRows::ParseHeldKey(const SqlSession::Row& row) const {
  HeldForeignKey k;
  k.table = {V(row[0]), V(row[1])};
  k.name = V(row[2]);
  k.run = V(row[3]);
  k.definition = V(row[4]);
  k.references = {V(row[5]), V(row[6])};
  k.validated = Number(row[7], "held_keys", k.run, "validated") != 0;
  k.state = V(row[8]);
  return k;
}

void RunRows::Tampered(const char* table, const std::string& run, const char* column,
                       const std::string& value) const {
  throw Error(ErrorCode::kSchema,
              fmt::format("ferry's run state is damaged: {}{} row of run {} has {} = '{}'; "
                          "repair or delete it (ferry reset --yes forgets the runs)",
                          prefix_, table, run, column, value));
}

int64_t RunRows::Number(const std::optional<std::string>& v, const char* table,
                        const std::string& run, const char* column) const {
  if (!v) return 0;
  try {
    size_t used = 0;
    int64_t n = std::stoll(*v, &used);
    if (used == v->size()) return n;
  } catch (...) {
  }
  Tampered(table, run, column, *v);
}

// UnitTiming from a units row's columns from `at` on (SelectUnits' order).
UnitTiming RunRows::TimingOf(const SqlSession::Row& row, size_t at, const std::string& run) const {
  auto real = [&](size_t i) { return row[at + i] ? std::atof(row[at + i]->c_str()) : 0.0; };
  UnitTiming t;
  t.started_at = real(0);
  t.finished_at = real(1);
  t.read = real(2);
  t.convert = real(3);
  t.wait_slot = real(4);
  t.wait_data = real(5);
  t.write = real(6);
  t.reader = row[at + 7] ? int(Number(row[at + 7], "units", run, "reader_thread")) : -1;
  t.writer = row[at + 8] ? int(Number(row[at + 8], "units", run, "writer_thread")) : -1;
  return t;
}

}  // namespace ferry
