#include "drivers/postgres/binary_copy.hpp"

#include <charconv>

#include "copier/values.hpp"

// COPY's text format, for tables with a type ferry does not encode in binary.
namespace ferry::pg {

void EncodeTextRows(const Batch& batch, const std::vector<bool>& with_zone, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  const size_t rows = batch.num_rows();
  const size_t columns = batch.num_columns();
  out.reserve(out.size() + batch.ByteSize() + rows * columns * 4);
  char buffer[64];
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) out += '\t';
      const ColumnVector& in = batch.column(c);
      if (in.IsNull(r)) {
        out += "\\N";
        continue;
      }
      switch (in.storage()) {
        case Storage::kBool:
          out += in.Int(r) ? 't' : 'f';
          break;
        case Storage::kInt64: {
          auto end = std::to_chars(buffer, buffer + sizeof buffer, in.Int(r)).ptr;
          out.append(buffer, end);
          break;
        }
        case Storage::kUInt64: {
          auto end = std::to_chars(buffer, buffer + sizeof buffer, in.UInt(r)).ptr;
          out.append(buffer, end);
          break;
        }
        case Storage::kFloat64:
          // Shortest round-trip digits; NaN, Infinity and -Infinity as float8in spells them.
          out += FormatDouble(in.Float(r));
          break;
        case Storage::kDecimal:
          out += in.Bytes(r);
          break;
        case Storage::kText: {
          // Only the backslash, the delimiter and line ends need escapes in text format.
          for (char ch : in.Bytes(r)) {
            switch (ch) {
              case '\\':
                out += "\\\\";
                break;
              case '\n':
                out += "\\n";
                break;
              case '\r':
                out += "\\r";
                break;
              case '\t':
                out += "\\t";
                break;
              default:
                out += ch;
            }
          }
          break;
        }
        case Storage::kBytes:
          // bytea's hex input "\x..." with its backslash escaped for COPY.
          out += "\\\\x";
          for (unsigned char b : in.Bytes(r)) {
            out += kHex[b >> 4];
            out += kHex[b & 15];
          }
          break;
        case Storage::kDate:
          out.append(buffer, FormatDateTo(int32_t(in.Int(r)), buffer));
          break;
        case Storage::kTime:
          out.append(buffer, FormatTimeTo(in.Int(r), buffer));
          break;
        case Storage::kTimestamp:
          out.append(buffer, FormatTimestampTo(in.Int(r), buffer));
          if (with_zone[c]) out += "+00";
          break;
        case Storage::kUuid:
          out.append(
              buffer,
              FormatUuidTo(reinterpret_cast<const unsigned char*>(in.Bytes(r).data()), buffer));
          break;
      }
    }
    out += '\n';
  }
}

}  // namespace ferry::pg
