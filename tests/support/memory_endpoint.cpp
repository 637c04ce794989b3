#include "tests/support/memory_endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "copier/batch.hpp"
#include "copier/convert.hpp"
#include "tests/support/memory_run_store.hpp"

namespace ferry::test {

using memory::Cell;
using memory::StoredRow;
using memory::StoredTable;
using memory::Tables;

// ---------------------------------------------------------------------------------------------
// Types, tables and errors for tests.

ColumnType IntegerType() {
  ColumnType t;
  t.kind = TypeKind::kInteger;
  t.width_bits = 64;
  t.native = "bigint";
  return t;
}

ColumnType TextType() {
  ColumnType t;
  t.kind = TypeKind::kText;
  t.native = "text";
  return t;
}

ColumnType DecimalType(int precision, int scale) {
  ColumnType t;
  t.kind = TypeKind::kDecimal;
  t.precision = precision;
  t.scale = scale;
  t.native = fmt::format("decimal({},{})", precision, scale);
  return t;
}

Column MakeColumn(std::string name, ColumnType type, bool nullable) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.nullable = nullable;
  return c;
}

Table MakeTable(const std::string& name, std::vector<Column> columns,
                const std::vector<std::string>& key) {
  Table t;
  t.name = {"main", name};
  t.columns = std::move(columns);
  for (const std::string& k : key) {
    auto c = t.FindColumn(k);
    if (!c) throw Error(ErrorCode::kInternal, "MakeTable: no key column " + k);
    t.columns[size_t(*c)].nullable = false;
    t.primary_key.push_back(*c);
  }
  return t;
}

namespace {

Error ServerError(ErrorCode code, const std::string& what, const char* sqlstate,
                  ErrorContext context = {}) {
  return Error(code, what, std::move(context), {Diagnostic{sqlstate, 0, what}});
}

}  // namespace

Error DeadlockError(const std::string& what) {
  return ServerError(ErrorCode::kDriver, what, "40P01");
}
Error ConnectionLost(const std::string& what) {
  return ServerError(ErrorCode::kConnection, what, "08006");
}
Error PermissionError(const std::string& what) {
  return ServerError(ErrorCode::kDriver, what, "42501");
}

// ---------------------------------------------------------------------------------------------
// Stalls.

bool Stall::WaitUntilReached(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return reached_; });
}

bool Stall::Reached() {
  std::lock_guard lock(mutex_);
  return reached_;
}

void Stall::Release() {
  std::lock_guard lock(mutex_);
  released_ = true;
  changed_.notify_all();
}

void Stall::Arrive() {
  std::unique_lock lock(mutex_);
  reached_ = true;
  changed_.notify_all();
  changed_.wait(lock, [&] { return released_; });
}

// ---------------------------------------------------------------------------------------------
// Values: a cell holds a value in its column's batch storage, so it moves to and from batches
// without a conversion, and compares in the column type's order.

namespace memory {

Cell CellOf(const ColumnVector& column, size_t row) {
  Cell cell;
  if (column.IsNull(row)) return cell;
  cell.null = false;
  if (column.variable_length()) {
    cell.bytes = std::string(column.Bytes(row));
  } else {
    cell.fixed = column.Int(row);
  }
  return cell;
}

void Append(const Cell& cell, ColumnVector& column) {
  if (cell.null) {
    column.AppendNull();
  } else if (column.variable_length()) {
    column.AppendBytes(cell.bytes);
  } else {
    column.AppendInt(cell.fixed);
  }
}

Cell Parse(const Value& value, const Column& column) {
  if (!value) return Cell{};
  ColumnVector vector(StorageOf(column.type));
  if (!ParseValue(*value, vector)) {
    throw Error(ErrorCode::kData,
                fmt::format("'{}' is not a value of column {} ({})", *value, column.name,
                            DescribeType(column.type)));
  }
  return CellOf(vector, 0);
}

Value Format(const Cell& cell, const Column& column) {
  if (cell.null) return std::nullopt;
  ColumnVector vector(StorageOf(column.type));
  Append(cell, vector);
  return FormatValue(vector, 0);
}

int Compare(const Cell& a, const Cell& b, Storage storage) {
  // NULLs sort last, as in PostgreSQL's ascending order.
  if (a.null || b.null) return int(a.null) - int(b.null);
  auto order = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (storage) {
    case Storage::kUInt64:
      return order(uint64_t(a.fixed), uint64_t(b.fixed));
    case Storage::kFloat64:
      return order(std::bit_cast<double>(a.fixed), std::bit_cast<double>(b.fixed));
    case Storage::kDecimal:
      return order(std::strtold(a.bytes.c_str(), nullptr), std::strtold(b.bytes.c_str(), nullptr));
    case Storage::kText:
    case Storage::kBytes:
    case Storage::kUuid:
      return order(a.bytes, b.bytes);
    default:
      return order(a.fixed, b.fixed);
  }
}

int CompareOn(const Table& table, const std::vector<int>& columns, const StoredRow& a,
              const StoredRow& b) {
  for (int c : columns) {
    int r = Compare(a[size_t(c)], b[size_t(c)], StorageOf(table.columns[size_t(c)].type));
    if (r != 0) return r;
  }
  return 0;
}

// The row's values in `columns`, as one string that is equal exactly when the values are.
std::string Encode(const StoredRow& row, const std::vector<int>& columns) {
  std::string out;
  for (int c : columns) {
    const Cell& cell = row[size_t(c)];
    out += cell.null ? 'N' : 'V';
    out += std::to_string(cell.fixed) + ":" + std::to_string(cell.bytes.size()) + ":" + cell.bytes;
  }
  return out;
}

std::string DescribeKey(const Table& table, const std::vector<int>& columns,
                        const StoredRow& row) {
  std::string names, values;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& column = table.columns[size_t(columns[i])];
    names += (i ? ", " : "") + column.name;
    values += (i ? ", " : "") + Format(row[size_t(columns[i])], column).value_or("NULL");
  }
  return fmt::format("({})=({})", names, values);
}

// Whether `row` is in the work unit `range` (key columns as indices into `table`).
bool InRange(const Table& table, const KeyRange& range, const StoredRow& row) {
  if (range.by_location) {
    throw Error(ErrorCode::kInternal, "the memory engine has no physical row locations");
  }
  if (range.IsWholeTable()) return true;
  const std::vector<int>& key = range.key_columns;
  auto bound = [&](const std::vector<std::string>& text) {
    StoredRow b(table.columns.size());
    for (size_t i = 0; i < key.size() && i < text.size(); ++i) {
      b[size_t(key[i])] = Parse(text[i], table.columns[size_t(key[i])]);
    }
    return b;
  };
  if (range.keys) {
    for (const std::vector<std::string>& k : *range.keys) {
      if (CompareOn(table, key, row, bound(k)) == 0) return true;
    }
    return false;
  }
  if (range.null_keys) return row[size_t(key.front())].null;
  if (row[size_t(key.front())].null) return false;
  if (range.lo && CompareOn(table, key, row, bound(*range.lo)) < 0) return false;
  if (range.hi && CompareOn(table, key, row, bound(*range.hi)) >= 0) return false;
  return true;
}

// The column a fault's key is a value of: the table's first key column, or its first column
// while it has no key (a destination table whose key is built after the load).
std::optional<int> FaultColumn(const Table& table) {
  std::vector<int> key = table.RowKey();
  if (!key.empty()) return key.front();
  if (table.columns.empty()) return std::nullopt;
  return 0;
}

bool Holds(const Table& table, const StoredRow& row, const Value& key) {
  std::optional<int> column = FaultColumn(table);
  if (!key) return true;
  if (!column) return false;
  return Compare(row[size_t(*column)], Parse(key, table.columns[size_t(*column)]),
                 StorageOf(table.columns[size_t(*column)].type)) == 0;
}

bool AnyHolds(const Table& table, const std::vector<StoredRow>& rows, const Value& key) {
  if (!key) return true;
  return std::any_of(rows.begin(), rows.end(),
                     [&](const StoredRow& row) { return Holds(table, row, key); });
}

// Every key and NOT NULL column of `stored` holds; the first violation is thrown, as a
// server's constraint error.
void CheckConstraints(const StoredTable& stored) {
  const Table& table = stored.table;
  const std::string shown = DisplayName(table.name);
  for (const StoredRow& row : stored.rows) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (row[c].null && !table.columns[c].nullable) {
        throw ServerError(
            ErrorCode::kDriver,
            fmt::format("null value in column \"{}\" violates not-null constraint",
                        table.columns[c].name),
            "23502", ErrorContext{shown, table.columns[c].name, "", ""});
      }
    }
  }
  std::vector<std::pair<std::string, std::vector<int>>> keys;
  if (!table.primary_key.empty()) keys.emplace_back(table.name.name + "_pkey", table.primary_key);
  for (const Index& index : table.unique_indexes) keys.emplace_back(index.name, index.columns);
  for (const auto& [name, columns] : keys) {
    std::set<std::string> seen;
    for (const StoredRow& row : stored.rows) {
      bool has_null = std::any_of(columns.begin(), columns.end(),
                                  [&](int c) { return row[size_t(c)].null; });
      if (has_null) continue;  // NULLs are distinct, as in SQL
      if (!seen.insert(Encode(row, columns)).second) {
        throw ServerError(ErrorCode::kDriver,
                          fmt::format("duplicate key value violates unique constraint \"{}\"",
                                      name),
                          "23505",
                          ErrorContext{shown, "", DescribeKey(table, columns, row), ""});
      }
    }
  }
}

}  // namespace memory

using memory::Parse;

// ---------------------------------------------------------------------------------------------
// The database's shared state.

namespace {

enum class FaultKind { kRead, kWrite, kReply };

struct Fault {
  FaultKind kind = FaultKind::kRead;
  TableName table;
  Value key;
  int times = 0;
  std::optional<Error> error;
  int after_batches = 0;
};

struct StallAt {
  TableName table;
  Value key;
  Stage stage = Stage::kRead;
  std::shared_ptr<Stall> stall;
  bool used = false;
};

struct Refusal {
  TableName table;
  std::string column;
  std::string value;
};

}  // namespace

struct MemoryDatabase::State : memory::Shared {
  bool reachable = true;
  std::vector<Fault> faults;
  std::vector<StallAt> stalls;
  std::vector<Refusal> refusals;
  std::vector<Event> events;

  void Record(EventKind kind, const Table& table, int part, const std::vector<StoredRow>& rows) {
    Value first_key;
    std::optional<int> column = memory::FaultColumn(table);
    if (column && !rows.empty()) {
      first_key = memory::Format(rows.front()[size_t(*column)], table.columns[size_t(*column)]);
    }
    events.push_back({kind, table.name, part, int64_t(rows.size()), std::move(first_key),
                      std::chrono::steady_clock::now()});
  }

  // Takes one firing of a matching fault (caller holds the mutex); nullopt when none fires.
  std::optional<Fault> Take(FaultKind kind, const Table& table,
                            const std::function<bool(const Fault&)>& matches) {
    for (Fault& f : faults) {
      if (f.kind != kind || f.table != table.name || f.times <= 0 || !matches(f)) continue;
      --f.times;
      return f;
    }
    return std::nullopt;
  }

  // The stall a unit meets at `stage`, taken once (caller holds the mutex).
  std::shared_ptr<Stall> TakeStall(Stage stage, const Table& table,
                                   const std::vector<StoredRow>& rows) {
    for (StallAt& s : stalls) {
      if (s.used || s.stage != stage || s.table != table.name) continue;
      if (!memory::AnyHolds(table, rows, s.key)) continue;
      s.used = true;
      return s.stall;
    }
    return nullptr;
  }

  // Throws while the server is away (caller holds the mutex).
  void CheckReachable() const {
    if (!reachable) throw ConnectionLost("could not connect to server: Connection refused");
  }

  StoredTable& Get(const TableName& name) {
    auto it = tables.find(name);
    if (it == tables.end()) {
      throw ServerError(ErrorCode::kDriver,
                        fmt::format("relation \"{}\" does not exist", DisplayName(name)), "42P01",
                        ErrorContext{DisplayName(name), "", "", ""});
    }
    return it->second;
  }
};

namespace {

using State = MemoryDatabase::State;

// ---------------------------------------------------------------------------------------------
// Reading.

class MemoryReader final : public RowReader {
 public:
  MemoryReader(std::shared_ptr<State> state, const Table& table, std::vector<StoredRow> rows,
               const ReadRequest& request)
      : state_(std::move(state)), table_(table), rows_(std::move(rows)), request_(request) {
    for (int c : request.columns) storages_.push_back(StorageOf(table_.columns[size_t(c)].type));
    std::lock_guard lock(state_->mutex);
    state_->Record(EventKind::kRead, table_, request.unit.part, rows_);
    stall_ = state_->TakeStall(Stage::kRead, table_, rows_);
  }

  bool Next(Batch& batch) override {
    if (stall_) {
      std::shared_ptr<Stall> stall = std::move(stall_);
      stall->Arrive();
    }
    {
      std::lock_guard lock(state_->mutex);
      state_->CheckReachable();
      auto fault = state_->Take(FaultKind::kRead, table_, [&](const Fault& f) {
        return f.after_batches == batches_ && memory::AnyHolds(table_, rows_, f.key);
      });
      if (fault) throw *fault->error;
    }
    batch.Reset(storages_);
    if (next_ >= rows_.size()) return false;
    const BatchLimits& limits = request_.limits;
    while (next_ < rows_.size()) {
      const StoredRow& row = rows_[next_++];
      for (size_t i = 0; i < request_.columns.size(); ++i) {
        memory::Append(row[size_t(request_.columns[i])], batch.column(i));
      }
      if (batch.num_rows() >= limits.max_rows || batch.ByteSize() >= limits.max_bytes) break;
    }
    ++batches_;
    return true;
  }

  std::string Method() const override { return "memory scan"; }

 private:
  std::shared_ptr<State> state_;
  const Table table_;
  std::vector<StoredRow> rows_;
  ReadRequest request_;
  std::vector<Storage> storages_;
  std::shared_ptr<Stall> stall_;
  size_t next_ = 0;
  int batches_ = 0;
};

class MemoryReadSession final : public ReadSession {
 public:
  MemoryReadSession(std::shared_ptr<State> state, std::shared_ptr<const Tables> snapshot)
      : state_(std::move(state)), snapshot_(std::move(snapshot)) {}

  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    if (request.pass_through) {
      throw Error(ErrorCode::kInternal, "the memory engine has no wire format to pass through");
    }
    Table table;
    std::vector<StoredRow> rows;
    {
      std::lock_guard lock(state_->mutex);
      state_->CheckReachable();
      const Tables& tables = snapshot_ ? *snapshot_ : state_->tables;
      auto it = tables.find(request.table->name);
      if (it == tables.end()) {
        throw ServerError(ErrorCode::kDriver,
                          fmt::format("relation \"{}\" does not exist",
                                      DisplayName(request.table->name)),
                          "42P01");
      }
      table = it->second.table;
      for (const StoredRow& row : it->second.rows) {
        if (memory::InRange(table, request.unit.range, row)) rows.push_back(row);
      }
    }
    // In the unit's key order, as a keyset read returns them.
    std::vector<int> order = request.unit.range.key_columns;
    if (order.empty()) order = table.RowKey();
    std::stable_sort(rows.begin(), rows.end(), [&](const StoredRow& a, const StoredRow& b) {
      return memory::CompareOn(table, order, a, b) < 0;
    });
    return std::make_unique<MemoryReader>(state_, table, std::move(rows), request);
  }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<const Tables> snapshot_;
};

// ---------------------------------------------------------------------------------------------
// Writing: a unit's rows are staged in its transaction and applied at its commit, together
// with its run-state marks, or not at all.

class MemoryWriter final : public RowWriter {
 public:
  MemoryWriter(std::shared_ptr<State> state, const WriteRequest& request)
      : state_(std::move(state)), request_(request) {
    std::lock_guard lock(state_->mutex);
    table_ = state_->Get(request.table->name).table;
  }

  void Write(const Batch& batch) override {
    if (request_.pass_through) {
      throw Error(ErrorCode::kInternal, "the memory engine has no wire format to pass through");
    }
    std::vector<StoredRow> rows;
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      StoredRow row(table_.columns.size());
      for (size_t i = 0; i < request_.columns.size(); ++i) {
        row[size_t(request_.columns[i])] = memory::CellOf(batch.column(i), r);
      }
      rows.push_back(std::move(row));
    }
    std::shared_ptr<Stall> stall;
    {
      std::lock_guard lock(state_->mutex);
      state_->CheckReachable();
      state_->Record(EventKind::kWrite, table_, -1, rows);
      auto fault = state_->Take(FaultKind::kWrite, table_, [&](const Fault& f) {
        return memory::AnyHolds(table_, rows, f.key);
      });
      if (fault) throw *fault->error;
      CheckRefusals(rows);
      stall = state_->TakeStall(Stage::kWrite, table_, rows);
    }
    if (stall) stall->Arrive();
    for (StoredRow& row : rows) staged_.push_back(std::move(row));
  }

  void Commit(const std::vector<std::string>& finish_sql) override {
    std::shared_ptr<Stall> stall;
    {
      std::lock_guard lock(state_->mutex);
      stall = state_->TakeStall(Stage::kCommit, table_, staged_);
    }
    if (stall) stall->Arrive();
    bool reply_lost = false;
    {
      std::lock_guard lock(state_->mutex);
      state_->CheckReachable();
      StoredTable& stored = state_->Get(table_.name);
      StoredTable after = stored;
      Apply(after);
      memory::CheckConstraints(after);
      // The run-state statements run in the same transaction: they may still refuse it.
      memory::RunStatements(*state_, finish_sql);
      stored = std::move(after);
      state_->Record(EventKind::kCommit, table_, -1, staged_);
      reply_lost = state_->Take(FaultKind::kReply, table_, [&](const Fault& f) {
                            return memory::AnyHolds(table_, staged_, f.key);
                          }).has_value();
      if (reply_lost) state_->Record(EventKind::kReplyLost, table_, -1, staged_);
    }
    staged_.clear();
    if (reply_lost) throw ConnectionLost("server closed the connection unexpectedly");
  }

  void Rollback() override {
    std::lock_guard lock(state_->mutex);
    state_->Record(EventKind::kRollback, table_, -1, staged_);
    staged_.clear();
  }

  std::string Method() const override { return "memory insert"; }

 private:
  void CheckRefusals(const std::vector<StoredRow>& rows) const {
    for (const Refusal& refusal : state_->refusals) {
      if (refusal.table != table_.name) continue;
      auto column = table_.FindColumn(refusal.column);
      if (!column) continue;
      const Cell refused = Parse(refusal.value, table_.columns[size_t(*column)]);
      for (const StoredRow& row : rows) {
        if (memory::Compare(row[size_t(*column)], refused,
                            StorageOf(table_.columns[size_t(*column)].type)) != 0) {
          continue;
        }
        const std::vector<int> key = table_.RowKey();
        throw ServerError(ErrorCode::kDriver,
                          fmt::format("new row for relation \"{}\" violates check constraint "
                                      "on column {}",
                                      table_.name.name, refusal.column),
                          "23514",
                          ErrorContext{DisplayName(table_.name), refusal.column,
                                       key.empty() ? "" : memory::DescribeKey(table_, key, row),
                                       ""});
      }
    }
  }

  // The staged rows applied to `stored`: the replaced range deleted first, upserted rows
  // matched by their key.
  void Apply(StoredTable& stored) const {
    if (request_.replace_range) {
      std::erase_if(stored.rows, [&](const StoredRow& row) {
        return memory::InRange(stored.table, *request_.replace_range, row);
      });
    }
    std::map<std::string, size_t> existing;
    if (request_.upsert) {
      for (size_t r = 0; r < stored.rows.size(); ++r) {
        existing[memory::Encode(stored.rows[r], request_.upsert_key)] = r;
      }
    }
    for (const StoredRow& row : staged_) {
      auto found = request_.upsert ? existing.find(memory::Encode(row, request_.upsert_key))
                                   : existing.end();
      if (found == existing.end()) {
        stored.rows.push_back(row);
        continue;
      }
      for (int c : request_.columns) stored.rows[found->second][size_t(c)] = row[size_t(c)];
    }
  }

  std::shared_ptr<State> state_;
  WriteRequest request_;
  Table table_;
  std::vector<StoredRow> staged_;
};

class MemoryWriteSession final : public WriteSession {
 public:
  explicit MemoryWriteSession(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    return std::make_unique<MemoryWriter>(state_, request);
  }

 private:
  std::shared_ptr<State> state_;
};

// ---------------------------------------------------------------------------------------------
// The endpoint.

class MemoryEndpoint final : public Endpoint {
 public:
  explicit MemoryEndpoint(std::shared_ptr<State> state) : state_(std::move(state)) {
    std::lock_guard lock(state_->mutex);
    info_ = state_->info;
  }

  const EndpointInfo& info() const override { return info_; }

  std::vector<TableName> ListTables() override {
    std::lock_guard lock(state_->mutex);
    std::vector<TableName> out;
    for (const auto& [name, stored] : state_->tables) out.push_back(name);
    return out;
  }

  std::optional<Table> DescribeTable(const TableName& name) override {
    std::lock_guard lock(state_->mutex);
    return Describe(name);
  }

  std::vector<std::vector<std::string>> SampleKeys(const Table& table, const std::vector<int>& key,
                                                   size_t count) override {
    std::vector<StoredRow> rows;
    Table stored_table;
    {
      std::lock_guard lock(state_->mutex);
      const StoredTable& stored = state_->Get(table.name);
      stored_table = stored.table;
      for (const StoredRow& row : stored.rows) {
        if (!row[size_t(key.front())].null) rows.push_back(row);
      }
    }
    std::sort(rows.begin(), rows.end(), [&](const StoredRow& a, const StoredRow& b) {
      return memory::CompareOn(stored_table, key, a, b) < 0;
    });
    std::vector<std::vector<std::string>> out;
    if (rows.empty() || count == 0) return out;
    for (size_t i = 0; i < count; ++i) {
      const StoredRow& row = rows[i * rows.size() / count];
      std::vector<std::string> tuple;
      for (int c : key) {
        tuple.push_back(*memory::Format(row[size_t(c)], stored_table.columns[size_t(c)]));
      }
      out.push_back(std::move(tuple));
    }
    return out;
  }

  TableName DestinationName(const TableName& source, Engine) const override {
    return {source.schema.empty() ? info_.default_schema : source.schema, source.name};
  }

  ColumnType MapType(const ColumnType& type, Engine) const override {
    if (type.kind == TypeKind::kUnsupported) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("the memory engine cannot hold type {}", type.native));
    }
    ColumnType out = type;
    out.native = DescribeType(type);
    return out;
  }

  int64_t LongestValue(const Table& table, int column) override {
    std::lock_guard lock(state_->mutex);
    int64_t longest = 0;
    for (const StoredRow& row : state_->Get(table.name).rows) {
      longest = std::max(longest, int64_t(row[size_t(column)].bytes.size()));
    }
    return longest;
  }

  void CreateTable(const Table& table) override {
    std::lock_guard lock(state_->mutex);
    if (state_->tables.count(table.name)) {
      throw ServerError(ErrorCode::kDriver,
                        fmt::format("relation \"{}\" already exists", DisplayName(table.name)),
                        "42P07");
    }
    StoredTable stored;
    stored.table = table;
    stored.table.estimated_rows = -1;
    stored.table.estimated_bytes = -1;
    state_->tables[table.name] = std::move(stored);
  }

  void AddPrimaryKey(const Table& table) override {
    std::lock_guard lock(state_->mutex);
    StoredTable& stored = state_->Get(table.name);
    StoredTable keyed = stored;
    keyed.table.primary_key = table.primary_key;
    for (int c : table.primary_key) keyed.table.columns[size_t(c)].nullable = false;
    memory::CheckConstraints(keyed);
    stored = std::move(keyed);
  }

  void CreateIndex(const Table& table, const Index& index) override {
    std::lock_guard lock(state_->mutex);
    StoredTable& stored = state_->Get(table.name);
    StoredTable indexed = stored;
    (index.unique ? indexed.table.unique_indexes : indexed.table.indexes).push_back(index);
    memory::CheckConstraints(indexed);
    stored = std::move(indexed);
  }

  void CreateForeignKey(const Table& table, const ForeignKey& fk) override {
    std::lock_guard lock(state_->mutex);
    StoredTable& stored = state_->Get(table.name);
    const StoredTable& referenced = state_->Get(fk.references);
    std::vector<int> columns;
    for (const std::string& name : fk.referenced_columns) {
      auto c = referenced.table.FindColumn(name);
      if (!c) {
        throw ServerError(ErrorCode::kDriver,
                          fmt::format("column \"{}\" referenced in foreign key constraint does "
                                      "not exist",
                                      name),
                          "42703");
      }
      columns.push_back(*c);
    }
    std::set<std::string> present;
    for (const StoredRow& row : referenced.rows) present.insert(memory::Encode(row, columns));
    for (const StoredRow& row : stored.rows) {
      // Re-encoded in the referenced columns' positions, to compare like with like.
      StoredRow probe(referenced.table.columns.size());
      bool has_null = false;
      for (size_t i = 0; i < columns.size(); ++i) {
        probe[size_t(columns[i])] = row[size_t(fk.columns[i])];
        has_null |= probe[size_t(columns[i])].null;
      }
      if (has_null || present.count(memory::Encode(probe, columns))) continue;
      throw ServerError(ErrorCode::kDriver,
                        fmt::format("insert or update on table \"{}\" violates foreign key "
                                    "constraint \"{}\"",
                                    table.name.name, fk.name),
                        "23503",
                        ErrorContext{DisplayName(table.name), "",
                                     memory::DescribeKey(stored.table, fk.columns, row), ""});
    }
    stored.table.foreign_keys.push_back(fk);
  }

  // The memory engine keeps no counters beyond the rows, as SQLite keeps none beyond its rowid.
  void SyncIdentity(const Table&, const std::vector<IdentityNext>&) override {}

  void DropTable(const TableName& name) override {
    std::lock_guard lock(state_->mutex);
    state_->tables.erase(name);
  }

  void TruncateTable(const TableName& name) override {
    std::lock_guard lock(state_->mutex);
    state_->Get(name).rows.clear();
  }

  bool HasRows(const TableName& name) override {
    std::lock_guard lock(state_->mutex);
    return !state_->Get(name).rows.empty();
  }

  std::vector<std::pair<std::string, std::string>> OtherObjects(const std::string&) override {
    return {};
  }

  std::vector<ValueScanResult> ScanValues(const Table&,
                                          const std::vector<ValueScan>& scans) override {
    return std::vector<ValueScanResult>(scans.size(), ValueScanResult{-1, {}});
  }

  int64_t CountRows(const Table& table) override {
    std::lock_guard lock(state_->mutex);
    const Tables& tables = snapshot_ ? *snapshot_ : state_->tables;
    auto it = tables.find(table.name);
    return it == tables.end() ? 0 : int64_t(it->second.rows.size());
  }

  void InsertDefaultRows(const Table& table, int64_t rows) override {
    std::lock_guard lock(state_->mutex);
    StoredTable& stored = state_->Get(table.name);
    for (int64_t r = 0; r < rows; ++r) stored.rows.emplace_back(stored.table.columns.size());
  }

  std::optional<bool> HasPrivilege(const TableName&, Privilege) override { return std::nullopt; }

  std::string BeginSnapshot(Consistency consistency) override {
    if (consistency == Consistency::kNone) {
      snapshot_.reset();
      return "none";
    }
    std::lock_guard lock(state_->mutex);
    snapshot_ = std::make_shared<const Tables>(state_->tables);
    return "one snapshot of the memory database";
  }

  std::unique_ptr<ReadSession> OpenReadSession() override {
    std::lock_guard lock(state_->mutex);
    state_->CheckReachable();
    return std::make_unique<MemoryReadSession>(state_, snapshot_);
  }
  std::unique_ptr<WriteSession> OpenWriteSession() override {
    std::lock_guard lock(state_->mutex);
    state_->CheckReachable();
    return std::make_unique<MemoryWriteSession>(state_);
  }
  std::unique_ptr<RunStore> OpenRunStore(const std::string& prefix) override {
    return memory::NewRunStore(state_, prefix);
  }

 private:
  std::optional<Table> Describe(const TableName& name) const {
    auto it = state_->tables.find(name);
    if (it == state_->tables.end()) return std::nullopt;
    Table table = it->second.table;
    table.estimated_rows = int64_t(it->second.rows.size());
    int64_t bytes = 0;
    for (const StoredRow& row : it->second.rows) {
      for (const Cell& cell : row) bytes += 8 + int64_t(cell.bytes.size());
    }
    table.estimated_bytes = bytes;
    return table;
  }

  std::shared_ptr<State> state_;
  EndpointInfo info_;
  std::shared_ptr<const Tables> snapshot_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// MemoryDatabase.

MemoryDatabase::MemoryDatabase(std::string name) : state_(std::make_shared<State>()) {
  EndpointInfo& info = state_->info;
  info.engine = Engine::kOther;
  info.product = "memory";
  info.version = "1";
  info.default_schema = "main";
  info.display = "memory:" + name;
  info.database_identity = fmt::format("memory:{}@{}", name, static_cast<void*>(state_.get()));
}

MemoryDatabase::~MemoryDatabase() = default;

EndpointInfo& MemoryDatabase::info() {
  return state_->info;
}

std::unique_ptr<Endpoint> MemoryDatabase::Connect() {
  return std::make_unique<MemoryEndpoint>(state_);
}

void MemoryDatabase::Create(const Table& table) {
  Connect()->CreateTable(table);
}

void MemoryDatabase::Insert(const TableName& name, const std::vector<Row>& rows) {
  std::lock_guard lock(state_->mutex);
  StoredTable& stored = state_->Get(name);
  StoredTable after = stored;
  for (const Row& row : rows) {
    if (row.size() != after.table.columns.size()) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("a row of {} values for table {} of {} columns", row.size(),
                              DisplayName(name), after.table.columns.size()));
    }
    StoredRow cells;
    for (size_t c = 0; c < row.size(); ++c) cells.push_back(Parse(row[c], after.table.columns[c]));
    after.rows.push_back(std::move(cells));
  }
  memory::CheckConstraints(after);
  stored = std::move(after);
}

std::vector<Row> MemoryDatabase::Rows(const TableName& name) const {
  std::lock_guard lock(state_->mutex);
  const StoredTable& stored = state_->Get(name);
  std::vector<StoredRow> rows = stored.rows;
  const std::vector<int> key = stored.table.RowKey();
  std::stable_sort(rows.begin(), rows.end(), [&](const StoredRow& a, const StoredRow& b) {
    return memory::CompareOn(stored.table, key, a, b) < 0;
  });
  std::vector<Row> out;
  for (const StoredRow& row : rows) {
    Row values;
    for (size_t c = 0; c < row.size(); ++c) {
      values.push_back(memory::Format(row[c], stored.table.columns[c]));
    }
    out.push_back(std::move(values));
  }
  return out;
}

std::optional<Table> MemoryDatabase::Describe(const TableName& name) const {
  return MemoryEndpoint(state_).DescribeTable(name);
}

bool MemoryDatabase::Exists(const TableName& name) const {
  std::lock_guard lock(state_->mutex);
  return state_->tables.count(name) > 0;
}

void MemoryDatabase::FailRead(const TableName& table, Value key, int times, Error error,
                              int after_batches) {
  std::lock_guard lock(state_->mutex);
  state_->faults.push_back(
      {FaultKind::kRead, table, std::move(key), times, std::move(error), after_batches});
}

void MemoryDatabase::FailWrite(const TableName& table, Value key, int times, Error error) {
  std::lock_guard lock(state_->mutex);
  state_->faults.push_back({FaultKind::kWrite, table, std::move(key), times, std::move(error), 0});
}

void MemoryDatabase::LoseCommitReply(const TableName& table, Value key, int times) {
  std::lock_guard lock(state_->mutex);
  state_->faults.push_back({FaultKind::kReply, table, std::move(key), times, std::nullopt, 0});
}

std::shared_ptr<Stall> MemoryDatabase::StallUnit(const TableName& table, Value key, Stage stage) {
  auto stall = std::make_shared<Stall>();
  std::lock_guard lock(state_->mutex);
  state_->stalls.push_back({table, std::move(key), stage, stall, false});
  return stall;
}

void MemoryDatabase::RefuseValue(const TableName& table, const std::string& column,
                                 const std::string& value) {
  std::lock_guard lock(state_->mutex);
  state_->refusals.push_back({table, column, value});
}

void MemoryDatabase::TakeOverRun(const std::string& prefix, const std::string& run) {
  std::lock_guard lock(state_->mutex);
  memory::TakeOver(*state_, prefix, run);
}

void MemoryDatabase::SetReachable(bool reachable) {
  std::lock_guard lock(state_->mutex);
  state_->reachable = reachable;
}

std::vector<Event> MemoryDatabase::Events() const {
  std::lock_guard lock(state_->mutex);
  return state_->events;
}

std::vector<std::chrono::steady_clock::time_point> MemoryDatabase::ReadAttempts(
    const TableName& table, int part) const {
  std::vector<std::chrono::steady_clock::time_point> out;
  for (const Event& e : Events()) {
    if (e.kind == EventKind::kRead && e.table == table && e.part == part) out.push_back(e.at);
  }
  return out;
}

std::unique_ptr<RunStore> MemoryDatabase::OpenRunStore(const std::string& prefix) {
  return memory::NewRunStore(state_, prefix);
}

}  // namespace ferry::test
