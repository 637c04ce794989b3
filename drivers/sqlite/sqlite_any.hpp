// How a value of a TypeKind::kAny column (a SQLite column copied into SQLite, see
// KeepValueTypes) travels in a batch: one byte naming its storage class, then an integer's or a
// real's 8 bytes (in this machine's order: the bytes never leave the process), or a text's or a
// blob's own bytes. Equal bytes are equal values of one class, so row hashes compare them exactly
// (text '1' and integer 1 differ).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "copier/batch.hpp"

namespace ferry::sqlite {

constexpr char kAnyInteger = 'i';
constexpr char kAnyReal = 'r';
constexpr char kAnyText = 't';
constexpr char kAnyBlob = 'b';

// Appends the integer or real `value` (8 bytes) of class `tag`.
inline void AppendAnyNumber(ColumnVector& out, char tag, const void* value) {
  char* p = out.AppendUninitialized(9);
  p[0] = tag;
  std::memcpy(p + 1, value, 8);
}

// Appends text or blob bytes of class `tag`.
inline void AppendAnyBytes(ColumnVector& out, char tag, const void* data, size_t size) {
  char* p = out.AppendUninitialized(size + 1);
  p[0] = tag;
  if (size > 0) std::memcpy(p + 1, data, size);
}

// Binds an encoded value (AppendAny*; a long one's bytes whole) to parameter `p`, as the class
// it was read as. The bytes must live until the statement has stepped (SQLITE_STATIC).
inline int BindAny(sqlite3_stmt* stmt, int p, std::string_view encoded) {
  if (encoded.empty()) return SQLITE_MISUSE;
  const char* data = encoded.data() + 1;
  const size_t size = encoded.size() - 1;
  switch (encoded[0]) {
    case kAnyInteger:
    case kAnyReal: {
      if (size != 8) return SQLITE_MISUSE;
      if (encoded[0] == kAnyReal) {
        double v;
        std::memcpy(&v, data, 8);
        return sqlite3_bind_double(stmt, p, v);
      }
      int64_t v;
      std::memcpy(&v, data, 8);
      return sqlite3_bind_int64(stmt, p, v);
    }
    case kAnyText:
      return sqlite3_bind_text64(stmt, p, size == 0 ? "" : data, size, SQLITE_STATIC, SQLITE_UTF8);
    case kAnyBlob:
      // A null pointer would bind NULL: an empty blob is bound from a non-null one.
      return sqlite3_bind_blob64(stmt, p, size == 0 ? "" : data, size, SQLITE_STATIC);
  }
  return SQLITE_MISUSE;
}

// The class of a long encoded value (its first byte).
inline char AnyClass(const LongValue& value) {
  char tag = 0;
  if (value.size() > 0) value.Read(0, &tag, 1);
  return tag;
}

// A long encoded value without its class byte: what blob I/O writes.
class AnyPayload final : public LongValue {
 public:
  explicit AnyPayload(const LongValue& value) : value_(value) {}
  size_t size() const override { return value_.size() - 1; }
  void Read(size_t offset, char* out, size_t length) const override {
    value_.Read(offset + 1, out, length);
  }

 private:
  const LongValue& value_;
};

}  // namespace ferry::sqlite
