// The canonical form of values for `ferry verify`, and the hashes built on it. Both ends of a
// copy are read into batches in their own storage (a PostgreSQL numeric(20,0) arrives as decimal
// text, the MariaDB bigint unsigned it came from as a uint64), so values are not compared as
// stored: each column gets one canonical form, chosen from both ends' types, under which the
// values ferry considers equal are byte-for-byte equal. README.md ("Verifying a copy") documents
// the forms; tests/unit/row_hash_test.cpp pins them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"

namespace ferry {

enum class CanonicalForm : uint8_t {
  kNumber,      // exact numbers by value: decimal text, no trailing fractional zeros, no -0
  kFloat,       // IEEE-754 bits; every NaN is one NaN, -0 stays distinct from 0
  kText,        // UTF-8 bytes as stored
  kPaddedText,  // CHAR(n): trailing blanks are padding, not data (MariaDB strips them)
  kJson,        // jsonb on either end: parsed and re-serialised, object keys sorted
  kBytes,       // bytes as stored
  kDate,        // days since 1970-01-01
  kTime,        // microseconds since midnight
  kTimestamp,   // microseconds since 1970-01-01 (UTC for timestamps with time zone)
  kUuid,        // 16 bytes
  kSpatial,     // geometries where one end holds MariaDB's form: both as EWKB (copier/spatial)
  kFormatted,   // types of different families: ferry's canonical text of the value
};
const char* CanonicalFormName(CanonicalForm form);

// The form under which a column of `source` type and the column of `destination` type it was
// copied into are compared.
CanonicalForm CanonicalFormFor(const ColumnType& source, const ColumnType& destination);

// Appends the canonical bytes of one value: a NULL marker byte, or a presence byte, a 4-byte
// length and the value's bytes. NULL and the empty string therefore differ, and no two rows of
// different values concatenate to the same bytes.
void AppendCanonical(const ColumnVector& column, size_t row, CanonicalForm form, std::string& out);

// Hashes the rows of batches whose columns follow one table's column order (the plan's).
class RowHasher {
 public:
  explicit RowHasher(std::vector<CanonicalForm> forms) : forms_(std::move(forms)) {}

  size_t num_columns() const { return forms_.size(); }
  const std::vector<CanonicalForm>& forms() const { return forms_; }

  // xxHash64 of the canonical bytes of every column of `row`, in column order. `scratch` is a
  // caller-owned buffer, so hashing allocates nothing per row. When `column_hashes` is given
  // it receives one xxHash64 per column (num_columns() values), to name differing columns.
  uint64_t Hash(const Batch& batch, size_t row, std::string& scratch,
                uint64_t* column_hashes = nullptr) const;
  // The canonical bytes of the columns at `positions`: a row's key, equal on both ends for
  // the same key whatever each engine stores it as.
  void Key(const Batch& batch, size_t row, const std::vector<int>& positions,
           std::string& out) const;

 private:
  uint64_t HashLong(const Batch& batch, size_t row, std::string& scratch,
                    uint64_t* column_hashes) const;
  std::vector<CanonicalForm> forms_;
};

// What a range of rows adds up to: its row count and the sum of its row hashes modulo 2^64.
// The sum does not depend on the order rows arrive in, yet a row counted twice or a row
// missing changes it.
struct RangeDigest {
  int64_t rows = 0;
  uint64_t sum = 0;

  void Add(uint64_t row_hash) {
    ++rows;
    sum += row_hash;
  }
  void Merge(const RangeDigest& other) {
    rows += other.rows;
    sum += other.sum;
  }
  bool operator==(const RangeDigest&) const = default;
};

// Rows [begin, end) of `batch` added to a digest. The caller splits batches across threads.
RangeDigest DigestRows(const RowHasher& hasher, const Batch& batch, size_t begin, size_t end);

}  // namespace ferry
