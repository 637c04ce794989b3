#include "tests/support/memory_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "copier/batch.hpp"

namespace ferry::test::memory {

namespace {

// ---------------------------------------------------------------------------------------------
// Reading.

class MemoryReader final : public RowReader {
 public:
  MemoryReader(std::shared_ptr<Shared> state, const Table& table, std::vector<StoredRow> rows,
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
        return f.after_batches == batches_ && AnyHolds(table_, rows_, f.key);
      });
      if (fault) throw *fault->error;
    }
    batch.Reset(storages_);
    if (next_ >= rows_.size()) return false;
    const BatchLimits& limits = request_.limits;
    while (next_ < rows_.size()) {
      const StoredRow& row = rows_[next_++];
      for (size_t i = 0; i < request_.columns.size(); ++i) {
        Append(row[size_t(request_.columns[i])], batch.column(i));
      }
      if (batch.num_rows() >= limits.max_rows || batch.ByteSize() >= limits.max_bytes) break;
    }
    ++batches_;
    return true;
  }

  std::string Method() const override { return "memory scan"; }

 private:
  std::shared_ptr<Shared> state_;
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
  MemoryReadSession(std::shared_ptr<Shared> state, std::shared_ptr<const Tables> snapshot)
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
        throw ServerError(
            ErrorCode::kDriver,
            fmt::format("relation \"{}\" does not exist", DisplayName(request.table->name)),
            "42P01");
      }
      table = it->second.table;
      for (const StoredRow& row : it->second.rows) {
        if (InRange(table, request.unit.range, row)) rows.push_back(row);
      }
    }
    // In the unit's key order, as a keyset read returns them.
    std::vector<int> order = request.unit.range.key_columns;
    if (order.empty()) order = table.RowKey();
    std::stable_sort(rows.begin(), rows.end(), [&](const StoredRow& a, const StoredRow& b) {
      return CompareOn(table, order, a, b) < 0;
    });
    return std::make_unique<MemoryReader>(state_, table, std::move(rows), request);
  }

 private:
  std::shared_ptr<Shared> state_;
  std::shared_ptr<const Tables> snapshot_;
};

// ---------------------------------------------------------------------------------------------
// Writing: a unit's rows are staged in its transaction and applied at its commit, together
// with its run-state marks, or not at all.

class MemoryWriter final : public RowWriter {
 public:
  MemoryWriter(std::shared_ptr<Shared> state, const WriteRequest& request)
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
        row[size_t(request_.columns[i])] = CellOf(batch.column(i), r);
      }
      rows.push_back(std::move(row));
    }
    std::shared_ptr<Stall> stall;
    {
      std::lock_guard lock(state_->mutex);
      state_->CheckReachable();
      state_->Record(EventKind::kWrite, table_, -1, rows);
      auto fault = state_->Take(FaultKind::kWrite, table_,
                                [&](const Fault& f) { return AnyHolds(table_, rows, f.key); });
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
      CheckConstraints(after);
      // The run-state statements run in the same transaction: they may still refuse it.
      RunStatements(*state_, finish_sql);
      stored = std::move(after);
      state_->Record(EventKind::kCommit, table_, -1, staged_);
      reply_lost = state_
                       ->Take(FaultKind::kReply, table_,
                              [&](const Fault& f) { return AnyHolds(table_, staged_, f.key); })
                       .has_value();
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
        if (Compare(row[size_t(*column)], refused,
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
                                       key.empty() ? "" : DescribeKey(table_, key, row), ""});
      }
    }
  }

  // The staged rows applied to `stored`: the replaced range deleted first, upserted rows
  // matched by their key.
  void Apply(StoredTable& stored) const {
    if (request_.replace_range) {
      std::erase_if(stored.rows, [&](const StoredRow& row) {
        return InRange(stored.table, *request_.replace_range, row);
      });
    }
    std::map<std::string, size_t> existing;
    if (request_.upsert) {
      for (size_t r = 0; r < stored.rows.size(); ++r) {
        existing[Encode(stored.rows[r], request_.upsert_key)] = r;
      }
    }
    for (const StoredRow& row : staged_) {
      auto found =
          request_.upsert ? existing.find(Encode(row, request_.upsert_key)) : existing.end();
      if (found == existing.end()) {
        stored.rows.push_back(row);
        continue;
      }
      for (int c : request_.columns) stored.rows[found->second][size_t(c)] = row[size_t(c)];
    }
  }

  std::shared_ptr<Shared> state_;
  WriteRequest request_;
  Table table_;
  std::vector<StoredRow> staged_;
};

class MemoryWriteSession final : public WriteSession {
 public:
  explicit MemoryWriteSession(std::shared_ptr<Shared> state) : state_(std::move(state)) {}
  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    return std::make_unique<MemoryWriter>(state_, request);
  }

 private:
  std::shared_ptr<Shared> state_;
};

}  // namespace

std::unique_ptr<ReadSession> NewReadSession(std::shared_ptr<Shared> shared,
                                            std::shared_ptr<const Tables> snapshot) {
  return std::make_unique<MemoryReadSession>(std::move(shared), std::move(snapshot));
}

std::unique_ptr<WriteSession> NewWriteSession(std::shared_ptr<Shared> shared) {
  return std::make_unique<MemoryWriteSession>(std::move(shared));
}

}  // namespace ferry::test::memory
