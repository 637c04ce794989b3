// The in-memory batch: rows held column by column in buffers that keep their capacity
// when cleared, so a pool of batches reaches a steady state with no allocation per row.
// Fixed-width values live in one int64 array (doubles bit-cast); variable-length values in
// one byte arena with offsets, which is also the layout the binary COPY encoder wants.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "copier/types.hpp"

namespace ferry {

// A value too long to hold in memory (longer than the reader's long-value threshold, see
// LongValueThreshold): a reader keeps its bytes outside the batch (drivers/long_values.hpp spills
// them to an unlinked file) and writers send them in pieces, so --memory-limit holds whatever
// the values' sizes. Read-only once made; shared by the batches a value travels through.
class LongValue {
 public:
  virtual ~LongValue() = default;
  virtual size_t size() const = 0;
  // Copies `length` bytes from `offset` (within size()) into `out`.
  virtual void Read(size_t offset, char* out, size_t length) const = 0;
};

// Values longer than this many bytes travel as LongValues; the batch byte limit lowers it, so a
// batch never holds a value much larger than the pool's share for one batch.
inline size_t LongValueThreshold(size_t batch_max_bytes) {
  return std::clamp<size_t>(batch_max_bytes, size_t(1) << 20, size_t(64) << 20);
}

// Where a long value's bytes go in a batch's wire bytes: a writer sends wire() up to `at`, then
// the value, then goes on.
struct WireSplice {
  size_t at = 0;
  std::shared_ptr<const LongValue> value;
};

class ColumnVector {
 public:
  explicit ColumnVector(Storage storage) : storage_(storage) { offsets_.push_back(0); }

  Storage storage() const { return storage_; }
  size_t size() const { return nulls_.size(); }
  bool IsNull(size_t row) const { return nulls_[row] != 0; }
  bool variable_length() const { return IsVariableLength(storage_); }

  int64_t Int(size_t row) const { return fixed_[row]; }
  uint64_t UInt(size_t row) const { return uint64_t(fixed_[row]); }
  double Float(size_t row) const { return std::bit_cast<double>(fixed_[row]); }
  std::string_view Bytes(size_t row) const {
    return {bytes_.data() + offsets_[row], size_t(offsets_[row + 1] - offsets_[row])};
  }
  // Long values (see LongValue): a row holding one has no bytes here (Bytes() is empty).
  bool has_long() const { return !long_.empty(); }
  const LongValue* Long(size_t row) const {
    if (long_.empty()) return nullptr;
    auto at = std::lower_bound(long_.begin(), long_.end(), row,
                               [](const LongEntry& e, size_t r) { return e.row < r; });
    return at != long_.end() && at->row == row ? at->value.get() : nullptr;
  }
  std::shared_ptr<const LongValue> SharedLong(size_t row) const {
    for (const LongEntry& e : long_) {
      if (e.row == row) return e.value;
    }
    return nullptr;
  }
  // The value's length in bytes, long or not.
  size_t ValueSize(size_t row) const {
    const LongValue* value = Long(row);
    return value ? value->size() : Bytes(row).size();
  }
  // Turns the last row (appended as NULL) into `value`.
  void SetLastLong(std::shared_ptr<const LongValue> value) {
    nulls_.back() = 0;
    long_.push_back({nulls_.size() - 1, std::move(value)});
  }
  void AppendLong(std::shared_ptr<const LongValue> value) {
    AppendNull();
    SetLastLong(std::move(value));
  }

  void AppendNull() {
    nulls_.push_back(1);
    if (variable_length()) {
      offsets_.push_back(offsets_.back());
    } else {
      fixed_.push_back(0);
    }
  }
  void AppendInt(int64_t v) {
    nulls_.push_back(0);
    fixed_.push_back(v);
  }
  void AppendUInt(uint64_t v) { AppendInt(int64_t(v)); }
  void AppendFloat(double v) { AppendInt(std::bit_cast<int64_t>(v)); }
  void AppendBytes(std::string_view v) {
    nulls_.push_back(0);
    bytes_.insert(bytes_.end(), v.begin(), v.end());
    offsets_.push_back(bytes_.size());
  }
  // Reserves `length` bytes for the next value and returns where to write them; the value is
  // committed by the call. Lets converters write in place instead of building a string.
  char* AppendUninitialized(size_t length) {
    nulls_.push_back(0);
    size_t at = bytes_.size();
    bytes_.resize(at + length);
    offsets_.push_back(bytes_.size());
    return bytes_.data() + at;
  }
  // Shrinks the last value appended with AppendUninitialized to `length` bytes.
  void ShrinkLast(size_t length) {
    size_t start = offsets_[offsets_.size() - 2];
    bytes_.resize(start + length);
    offsets_.back() = bytes_.size();
  }

  // Makes this column a copy of `other` (same storage), reusing this column's buffers.
  void CopyFrom(const ColumnVector& other) {
    nulls_.assign(other.nulls_.begin(), other.nulls_.end());
    fixed_.assign(other.fixed_.begin(), other.fixed_.end());
    offsets_.assign(other.offsets_.begin(), other.offsets_.end());
    bytes_.assign(other.bytes_.begin(), other.bytes_.end());
    long_ = other.long_;
  }

  // Exchanges contents with `other` (same storage): moves a column between batches for free.
  void Swap(ColumnVector& other) {
    nulls_.swap(other.nulls_);
    fixed_.swap(other.fixed_);
    offsets_.swap(other.offsets_);
    bytes_.swap(other.bytes_);
    long_.swap(other.long_);
  }

  void Clear() {
    nulls_.clear();
    fixed_.clear();
    bytes_.clear();
    offsets_.resize(1);
    long_.clear();
  }
  void Reserve(size_t rows) {
    nulls_.reserve(rows);
    if (variable_length()) {
      offsets_.reserve(rows + 1);
    } else {
      fixed_.reserve(rows);
    }
  }
  // Bytes of payload held, the measure batches are limited by.
  size_t ByteSize() const { return nulls_.size() + fixed_.size() * 8 + bytes_.size(); }
  size_t CapacityBytes() const {
    return nulls_.capacity() + fixed_.capacity() * 8 + bytes_.capacity() + offsets_.capacity() * 8;
  }

 private:
  Storage storage_;
  std::vector<uint8_t> nulls_;
  std::vector<int64_t> fixed_;
  std::vector<uint64_t> offsets_;
  std::vector<char> bytes_;
  struct LongEntry {
    size_t row;
    std::shared_ptr<const LongValue> value;
  };
  std::vector<LongEntry> long_;  // by row
};

class Batch {
 public:
  Batch() = default;
  explicit Batch(const std::vector<Storage>& storages) { Reset(storages); }

  // Gives the batch a new column layout; buffers are reused when the layout is unchanged.
  void Reset(const std::vector<Storage>& storages);
  void Clear();

  size_t num_columns() const { return columns_.size(); }
  size_t num_rows() const { return columns_.empty() ? wire_rows_ : columns_.front().size(); }

  // Rows in a destination's wire format: a pass-through batch holds only these (and no
  // columns); a writer's Prepare puts its encoding of the columns here.
  std::string& wire() { return wire_; }
  const std::string& wire() const { return wire_; }
  size_t wire_rows() const { return wire_rows_; }
  void set_wire_rows(size_t rows) { wire_rows_ = rows; }
  // Long values whose bytes belong in wire() (by increasing `at`).
  std::vector<WireSplice>& splices() { return splices_; }
  const std::vector<WireSplice>& splices() const { return splices_; }
  bool has_long() const;
  ColumnVector& column(size_t i) { return columns_[i]; }
  const ColumnVector& column(size_t i) const { return columns_[i]; }
  size_t ByteSize() const;

 private:
  std::vector<ColumnVector> columns_;
  std::string wire_;
  size_t wire_rows_ = 0;
  std::vector<WireSplice> splices_;
};

// A copy of `batch` in which every long value is held in memory like any other: for the paths
// that do not stream long values (they then need the value's size in memory, as before).
Batch WithLongValuesInMemory(const Batch& batch);

}  // namespace ferry
