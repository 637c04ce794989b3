#include "copier/row_hash.hpp"

#include <xxhash.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "copier/convert.hpp"
#include "copier/spatial.hpp"
#include "copier/values.hpp"

namespace ferry {

namespace {

constexpr char kNullMarker = 0;
constexpr char kValueMarker = 1;

enum class Family { kNumber, kFloat, kChar, kText, kJson, kBytes, kDate, kTime, kTimestamp, kUuid };

Family FamilyOf(const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBoolean:
    case TypeKind::kInteger:
    case TypeKind::kDecimal:
      return Family::kNumber;
    case TypeKind::kReal:
    case TypeKind::kDouble:
      return Family::kFloat;
    case TypeKind::kChar:
      return Family::kChar;
    case TypeKind::kVarchar:
    case TypeKind::kText:
    case TypeKind::kUnsupported:
      return Family::kText;
    case TypeKind::kJson:
      return Family::kJson;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
    case TypeKind::kAny:  // the class is part of its bytes
      return Family::kBytes;
    case TypeKind::kDate:
      return Family::kDate;
    case TypeKind::kTime:
      return Family::kTime;
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return Family::kTimestamp;
    case TypeKind::kUuid:
      return Family::kUuid;
  }
  return Family::kText;
}

void PutValue(std::string& out, const char* data, size_t length) {
  out.push_back(kValueMarker);
  const uint32_t n = uint32_t(length);
  char prefix[4] = {char(n & 0xff), char((n >> 8) & 0xff), char((n >> 16) & 0xff),
                    char((n >> 24) & 0xff)};
  out.append(prefix, 4);
  out.append(data, length);
}

void PutInt64(std::string& out, int64_t value) {
  char bytes[8];
  const uint64_t v = uint64_t(value);
  for (int i = 0; i < 8; ++i) bytes[i] = char((v >> (8 * i)) & 0xff);
  PutValue(out, bytes, 8);
}

// Decimal text by value: "1.50" and "1.5" are one number, "-0.00" is 0.
void PutDecimalText(std::string& out, std::string_view text) {
  if (text.find('.') != std::string_view::npos) {
    while (!text.empty() && text.back() == '0') text.remove_suffix(1);
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  }
  if (text == "-0") text = "0";
  PutValue(out, text.data(), text.size());
}

void PutNumber(const ColumnVector& c, size_t row, std::string& out) {
  char buf[32];
  switch (c.storage()) {
    case Storage::kBool:
    case Storage::kInt64: {
      auto r = std::to_chars(buf, buf + sizeof buf, c.Int(row));
      PutValue(out, buf, size_t(r.ptr - buf));
      return;
    }
    case Storage::kUInt64: {
      auto r = std::to_chars(buf, buf + sizeof buf, c.UInt(row));
      PutValue(out, buf, size_t(r.ptr - buf));
      return;
    }
    case Storage::kDecimal:
      PutDecimalText(out, c.Bytes(row));
      return;
    case Storage::kFloat64: {
      // Only where one end holds a float and the other an exact number: the float's shortest
      // round-trip decimal is the value it was copied as.
      const double v = c.Float(row);
      std::optional<std::string> d =
          std::isfinite(v) ? CanonicalDecimal(FormatDouble(v)) : std::nullopt;
      const std::string text = d ? *d : FormatDouble(v);
      PutDecimalText(out, text);
      return;
    }
    default: {
      std::optional<std::string> d = CanonicalDecimal(FormatValue(c, row));
      const std::string text = d ? *d : FormatValue(c, row);
      PutDecimalText(out, text);
      return;
    }
  }
}

void PutJson(std::string_view text, std::string& out) {
  // jsonb stores objects with sorted, unique keys and no insignificant white space; the text
  // ferry copied from another engine keeps what its writer wrote. Both become one spelling.
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) {
    PutValue(out, text.data(), text.size());
    return;
  }
  const std::string normal = parsed.dump();
  PutValue(out, normal.data(), normal.size());
}

}  // namespace

const char* CanonicalFormName(CanonicalForm form) {
  switch (form) {
    case CanonicalForm::kNumber:
      return "number";
    case CanonicalForm::kFloat:
      return "float";
    case CanonicalForm::kText:
      return "text";
    case CanonicalForm::kPaddedText:
      return "padded text";
    case CanonicalForm::kJson:
      return "json";
    case CanonicalForm::kBytes:
      return "bytes";
    case CanonicalForm::kDate:
      return "date";
    case CanonicalForm::kTime:
      return "time";
    case CanonicalForm::kTimestamp:
      return "timestamp";
    case CanonicalForm::kUuid:
      return "uuid";
    case CanonicalForm::kSpatial:
      return "spatial";
    case CanonicalForm::kFormatted:
      return "formatted";
  }
  return "formatted";
}

CanonicalForm CanonicalFormFor(const ColumnType& source, const ColumnType& destination) {
  const Family s = FamilyOf(source);
  const Family d = FamilyOf(destination);
  auto either = [&](Family f) { return s == f || d == f; };
  if (source.srid_prefixed != destination.srid_prefixed && s == Family::kBytes &&
      d == Family::kBytes) {
    return CanonicalForm::kSpatial;
  }
  auto both_in = [&](std::initializer_list<Family> set) {
    bool a = false, b = false;
    for (Family f : set) {
      a = a || s == f;
      b = b || d == f;
    }
    return a && b;
  };
  if (s == d) {
    switch (s) {
      case Family::kNumber:
        return CanonicalForm::kNumber;
      case Family::kFloat:
        return CanonicalForm::kFloat;
      case Family::kChar:
        return CanonicalForm::kPaddedText;
      case Family::kText:
        return CanonicalForm::kText;
      case Family::kJson:
        return source.binary_json || destination.binary_json ? CanonicalForm::kJson
                                                             : CanonicalForm::kText;
      case Family::kBytes:
        return CanonicalForm::kBytes;
      case Family::kDate:
        return CanonicalForm::kDate;
      case Family::kTime:
        return CanonicalForm::kTime;
      case Family::kTimestamp:
        return CanonicalForm::kTimestamp;
      case Family::kUuid:
        return CanonicalForm::kUuid;
    }
  }
  if (both_in({Family::kNumber, Family::kFloat})) return CanonicalForm::kNumber;
  if (both_in({Family::kChar, Family::kText})) return CanonicalForm::kPaddedText;
  if (both_in({Family::kJson, Family::kText})) {
    return source.binary_json || destination.binary_json ? CanonicalForm::kJson
                                                         : CanonicalForm::kText;
  }
  if (either(Family::kUuid) && both_in({Family::kUuid, Family::kText, Family::kChar})) {
    return CanonicalForm::kUuid;
  }
  return CanonicalForm::kFormatted;
}

void AppendCanonical(const ColumnVector& c, size_t row, CanonicalForm form, std::string& out) {
  if (c.IsNull(row)) {
    out.push_back(kNullMarker);
    return;
  }
  switch (form) {
    case CanonicalForm::kNumber:
      PutNumber(c, row, out);
      return;
    case CanonicalForm::kFloat:
      if (c.storage() == Storage::kFloat64) {
        double v = c.Float(row);
        // NaN payloads and signs are not data; every engine that has NaN has one.
        PutInt64(out, std::isnan(v) ? int64_t(0x7ff8000000000000) : std::bit_cast<int64_t>(v));
      } else {
        PutNumber(c, row, out);
      }
      return;
    case CanonicalForm::kText:
    case CanonicalForm::kBytes: {
      if (c.variable_length()) {
        std::string_view v = c.Bytes(row);
        PutValue(out, v.data(), v.size());
      } else {
        const std::string v = FormatValue(c, row);
        PutValue(out, v.data(), v.size());
      }
      return;
    }
    case CanonicalForm::kPaddedText: {
      std::string formatted;
      std::string_view v;
      if (c.variable_length()) {
        v = c.Bytes(row);
      } else {
        formatted = FormatValue(c, row);
        v = formatted;
      }
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      PutValue(out, v.data(), v.size());
      return;
    }
    case CanonicalForm::kJson:
      if (c.variable_length()) {
        PutJson(c.Bytes(row), out);
      } else {
        PutJson(FormatValue(c, row), out);
      }
      return;
    case CanonicalForm::kDate:
    case CanonicalForm::kTime:
    case CanonicalForm::kTimestamp: {
      if (!c.variable_length() && c.storage() != Storage::kFloat64) {
        PutInt64(out, c.Int(row));
        return;
      }
      const std::string text = FormatValue(c, row);
      std::optional<int64_t> v;
      if (form == CanonicalForm::kDate) {
        if (auto d = ParseDate(text)) v = *d;
      } else if (form == CanonicalForm::kTime) {
        v = ParseTime(text);
      } else {
        v = ParseTimestamp(text);
      }
      if (v) {
        PutInt64(out, *v);
      } else {
        PutValue(out, text.data(), text.size());
      }
      return;
    }
    case CanonicalForm::kUuid: {
      std::string_view v = c.Bytes(row);
      unsigned char bytes[16];
      if (c.storage() == Storage::kUuid) {
        PutValue(out, v.data(), v.size());
      } else if (c.variable_length() && ParseUuid(v, bytes)) {
        PutValue(out, reinterpret_cast<const char*>(bytes), 16);
      } else {
        const std::string text = FormatValue(c, row);
        PutValue(out, text.data(), text.size());
      }
      return;
    }
    case CanonicalForm::kSpatial: {
      const std::string ewkb = CanonicalSpatial(c.Bytes(row));
      PutValue(out, ewkb.data(), ewkb.size());
      return;
    }
    case CanonicalForm::kFormatted: {
      const std::string text = FormatValue(c, row);
      PutValue(out, text.data(), text.size());
      return;
    }
  }
}

namespace {

// Feeds `data` to the row's hash state and, when there is one, the column's.
void Feed(XXH64_state_t* row, XXH64_state_t* column, std::string_view data) {
  XXH64_update(row, data.data(), data.size());
  if (column) XXH64_update(column, data.data(), data.size());
}

struct StateDeleter {
  void operator()(XXH64_state_t* state) const { XXH64_freeState(state); }
};
using State = std::unique_ptr<XXH64_state_t, StateDeleter>;

State NewState() {
  State state(XXH64_createState());
  XXH64_reset(state.get(), 0);
  return state;
}

}  // namespace

// A row holding a long value (copier/batch.hpp): the same hash, over the same canonical bytes,
// computed as a stream so the long value is read in pieces (whole only where its canonical form
// rewrites it: padded text and JSON).
uint64_t RowHasher::HashLong(const Batch& batch, size_t row, std::string& scratch,
                             uint64_t* column_hashes) const {
  State total = NewState();
  std::vector<char> piece;
  for (size_t i = 0; i < forms_.size(); ++i) {
    const ColumnVector& c = batch.column(i);
    State column = column_hashes ? NewState() : nullptr;
    const LongValue* value = c.Long(row);
    scratch.clear();
    if (value && (forms_[i] == CanonicalForm::kText || forms_[i] == CanonicalForm::kBytes)) {
      scratch.push_back(kValueMarker);
      const uint32_t n = uint32_t(value->size());
      for (int shift = 0; shift < 32; shift += 8) scratch.push_back(char((n >> shift) & 0xff));
      Feed(total.get(), column.get(), scratch);
      piece.resize(std::min<size_t>(value->size(), 4u << 20));
      for (size_t at = 0; at < value->size(); at += piece.size()) {
        const size_t length = std::min(piece.size(), value->size() - at);
        value->Read(at, piece.data(), length);
        Feed(total.get(), column.get(), std::string_view(piece.data(), length));
      }
    } else if (value) {
      ColumnVector whole(c.storage());
      value->Read(0, whole.AppendUninitialized(value->size()), value->size());
      AppendCanonical(whole, 0, forms_[i], scratch);
      Feed(total.get(), column.get(), scratch);
    } else {
      AppendCanonical(c, row, forms_[i], scratch);
      Feed(total.get(), column.get(), scratch);
    }
    if (column_hashes) column_hashes[i] = XXH64_digest(column.get());
  }
  return XXH64_digest(total.get());
}

uint64_t RowHasher::Hash(const Batch& batch, size_t row, std::string& scratch,
                         uint64_t* column_hashes) const {
  for (size_t i = 0; i < forms_.size(); ++i) {
    if (batch.column(i).has_long() && batch.column(i).Long(row)) {
      return HashLong(batch, row, scratch, column_hashes);
    }
  }
  scratch.clear();
  for (size_t i = 0; i < forms_.size(); ++i) {
    const size_t start = scratch.size();
    AppendCanonical(batch.column(i), row, forms_[i], scratch);
    if (column_hashes) column_hashes[i] = XXH64(scratch.data() + start, scratch.size() - start, 0);
  }
  return XXH64(scratch.data(), scratch.size(), 0);
}

void RowHasher::Key(const Batch& batch, size_t row, const std::vector<int>& positions,
                    std::string& out) const {
  out.clear();
  for (int p : positions) AppendCanonical(batch.column(size_t(p)), row, forms_[size_t(p)], out);
}

RangeDigest DigestRows(const RowHasher& hasher, const Batch& batch, size_t begin, size_t end) {
  RangeDigest digest;
  std::string scratch;
  for (size_t row = begin; row < end; ++row) digest.Add(hasher.Hash(batch, row, scratch));
  return digest;
}

}  // namespace ferry
