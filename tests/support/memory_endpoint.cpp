#include "tests/support/memory_endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "copier/batch.hpp"
#include "copier/convert.hpp"
#include "tests/support/memory_engine.hpp"

namespace ferry::test {

using memory::Cell;
using memory::FaultKind;
using memory::Parse;
using memory::ServerError;
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
  // A test that fails before releasing the stall ends with a failure, not a hung run.
  changed_.wait_for(lock, std::chrono::seconds(60), [&] { return released_; });
}

struct MemoryDatabase::State : memory::Shared {};

namespace {

using State = MemoryDatabase::State;

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

  std::vector<int64_t> LongestValues(const Table& table, const std::vector<int>& columns) override {
    std::lock_guard lock(state_->mutex);
    std::vector<int64_t> longest(columns.size(), 0);
    for (const StoredRow& row : state_->Get(table.name).rows) {
      for (size_t c = 0; c < columns.size(); ++c) {
        longest[c] = std::max(longest[c], int64_t(row[size_t(columns[c])].bytes.size()));
      }
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
    return memory::NewReadSession(state_, snapshot_);
  }
  std::unique_ptr<WriteSession> OpenWriteSession() override {
    std::shared_ptr<Stall> stall;
    {
      std::lock_guard lock(state_->mutex);
      stall = state_->write_session_stall;
    }
    if (stall) stall->Arrive();  // outside the lock: the readers go on meanwhile
    std::lock_guard lock(state_->mutex);
    state_->CheckReachable();
    return memory::NewWriteSession(state_);
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

std::shared_ptr<Stall> MemoryDatabase::StallWriteSessions() {
  auto stall = std::make_shared<Stall>();
  std::lock_guard lock(state_->mutex);
  state_->write_session_stall = stall;
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
