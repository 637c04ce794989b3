// Long values kept out of memory: a reader writes a value longer than the long-value threshold
// (copier/batch.hpp) into an unlinked temporary file piece by piece, and writers read it back in
// pieces, so neither ever holds the whole value.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "copier/batch.hpp"

namespace ferry {

// How many bytes of a long value readers fetch and writers send at a time.
constexpr size_t kLongValuePiece = size_t(4) << 20;

// A temporary file in $TMPDIR (or /tmp), removed from the directory as it is made: the space
// comes back when the last batch holding the value lets it go, even if ferry is killed.
class SpillFile final : public LongValue {
 public:
  SpillFile();
  ~SpillFile() override;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  void Append(std::string_view data);
  size_t size() const override { return size_; }
  void Read(size_t offset, char* out, size_t length) const override;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  size_t size_ = 0;
};

// A long value's bytes in one piece of memory, for an API that takes nothing else (SQLite builds
// each record it inserts whole): a spill file is mapped read-only, so the bytes are the kernel's
// file pages (clean, dropped under memory pressure instead of swapped) and ferry makes no copy of
// its own; any other LongValue is read into a buffer. Valid while the view lives.
class WholeLongValue {
 public:
  explicit WholeLongValue(const LongValue& value);
  ~WholeLongValue();
  WholeLongValue(const WholeLongValue&) = delete;
  WholeLongValue& operator=(const WholeLongValue&) = delete;

  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  // from mmap, or null
  std::string copy_;
};

// Calls `piece` with the value's bytes in order, kLongValuePiece at a time.
void ForEachPiece(const LongValue& value, const std::function<void(std::string_view)>& piece);

}  // namespace ferry
