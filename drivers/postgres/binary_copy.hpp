// PostgreSQL's COPY formats without the connection: binary tuples decoded straight into a
// Batch's column storage and encoded back from it, numeric's base-10000 form, and the text
// format for tables with a column whose binary form ferry does not produce. Pure CPU work, so
// writers run it on worker threads (RowWriter::Prepare) and unit tests need no server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "copier/batch.hpp"
#include "copier/types.hpp"

namespace ferry::pg {

// How one column's values are spelled in binary COPY (each is its type's send/recv format).
enum class BinaryForm : uint8_t {
  kBool,
  kInt2,
  kInt4,
  kOid,  // unsigned 32-bit (oid, xid)
  kInt8,
  kNumeric,
  kFloat4,
  kFloat8,
  kBytes,  // text, varchar, bpchar, name, citext, bytea, json, and columns selected ::text
  kJsonb,  // version byte 1, then the text
  kDate,
  kTime,
  kTimestamp,  // timestamp and timestamptz
  kUuid,
};

// The binary form of a column of `type`; nullopt where ferry does not decode and encode it
// (enums and domains over text, which ferry cannot tell apart from the catalog's type text;
// intervals, arrays and anything else kUnsupported). Readers select those `::text`; writers
// copy such a table in text format.
std::optional<BinaryForm> BinaryFormOf(const ColumnType& type);

// The 19-byte header (signature, no flags, no extension) and the trailer (field count -1).
inline constexpr std::string_view kHeader{"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19};
inline constexpr std::string_view kTrailer{"\377\377", 2};

// Microseconds and days between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
inline constexpr int64_t kEpochDays = 10957;
inline constexpr int64_t kEpochMicros = kEpochDays * 86'400'000'000;

// Length of the header at the front of `data`, or 0 when more bytes are needed. Throws
// Error(kDriver) on a bad signature or a critical flag ferry does not know (OIDs).
size_t ParseHeader(std::string_view data);

// Length of the tuple (or trailer) at the front of `data`, or 0 when it is incomplete;
// *fields is its field count, or -1 for the trailer. Throws Error(kDriver) when malformed.
size_t FrameTuple(std::string_view data, int* fields);

struct DecodeFailure {
  size_t column = 0;
  const char* reason = nullptr;
};

// Decodes complete framed tuples into a batch whose columns have StorageOf(type) storage.
class TupleDecoder {
 public:
  explicit TupleDecoder(std::vector<BinaryForm> forms) : forms_(std::move(forms)) {}
  size_t columns() const { return forms_.size(); }
  // Appends one row. A value that cannot be decoded (NaN numeric, infinite timestamp) is
  // appended as NULL, the rest of the row is still decoded (so its key can name it), and
  // false is returned with the first failure.
  bool Decode(const char* tuple, Batch& batch, DecodeFailure* failure) const;

 private:
  std::vector<BinaryForm> forms_;
};

// Decodes only the fields at `positions` (field indices) of each whole tuple in `tuples` into
// `keys`, whose column i has StorageOf the type behind forms[i]: the keys of pass-through
// rows, to name one the server refuses. A value that cannot be decoded becomes NULL. Returns
// the number of tuples.
size_t DecodeFields(std::string_view tuples, const std::vector<int>& positions,
                    const std::vector<BinaryForm>& forms, Batch& keys);

enum class NumericStatus { kOk, kNaN, kInfinity, kNegativeInfinity, kMalformed };
// Decodes a numeric field into canonical decimal text (exactly dscale fraction digits, as
// PostgreSQL prints it), appended to `out`.
NumericStatus DecodeNumeric(std::string_view field, std::string& out);
// Appends the numeric field payload (no length word) for decimal text `text`; false when it is
// not a finite decimal PostgreSQL can hold. The scale is the number of fraction digits given.
bool EncodeNumeric(std::string_view text, std::string& out);

struct EncodeFailure {
  size_t row = 0;
  size_t column = 0;
  std::string reason;
};

// Appends the batch's rows as binary tuples (no header or trailer). Column i of the batch has
// StorageOf(destination type) storage and is encoded as forms[i]. False on a value that cannot
// be encoded (malformed decimal text, a date beyond PostgreSQL's range). A long value
// (copier/batch.hpp) gets its length word in `out` and a splice in `splices` where its bytes go.
bool EncodeBinaryRows(const Batch& batch, const std::vector<BinaryForm>& forms, std::string& out,
                      EncodeFailure* failure, std::vector<WireSplice>* splices = nullptr);

// Appends the batch's rows in COPY text format (tab-separated, \N for NULL, backslash escapes).
// with_zone[i] marks timestamptz columns, written with an explicit +00.
void EncodeTextRows(const Batch& batch, const std::vector<bool>& with_zone, std::string& out);

}  // namespace ferry::pg
