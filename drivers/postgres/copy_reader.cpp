#include "drivers/postgres/copy_reader.hpp"

#include <fmt/format.h>

#include <cstring>

#include "copier/convert.hpp"
#include "drivers/long_values.hpp"
#include "drivers/postgres/binary_copy.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::pg {

namespace {

// Inside a reader's snapshot transaction a COPY that is cancelled (a reader dropped half way)
// would abort the transaction and lose the snapshot; a savepoint around it keeps both.
constexpr const char* kSavepoint = "ferry_copy";

// Whether a column can hold values longer than `threshold` bytes that the reader should fetch in
// pieces: values read as their own bytes (text, bytea, json), unbounded or bounded above it.
bool MayBeLong(const ColumnType& type, std::optional<BinaryForm> form, size_t threshold) {
  if (form != BinaryForm::kBytes) return false;
  switch (type.kind) {
    case TypeKind::kVarchar:
    case TypeKind::kText:
    case TypeKind::kJson:
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return type.length < 0 || size_t(type.length) * 4 > threshold;
    default:
      return false;
  }
}

// Whether the table (or a partition of it) keeps any value out of line, in TOAST. Every value
// longer than the long-value threshold (1 MiB at least) does: an inline value is under 2 kB once
// compressed, and neither pglz (about 90:1 at best) nor lz4 (255:1) expands that past 1 MiB. Tables
// without any then read with the plain COPY, which pays nothing for the long-value tests.
bool HasOutOfLineValues(pq::Connection& connection, const Dialect& dialect, const Table& table) {
  const std::string name = dialect.QualifiedName(table.name);
  pq::Memory literal(PQescapeLiteral(connection.get(), name.data(), name.size()));
  if (!literal) return true;
  std::string sql = fmt::format(
      "SELECT coalesce(sum(pg_relation_size(reltoastrelid)), 0) > 0 FROM pg_class WHERE oid = "
      "{0}::regclass",
      literal.get());
  // Partitions hold a partitioned table's rows (an inheritance parent is read ONLY itself).
  if (table.partitioned && PQserverVersion(connection.get()) >= 120000) {
    sql += fmt::format(" OR oid IN (SELECT relid FROM pg_partition_tree({}::regclass))",
                       literal.get());
  }
  pq::Result result = connection.Run(sql, PGRES_TUPLES_OK);
  return PQntuples(result.get()) != 1 || std::string_view(PQgetvalue(result.get(), 0, 0)) != "f";
}

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

// A column whose long values the reader fetches in pieces.
struct LongColumn {
  size_t position;   // in the batch
  std::string name;  // quoted
  bool bytes;        // bytea (text is read in the client encoding)
};

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
    std::string long_test;  // true for a row holding a long value
    const size_t threshold = LongValueThreshold(limits_.max_bytes);
    std::optional<bool> out_of_line;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const Column& c = table_.columns[size_t(columns_[i])];
      std::optional<BinaryForm> form = BinaryFormOf(c.type);
      if (!select.empty()) select += ", ";
      const std::string name = dialect.Quote(c.name);
      if (MayBeLong(c.type, form, threshold) && !out_of_line) {
        try {
          out_of_line = HasOutOfLineValues(connection_, dialect, table_);
        } catch (Error& e) {
          e.WithTable(DisplayName(table_.name));
          throw;
        }
      }
      if (MayBeLong(c.type, form, threshold) && *out_of_line) {
        // A long value stays out of the COPY (which libpq would hold whole, twice): the row's
        // location comes instead, and the value is read in pieces after the COPY.
        // Measured as text (json has no octet_length of its own; text's cast is free).
        const bool bytes = StorageOf(c.type) == Storage::kBytes;
        const std::string measured = bytes ? name : name + "::text";
        const std::string test = fmt::format("octet_length({}) > {}", measured, threshold);
        select += fmt::format("CASE WHEN {} THEN NULL ELSE {} END", test, name);
        long_test += (long_test.empty() ? "" : " OR ") + test;
        long_columns_.push_back({i, name, bytes});
      } else {
        select += name;
      }
      // A type whose binary form ferry does not decode arrives as its text output, which is
      // what every other reader sees of it too. Pass-through sends the type's own form.
      if (!form && !pass_through_) select += "::text";
      forms.push_back(form.value_or(BinaryForm::kBytes));
      storages_.push_back(StorageOf(c.type));
    }
    decoder_.emplace(std::move(forms));
    key_positions_ = KeyPositions(table_, columns_);
    rows_of_ = dialect.RowsOf(table_);
    row_select_ = select;
    if (!long_test.empty()) {
      select += ", CASE WHEN " + long_test + " THEN tableoid::text || ' ' || ctid::text END";
    }
    std::string where = dialect.RangePredicate(table_, request.unit.range);
    std::string sql = "COPY (SELECT " + select + " FROM " + rows_of_ +
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
    if (finished_ && long_rows_.empty()) return false;
    size_t rows = 0;
    try {
      std::string_view tuple;
      // A batch takes at least one row, however small the limits.
      while (rows == 0 || (rows < limits_.max_rows && batch.ByteSize() < limits_.max_bytes)) {
        if (!NextTuple(&tuple)) {
          // The COPY is over: the rows it left out for their long values come now.
          if (long_rows_.empty()) break;
          ReadLongRow(long_rows_.back(), batch, rows);
          long_rows_.pop_back();
          ++rows;
          continue;
        }
        if (!long_columns_.empty() && !TakeMarker(&tuple)) continue;
        ++rows;
        if (pass_through_) {
          const size_t at = batch.wire().size();
          batch.wire().append(tuple);
          if (!long_columns_.empty()) {
            // Without the marker the tuple has one field less (decoding ignores the count).
            batch.wire()[at] = char(decoder_->columns() >> 8);
            batch.wire()[at + 1] = char(decoder_->columns() & 0xff);
          }
          continue;
        }
        Decode(tuple.data(), batch, rows - 1);
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
  void Decode(const char* tuple, Batch& batch, size_t row) {
    DecodeFailure failure;
    if (!decoder_->Decode(tuple, batch, &failure)) {
      ErrorContext context;
      context.table = DisplayName(table_.name);
      context.column = table_.columns[size_t(columns_[failure.column])].name;
      context.key =
          RenderKey(batch, key_positions_, KeyNames(table_, columns_, key_positions_), row);
      throw Error(ErrorCode::kData, std::string("cannot read value: ") + failure.reason,
                  std::move(context));
    }
  }

  // The last field of each tuple says where a row with a long value lives (NULL for the others).
  // Strips it from *tuple; false (and the row kept for later) when it is not NULL.
  bool TakeMarker(std::string_view* tuple) {
    if (tuple->size() >= 6 && tuple->substr(tuple->size() - 4) == "\xff\xff\xff\xff") {
      tuple->remove_suffix(4);
      return true;
    }
    const char* p = tuple->data() + 2;
    for (size_t i = 0; i < decoder_->columns(); ++i) {
      const int32_t length = int32_t(Load32(p));
      p += 4 + (length > 0 ? length : 0);
    }
    const uint32_t length = Load32(p);
    long_rows_.emplace_back(p + 4, length);
    return false;
  }

  // A row left out of the COPY: its short values in one query, each long value in pieces from a
  // second one (one piece per result in single-row mode), into a spill file. Same transaction, so
  // the same snapshot and the same row location.
  void ReadLongRow(const std::string& location, Batch& batch, size_t row) {
    const size_t space = location.find(' ');
    const std::string oid = location.substr(0, space), ctid = location.substr(space + 1);
    const char* params[2] = {oid.c_str(), ctid.c_str()};
    const std::string where = " FROM " + rows_of_ + " WHERE tableoid = $1::oid AND ctid = $2::tid";
    std::string sql = "SELECT " + row_select_;
    for (const LongColumn& c : long_columns_) {
      sql += ", octet_length(" + c.name + (c.bytes ? "" : "::text") + ")::int8";
    }
    pq::Result result =
        connection_.Check(pq::Result(PQexecParams(connection_.get(), (sql + where).c_str(), 2,
                                                  nullptr, params, nullptr, nullptr, 1)),
                          PGRES_TUPLES_OK, "PQexecParams");
    if (PQntuples(result.get()) != 1) {
      throw Error(ErrorCode::kDriver,
                  "a row with a long value changed while the table was read (copy with "
                  "--consistency snapshot)");
    }
    const int fields = int(decoder_->columns());
    std::vector<std::shared_ptr<SpillFile>> values;
    values.resize(size_t(fields));
    for (size_t k = 0; k < long_columns_.size(); ++k) {
      const int at = fields + int(k);
      if (PQgetisnull(result.get(), 0, at)) continue;
      const size_t size = Load64(PQgetvalue(result.get(), 0, at));
      if (size <= LongValueThreshold(limits_.max_bytes)) continue;
      auto value = std::make_shared<SpillFile>();
      FetchPieces(long_columns_[k], where, params, size, *value);
      values[long_columns_[k].position] = std::move(value);
    }
    // The tuple as COPY would have sent it, long values NULL (or, passing through, spliced).
    std::string tuple(2, '\0');
    tuple[0] = char(fields >> 8);
    tuple[1] = char(fields & 0xff);
    std::string& out = pass_through_ ? batch.wire() : tuple;
    if (pass_through_) out.append(tuple);
    for (int i = 0; i < fields; ++i) {
      const bool null = PQgetisnull(result.get(), 0, i);
      const bool spliced = values[size_t(i)] && pass_through_;
      const uint32_t length = spliced ? uint32_t(values[size_t(i)]->size())
                              : null  ? 0xFFFFFFFFu
                                      : uint32_t(PQgetlength(result.get(), 0, i));
      for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char(length >> shift));
      if (spliced) {
        batch.splices().push_back({out.size(), values[size_t(i)]});
      } else if (!null) {
        out.append(PQgetvalue(result.get(), 0, i), size_t(PQgetlength(result.get(), 0, i)));
      }
    }
    if (pass_through_) return;
    Decode(tuple.data(), batch, row);
    for (int i = 0; i < fields; ++i) {
      if (values[size_t(i)]) batch.column(size_t(i)).SetLastLong(values[size_t(i)]);
    }
  }

  void FetchPieces(const LongColumn& column, const std::string& where, const char* const* params,
                   size_t size, SpillFile& value) {
    // Materialized once in the server (a plain value: slicing a compressed or multibyte value in
    // place would decompress or scan from its start for every piece); the bytes of text are
    // those the client encoding gives, as every other read.
    const std::string sql = fmt::format(
        "WITH v AS MATERIALIZED (SELECT {0} AS b{1}) "
        "SELECT substring(v.b FROM g FOR {2}) FROM v, generate_series(1, octet_length(v.b), {2}) g",
        column.bytes ? column.name : "convert_to(" + column.name + "::text, pg_client_encoding())",
        where, kLongValuePiece);
    if (!PQsendQueryParams(connection_.get(), sql.c_str(), 2, nullptr, params, nullptr, nullptr,
                           1) ||
        !PQsetSingleRowMode(connection_.get())) {
      throw pq::MakeError("reading a long value failed", connection_.get(), nullptr,
                          "PQsendQueryParams");
    }
    for (;;) {
      pq::Result piece(PQgetResult(connection_.get()));
      if (!piece) break;
      if (PQresultStatus(piece.get()) == PGRES_SINGLE_TUPLE) {
        value.Append(std::string_view(PQgetvalue(piece.get(), 0, 0),
                                      size_t(PQgetlength(piece.get(), 0, 0))));
      } else if (PQresultStatus(piece.get()) != PGRES_TUPLES_OK) {
        Error error = pq::MakeError("reading a long value failed", connection_.get(), piece.get(),
                                    "PQgetResult");
        connection_.Drain();
        throw error;
      }
    }
    if (value.size() != size) {
      throw Error(
          ErrorCode::kDriver,
          fmt::format("a long value read in pieces has {} bytes, not {}", value.size(), size));
    }
  }

  static uint64_t Load64(const char* p) { return (uint64_t(Load32(p)) << 32) | Load32(p + 4); }

  // Points *tuple at the next complete tuple; false at the end of the stream.
  bool NextTuple(std::string_view* tuple) {
    if (finished_) return false;
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
      if (size_t(fields) != decoder_->columns() + (long_columns_.empty() ? 0 : 1)) {
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
  std::vector<LongColumn> long_columns_;
  std::vector<std::string> long_rows_;  // "tableoid ctid" of rows the COPY left out
  std::string rows_of_, row_select_;
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
