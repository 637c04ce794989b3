#include "drivers/postgres/copy_reader.hpp"

#include <fmt/format.h>

#include "copier/convert.hpp"
#include "drivers/postgres/binary_copy.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::pg {

namespace {

// Inside a reader's snapshot transaction a COPY that is cancelled (a reader dropped half way)
// would abort the transaction and lose the snapshot; a savepoint around it keeps both.
constexpr const char* kSavepoint = "ferry_copy";

class CopyRowReader final : public RowReader {
 public:
  CopyRowReader(pq::Connection& connection, const Dialect& dialect, const ReadRequest& request)
      : connection_(connection),
        table_(*request.table),
        columns_(request.columns),
        limits_(request.limits),
        pass_through_(request.pass_through) {
    std::vector<BinaryForm> forms;
    std::string select;
    for (int column : columns_) {
      const Column& c = table_.columns[size_t(column)];
      std::optional<BinaryForm> form = BinaryFormOf(c.type);
      if (!select.empty()) select += ", ";
      select += dialect.Quote(c.name);
      // A type whose binary form ferry does not decode arrives as its text output, which is
      // what every other reader sees of it too. Pass-through sends the type's own form.
      if (!form && !pass_through_) select += "::text";
      forms.push_back(form.value_or(BinaryForm::kBytes));
      storages_.push_back(StorageOf(c.type));
    }
    decoder_.emplace(std::move(forms));
    key_positions_ = KeyPositions(table_, columns_);
    std::string where = dialect.RangePredicate(table_, request.unit.range);
    std::string sql = "COPY (SELECT " + select + " FROM " + dialect.RowsOf(table_) +
                      (where.empty() ? "" : " " + where) + ") TO STDOUT (FORMAT binary)";
    try {
      if (connection_.InTransaction()) {
        connection_.Execute(std::string("SAVEPOINT ") + kSavepoint);
        savepoint_ = true;
      }
      connection_.Run(sql, PGRES_COPY_OUT);
      started_ = true;
    } catch (Error& e) {
      Abandon();
      e.WithTable(DisplayName(table_.name));
      throw;
    }
  }

  ~CopyRowReader() override { Abandon(); }

  bool Next(Batch& batch) override {
    if (pass_through_) {
      batch.Reset({});
    } else {
      batch.Reset(storages_);
    }
    if (finished_) return false;
    size_t rows = 0;
    try {
      std::string_view tuple;
      // A batch takes at least one row, however small the limits.
      while ((rows == 0 || (rows < limits_.max_rows && batch.ByteSize() < limits_.max_bytes)) &&
             NextTuple(&tuple)) {
        ++rows;
        if (pass_through_) {
          batch.wire().append(tuple);
          continue;
        }
        DecodeFailure failure;
        if (!decoder_->Decode(tuple.data(), batch, &failure)) {
          ErrorContext context;
          context.table = DisplayName(table_.name);
          context.column = table_.columns[size_t(columns_[failure.column])].name;
          context.key = RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_),
                                  rows - 1);
          throw Error(ErrorCode::kData, std::string("cannot read value: ") + failure.reason,
                      std::move(context));
        }
      }
    } catch (Error& e) {
      e.WithTable(DisplayName(table_.name));
      throw;
    }
    if (pass_through_) batch.set_wire_rows(rows);
    return rows > 0;
  }

  std::string Method() const override {
    return pass_through_ ? "binary COPY (pass-through)" : "binary COPY";
  }

 private:
  // Points *tuple at the next complete tuple; false at the end of the stream.
  bool NextTuple(std::string_view* tuple) {
    for (;;) {
      if (!header_done_) {
        size_t n = ParseHeader(data_);
        if (n == 0) {
          if (!More()) throw Truncated();
          continue;
        }
        data_.remove_prefix(n);
        header_done_ = true;
      }
      int fields = 0;
      size_t n = data_.empty() ? 0 : FrameTuple(data_, &fields);
      if (n == 0) {
        if (More()) continue;
        if (!data_.empty() || !trailer_seen_) throw Truncated();
        return false;
      }
      if (trailer_seen_) {
        throw Error(ErrorCode::kDriver, "the server sent rows after the binary COPY trailer");
      }
      if (fields == -1) {
        trailer_seen_ = true;
        data_.remove_prefix(n);
        continue;
      }
      if (size_t(fields) != decoder_->columns()) {
        throw Error(ErrorCode::kDriver, fmt::format("the server sent {} fields for {} columns",
                                                    fields, decoder_->columns()));
      }
      *tuple = data_.substr(0, n);
      data_.remove_prefix(n);
      return true;
    }
  }

  // Reads the next CopyData message; false when the COPY has ended (and succeeded).
  bool More() {
    char* buffer = nullptr;
    const int n = PQgetCopyData(connection_.get(), &buffer, 0);
    if (n == -1) {
      pq::Result result(PQgetResult(connection_.get()));
      finished_ = true;
      connection_.Check(std::move(result), PGRES_COMMAND_OK, "PQgetResult");
      if (std::optional<Error> error = connection_.Drain()) throw *error;
      if (savepoint_) {
        savepoint_ = false;
        connection_.Execute(std::string("RELEASE SAVEPOINT ") + kSavepoint);
      }
      return false;
    }
    if (n < 0)
      throw pq::MakeError("reading COPY data failed", connection_.get(), nullptr, "PQgetCopyData");
    pq::Memory message(buffer);
    if (data_.empty()) {
      message_ = std::move(message);
      data_ = std::string_view(message_.get(), size_t(n));
      return true;
    }
    // A tuple split across messages (PostgreSQL sends one row per message, but the protocol
    // does not promise it): join the pieces.
    if (!carry_.empty() && data_.data() >= carry_.data() &&
        data_.data() < carry_.data() + carry_.size()) {
      carry_.erase(0, size_t(data_.data() - carry_.data()));
    } else {
      carry_.assign(data_);
    }
    carry_.append(message.get(), size_t(n));
    message_.reset();
    data_ = carry_;
    return true;
  }

  Error Truncated() const {
    return Error(ErrorCode::kDriver, "the server's binary COPY stream ended in the middle");
  }

  // Stops a COPY still running and puts the connection back where it was before it.
  void Abandon() noexcept {
    if (started_ && !finished_) {
      connection_.Cancel();
      connection_.Drain();
    }
    finished_ = true;
    if (savepoint_) {
      savepoint_ = false;
      try {
        connection_.Execute(std::string("ROLLBACK TO SAVEPOINT ") + kSavepoint +
                            "; RELEASE SAVEPOINT " + kSavepoint);
      } catch (...) {
        // The connection is gone; the next statement on it reports that.
      }
    }
  }

  pq::Connection& connection_;
  const Table& table_;
  std::vector<int> columns_;
  BatchLimits limits_;
  bool pass_through_;
  std::vector<Storage> storages_;
  std::optional<TupleDecoder> decoder_;
  std::vector<int> key_positions_;
  pq::Memory message_;
  std::string carry_;
  std::string_view data_;
  bool started_ = false;  // the COPY is running (or has run)
  bool header_done_ = false;
  bool trailer_seen_ = false;
  bool finished_ = false;
  bool savepoint_ = false;
};

}  // namespace

std::unique_ptr<RowReader> OpenCopyReader(pq::Connection& connection, const Dialect& dialect,
                                          const ReadRequest& request) {
  return std::make_unique<CopyRowReader>(connection, dialect, request);
}

}  // namespace ferry::pg
