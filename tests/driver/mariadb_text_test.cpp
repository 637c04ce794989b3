// MariaDB's text forms without a server: what LOAD DATA is sent for every storage, and how the
// text protocol's values decode into batch storage (drivers/mariadb/mariadb_text.hpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/convert.hpp"
#include "copier/values.hpp"
#include "drivers/mariadb/mariadb_text.hpp"

using namespace ferry;
using ferry::mariadb::LoadDataEncoder;
using ferry::mariadb::TextRowDecoder;

namespace {

std::string Encode(const Batch& batch, const std::vector<bool>& years = {}) {
  std::vector<Storage> storages;
  for (size_t c = 0; c < batch.num_columns(); ++c) storages.push_back(batch.column(c).storage());
  std::string out;
  LoadDataEncoder(storages, years).Encode(batch, 0, batch.num_rows(), out);
  return out;
}

// Decodes one value of `storage`; nullopt when the decoder refuses it, else its canonical text.
std::optional<std::string> Decode(Storage storage, const std::string& text) {
  Batch batch({storage});
  const char* values[] = {text.c_str()};
  const unsigned long lengths[] = {text.size()};
  if (TextRowDecoder({storage}).Append(values, lengths, batch) >= 0) return std::nullopt;
  return FormatValue(batch.column(0), 0);
}

}  // namespace

TEST_CASE(
    "LOAD DATA text escapes backslashes, tabs, newlines and NUL, and writes NULL as backslash-N",
    "[mariadb]") {
  Batch batch({Storage::kInt64, Storage::kText, Storage::kBytes});
  batch.column(0).AppendInt(1);
  batch.column(1).AppendBytes(std::string("a\tb\nc\\d\0e\r\x1a", 11));
  batch.column(2).AppendBytes(std::string("\\N\0", 3));
  batch.column(0).AppendInt(-2);
  batch.column(1).AppendBytes("");
  batch.column(2).AppendNull();
  batch.column(0).AppendNull();
  batch.column(1).AppendBytes("NULL");
  batch.column(2).AppendBytes("\\");
  CHECK(Encode(batch) == std::string("1\ta\\tb\\nc\\\\d\\0e\r\x1a\t\\\\N\\0\n"
                                     "-2\t\t\\N\n"
                                     "\\N\tNULL\t\\\\\n"));
}

TEST_CASE("LOAD DATA text spells every storage in a form MariaDB reads back exactly", "[mariadb]") {
  Batch batch({Storage::kBool, Storage::kUInt64, Storage::kFloat64, Storage::kFloat64,
               Storage::kDecimal, Storage::kDate, Storage::kTime, Storage::kTimestamp,
               Storage::kUuid});
  batch.column(0).AppendInt(1);
  batch.column(1).AppendUInt(18446744073709551615u);
  batch.column(2).AppendFloat(0.1);
  batch.column(3).AppendFloat(double(3.40282e38f));
  batch.column(4).AppendBytes("-12.50");
  batch.column(5).AppendInt(*ParseDate("0001-01-01"));
  batch.column(6).AppendInt(*ParseTime("23:59:59.999999"));
  batch.column(7).AppendInt(*ParseTimestamp("1969-12-31 23:59:59.5"));
  const unsigned char uuid[16] = {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8,
                                  0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11};
  batch.column(8).AppendBytes(std::string_view(reinterpret_cast<const char*>(uuid), 16));
  CHECK(Encode(batch) ==
        "1\t18446744073709551615\t0.1\t3.402820018375656e+38\t-12.50\t0001-01-01\t"
        "23:59:59.999999\t1969-12-31 23:59:59.5\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\n");
}

TEST_CASE("YEAR columns are sent as four digits, so year 0 is not read as 2000", "[mariadb]") {
  Batch batch({Storage::kInt64, Storage::kInt64});
  for (int64_t year : {0, 1901, 2155}) {
    batch.column(0).AppendInt(year);
    batch.column(1).AppendInt(year);
  }
  CHECK(Encode(batch, {true, false}) == "0000\t0\n1901\t1901\n2155\t2155\n");
}

TEST_CASE("LOAD DATA rows far longer than the first estimate still encode whole", "[mariadb]") {
  Batch batch({Storage::kText, Storage::kInt64});
  const std::string tabs(100000, '\t');
  batch.column(0).AppendBytes("short");
  batch.column(1).AppendInt(1);
  batch.column(0).AppendBytes(tabs);
  batch.column(1).AppendInt(2);
  std::string expected = "short\t1\n";
  for (size_t i = 0; i < tabs.size(); ++i) expected += "\\t";
  expected += "\t2\n";
  CHECK(Encode(batch) == expected);
}

TEST_CASE("text-protocol values decode into batch storage exactly", "[mariadb]") {
  CHECK(Decode(Storage::kInt64, "-9223372036854775808") == "-9223372036854775808");
  CHECK(Decode(Storage::kUInt64, "18446744073709551615") == "18446744073709551615");
  CHECK(Decode(Storage::kBool, "1") == "true");
  CHECK(Decode(Storage::kFloat64, "4.9e-324") == "5e-324");
  CHECK(Decode(Storage::kFloat64, "-1.7976931348623157e308") == "-1.7976931348623157e+308");
  CHECK(Decode(Storage::kDecimal, "-0.0000000001") == "-0.0000000001");
  CHECK(Decode(Storage::kDecimal, "10.00") == "10.00");
  CHECK(Decode(Storage::kDecimal, "-0.00") == "0.00");
  CHECK(Decode(Storage::kDate, "1969-12-31") == "1969-12-31");
  CHECK(Decode(Storage::kTime, "12:34:56.500000") == "12:34:56.5");
  CHECK(Decode(Storage::kTimestamp, "9999-12-31 23:59:59.999999") == "9999-12-31 23:59:59.999999");
  CHECK(Decode(Storage::kUuid, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11") ==
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  CHECK(Decode(Storage::kText, std::string("a\0b", 3)) == std::string("a\0b", 3));
}

TEST_CASE(
    "MariaDB's zero dates and TIME values beyond a day decode, and encode back as MariaDB "
    "wrote them",
    "[mariadb]") {
  CHECK(Decode(Storage::kDate, "0000-00-00") == "0000-00-00");
  CHECK(Decode(Storage::kDate, "2024-00-15") == "2024-00-15");
  CHECK(Decode(Storage::kDate, "2024-05-00") == "2024-05-00");
  CHECK(Decode(Storage::kDate, "0000-01-01") == "0000-01-01");
  CHECK(Decode(Storage::kTimestamp, "0000-00-00 00:00:00") == "0000-00-00 00:00:00");
  CHECK(Decode(Storage::kTimestamp, "2020-00-00 10:11:12.5") == "2020-00-00 10:11:12.5");
  CHECK(Decode(Storage::kTime, "838:59:59") == "838:59:59");
  CHECK(Decode(Storage::kTime, "-838:59:59.999999") == "-838:59:59.999999");
  CHECK(Decode(Storage::kTime, "-00:00:01") == "-00:00:01");
  CHECK(Decode(Storage::kTime, "100:00:00") == "100:00:00");
  // A zero date sorts before every real date, as MariaDB sorts it.
  CHECK(*ParseZeroDate("2024-05-00") < *ParseDate("0001-01-01"));
  CHECK_FALSE(ParseZeroDate("2024-05-01"));
  Batch batch({Storage::kDate, Storage::kTime, Storage::kTimestamp});
  batch.column(0).AppendInt(*ParseZeroDate("0000-00-00"));
  batch.column(1).AppendInt(*ParseDuration("-838:59:59.000001"));
  batch.column(2).AppendInt(int64_t(*ParseZeroDate("2024-00-00")) * kMicrosPerDay + 3600000000);
  CHECK(Encode(batch) == "0000-00-00\t-838:59:59.000001\t2024-00-00 01:00:00\n");
}

TEST_CASE("text-protocol values that are not values of their column's type are refused",
          "[mariadb]") {
  CHECK_FALSE(Decode(Storage::kDate, "2021-02-29"));
  CHECK_FALSE(Decode(Storage::kDate, "2021-13-00"));
  CHECK_FALSE(Decode(Storage::kTimestamp, "2021-02-30 00:00:00"));
  CHECK_FALSE(Decode(Storage::kTime, "839:00:00"));
  CHECK_FALSE(Decode(Storage::kTime, "12:60:00"));
  CHECK_FALSE(Decode(Storage::kBool, "2"));
  CHECK_FALSE(Decode(Storage::kBool, "-1"));
  CHECK_FALSE(Decode(Storage::kInt64, "9223372036854775808"));
  CHECK_FALSE(Decode(Storage::kInt64, "12a"));
  CHECK_FALSE(Decode(Storage::kUInt64, "-1"));
  CHECK_FALSE(Decode(Storage::kDecimal, "1.2.3"));
  CHECK_FALSE(Decode(Storage::kUuid, "not-a-uuid"));
}

TEST_CASE("a row with a value that cannot be decoded names its column and keeps its shape",
          "[mariadb]") {
  Batch batch({Storage::kInt64, Storage::kDate, Storage::kText});
  const char* values[] = {"7", "2021-02-29", nullptr};
  const unsigned long lengths[] = {1, 10, 0};
  CHECK(TextRowDecoder({Storage::kInt64, Storage::kDate, Storage::kText})
            .Append(values, lengths, batch) == 1);
  REQUIRE(batch.num_rows() == 1);
  CHECK(batch.column(0).Int(0) == 7);
  CHECK(batch.column(1).IsNull(0));
  CHECK(batch.column(2).IsNull(0));
}
