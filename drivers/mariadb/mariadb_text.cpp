#include "drivers/mariadb/mariadb_text.hpp"

#include <array>
#include <charconv>
#include <cstring>

#include "copier/values.hpp"

namespace ferry::mariadb {

namespace {

bool DecodeBool(std::string_view text, ColumnVector& out) {
  // tinyint(1) holds any tinyint; only 0 and 1 are booleans.
  if (text.size() != 1 || (text[0] != '0' && text[0] != '1')) return false;
  out.AppendInt(text[0] - '0');
  return true;
}

bool DecodeInt64(std::string_view text, ColumnVector& out) {
  int64_t v;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out.AppendInt(v);
  return true;
}

bool DecodeUInt64(std::string_view text, ColumnVector& out) {
  uint64_t v;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out.AppendUInt(v);
  return true;
}

bool DecodeFloat64(std::string_view text, ColumnVector& out) {
  // The server prints doubles as their shortest round-trip text (FLOAT is selected as DOUBLE).
  double v;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out.AppendFloat(v);
  return true;
}

// The server prints decimals as [-]digits[.digits] with one leading zero at most: ferry's
// canonical form, except for a negative zero, which CanonicalDecimal rewrites.
bool IsCanonicalDecimal(std::string_view t) {
  size_t i = t.size() > 0 && t[0] == '-' ? 1 : 0;
  const size_t start = i;
  bool nonzero = false;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') nonzero |= t[i++] != '0';
  const size_t integer_digits = i - start;
  if (integer_digits == 0 || (integer_digits > 1 && t[start] == '0')) return false;
  if (i < t.size()) {
    if (t[i++] != '.' || i == t.size()) return false;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') nonzero |= t[i++] != '0';
    if (i != t.size()) return false;
  }
  return nonzero || start == 0;
}

bool DecodeDecimal(std::string_view text, ColumnVector& out) {
  if (IsCanonicalDecimal(text)) {
    out.AppendBytes(text);
    return true;
  }
  std::optional<std::string> canonical = CanonicalDecimal(text);
  if (!canonical) return false;
  out.AppendBytes(*canonical);
  return true;
}

bool DecodeBytes(std::string_view text, ColumnVector& out) {
  out.AppendBytes(text);
  return true;
}

bool DecodeDate(std::string_view text, ColumnVector& out) {
  std::optional<int32_t> days = ParseDate(text);
  if (!days) days = ParseZeroDate(text);  // kept for a MariaDB destination, refused elsewhere
  if (!days) return false;
  out.AppendInt(*days);
  return true;
}

bool DecodeTime(std::string_view text, ColumnVector& out) {
  std::optional<int64_t> micros = ParseDuration(text);  // -838:59:59 to 838:59:59
  if (!micros) return false;
  out.AppendInt(*micros);
  return true;
}

bool DecodeTimestamp(std::string_view text, ColumnVector& out) {
  std::optional<int64_t> micros = ParseTimestamp(text);
  if (!micros && text.size() > 11 && text[10] == ' ') {
    // A zero date's day at the time of day the rest gives (a time of day always parses on a
    // real date, so the date is what failed).
    const std::optional<int32_t> days = ParseZeroDate(text.substr(0, 10));
    const std::optional<int64_t> clock =
        ParseTimestamp("2000-01-01" + std::string(text.substr(10)));
    if (days && clock) {
      micros = int64_t(*days) * kMicrosPerDay +
               (*clock - int64_t(DaysFromCivil({2000, 1, 1})) * kMicrosPerDay);
    }
  }
  if (!micros) return false;
  out.AppendInt(*micros);
  return true;
}

bool DecodeUuid(std::string_view text, ColumnVector& out) {
  unsigned char bytes[16];
  if (!ParseUuid(text, bytes)) return false;
  out.AppendBytes(std::string_view(reinterpret_cast<const char*>(bytes), 16));
  return true;
}

// Escapes for LOAD DATA: the escape character itself, the field and line terminators, and NUL
// (which the server would read back, but \0 keeps the stream plain text).
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> table{};
  table['\\'] = '\\';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\0'] = '0';
  return table;
}();
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> table{};
  table['\\'] = table['\t'] = table['\n'] = table['\0'] = true;
  return table;
}();

char* EncodeBool(const ColumnVector& c, size_t row, char* out) {
  *out = c.Int(row) ? '1' : '0';
  return out + 1;
}

char* EncodeInt64(const ColumnVector& c, size_t row, char* out) {
  return std::to_chars(out, out + 20, c.Int(row)).ptr;
}

char* EncodeYear(const ColumnVector& c, size_t row, char* out) {
  int64_t v = c.Int(row);
  if (v < 0 || v > 9999) return EncodeInt64(c, row, out);  // the server refuses it either way
  for (int i = 3; i >= 0; --i, v /= 10) out[i] = char('0' + v % 10);
  return out + 4;
}

char* EncodeUInt64(const ColumnVector& c, size_t row, char* out) {
  return std::to_chars(out, out + 20, c.UInt(row)).ptr;
}

char* EncodeFloat64(const ColumnVector& c, size_t row, char* out) {
  // Finite by now: the converter refuses NaN and infinities for MariaDB.
  return std::to_chars(out, out + 32, c.Float(row)).ptr;
}

char* EncodeDate(const ColumnVector& c, size_t row, char* out) {
  return out + FormatDateTo(int32_t(c.Int(row)), out);
}

char* EncodeTime(const ColumnVector& c, size_t row, char* out) {
  return out + FormatTimeTo(c.Int(row), out);
}

char* EncodeTimestamp(const ColumnVector& c, size_t row, char* out) {
  return out + FormatTimestampTo(c.Int(row), out);
}

char* EncodeUuid(const ColumnVector& c, size_t row, char* out) {
  return out + FormatUuidTo(reinterpret_cast<const unsigned char*>(c.Bytes(row).data()), out);
}

char* EscapeTo(std::string_view v, char* out) {
  const char* s = v.data();
  const char* const end = s + v.size();
  while (s < end) {
    const char* q = s;
    while (q < end && !kSpecial[static_cast<unsigned char>(*q)]) ++q;
    std::memcpy(out, s, size_t(q - s));
    out += q - s;
    if (q == end) break;
    *out++ = '\\';
    *out++ = kEscapes[static_cast<unsigned char>(*q)];
    s = q + 1;
  }
  return out;
}

char* EncodeEscaped(const ColumnVector& c, size_t row, char* out) {
  return EscapeTo(c.Bytes(row), out);
}

char* EncodeVerbatim(const ColumnVector& c, size_t row, char* out) {
  std::string_view v = c.Bytes(row);  // canonical decimals: digits, '-' and '.'
  std::memcpy(out, v.data(), v.size());
  return out + v.size();
}

}  // namespace

void AppendLoadDataEscaped(std::string_view bytes, std::string& out) {
  const size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  out.resize(size_t(EscapeTo(bytes, out.data() + at) - out.data()));
}

DecodeFn DecoderFor(Storage storage) {
  switch (storage) {
    case Storage::kBool:
      return DecodeBool;
    case Storage::kInt64:
      return DecodeInt64;
    case Storage::kUInt64:
      return DecodeUInt64;
    case Storage::kFloat64:
      return DecodeFloat64;
    case Storage::kDecimal:
      return DecodeDecimal;
    case Storage::kText:
    case Storage::kBytes:
      return DecodeBytes;
    case Storage::kDate:
      return DecodeDate;
    case Storage::kTime:
      return DecodeTime;
    case Storage::kTimestamp:
      return DecodeTimestamp;
    case Storage::kUuid:
      return DecodeUuid;
  }
  return DecodeBytes;
}

TextRowDecoder::TextRowDecoder(const std::vector<Storage>& storages) {
  for (Storage s : storages) decoders_.push_back(DecoderFor(s));
}

LoadDataEncoder::LoadDataEncoder(const std::vector<Storage>& storages,
                                 const std::vector<bool>& four_digit_years) {
  for (size_t i = 0; i < storages.size(); ++i) {
    if (i < four_digit_years.size() && four_digit_years[i] && storages[i] == Storage::kInt64) {
      columns_.push_back({EncodeYear, 20});
      continue;
    }
    switch (storages[i]) {
      case Storage::kBool:
        columns_.push_back({EncodeBool, 1});
        break;
      case Storage::kInt64:
        columns_.push_back({EncodeInt64, 20});
        break;
      case Storage::kUInt64:
        columns_.push_back({EncodeUInt64, 20});
        break;
      case Storage::kFloat64:
        columns_.push_back({EncodeFloat64, 32});
        break;
      case Storage::kDecimal:
        columns_.push_back({EncodeVerbatim, 0});
        break;
      case Storage::kText:
      case Storage::kBytes:
        columns_.push_back({EncodeEscaped, 0});
        break;
      case Storage::kDate:
        columns_.push_back({EncodeDate, 10});
        break;
      case Storage::kTime:
        columns_.push_back({EncodeTime, 17});
        break;
      case Storage::kTimestamp:
        columns_.push_back({EncodeTimestamp, 26});
        break;
      case Storage::kUuid:
        columns_.push_back({EncodeUuid, 36});
        break;
    }
  }
}

void LoadDataEncoder::Encode(const Batch& batch, size_t begin, size_t end, std::string& out) const {
  // Grow the buffer by whole estimates, never per value: resize() zero-fills, so the estimate
  // is the payload plus a little, and a value that might not fit triggers one more doubling.
  size_t at = out.size();
  size_t estimate = 64;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const ColumnVector& c = batch.column(i);
    estimate += (end - begin) * (columns_[i].fixed_bound + 3);
    if (columns_[i].fixed_bound == 0 && end > begin) {
      const std::string_view first = c.Bytes(begin), last = c.Bytes(end - 1);
      estimate += size_t(last.data() + last.size() - first.data()) * 9 / 8;
    }
  }
  out.resize(at + estimate);
  char* p = out.data() + at;
  char* limit = out.data() + out.size();
  for (size_t row = begin; row < end; ++row) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      const ColumnVector& c = batch.column(i);
      const Column& column = columns_[i];
      // Room for the value at its worst (every byte escaped) and its separator.
      size_t need = column.fixed_bound ? column.fixed_bound + 3 : c.Bytes(row).size() * 2 + 3;
      if (size_t(limit - p) < need) {
        size_t used = size_t(p - out.data());
        out.resize(std::max(out.size() * 2, used + need));
        p = out.data() + used;
        limit = out.data() + out.size();
      }
      if (c.IsNull(row)) {
        *p++ = '\\';
        *p++ = 'N';
      } else {
        p = column.encode(c, row, p);
      }
      *p++ = '\t';
    }
    p[-1] = '\n';
  }
  out.resize(size_t(p - out.data()));
}

}  // namespace ferry::mariadb
