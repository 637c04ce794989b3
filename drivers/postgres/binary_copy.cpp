#include "drivers/postgres/binary_copy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/values.hpp"

namespace ferry::pg {

namespace {

// Network byte order, read and written through memcpy (fields are unaligned).
inline uint16_t Load16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline char* Store16(char* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
  return p + 2;
}
inline char* Store32(char* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
  return p + 4;
}
inline char* Store64(char* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
  return p + 8;
}

// numeric's sign word and limits (src/include/utils/numeric.h, numeric.c).
constexpr uint16_t kNumericPositive = 0x0000;
constexpr uint16_t kNumericNegative = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPlusInfinity = 0xD000;
constexpr uint16_t kNumericMinusInfinity = 0xF000;
constexpr int kNumericMaxDscale = 0x3FFF;
constexpr int kNumericMaxIntegerDigits = 131072;

// "00".."99", so four decimal digits take two lookups.
constexpr auto kTwoDigits = [] {
  std::array<char, 200> table{};
  for (int i = 0; i < 100; ++i) {
    table[size_t(2 * i)] = char('0' + i / 10);
    table[size_t(2 * i + 1)] = char('0' + i % 10);
  }
  return table;
}();

inline void FourDigits(int d, char* out) {
  std::memcpy(out, kTwoDigits.data() + 2 * (d / 100), 2);
  std::memcpy(out + 2, kTwoDigits.data() + 2 * (d % 100), 2);
}

struct Numeric {
  int ndigits = 0;
  int weight = 0;
  uint16_t sign = 0;
  int dscale = 0;
  const char* digits = nullptr;  // ndigits big-endian int16 base-10000 digits
  bool nonzero = false;

  int Digit(int i) const { return i >= 0 && i < ndigits ? int(Load16(digits + 2 * i)) : 0; }
  size_t TextBound() const { return 3 + size_t(std::max(weight + 1, 1)) * 4 + size_t(dscale); }
};

NumericStatus ReadNumeric(const char* p, size_t length, Numeric* n) {
  if (length < 8) return NumericStatus::kMalformed;
  n->ndigits = int16_t(Load16(p));
  n->weight = int16_t(Load16(p + 2));
  n->sign = Load16(p + 4);
  n->dscale = Load16(p + 6);
  n->digits = p + 8;
  if (n->sign == kNumericNaN) return NumericStatus::kNaN;
  if (n->sign == kNumericPlusInfinity) return NumericStatus::kInfinity;
  if (n->sign == kNumericMinusInfinity) return NumericStatus::kNegativeInfinity;
  if ((n->sign != kNumericPositive && n->sign != kNumericNegative) || n->ndigits < 0 ||
      length != 8 + 2 * size_t(n->ndigits) || n->dscale > kNumericMaxDscale) {
    return NumericStatus::kMalformed;
  }
  for (int i = 0; i < n->ndigits; ++i) {
    int d = n->Digit(i);
    if (d >= 10000) return NumericStatus::kMalformed;
    n->nonzero = n->nonzero || d != 0;
  }
  return NumericStatus::kOk;
}

// Writes numeric_out's text (exactly dscale fraction digits); returns its length.
size_t WriteNumericText(const Numeric& n, char* out) {
  char* o = out;
  if (n.sign == kNumericNegative && n.nonzero) *o++ = '-';
  bool started = false;
  for (int i = 0; i <= n.weight; ++i) {
    int d = n.Digit(i);
    if (started) {
      FourDigits(d, o);
      o += 4;
    } else if (d != 0) {
      char four[4];
      FourDigits(d, four);
      int skip = d >= 1000 ? 0 : d >= 100 ? 1 : d >= 10 ? 2 : 3;
      std::memcpy(o, four + skip, size_t(4 - skip));
      o += 4 - skip;
      started = true;
    }
  }
  if (!started) *o++ = '0';
  if (n.dscale > 0) {
    *o++ = '.';
    int left = n.dscale;
    for (int g = n.weight + 1; left > 0; ++g) {
      char four[4];
      FourDigits(n.Digit(g), four);
      int take = std::min(left, 4);
      std::memcpy(o, four, size_t(take));
      o += take;
      left -= take;
    }
  }
  return size_t(o - out);
}

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Writes the numeric payload for canonical decimal text; returns its length, or 0 when the
// text is not [-]digits[.digits] within numeric's limits. Needs text.size() + 16 bytes.
size_t WriteNumeric(std::string_view text, char* out) {
  const char* p = text.data();
  const char* end = p + text.size();
  bool negative = false;
  if (p < end && *p == '-') {
    negative = true;
    ++p;
  }
  const char* int_begin = p;
  while (p < end && IsDigit(*p)) ++p;
  const char* int_end = p;
  const char* frac_begin = p;
  const char* frac_end = p;
  if (p < end && *p == '.') {
    frac_begin = ++p;
    while (p < end && IsDigit(*p)) ++p;
    frac_end = p;
  }
  if (p != end || (int_begin == int_end && frac_begin == frac_end)) return 0;
  while (int_begin < int_end && *int_begin == '0') ++int_begin;
  const int int_len = int(int_end - int_begin);
  const int frac_len = int(frac_end - frac_begin);
  if (int_len > kNumericMaxIntegerDigits || frac_len > kNumericMaxDscale) return 0;

  char* digits = out + 8;
  int count = 0;        // groups written
  int last = -1;        // index of the last non-zero group written
  int weight = -1;      // weight of the first group written
  bool leading = true;  // still skipping zero groups before the first non-zero one
  auto put = [&](int group, int group_weight) {
    if (leading) {
      if (group == 0) return;
      leading = false;
      weight = group_weight;
    }
    Store16(digits + 2 * count, uint16_t(group));
    if (group != 0) last = count;
    ++count;
  };
  // Integer groups are aligned on the point, so the first one may be short.
  const int int_groups = (int_len + 3) / 4;
  const char* q = int_begin;
  for (int g = 0; g < int_groups; ++g) {
    int width = g == 0 ? int_len - 4 * (int_groups - 1) : 4;
    int group = 0;
    for (int k = 0; k < width; ++k) group = group * 10 + (*q++ - '0');
    put(group, int_groups - 1 - g);
  }
  const int frac_groups = (frac_len + 3) / 4;
  q = frac_begin;
  for (int g = 0; g < frac_groups; ++g) {
    int group = 0;
    for (int k = 0; k < 4; ++k) group = group * 10 + (q < frac_end ? *q++ - '0' : 0);
    put(group, -1 - g);
  }
  const int ndigits = last + 1;  // trailing zero groups are dropped, as PostgreSQL does
  if (ndigits == 0) {
    weight = 0;
    negative = false;
  }
  Store16(out, uint16_t(ndigits));
  Store16(out + 2, uint16_t(int16_t(weight)));
  Store16(out + 4, negative ? kNumericNegative : kNumericPositive);
  Store16(out + 6, uint16_t(frac_len));
  return 8 + 2 * size_t(ndigits);
}

const char* const kBadLength = "the server sent a value of an unexpected binary length";

// Decodes one non-NULL field into `out`; returns why it cannot, or nullptr.
inline const char* DecodeField(BinaryForm form, const char* p, size_t length, ColumnVector& out) {
  switch (form) {
    case BinaryForm::kBool:
      if (length != 1) return kBadLength;
      out.AppendInt(*p != 0);
      return nullptr;
    case BinaryForm::kInt2:
      if (length != 2) return kBadLength;
      out.AppendInt(int16_t(Load16(p)));
      return nullptr;
    case BinaryForm::kInt4:
      if (length != 4) return kBadLength;
      out.AppendInt(int32_t(Load32(p)));
      return nullptr;
    case BinaryForm::kOid:
      if (length != 4) return kBadLength;
      out.AppendInt(int64_t(Load32(p)));
      return nullptr;
    case BinaryForm::kInt8:
      if (length != 8) return kBadLength;
      out.AppendInt(int64_t(Load64(p)));
      return nullptr;
    case BinaryForm::kNumeric: {
      Numeric n;
      switch (ReadNumeric(p, length, &n)) {
        case NumericStatus::kOk:
          break;
        case NumericStatus::kNaN:
          return "numeric NaN is not a decimal number (only a PostgreSQL-to-PostgreSQL "
                 "pass-through copy keeps it)";
        case NumericStatus::kInfinity:
        case NumericStatus::kNegativeInfinity:
          return "numeric Infinity is not a decimal number (only a PostgreSQL-to-PostgreSQL "
                 "pass-through copy keeps it)";
        case NumericStatus::kMalformed:
          return "the server sent a malformed binary numeric";
      }
      char* text = out.AppendUninitialized(n.TextBound());
      out.ShrinkLast(WriteNumericText(n, text));
      return nullptr;
    }
    case BinaryForm::kFloat4:
      if (length != 4) return kBadLength;
      out.AppendFloat(double(std::bit_cast<float>(Load32(p))));
      return nullptr;
    case BinaryForm::kFloat8:
      if (length != 8) return kBadLength;
      out.AppendFloat(std::bit_cast<double>(Load64(p)));
      return nullptr;
    case BinaryForm::kBytes:
      out.AppendBytes(std::string_view(p, length));
      return nullptr;
    case BinaryForm::kJsonb:
      if (length < 1 || p[0] != 1) return "jsonb arrived in a binary version ferry does not know";
      out.AppendBytes(std::string_view(p + 1, length - 1));
      return nullptr;
    case BinaryForm::kDate: {
      if (length != 4) return kBadLength;
      int32_t days = int32_t(Load32(p));
      if (days == std::numeric_limits<int32_t>::max())
        return "date 'infinity' has no calendar date";
      if (days == std::numeric_limits<int32_t>::min()) {
        return "date '-infinity' has no calendar date";
      }
      out.AppendInt(int64_t(days) + kEpochDays);
      return nullptr;
    }
    case BinaryForm::kTime:
      if (length != 8) return kBadLength;
      out.AppendInt(int64_t(Load64(p)));
      return nullptr;
    case BinaryForm::kTimestamp: {
      if (length != 8) return kBadLength;
      int64_t micros = int64_t(Load64(p));
      if (micros == std::numeric_limits<int64_t>::max()) {
        return "timestamp 'infinity' has no calendar time";
      }
      if (micros == std::numeric_limits<int64_t>::min()) {
        return "timestamp '-infinity' has no calendar time";
      }
      int64_t unix_micros;
      if (__builtin_add_overflow(micros, kEpochMicros, &unix_micros)) {
        return "timestamp is beyond the range ferry holds";
      }
      out.AppendInt(unix_micros);
      return nullptr;
    }
    case BinaryForm::kUuid:
      if (length != 16) return kBadLength;
      out.AppendBytes(std::string_view(p, 16));
      return nullptr;
  }
  return "unknown binary form";
}

bool Accepts(BinaryForm form, Storage storage) {
  switch (form) {
    case BinaryForm::kBool:
    case BinaryForm::kInt2:
    case BinaryForm::kInt4:
    case BinaryForm::kOid:
    case BinaryForm::kInt8:
      return storage == Storage::kBool || storage == Storage::kInt64 || storage == Storage::kUInt64;
    case BinaryForm::kNumeric:
      return storage == Storage::kDecimal;
    case BinaryForm::kFloat4:
    case BinaryForm::kFloat8:
      return storage == Storage::kFloat64;
    case BinaryForm::kBytes:
    case BinaryForm::kJsonb:
      return storage == Storage::kText || storage == Storage::kBytes ||
             storage == Storage::kDecimal;
    case BinaryForm::kDate:
      return storage == Storage::kDate;
    case BinaryForm::kTime:
      return storage == Storage::kTime;
    case BinaryForm::kTimestamp:
      return storage == Storage::kTimestamp;
    case BinaryForm::kUuid:
      return storage == Storage::kUuid;
  }
  return false;
}

// Bytes a non-NULL value takes at most, without its length word.
inline size_t ValueBound(BinaryForm form, const ColumnVector& c, size_t row) {
  switch (form) {
    case BinaryForm::kBytes:
      return c.Bytes(row).size();
    case BinaryForm::kJsonb:
      return c.Bytes(row).size() + 1;
    case BinaryForm::kNumeric:
      return c.Bytes(row).size() + 16;
    default:
      return 0;
  }
}

inline bool VariableBound(BinaryForm form) {
  return form == BinaryForm::kBytes || form == BinaryForm::kJsonb || form == BinaryForm::kNumeric;
}

// Bytes of a fixed-width form's value.
inline size_t FixedSize(BinaryForm form) {
  switch (form) {
    case BinaryForm::kBool:
      return 1;
    case BinaryForm::kInt2:
      return 2;
    case BinaryForm::kInt4:
    case BinaryForm::kOid:
    case BinaryForm::kFloat4:
    case BinaryForm::kDate:
      return 4;
    case BinaryForm::kUuid:
      return 16;
    default:
      return 8;
  }
}

}  // namespace

std::optional<BinaryForm> BinaryFormOf(const ColumnType& type) {
  auto plain_text = [](const std::string& n) {
    return n == "text" || n.rfind("character varying", 0) == 0 || n.rfind("character(", 0) == 0 ||
           n == "character" || n == "bpchar" || n == "name" || n == "citext" ||
           (n.size() > 7 && n.compare(n.size() - 7, 7, ".citext") == 0);
  };
  switch (type.kind) {
    case TypeKind::kBoolean:
      return BinaryForm::kBool;
    case TypeKind::kInteger:
      if (type.width_bits == 16 && !type.is_unsigned) return BinaryForm::kInt2;
      if (type.width_bits == 32) return type.is_unsigned ? BinaryForm::kOid : BinaryForm::kInt4;
      if (type.width_bits == 64 && !type.is_unsigned) return BinaryForm::kInt8;
      return std::nullopt;
    case TypeKind::kDecimal:
      return BinaryForm::kNumeric;
    case TypeKind::kReal:
      return BinaryForm::kFloat4;
    case TypeKind::kDouble:
      return BinaryForm::kFloat8;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
      if (plain_text(type.native)) return BinaryForm::kBytes;
      return std::nullopt;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return BinaryForm::kBytes;
    case TypeKind::kDate:
      return BinaryForm::kDate;
    case TypeKind::kTime:
      return BinaryForm::kTime;
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return BinaryForm::kTimestamp;
    case TypeKind::kUuid:
      return BinaryForm::kUuid;
    case TypeKind::kJson:
      return type.binary_json ? BinaryForm::kJsonb : BinaryForm::kBytes;
    case TypeKind::kUnsupported:
      return std::nullopt;
  }
  return std::nullopt;
}

size_t ParseHeader(std::string_view data) {
  if (data.size() < 19) return 0;
  if (data.substr(0, 11) != kHeader.substr(0, 11)) {
    throw Error(ErrorCode::kDriver, "the server's binary COPY stream has no PGCOPY signature");
  }
  uint32_t flags = Load32(data.data() + 11);
  // Bit 16 says tuples carry OIDs; bits 0-15 are reserved and critical; 17-31 may be ignored.
  if ((flags & 0x0001'FFFFu) != 0) {
    throw Error(ErrorCode::kDriver,
                fmt::format("the server's binary COPY stream has flags {:#x} ferry does not "
                            "know (OIDs or a newer format)",
                            flags));
  }
  size_t extension = Load32(data.data() + 15);
  if (data.size() < 19 + extension) return 0;
  return 19 + extension;
}

size_t FrameTuple(std::string_view data, int* fields) {
  if (data.size() < 2) return 0;
  const int count = int16_t(Load16(data.data()));
  if (count == -1) {
    *fields = -1;
    return 2;
  }
  if (count < 0) throw Error(ErrorCode::kDriver, "malformed binary COPY tuple (negative count)");
  size_t at = 2;
  for (int i = 0; i < count; ++i) {
    if (at + 4 > data.size()) return 0;
    int32_t length = int32_t(Load32(data.data() + at));
    at += 4;
    if (length < -1) throw Error(ErrorCode::kDriver, "malformed binary COPY field length");
    if (length > 0) at += size_t(length);
  }
  if (at > data.size()) return 0;
  *fields = count;
  return at;
}

bool TupleDecoder::Decode(const char* tuple, Batch& batch, DecodeFailure* failure) const {
  const char* p = tuple + 2;  // the field count, checked when the tuple was framed
  bool ok = true;
  for (size_t c = 0; c < forms_.size(); ++c) {
    const int32_t length = int32_t(Load32(p));
    p += 4;
    ColumnVector& out = batch.column(c);
    if (length < 0) {
      out.AppendNull();
      continue;
    }
    if (const char* why = DecodeField(forms_[c], p, size_t(length), out)) {
      out.AppendNull();
      if (ok) {
        failure->column = c;
        failure->reason = why;
        ok = false;
      }
    }
    p += length;
  }
  return ok;
}

size_t DecodeFields(std::string_view tuples, const std::vector<int>& positions,
                    const std::vector<BinaryForm>& forms, Batch& keys) {
  std::vector<int> slot;  // field index -> position in `positions`, or -1
  size_t count = 0;
  while (!tuples.empty()) {
    int fields = 0;
    const size_t length = FrameTuple(tuples, &fields);
    if (length == 0 || fields < 0) break;
    if (slot.size() != size_t(fields)) {
      slot.assign(size_t(fields), -1);
      for (size_t i = 0; i < positions.size(); ++i) {
        if (positions[i] >= 0 && positions[i] < fields) slot[size_t(positions[i])] = int(i);
      }
    }
    const char* p = tuples.data() + 2;
    for (int f = 0; f < fields; ++f) {
      const int32_t field_length = int32_t(Load32(p));
      p += 4;
      if (const int k = slot[size_t(f)]; k >= 0) {
        ColumnVector& out = keys.column(size_t(k));
        if (field_length < 0 || DecodeField(forms[size_t(k)], p, size_t(field_length), out)) {
          out.AppendNull();
        }
      }
      if (field_length > 0) p += field_length;
    }
    tuples.remove_prefix(length);
    ++count;
  }
  return count;
}

NumericStatus DecodeNumeric(std::string_view field, std::string& out) {
  Numeric n;
  NumericStatus status = ReadNumeric(field.data(), field.size(), &n);
  if (status != NumericStatus::kOk) return status;
  size_t at = out.size();
  out.resize(at + n.TextBound());
  out.resize(at + WriteNumericText(n, out.data() + at));
  return status;
}

bool EncodeNumeric(std::string_view text, std::string& out) {
  size_t at = out.size();
  out.resize(at + text.size() + 16);
  size_t n = WriteNumeric(text, out.data() + at);
  out.resize(at + n);
  return n > 0;
}

namespace {

// A long value's field: its length word (and jsonb's version byte), then a splice where the
// writer sends the value's bytes.
char* Splice(const ColumnVector& in, size_t row, int version, char* p, const std::string& out,
             std::vector<WireSplice>* splices) {
  std::shared_ptr<const LongValue> value = in.SharedLong(row);
  if (!splices) {
    throw Error(ErrorCode::kInternal, "a long value reached a COPY encoder that cannot splice it");
  }
  if (value->size() + size_t(version) > 0x7fffffffu) {
    throw Error(ErrorCode::kData,
                fmt::format("a value of {} bytes is longer than PostgreSQL's 1 GB limit for a field",
                            value->size()));
  }
  p = Store32(p, uint32_t(value->size() + size_t(version)));
  if (version) *p++ = char(version);
  splices->push_back({size_t(p - out.data()), std::move(value)});
  return p;
}

}  // namespace

bool EncodeBinaryRows(const Batch& batch, const std::vector<BinaryForm>& forms, std::string& out,
                      EncodeFailure* failure, std::vector<WireSplice>* splices) {
  const size_t rows = batch.num_rows();
  const size_t columns = forms.size();
  if (batch.num_columns() != columns) {
    throw Error(ErrorCode::kInternal,
                fmt::format("binary COPY encoder got {} columns for a table of {}",
                            batch.num_columns(), columns));
  }
  size_t fixed_bound = 2;
  std::vector<size_t> variable;
  for (size_t c = 0; c < columns; ++c) {
    if (!Accepts(forms[c], batch.column(c).storage())) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("binary COPY encoder cannot take column {}'s batch storage", c));
    }
    fixed_bound += 4;
    if (VariableBound(forms[c])) {
      variable.push_back(c);
    } else {
      fixed_bound += FixedSize(forms[c]);
    }
  }
  out.reserve(out.size() + batch.ByteSize() + rows * fixed_bound);
  for (size_t r = 0; r < rows; ++r) {
    size_t bound = fixed_bound;
    for (size_t c : variable) {
      if (!batch.column(c).IsNull(r)) bound += ValueBound(forms[c], batch.column(c), r);
    }
    const size_t start = out.size();
    // Grows within the reserved capacity; only the row's bound is touched.
    out.resize(start + bound);
    char* p = Store16(out.data() + start, uint16_t(columns));
    for (size_t c = 0; c < columns; ++c) {
      const ColumnVector& in = batch.column(c);
      if (in.IsNull(r)) {
        p = Store32(p, 0xFFFFFFFFu);
        continue;
      }
      if (in.has_long() && in.Long(r)) {  // bytes and text only: jsonb adds its version byte
        p = Splice(in, r, forms[c] == BinaryForm::kJsonb ? 1 : 0, p, out, splices);
        continue;
      }
      switch (forms[c]) {
        case BinaryForm::kBool:
          p = Store32(p, 1);
          *p++ = in.Int(r) != 0 ? 1 : 0;
          break;
        case BinaryForm::kInt2:
          p = Store32(p, 2);
          p = Store16(p, uint16_t(int16_t(in.Int(r))));
          break;
        case BinaryForm::kInt4:
          p = Store32(p, 4);
          p = Store32(p, uint32_t(int32_t(in.Int(r))));
          break;
        case BinaryForm::kOid:
          p = Store32(p, 4);
          p = Store32(p, uint32_t(in.UInt(r)));
          break;
        case BinaryForm::kInt8:
          p = Store32(p, 8);
          p = Store64(p, uint64_t(in.Int(r)));
          break;
        case BinaryForm::kNumeric: {
          std::string_view text = in.Bytes(r);
          size_t n = WriteNumeric(text, p + 4);
          if (n == 0) {
            out.resize(start);
            *failure = {r, c,
                        fmt::format("{} is not a decimal number PostgreSQL's numeric holds",
                                    ShownText(text))};
            return false;
          }
          p = Store32(p, uint32_t(n)) + n;
          break;
        }
        case BinaryForm::kFloat4:
          p = Store32(p, 4);
          p = Store32(p, std::bit_cast<uint32_t>(float(in.Float(r))));
          break;
        case BinaryForm::kFloat8:
          p = Store32(p, 8);
          p = Store64(p, std::bit_cast<uint64_t>(in.Float(r)));
          break;
        case BinaryForm::kBytes: {
          std::string_view v = in.Bytes(r);
          p = Store32(p, uint32_t(v.size()));
          if (!v.empty()) std::memcpy(p, v.data(), v.size());
          p += v.size();
          break;
        }
        case BinaryForm::kJsonb: {
          std::string_view v = in.Bytes(r);
          p = Store32(p, uint32_t(v.size() + 1));
          *p++ = 1;
          if (!v.empty()) std::memcpy(p, v.data(), v.size());
          p += v.size();
          break;
        }
        case BinaryForm::kDate: {
          int64_t days = in.Int(r) - kEpochDays;
          // PostgreSQL keeps the extreme int32 values for -infinity and infinity.
          if (days <= std::numeric_limits<int32_t>::min() ||
              days >= std::numeric_limits<int32_t>::max()) {
            out.resize(start);
            *failure = {r, c, "date is beyond PostgreSQL's range"};
            return false;
          }
          p = Store32(p, 4);
          p = Store32(p, uint32_t(int32_t(days)));
          break;
        }
        case BinaryForm::kTime:
          p = Store32(p, 8);
          p = Store64(p, uint64_t(in.Int(r)));
          break;
        case BinaryForm::kTimestamp: {
          int64_t micros;
          if (__builtin_sub_overflow(in.Int(r), kEpochMicros, &micros) ||
              micros == std::numeric_limits<int64_t>::min()) {
            out.resize(start);
            *failure = {r, c, "timestamp is beyond PostgreSQL's range"};
            return false;
          }
          p = Store32(p, 8);
          p = Store64(p, uint64_t(micros));
          break;
        }
        case BinaryForm::kUuid: {
          std::string_view v = in.Bytes(r);
          if (v.size() != 16) {
            out.resize(start);
            *failure = {r, c, fmt::format("{} bytes are not a UUID", v.size())};
            return false;
          }
          p = Store32(p, 16);
          std::memcpy(p, v.data(), 16);
          p += 16;
          break;
        }
      }
    }
    out.resize(size_t(p - out.data()));
  }
  return true;
}

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
