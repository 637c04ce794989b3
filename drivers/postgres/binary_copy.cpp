#include "drivers/postgres/binary_copy.hpp"
#include "drivers/postgres/wire_format.hpp"

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

using namespace wire;

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
    case TypeKind::kAny:
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
    throw Error(
        ErrorCode::kData,
        fmt::format("a value of {} bytes is longer than PostgreSQL's 1 GB limit for a field",
                    value->size()));
  }
  p = Store32(p, uint32_t(value->size() + size_t(version)));
  if (version) *p++ = char(version);
  splices->push_back({size_t(p - out.data()), std::move(value)});
  return p;
}

// Writes one non-NULL field (length word and payload) at `p`, within the row's bound; returns
// the end, or nullptr and why the value cannot be sent. Inlined into the row loop: it runs per
// value, on the copy path.
[[gnu::always_inline]] inline char* EncodeField(BinaryForm form, const ColumnVector& in, size_t r,
                                                char* p, std::string* why) {
  switch (form) {
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
        *why =
            fmt::format("{} is not a decimal number PostgreSQL's numeric holds", ShownText(text));
        return nullptr;
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
        *why = "date is beyond PostgreSQL's range";
        return nullptr;
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
        *why = "timestamp is beyond PostgreSQL's range";
        return nullptr;
      }
      p = Store32(p, 8);
      p = Store64(p, uint64_t(micros));
      break;
    }
    case BinaryForm::kUuid: {
      std::string_view v = in.Bytes(r);
      if (v.size() != 16) {
        *why = fmt::format("{} bytes are not a UUID", v.size());
        return nullptr;
      }
      p = Store32(p, 16);
      std::memcpy(p, v.data(), 16);
      p += 16;
      break;
    }
  }
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
  std::string why;
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
      p = EncodeField(forms[c], in, r, p, &why);
      if (!p) {
        out.resize(start);
        *failure = {r, c, std::move(why)};
        return false;
      }
    }
    out.resize(size_t(p - out.data()));
  }
  return true;
}

}  // namespace ferry::pg
