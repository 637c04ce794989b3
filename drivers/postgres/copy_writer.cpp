#include "drivers/postgres/copy_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "copier/convert.hpp"
#include "drivers/long_values.hpp"
#include "drivers/postgres/binary_copy.hpp"
#include "drivers/postgres/pg_clone_needs.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry::pg {

namespace {

// libpq copies each PQputCopyData call into its output buffer whole; sending a 16 MiB batch in
// pieces keeps that buffer small.
constexpr size_t kSendChunk = 1u << 20;
// Key values kept so a row the server refuses ("COPY t, line N") can be named by its key;
// beyond this only the first and last key of each batch are kept.
constexpr size_t kKeyBudget = 8u << 20;
// The temporary table an upserting unit copies into (see CopyRowWriter), and how much it holds
// before its rows are merged into the table: merging while the reader reads on overlaps the two
// (a sync's batch of 20,000 changed rows), and the table stays within the session's temporary
// buffers (temp_buffers, 8 MB by default) instead of spilling to disk.
constexpr const char* kStagingTable = "ferry_upsert_rows";

// Whether the destination checks its key over `key` at the end of the statement or later
// (DEFERRABLE): ON CONFLICT refuses such a constraint as its arbiter ("does not support
// deferrable unique constraints"), and a table copied with its DEFERRABLE primary key has one.
bool KeyIsDeferrable(pq::Connection& connection, const Dialect& dialect, const Table& table,
                     const std::vector<int>& key) {
  std::vector<std::string> names;
  for (int k : key) names.push_back(table.columns[size_t(k)].name);
  std::sort(names.begin(), names.end());
  return !connection
              .Query(
                  "SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conrelid = "
                  "pg_catalog.to_regclass(?) AND c.contype IN ('p', 'u') AND c.condeferrable "
                  "AND ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE "
                  "a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) ORDER BY "
                  "a.attname::text COLLATE \"C\") = ?::text[]",
                  {dialect.QualifiedName(table.name), ArrayLiteral(names)})
              .empty();
}

// The merge of the staged rows without ON CONFLICT: those whose key is there update it, the
// others are inserted (deferred checks see the table as it ends).
std::string MergeWithoutArbiter(const Dialect& dialect, const Table& table,
                                const std::vector<int>& columns, const std::vector<int>& key,
                                const std::string& into, const std::string& staging,
                                const std::string& names) {
  std::string match, set;
  for (int k : key) {
    const std::string name = dialect.Quote(table.columns[size_t(k)].name);
    match += (match.empty() ? "" : " AND ") + fmt::format("t.{0} = s.{0}", name);
  }
  for (int c : columns) {
    if (std::find(key.begin(), key.end(), c) != key.end()) continue;
    const std::string name = dialect.Quote(table.columns[size_t(c)].name);
    set += (set.empty() ? "" : ", ") + fmt::format("{0} = s.{0}", name);
  }
  std::string sql;
  if (!set.empty())
    sql = fmt::format("UPDATE {} t SET {} FROM {} s WHERE {}; ", into, set, staging, match);
  return sql + fmt::format(
                   "INSERT INTO {0} ({1}) OVERRIDING SYSTEM VALUE SELECT {1} FROM {2} s WHERE NOT "
                   "EXISTS (SELECT 1 FROM {0} t WHERE {3})",
                   into, names, staging, match);
}
constexpr size_t kMergeBytes = 1u << 20;
constexpr size_t kMergeRows = 4096;

// The line number in a COPY error's context ("COPY t, line 42, column c: ..."), or 0.
uint64_t CopyLine(const std::string& context) {
  uint64_t line = 0;
  size_t at = 0;
  while ((at = context.find("COPY ", at)) != std::string::npos) {
    size_t eol = context.find('\n', at);
    std::string_view entry(context.data() + at,
                           (eol == std::string::npos ? context.size() : eol) - at);
    size_t mark = entry.rfind(", line ");
    if (mark != std::string_view::npos) {
      uint64_t n = 0;
      for (size_t i = mark + 7; i < entry.size() && entry[i] >= '0' && entry[i] <= '9'; ++i) {
        n = n * 10 + uint64_t(entry[i] - '0');
      }
      if (n > 0) line = n;
    }
    at += 5;
  }
  return line;
}

// The rows of one written batch: where they start in the COPY stream and how to name them.
struct Span {
  uint64_t first_line = 0;  // 1-based, as the server counts
  size_t rows = 0;
  std::string first_key, last_key;
  std::optional<Batch> keys;  // the batch's key columns, while within kKeyBudget
};

class CopyRowWriter final : public RowWriter {
 public:
  CopyRowWriter(pq::Connection& connection, const Dialect& dialect, const WriteRequest& request)
      : connection_(connection),
        table_(*request.table),
        columns_(request.columns),
        key_positions_(request.key_positions),
        pass_through_(request.pass_through) {
    std::string names;
    for (int column : columns_) {
      const Column& c = table_.columns[size_t(column)];
      if (!names.empty()) names += ", ";
      names += dialect.Quote(c.name);
      std::optional<BinaryForm> form = BinaryFormOf(c.type);
      if (!form) text_ = true;
      forms_.push_back(form.value_or(BinaryForm::kBytes));
      with_zone_.push_back(c.type.kind == TypeKind::kTimestampTz);
    }
    // Pass-through rows are the source's binary tuples of identical types, whatever they are.
    if (pass_through_) text_ = false;
    key_names_ = KeyNames(table_, columns_, key_positions_);
    for (size_t i = 0; i < key_positions_.size(); ++i) {
      key_only_.push_back(int(i));
      const ColumnType& type = table_.columns[size_t(columns_[size_t(key_positions_[i])])].type;
      key_forms_.push_back(BinaryFormOf(type).value_or(BinaryForm::kBytes));
      key_storages_.push_back(StorageOf(type));
    }
    std::string into = dialect.QualifiedName(table_.name);
    std::string staging_sql;
    if (request.upsert) {
      // COPY cannot update rows, so an upserting unit copies into a temporary table of exactly the
      // written columns (same types and order, so pass-through tuples fit it too; no constraints),
      // which one INSERT ... SELECT ... ON CONFLICT merges at Commit, before the finish
      // statements. Temporary tables skip the WAL; ON COMMIT DROP (and a rollback) removes it.
      const std::string staging = dialect.Quote(kStagingTable);
      staging_sql = fmt::format(
          "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} "
          "WITH NO DATA",
          staging, names, into);
      // OVERRIDING SYSTEM VALUE: COPY writes GENERATED ALWAYS identity columns, so must this.
      merge_sql_ =
          KeyIsDeferrable(connection_, dialect, table_, request.upsert_key)
              ? MergeWithoutArbiter(dialect, table_, columns_, request.upsert_key, into, staging,
                                    names)
              : fmt::format("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}{}", into,
                            names, names, staging,
                            dialect.UpsertClause(table_, columns_, request.upsert_key));
      // In place: the table was created in this transaction.
      empty_staging_sql_ = "TRUNCATE " + staging;
      into = staging;
    }
    copy_sql_ = "COPY " + into + " (" + names + ") FROM STDIN" + (text_ ? "" : " (FORMAT binary)");
    try {
      connection_.Execute("BEGIN");
      in_transaction_ = true;
      const std::string replace = dialect.ReplaceRangeSql(table_, request.replace_range);
      if (!replace.empty()) connection_.Run(replace, PGRES_COMMAND_OK);
      if (!staging_sql.empty()) connection_.Run(staging_sql, PGRES_COMMAND_OK);
      StartCopy();
    } catch (Error& e) {
      Rollback();
      throw;
    }
  }

  ~CopyRowWriter() override { Rollback(); }

  void Prepare(Batch& batch) const override {
    if (pass_through_ || batch.num_columns() == 0) return;
    batch.wire().clear();
    batch.splices().clear();
    Encode(batch, batch.wire(), &batch.splices());
    batch.set_wire_rows(batch.num_rows());
  }

  void Write(const Batch& batch) override {
    const size_t rows = batch.num_rows();
    if (rows == 0) return;
    if (pass_through_ != (batch.num_columns() == 0)) {
      throw Error(ErrorCode::kInternal,
                  pass_through_ ? "a pass-through COPY writer got a decoded batch"
                                : "a COPY writer got undecoded rows it did not ask for",
                  ErrorContext{DisplayName(table_.name), "", "", ""});
    }
    const std::string* wire = &batch.wire();
    const std::vector<WireSplice>* splices = &batch.splices();
    if (!pass_through_ && (batch.wire_rows() != rows || batch.wire().empty())) {
      scratch_.clear();
      scratch_splices_.clear();
      Encode(batch, scratch_, &scratch_splices_);
      wire = &scratch_;
      splices = &scratch_splices_;
    }
    Remember(batch);
    SendSpliced(*wire, *splices);
    staged_bytes_ += wire->size();
    if (!merge_sql_.empty() && (staged_bytes_ >= kMergeBytes || lines_ >= kMergeRows)) {
      EndCopy();
      connection_.Run(merge_sql_, PGRES_COMMAND_OK);
      connection_.Run(empty_staging_sql_, PGRES_COMMAND_OK);
      StartCopy();
    }
  }

  void Commit(const std::vector<std::string>& finish_sql) override {
    try {
      if (in_copy_) EndCopy();
      if (!merge_sql_.empty()) connection_.Run(merge_sql_, PGRES_COMMAND_OK);
      for (const std::string& sql : finish_sql) connection_.Run(sql, PGRES_COMMAND_OK);
      // COMMIT of a transaction that failed answers OK with the tag ROLLBACK.
      pq::Result done = connection_.Run("COMMIT", PGRES_COMMAND_OK);
      in_transaction_ = false;
      if (std::string(PQcmdStatus(done.get())) != "COMMIT") {
        throw Error(ErrorCode::kDriver, "the server rolled the unit's transaction back at COMMIT");
      }
    } catch (Error& e) {
      Rollback();
      throw;
    }
  }

  void Rollback() override {
    if (in_copy_) {
      in_copy_ = false;
      // The server discards what this COPY wrote when the client fails it.
      PQputCopyEnd(connection_.get(), "ferry: the copy of this table was rolled back");
      connection_.Drain();
    }
    if (in_transaction_) {
      in_transaction_ = false;
      try {
        connection_.Execute("ROLLBACK");
      } catch (...) {
        // A lost connection rolls back by itself.
      }
    }
  }

  std::string Method() const override {
    std::string method = pass_through_ ? "binary COPY (pass-through)"
                         : text_       ? "text COPY"
                                       : "binary COPY";
    return merge_sql_.empty() ? method : method + " into a temporary table, then upsert";
  }

 private:
  void Encode(const Batch& batch, std::string& out, std::vector<WireSplice>* splices) const {
    if (text_) {
      if (batch.has_long()) {
        throw Error(ErrorCode::kData,
                    "a value longer than the long-value threshold cannot go through text COPY "
                    "(a column of this table has no binary COPY form in ferry)",
                    ErrorContext{DisplayName(table_.name), "", "", ""});
      }
      EncodeTextRows(batch, with_zone_, out);
      return;
    }
    EncodeFailure failure;
    if (!EncodeBinaryRows(batch, forms_, out, &failure, splices)) {
      ErrorContext context;
      context.table = DisplayName(table_.name);
      context.column = table_.columns[size_t(columns_[failure.column])].name;
      context.key = RenderKey(batch, key_positions_, key_names_, failure.row);
      throw Error(ErrorCode::kData, "cannot encode value for COPY: " + failure.reason,
                  std::move(context));
    }
  }

  // A COPY into the table (or the staging table), whose rows are counted from line 1.
  void StartCopy() {
    connection_.Run(copy_sql_, PGRES_COPY_IN);
    in_copy_ = true;
    lines_ = 0;
    staged_bytes_ = 0;
    spans_.clear();
    key_bytes_ = 0;
    if (!text_) Send(kHeader);
  }

  // Ends the COPY; a row the server refused is named by its key where it can be.
  void EndCopy() {
    if (!text_) Send(kTrailer);
    in_copy_ = false;
    if (PQputCopyEnd(connection_.get(), nullptr) != 1) {
      throw pq::MakeError("ending the COPY failed", connection_.get(), nullptr, "PQputCopyEnd");
    }
    pq::Result result(PQgetResult(connection_.get()));
    if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      Error error = pq::MakeError("COPY into the table failed", connection_.get(), result.get(),
                                  "PQputCopyEnd");
      const char* context = result ? PQresultErrorField(result.get(), PG_DIAG_CONTEXT) : nullptr;
      if (uint64_t line = context ? CopyLine(context) : 0) error.WithKey(Locate(line));
      throw error;
    }
    if (std::optional<Error> error = connection_.Drain()) throw *error;
  }

  void Send(std::string_view data) {
    while (!data.empty()) {
      size_t n = std::min(data.size(), kSendChunk);
      if (PQputCopyData(connection_.get(), data.data(), int(n)) != 1) {
        throw pq::MakeError("sending COPY data failed", connection_.get(), nullptr,
                            "PQputCopyData");
      }
      data.remove_prefix(n);
    }
  }

  // Sends wire bytes with long values spliced in, a piece at a time.
  void SendSpliced(std::string_view wire, const std::vector<WireSplice>& splices) {
    size_t from = 0;
    for (const WireSplice& splice : splices) {
      Send(wire.substr(from, splice.at - from));
      ForEachPiece(*splice.value, [this](std::string_view piece) { Send(piece); });
      staged_bytes_ += splice.value->size();
      from = splice.at;
    }
    Send(wire.substr(from));
  }

  // Keeps what names the batch's rows if the server refuses one of them at Commit.
  void Remember(const Batch& batch) {
    Span span;
    span.first_line = lines_ + 1;
    span.rows = batch.num_rows();
    lines_ += span.rows;
    // Undecoded rows with long values spliced in cannot be walked for their keys.
    if (!key_positions_.empty() && !(pass_through_ && !batch.splices().empty())) {
      span.keys.emplace(key_storages_);
      if (pass_through_) {
        // The rows are undecoded tuples: decode their key fields only.
        DecodeFields(batch.wire(), key_positions_, key_forms_, *span.keys);
      } else {
        for (size_t i = 0; i < key_positions_.size(); ++i) {
          span.keys->column(i).CopyFrom(batch.column(size_t(key_positions_[i])));
        }
      }
      if (span.keys->num_rows() != span.rows) {
        span.keys.reset();
      } else {
        span.first_key = RenderKey(*span.keys, key_only_, key_names_, 0);
        span.last_key = RenderKey(*span.keys, key_only_, key_names_, span.rows - 1);
        key_bytes_ += span.keys->ByteSize();
      }
    }
    spans_.push_back(std::move(span));
    for (Span& old : spans_) {
      if (key_bytes_ <= kKeyBudget) break;
      if (old.keys) {
        key_bytes_ -= old.keys->ByteSize();
        old.keys.reset();
      }
    }
  }

  // Names the row at `line` of this COPY as precisely as what was kept allows.
  std::string Locate(uint64_t line) const {
    for (const Span& span : spans_) {
      if (line < span.first_line || line >= span.first_line + span.rows) continue;
      if (span.keys) return RenderKey(*span.keys, key_only_, key_names_, line - span.first_line);
      if (!span.first_key.empty()) {
        return fmt::format("at line {} of the COPY, between {} and {}", line, span.first_key,
                           span.last_key);
      }
    }
    return fmt::format("at line {} of the COPY", line);
  }

  pq::Connection& connection_;
  const Table& table_;
  std::vector<int> columns_;
  std::vector<int> key_positions_;
  std::vector<std::string> key_names_;
  std::vector<int> key_only_;  // 0..n-1: key positions in a Span's key batch
  std::vector<BinaryForm> key_forms_;
  std::vector<Storage> key_storages_;
  bool pass_through_;
  std::string copy_sql_;
  std::string merge_sql_;          // upsert only: the staged rows into the table
  std::string empty_staging_sql_;  // and then out of the staging table
  size_t staged_bytes_ = 0;        // sent by the current COPY
  bool text_ = false;
  std::vector<BinaryForm> forms_;
  std::vector<bool> with_zone_;
  bool in_transaction_ = false;
  bool in_copy_ = false;
  std::string scratch_;
  std::vector<WireSplice> scratch_splices_;
  uint64_t lines_ = 0;
  std::deque<Span> spans_;
  size_t key_bytes_ = 0;
};

}  // namespace

std::unique_ptr<RowWriter> OpenCopyWriter(pq::Connection& connection, const Dialect& dialect,
                                          const WriteRequest& request) {
  return std::make_unique<CopyRowWriter>(connection, dialect, request);
}

}  // namespace ferry::pg
