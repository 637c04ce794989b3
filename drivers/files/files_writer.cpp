// The export's writer: each batch one compressed block (encoded on the pipeline's worker threads
// in Prepare), appended to the unit's chunk file under a temporary name; the unit's commit
// finishes the file (fsync, rename) and records it in the manifest with its "done" mark.
#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "copier/error.hpp"
#include "drivers/files/chunk_format.hpp"
#include "drivers/files/files_io.hpp"

namespace ferry::staging {

namespace {

// Free space is asked again after this many bytes written.
constexpr uint64_t kSpaceCheckBytes = uint64_t(8) << 20;

// A prepared batch's wire bytes: the block, then the rows' hash sum (8 bytes, little-endian).
void PrepareBlock(const RowHasher& hasher, const Batch& batch, std::string& out) {
  EncodeBlock(batch, out);
  uint64_t sum = DigestRows(hasher, batch, 0, batch.num_rows()).sum;
  sum = LittleEndian(sum);
  out.append(reinterpret_cast<const char*>(&sum), sizeof sum);
}

class FilesRowWriter final : public RowWriter {
 public:
  FilesRowWriter(std::shared_ptr<Directory> directory, const WriteRequest& request)
      : dir_(std::move(directory)), table_(*request.table) {
    if (request.replace_range || request.upsert || request.pass_through) {
      throw Error(ErrorCode::kUsage,
                  "a staging directory takes whole units from ferry run (export); syncs and "
                  "repairs write into a database",
                  ErrorContext{DisplayName(table_.name), "", "", ""});
    }
    for (size_t i = 0; i < request.columns.size(); ++i) {
      if (request.columns[i] != int(i) || request.columns.size() != table_.columns.size()) {
        throw Error(ErrorCode::kSchema,
                    "a staging directory's table is written with all its columns, in order",
                    ErrorContext{DisplayName(table_.name), "", "", ""});
      }
    }
    if (std::optional<size_t> index = dir_->TableIndex(table_.name)) table_index_ = *index;
    if (request.unit) {
      unit_.part = request.unit->part;
      unit_.parts = request.unit->parts;
      for (int k : request.unit->range.key_columns) {
        unit_.key.push_back(table_.columns[size_t(k)].name);
      }
      unit_.lo = request.unit->range.lo;
      unit_.hi = request.unit->range.hi;
      unit_.null_keys = request.unit->range.null_keys;
      unit_.by_location = request.unit->range.by_location;
    }
    hasher_.emplace(FormsOf(table_));
    storages_ = StoragesOf(table_);
    dir_->CheckFreeSpace(0);
  }

  void Prepare(Batch& batch) const override {
    // A batch with long values is encoded in Write, its long values streamed after its block.
    if (batch.has_long()) return;
    std::string block;
    PrepareBlock(*hasher_, batch, block);
    batch.wire() = std::move(block);
    batch.set_wire_rows(batch.num_rows());
  }

  void Write(const Batch& batch) override {
    if (batch.num_rows() == 0) return;
    std::string_view prepared = batch.wire();
    std::string local;
    if (prepared.size() < 8 || batch.wire_rows() != batch.num_rows() || batch.has_long()) {
      PrepareBlock(*hasher_, batch, local);  // long values are hashed as streams
      prepared = local;
    }
    uint64_t sum;
    std::memcpy(&sum, prepared.data() + prepared.size() - 8, 8);
    sum = LittleEndian(sum);
    const std::string_view block = prepared.substr(0, prepared.size() - 8);
    if (!chunk_ || chunk_->bytes() >= kChunkRotateBytes) NextChunk();
    if (written_since_check_ >= kSpaceCheckBytes) {
      dir_->CheckFreeSpace(block.size());
      written_since_check_ = 0;
    }
    dir_->Claim(block.size());
    claimed_ += block.size();
    chunk_->AppendBlock(block, uint32_t(batch.num_rows()));
    written_since_check_ += block.size();
    sum_ += sum;
    if (batch.has_long()) AppendLongValues(batch);
  }

  void Commit(const std::vector<std::string>& finish) override {
    if (!chunk_) NextChunk();  // an empty unit still has its (empty) chunk: it was exported
    FinishChunk();
    dir_->CommitUnit(table_.name, std::move(unit_), finish);
    committed_ = true;
    ReleaseClaim();  // counted in the manifest now
  }

  void Rollback() override {
    ReleaseClaim();
    chunk_.reset();  // its temporary file goes with it
    for (const ChunkEntry& c : unit_.chunks) std::remove((dir_->path() + "/" + c.file).c_str());
    unit_.chunks.clear();
  }

  ~FilesRowWriter() override {
    if (!committed_) Rollback();
  }

  std::string Method() const override { return "staging chunk files (zstd)"; }

 private:
  void ReleaseClaim() {
    dir_->Release(claimed_);
    claimed_ = 0;
  }

  // The block's long values after it, in the order EncodeColumns marked them, a piece at a time:
  // the export holds no more of one than a piece (and its compressed form).
  void AppendLongValues(const Batch& batch) {
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      const ColumnVector& col = batch.column(c);
      if (!col.has_long()) continue;
      for (size_t r = 0; r < col.size(); ++r) {
        const LongValue* value = col.Long(r);
        if (!value) continue;
        // zstd's bound for incompressible bytes, and each piece's 8-byte header.
        const uint64_t most = value->size() + value->size() / 128 + 64 * 1024;
        dir_->CheckFreeSpace(most);
        dir_->Claim(most);
        claimed_ += most;
        chunk_->AppendLong(*value);
      }
    }
  }

  void NextChunk() {
    if (chunk_) FinishChunk();
    const std::string path = dir_->NewChunkPath(table_index_, unit_.part, int(unit_.chunks.size()));
    // The chunk's header and trailer.
    const uint64_t frame = 48 + storages_.size();
    dir_->Claim(frame);
    claimed_ += frame;
    chunk_ = std::make_unique<ChunkWriter>(path, storages_);
    sum_ = 0;
  }

  void FinishChunk() {
    chunk_->Finish();
    ChunkEntry entry;
    entry.file = chunk_->final_path().substr(dir_->path().size() + 1);
    entry.rows = chunk_->rows();
    entry.bytes = chunk_->bytes();
    entry.sha256 = chunk_->sha256();
    entry.row_sum = sum_;
    unit_.chunks.push_back(std::move(entry));
    chunk_.reset();
  }

  std::shared_ptr<Directory> dir_;
  const Table& table_;
  size_t table_index_ = 0;
  UnitEntry unit_;
  std::optional<RowHasher> hasher_;
  std::vector<Storage> storages_;
  std::unique_ptr<ChunkWriter> chunk_;
  uint64_t sum_ = 0;
  uint64_t written_since_check_ = kSpaceCheckBytes;
  uint64_t claimed_ = 0;  // Directory::Claim'ed for this unit's chunks
  bool committed_ = false;
};

class FilesWriteSession final : public WriteSession {
 public:
  explicit FilesWriteSession(std::shared_ptr<Directory> directory) : dir_(std::move(directory)) {}
  std::unique_ptr<RowWriter> Write(const WriteRequest& request) override {
    return std::make_unique<FilesRowWriter>(dir_, request);
  }

 private:
  std::shared_ptr<Directory> dir_;
};

}  // namespace

std::unique_ptr<WriteSession> MakeWriteSession(std::shared_ptr<Directory> directory) {
  return std::make_unique<FilesWriteSession>(std::move(directory));
}

}  // namespace ferry::staging
