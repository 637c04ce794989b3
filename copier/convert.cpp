#include "copier/convert.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/spatial.hpp"
#include "copier/value_fit.hpp"
#include "copier/value_text.hpp"
#include "copier/values.hpp"

namespace ferry {

namespace {

// One value (not NULL) converted between storages whose text forms do not line up; false and
// why when the destination has no such value.
using ValueConversion = bool (*)(const ColumnVector& in, size_t row, ColumnVector& out,
                                 std::string* reason);

bool BoolToInteger(const ColumnVector& in, size_t row, ColumnVector& out, std::string*) {
  out.AppendInt(in.Int(row));
  return true;
}

bool IntegerToBool(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  if (in.Int(row) != 0 && in.Int(row) != 1) {
    *reason = fmt::format("{} is not a boolean (0 or 1)",
                          ShowValues() ? FormatValue(in, row) : "an integer other than 0 and 1");
    return false;
  }
  out.AppendInt(in.Int(row));
  return true;
}

bool UnsignedToDouble(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  double d = double(in.UInt(row));
  if (d >= 18446744073709551616.0 || uint64_t(d) != in.UInt(row)) {
    *reason = fmt::format("{} has no exact double", ShownUnsigned(in.UInt(row)));
    return false;
  }
  out.AppendFloat(d);
  return true;
}

bool SignedToDouble(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  double d = double(in.Int(row));
  if (d >= 9223372036854775808.0 || int64_t(d) != in.Int(row)) {
    *reason = fmt::format("{} has no exact double", ShownInteger(in.Int(row)));
    return false;
  }
  out.AppendFloat(d);
  return true;
}

bool DecimalToDouble(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  std::string_view text = in.Bytes(row);
  double d;
  auto r = std::from_chars(text.data(), text.data() + text.size(), d);
  if (r.ec != std::errc() || DecimalValue(FormatDouble(d)) != DecimalValue(text)) {
    *reason = fmt::format("{} has no exact double", ShownDecimal(text));
    return false;
  }
  out.AppendFloat(d);
  return true;
}

bool DoubleToDecimal(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  double d = in.Float(row);
  if (!std::isfinite(d)) {
    *reason = fmt::format("{} is not a decimal number", FormatDouble(d));
    return false;
  }
  out.AppendBytes(*CanonicalDecimal(FormatDouble(d)));
  return true;
}

bool TimestampToDate(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  if (TimeOfDay(in.Int(row)) != 0) {
    *reason = fmt::format("{} has a time of day that a date column would drop",
                          ShownTemporal(FormatTimestamp(in.Int(row)), "timestamp"));
    return false;
  }
  out.AppendInt(DayOf(in.Int(row)));
  return true;
}

bool DateToTimestamp(const ColumnVector& in, size_t row, ColumnVector& out, std::string*) {
  out.AppendInt(in.Int(row) * kMicrosPerDay);
  return true;
}

bool UuidToBytes(const ColumnVector& in, size_t row, ColumnVector& out, std::string*) {
  out.AppendBytes(in.Bytes(row));
  return true;
}

bool BytesToUuid(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  if (in.Bytes(row).size() != 16) {
    *reason = fmt::format("{} bytes are not a UUID", in.Bytes(row).size());
    return false;
  }
  out.AppendBytes(in.Bytes(row));
  return true;
}

// MariaDB's spatial values (SRID, then WKB) into the EWKB every other engine holds.
bool SpatialToEwkb(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  std::optional<std::string> ewkb = EwkbOfSridPrefixed(in.Bytes(row));
  if (!ewkb) {
    *reason = fmt::format("{} bytes are not a spatial value (SRID and WKB)", in.ValueSize(row));
    return false;
  }
  out.AppendBytes(*ewkb);
  return true;
}

bool RefuseLong(const ColumnVector& in, size_t row, std::string* reason) {
  *reason =
      fmt::format("a value of {} bytes is too long for ferry to convert to this column's type",
                  in.ValueSize(row));
  return false;
}

// A long value moves between text and bytes storage as it is (both are the value's bytes);
// any other conversion would need the whole value in memory.
bool CarryLong(const ColumnVector& in, size_t row, ColumnVector& out, std::string* reason) {
  auto bytes = [](Storage s) { return s == Storage::kText || s == Storage::kBytes; };
  if (bytes(in.storage()) && bytes(out.storage())) {
    out.AppendLong(in.SharedLong(row));
    return true;
  }
  return RefuseLong(in, row, reason);
}

// A column converted value by value into another storage; false at the first value that has
// no equal there, with its row and why.
using ColumnConversion = std::function<bool(const ColumnVector& in, ColumnVector& out, size_t* row,
                                            std::string* reason)>;

// Runs `Convert` over a whole column, NULLs kept: chosen once per column, so the conversion
// itself is called directly, value after value. A long value is carried as it is, unless the
// conversion rewrites bytes (kCarryLong false), which needs it whole: refused.
template <ValueConversion Convert, bool kCarryLong = true>
bool ConvertValues(const ColumnVector& in, ColumnVector& out, size_t* row, std::string* reason) {
  const size_t rows = in.size();
  out.Reserve(rows);
  for (size_t r = 0; r < rows; ++r) {
    if (in.IsNull(r)) {
      out.AppendNull();
    } else if (in.has_long() && in.Long(r)) {
      if (!(kCarryLong ? CarryLong(in, r, out, reason) : RefuseLong(in, r, reason))) {
        *row = r;
        return false;
      }
    } else if (!Convert(in, r, out, reason)) {
      *row = r;
      return false;
    }
  }
  return true;
}

// Storages with no direct conversion meet in canonical text: each value printed as the source
// storage prints it and read as the destination's reads it (a text column into an integer one).
ColumnConversion ViaText(Storage from, Storage to, TypeKind to_kind) {
  return [format = FormatterFor(from), parse = ParserFor(to), noun = KindWord(to_kind)](
             const ColumnVector& in, ColumnVector& out, size_t* row, std::string* reason) {
    const size_t rows = in.size();
    out.Reserve(rows);
    for (size_t r = 0; r < rows; ++r) {
      if (in.IsNull(r)) {
        out.AppendNull();
        continue;
      }
      if (in.has_long() && in.Long(r)) {
        if (CarryLong(in, r, out, reason)) continue;
        *row = r;
        return false;
      }
      const std::string text = format(in, r);
      if (parse(text, out)) continue;
      *row = r;
      *reason = fmt::format("{} is not a valid {}", ShownText(text), noun);
      return false;
    }
    return true;
  };
}

// How a `source` column's values become `dest` column's; empty when both hold them alike (the
// column is copied as it is).
ColumnConversion ConversionFor(const ColumnType& source, const ColumnType& dest) {
  const Storage from = StorageOf(source);
  const Storage to = StorageOf(dest);
  if (source.srid_prefixed && !dest.srid_prefixed && to == Storage::kBytes) {
    return ConvertValues<SpatialToEwkb, false>;
  }
  if (from == to) return nullptr;
  if (from == Storage::kBool && (to == Storage::kInt64 || to == Storage::kUInt64)) {
    return ConvertValues<BoolToInteger>;
  }
  if ((from == Storage::kInt64 || from == Storage::kUInt64) && to == Storage::kBool) {
    return ConvertValues<IntegerToBool>;
  }
  if (from == Storage::kUInt64 && to == Storage::kFloat64) return ConvertValues<UnsignedToDouble>;
  if (from == Storage::kInt64 && to == Storage::kFloat64) return ConvertValues<SignedToDouble>;
  if (from == Storage::kDecimal && to == Storage::kFloat64) return ConvertValues<DecimalToDouble>;
  if (from == Storage::kFloat64 && to == Storage::kDecimal) return ConvertValues<DoubleToDecimal>;
  if (from == Storage::kTimestamp && to == Storage::kDate) return ConvertValues<TimestampToDate>;
  if (from == Storage::kDate && to == Storage::kTimestamp) return ConvertValues<DateToTimestamp>;
  if (from == Storage::kUuid && to == Storage::kBytes) return ConvertValues<UuidToBytes>;
  if (from == Storage::kBytes && to == Storage::kUuid) return ConvertValues<BytesToUuid>;
  return ViaText(from, to, dest.kind);
}

}  // namespace

std::string RenderKey(const Batch& batch, const std::vector<int>& positions,
                      const std::vector<std::string>& names, size_t row) {
  if (positions.empty()) return fmt::format("(row {} of its batch; the table has no key)", row + 1);
  std::string columns, values;
  for (size_t i = 0; i < positions.size(); ++i) {
    if (i > 0) {
      columns += ", ";
      values += ", ";
    }
    columns += names[i];
    const ColumnVector& c = batch.column(size_t(positions[i]));
    std::string v = FormatValue(c, row);
    bool quote = !c.IsNull(row) && c.storage() != Storage::kInt64 &&
                 c.storage() != Storage::kUInt64 && c.storage() != Storage::kDecimal &&
                 c.storage() != Storage::kFloat64;
    if (quote) {
      std::string quoted = "'";
      for (char ch : v) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
      v = quoted + "'";
    }
    values += v;
  }
  return "(" + columns + ")=(" + values + ")";
}

RowConverter::RowConverter(std::string table, std::vector<ColumnPairing> pairs, ValueLimits limits,
                           std::vector<int> key_positions, std::optional<ValueLimits> source_limits)
    : table_(std::move(table)), pairs_(std::move(pairs)), key_positions_(std::move(key_positions)) {
  for (const ColumnPairing& pair : pairs_) {
    const ColumnType source = pair.source->type;
    const ColumnType dest = pair.destination->type;
    unchecked_.push_back(AlwaysFits(source, dest, limits, source_limits));
    ColumnConversion convert = ConversionFor(source, dest);
    same_storage_.push_back(!convert);
    const ColumnCheck check = CheckFor(dest, StorageOf(dest));
    functions_.push_back([convert = std::move(convert), check, dest, limits](
                             const ColumnVector& in, ColumnVector& out, Failure* failure) {
      if (!convert) {
        // `in` is `out` when the column was moved there first (ConvertColumns): only checked.
        if (&in != &out) out.CopyFrom(in);
      } else if (!convert(in, out, &failure->row, &failure->reason)) {
        return false;
      }
      return !check || check(out, dest, limits, &failure->row, &failure->reason);
    });
  }
}

size_t RowConverter::unchecked_columns() const {
  return size_t(std::count(unchecked_.begin(), unchecked_.end(), true));
}

std::vector<Storage> RowConverter::input_storages() const {
  std::vector<Storage> out;
  for (const ColumnPairing& p : pairs_) out.push_back(StorageOf(p.source->type));
  return out;
}

std::vector<Storage> RowConverter::output_storages() const {
  std::vector<Storage> out;
  for (const ColumnPairing& p : pairs_) out.push_back(StorageOf(p.destination->type));
  return out;
}

void RowConverter::Convert(const Batch& in, Batch& out) const {
  ConvertColumns(in, out, nullptr);
}

void RowConverter::Convert(Batch& in, Batch& out) const {
  ConvertColumns(in, out, &in);
}

void RowConverter::ConvertColumns(const Batch& in, Batch& out, Batch* movable) const {
  out.Reset(output_storages());
  for (size_t i = 0; i < functions_.size(); ++i) {
    if (unchecked_[i]) {
      if (movable) {
        out.column(i).Swap(movable->column(i));
      } else {
        out.column(i).CopyFrom(in.column(i));
      }
      continue;
    }
    Failure failure{0, ""};
    // A column checked but not converted is moved and checked where it lands, not copied.
    const bool moved = movable && same_storage_[i];
    if (moved) out.column(i).Swap(movable->column(i));
    if (!functions_[i](moved ? out.column(i) : in.column(i), out.column(i), &failure)) {
      // Key columns already moved to `out` are read from there.
      Batch keys;
      std::vector<Storage> storages;
      for (int p : key_positions_) storages.push_back(in.column(size_t(p)).storage());
      keys.Reset(storages);
      std::vector<int> positions;
      std::vector<std::string> names;
      for (size_t k = 0; k < key_positions_.size(); ++k) {
        const size_t p = size_t(key_positions_[k]);
        const bool key_moved = movable && (unchecked_[p] || same_storage_[p]) && p <= i;
        keys.column(k).CopyFrom(key_moved ? out.column(p) : in.column(p));
        positions.push_back(int(k));
        names.push_back(pairs_[p].source->name);
      }
      ErrorContext context;
      context.table = table_;
      context.column = pairs_[i].source->name;
      context.key = RenderKey(keys, positions, names, failure.row);
      throw Error(ErrorCode::kData,
                  fmt::format("value does not fit the destination column {} ({}): {}",
                              pairs_[i].destination->name, pairs_[i].destination->type.native,
                              failure.reason),
                  std::move(context));
    }
  }
}

}  // namespace ferry
