// The canonical form `ferry verify` hashes: values ferry considers equal hash equal whatever
// storage each engine reads them into, and every difference a copy could introduce (a byte, a
// NULL, a microsecond, a last digit, a swap, a duplicate) changes the hash.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "copier/row_hash.hpp"
#include "copier/values.hpp"

using namespace ferry;

namespace {

ColumnType Type(TypeKind kind) {
  ColumnType t;
  t.kind = kind;
  return t;
}

ColumnType Integer(int bits, bool is_unsigned = false) {
  ColumnType t = Type(TypeKind::kInteger);
  t.width_bits = bits;
  t.is_unsigned = is_unsigned;
  return t;
}

// The canonical bytes of the single value a one-row column holds.
std::string Canonical(const ColumnVector& column, CanonicalForm form) {
  std::string out;
  AppendCanonical(column, 0, form, out);
  return out;
}

ColumnVector Text(std::string_view v, Storage storage = Storage::kText) {
  ColumnVector c(storage);
  c.AppendBytes(v);
  return c;
}

ColumnVector Int(int64_t v, Storage storage = Storage::kInt64) {
  ColumnVector c(storage);
  c.AppendInt(v);
  return c;
}

ColumnVector Float(double v) {
  ColumnVector c(Storage::kFloat64);
  c.AppendFloat(v);
  return c;
}

ColumnVector Null(Storage storage) {
  ColumnVector c(storage);
  c.AppendNull();
  return c;
}

// A batch of one row with the given columns.
Batch Row(std::vector<ColumnVector> columns) {
  std::vector<Storage> storages;
  for (const ColumnVector& c : columns) storages.push_back(c.storage());
  Batch batch(storages);
  for (size_t i = 0; i < columns.size(); ++i) batch.column(i).CopyFrom(columns[i]);
  return batch;
}

uint64_t HashOf(const RowHasher& hasher, std::vector<ColumnVector> columns) {
  std::string scratch;
  return hasher.Hash(Row(std::move(columns)), 0, scratch);
}

}  // namespace

TEST_CASE("canonical forms are chosen from both ends' types", "[row_hash]") {
  CHECK(CanonicalFormFor(Integer(64), Integer(64)) == CanonicalForm::kNumber);
  ColumnType numeric = Type(TypeKind::kDecimal);
  numeric.precision = 20;
  CHECK(CanonicalFormFor(Integer(64, true), numeric) == CanonicalForm::kNumber);
  CHECK(CanonicalFormFor(Type(TypeKind::kBoolean), Integer(8)) == CanonicalForm::kNumber);
  CHECK(CanonicalFormFor(Type(TypeKind::kDouble), Type(TypeKind::kDouble)) ==
        CanonicalForm::kFloat);
  CHECK(CanonicalFormFor(Type(TypeKind::kChar), Type(TypeKind::kChar)) ==
        CanonicalForm::kPaddedText);
  CHECK(CanonicalFormFor(Type(TypeKind::kVarchar), Type(TypeKind::kText)) == CanonicalForm::kText);
  ColumnType jsonb = Type(TypeKind::kJson);
  jsonb.binary_json = true;
  CHECK(CanonicalFormFor(jsonb, Type(TypeKind::kJson)) == CanonicalForm::kJson);
  CHECK(CanonicalFormFor(Type(TypeKind::kJson), Type(TypeKind::kJson)) == CanonicalForm::kText);
  CHECK(CanonicalFormFor(Type(TypeKind::kTimestampTz), Type(TypeKind::kTimestamp)) ==
        CanonicalForm::kTimestamp);
  CHECK(CanonicalFormFor(Type(TypeKind::kUuid), Type(TypeKind::kVarchar)) == CanonicalForm::kUuid);
  CHECK(CanonicalFormFor(Type(TypeKind::kDate), Type(TypeKind::kText)) ==
        CanonicalForm::kFormatted);
}

TEST_CASE("exact numbers are compared by value whatever their storage", "[row_hash]") {
  const CanonicalForm n = CanonicalForm::kNumber;
  CHECK(Canonical(Int(42), n) == Canonical(Text("42", Storage::kDecimal), n));
  CHECK(Canonical(Int(42), n) == Canonical(Text("42.000", Storage::kDecimal), n));
  CHECK(Canonical(Text("1.50", Storage::kDecimal), n) ==
        Canonical(Text("1.5", Storage::kDecimal), n));
  CHECK(Canonical(Text("-0.00", Storage::kDecimal), n) == Canonical(Int(0), n));
  CHECK(Canonical(Int(1, Storage::kBool), n) == Canonical(Int(1), n));
  ColumnVector big(Storage::kUInt64);
  big.AppendUInt(18446744073709551615ull);
  CHECK(Canonical(big, n) == Canonical(Text("18446744073709551615", Storage::kDecimal), n));
  // A change in the last digit is a different number; so is a sign.
  CHECK(Canonical(Text("12345.678901", Storage::kDecimal), n) !=
        Canonical(Text("12345.678902", Storage::kDecimal), n));
  CHECK(Canonical(Text("10", Storage::kDecimal), n) != Canonical(Text("1", Storage::kDecimal), n));
  CHECK(Canonical(Int(-5), n) != Canonical(Int(5), n));
  // Where one end holds a float, it compares as the decimal it prints as.
  CHECK(Canonical(Float(0.1), n) == Canonical(Text("0.1", Storage::kDecimal), n));
}

TEST_CASE("floats compare by IEEE value: one NaN, -0 distinct from 0", "[row_hash]") {
  const CanonicalForm f = CanonicalForm::kFloat;
  const double nan1 = std::numeric_limits<double>::quiet_NaN();
  const double nan2 = -std::numeric_limits<double>::quiet_NaN();
  CHECK(Canonical(Float(nan1), f) == Canonical(Float(nan2), f));
  CHECK(Canonical(Float(-0.0), f) != Canonical(Float(0.0), f));
  CHECK(Canonical(Float(1.0), f) != Canonical(Float(std::nextafter(1.0, 2.0)), f));
  CHECK(Canonical(Float(double(0.1f)), f) != Canonical(Float(0.1), f));
}

TEST_CASE("NULL differs from the empty string and from every value", "[row_hash]") {
  CHECK(Canonical(Null(Storage::kText), CanonicalForm::kText) !=
        Canonical(Text(""), CanonicalForm::kText));
  CHECK(Canonical(Null(Storage::kInt64), CanonicalForm::kNumber) !=
        Canonical(Int(0), CanonicalForm::kNumber));
  CHECK(Canonical(Null(Storage::kBytes), CanonicalForm::kBytes) !=
        Canonical(Text("", Storage::kBytes), CanonicalForm::kBytes));
}

TEST_CASE("text is its UTF-8 bytes and CHAR padding is not data", "[row_hash]") {
  CHECK(Canonical(Text("caf\xc3\xa9"), CanonicalForm::kText) !=
        Canonical(Text("caf\xc3\xa8"), CanonicalForm::kText));
  CHECK(Canonical(Text("a "), CanonicalForm::kText) != Canonical(Text("a"), CanonicalForm::kText));
  CHECK(Canonical(Text("ab   "), CanonicalForm::kPaddedText) ==
        Canonical(Text("ab"), CanonicalForm::kPaddedText));
  CHECK(Canonical(Text("ABC"), CanonicalForm::kText) !=
        Canonical(Text("abc"), CanonicalForm::kText));
}

TEST_CASE("jsonb and its copied text compare as one document", "[row_hash]") {
  const CanonicalForm j = CanonicalForm::kJson;
  CHECK(Canonical(Text(R"({"b": 1, "a": [true, null]})"), j) ==
        Canonical(Text(R"({"a":[true,null],"b":1})"), j));
  CHECK(Canonical(Text(R"({"a": 1})"), j) != Canonical(Text(R"({"a": 2})"), j));
}

TEST_CASE("timestamps, dates, times and UUIDs compare by value", "[row_hash]") {
  const int64_t t = *ParseTimestamp("2024-02-29 23:59:59.999999");
  CHECK(Canonical(Int(t, Storage::kTimestamp), CanonicalForm::kTimestamp) !=
        Canonical(Int(t + 1, Storage::kTimestamp), CanonicalForm::kTimestamp));
  CHECK(Canonical(Int(t, Storage::kTimestamp), CanonicalForm::kTimestamp) ==
        Canonical(Text("2024-02-29T23:59:59.999999Z"), CanonicalForm::kTimestamp));
  CHECK(Canonical(Int(*ParseDate("2001-01-01"), Storage::kDate), CanonicalForm::kDate) ==
        Canonical(Text("2001-01-01"), CanonicalForm::kDate));
  unsigned char bytes[16];
  REQUIRE(ParseUuid("123e4567-e89b-12d3-a456-426614174000", bytes));
  ColumnVector uuid(Storage::kUuid);
  uuid.AppendBytes(std::string_view(reinterpret_cast<const char*>(bytes), 16));
  CHECK(Canonical(uuid, CanonicalForm::kUuid) ==
        Canonical(Text("123E4567-E89B-12D3-A456-426614174000"), CanonicalForm::kUuid));
}

TEST_CASE("row hashes see swapped columns, moved bytes, and NULL for empty", "[row_hash]") {
  RowHasher hasher({CanonicalForm::kText, CanonicalForm::kText});
  const uint64_t base = HashOf(hasher, {Text("ab"), Text("c")});
  CHECK(HashOf(hasher, {Text("ab"), Text("c")}) == base);
  CHECK(HashOf(hasher, {Text("c"), Text("ab")}) != base);  // swapped
  CHECK(HashOf(hasher, {Text("a"), Text("bc")}) != base);  // a byte moved across columns
  CHECK(HashOf(hasher, {Text(""), Text("c")}) != HashOf(hasher, {Null(Storage::kText), Text("c")}));

  // Per-column hashes name the columns that differ.
  std::string scratch;
  uint64_t a[2], b[2];
  hasher.Hash(Row({Text("ab"), Text("c")}), 0, scratch, a);
  hasher.Hash(Row({Text("ab"), Text("d")}), 0, scratch, b);
  CHECK(a[0] == b[0]);
  CHECK(a[1] != b[1]);

  // The key of a row is the same bytes whatever storage each end holds it in.
  RowHasher numbers({CanonicalForm::kNumber});
  std::string k1, k2;
  numbers.Key(Row({Int(7)}), 0, {0}, k1);
  numbers.Key(Row({Text("7", Storage::kDecimal)}), 0, {0}, k2);
  CHECK(k1 == k2);
}

TEST_CASE("range digests are order-independent and count duplicates", "[row_hash]") {
  RowHasher hasher({CanonicalForm::kNumber, CanonicalForm::kText});
  Batch forward({Storage::kInt64, Storage::kText});
  Batch backward({Storage::kInt64, Storage::kText});
  for (int i = 0; i < 100; ++i) {
    forward.column(0).AppendInt(i);
    forward.column(1).AppendBytes("row " + std::to_string(i));
    backward.column(0).AppendInt(99 - i);
    backward.column(1).AppendBytes("row " + std::to_string(99 - i));
  }
  const RangeDigest a = DigestRows(hasher, forward, 0, 100);
  CHECK(a == DigestRows(hasher, backward, 0, 100));
  CHECK(a.rows == 100);
  RangeDigest split = DigestRows(hasher, forward, 0, 37);
  split.Merge(DigestRows(hasher, forward, 37, 100));
  CHECK(split == a);
  // One row twice instead of two distinct rows: same count, different sum.
  Batch doubled({Storage::kInt64, Storage::kText});
  doubled.column(0).CopyFrom(forward.column(0));
  doubled.column(1).CopyFrom(forward.column(1));
  doubled.column(0).AppendInt(5);
  doubled.column(1).AppendBytes("row 5");
  RangeDigest with_duplicate = DigestRows(hasher, doubled, 0, 101);
  CHECK(with_duplicate.rows == 101);
  CHECK(!(with_duplicate == a));
}
