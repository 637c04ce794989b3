// MariaDB's text forms, both ways, with no client library involved (so benchmarks and unit
// tests need no server): decoding the text protocol's values straight into batch storage, and
// encoding batches as LOAD DATA input. Each column's function is chosen once, from its storage.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "copier/batch.hpp"

namespace ferry::mariadb {

// Appends one non-NULL value, as the server's text protocol spells it, to a column of the
// storage it was chosen for; false when the text is not a value of that storage (a zero date,
// a boolean column holding 2, a TIME beyond 24 hours).
using DecodeFn = bool (*)(std::string_view text, ColumnVector& out);
DecodeFn DecoderFor(Storage storage);

// Appends whole rows, as mysql_fetch_row and mysql_fetch_lengths give them, to a batch whose
// columns have the storages given.
class TextRowDecoder {
 public:
  explicit TextRowDecoder(const std::vector<Storage>& storages);

  // Appends one row (values[c] null for NULL); returns -1, or the first column whose text is not
  // a value of its storage (that cell is appended as NULL, the rest of the row as usual).
  int Append(const char* const* values, const unsigned long* lengths, Batch& batch) const {
    int bad = -1;
    for (size_t c = 0; c < decoders_.size(); ++c) {
      ColumnVector& out = batch.column(c);
      if (!values[c]) {
        out.AppendNull();
      } else if (!decoders_[c](std::string_view(values[c], lengths[c]), out)) {
        out.AppendNull();
        if (bad < 0) bad = int(c);
      }
    }
    return bad;
  }

 private:
  std::vector<DecodeFn> decoders_;
};

// The LOAD DATA form ferry sends: fields end with TAB, rows with LF, '\' escapes (\N is NULL,
// \0 NUL, \t, \n, \\), no enclosing quotes. Dates, times and timestamps in ISO form, doubles as
// their shortest round-trip text, booleans as 0/1, UUIDs in their 36-character form.
// kLoadDataFormat is the clause that tells the server so (hex literals, so it reads the same
// whatever the session's NO_BACKSLASH_ESCAPES).
inline constexpr const char* kLoadDataFormat =
    "FIELDS TERMINATED BY X'09' ENCLOSED BY '' ESCAPED BY X'5C' LINES TERMINATED BY X'0A' "
    "STARTING BY ''";

// Appends `bytes` escaped as a LOAD DATA field of text or bytes (see kLoadDataFormat): how a long
// value goes into the stream a piece at a time.
void AppendLoadDataEscaped(std::string_view bytes, std::string& out);

class LoadDataEncoder {
 public:
  // `four_digit_years` marks YEAR columns (by position; empty means none): LOAD DATA reads
  // every field as a string, and a YEAR string of one or two digits is a year of the 2000s or
  // 1900s ('0' is 2000), so their values are sent zero-padded to four digits ('0000').
  explicit LoadDataEncoder(const std::vector<Storage>& storages,
                           const std::vector<bool>& four_digit_years = {});

  // Appends rows [begin, end) of `batch` (whose columns have the storages given) to `out`.
  void Encode(const Batch& batch, size_t begin, size_t end, std::string& out) const;

 private:
  using EncodeFn = char* (*)(const ColumnVector& column, size_t row, char* out);
  struct Column {
    EncodeFn encode;
    size_t fixed_bound;  // bytes a value can take, or 0 for escaped variable-length bytes
  };
  std::vector<Column> columns_;
};

}  // namespace ferry::mariadb
