// Long values (copier/batch.hpp) stand for bytes kept outside the batch: everything that looks at
// a value must see the same bytes whether a value is held in the batch or as a long value, and
// whatever pieces it is read in.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>

#include "copier/batch.hpp"
#include "copier/row_hash.hpp"
#include "copier/values.hpp"

using namespace ferry;

namespace {

// A long value whose bytes are simply a string (the drivers' spill file is I/O, not copier's).
class StringValue final : public LongValue {
 public:
  explicit StringValue(std::string bytes) : bytes_(std::move(bytes)) {}
  size_t size() const override { return bytes_.size(); }
  void Read(size_t offset, char* out, size_t length) const override {
    REQUIRE(offset + length <= bytes_.size());
    std::memcpy(out, bytes_.data() + offset, length);
  }

 private:
  std::string bytes_;
};

std::string LongText() {
  std::string text;
  // Five megabytes of one- to four-byte characters, so pieces split characters.
  while (text.size() < (5u << 20)) text += "a\xC3\xA9\xE5\xA4\xA7\xF0\x9F\x9A\xA2 ";
  return text;
}

}  // namespace

TEST_CASE("a row hashes the same whether its value is held in the batch or as a long value",
          "[long_values][row_hash]") {
  const std::string text = LongText();
  Batch held({Storage::kInt64, Storage::kText, Storage::kBytes});
  held.column(0).AppendInt(7);
  held.column(1).AppendBytes(text);
  held.column(2).AppendBytes(std::string("\x00\x01", 2));
  Batch long_values({Storage::kInt64, Storage::kText, Storage::kBytes});
  long_values.column(0).AppendInt(7);
  long_values.column(1).AppendLong(std::make_shared<StringValue>(text));
  long_values.column(2).AppendBytes(std::string("\x00\x01", 2));
  for (CanonicalForm form : {CanonicalForm::kText, CanonicalForm::kPaddedText}) {
    RowHasher hasher({CanonicalForm::kNumber, form, CanonicalForm::kBytes});
    std::string scratch;
    uint64_t held_columns[3], long_columns[3];
    const uint64_t a = hasher.Hash(held, 0, scratch, held_columns);
    const uint64_t b = hasher.Hash(long_values, 0, scratch, long_columns);
    CHECK(a == b);
    for (int i = 0; i < 3; ++i) CHECK(held_columns[i] == long_columns[i]);
  }
  // And a different long value hashes differently.
  std::string changed = text;
  changed[text.size() / 2] = 'x';
  Batch other({Storage::kInt64, Storage::kText, Storage::kBytes});
  other.column(0).AppendInt(7);
  other.column(1).AppendLong(std::make_shared<StringValue>(changed));
  other.column(2).AppendBytes(std::string("\x00\x01", 2));
  RowHasher hasher({CanonicalForm::kNumber, CanonicalForm::kText, CanonicalForm::kBytes});
  std::string scratch;
  CHECK(hasher.Hash(held, 0, scratch) != hasher.Hash(other, 0, scratch));
}

TEST_CASE("UTF-8 counted in pieces agrees with counting it whole wherever the pieces split it",
          "[long_values][values]") {
  const std::string text = "a\xC3\xA9\xE5\xA4\xA7\xF0\x9F\x9A\xA2 b\xC3\xA9";
  const size_t whole = *Utf8Length(text);
  for (size_t piece = 1; piece <= text.size(); ++piece) {
    Utf8Counter counter;
    for (size_t at = 0; at < text.size(); at += piece) counter.Add(text.substr(at, piece));
    CHECK(counter.Finish() == whole);
    CHECK_FALSE(counter.has_nul());
  }
  Utf8Counter broken;
  broken.Add("ab\xC3");
  broken.Add("(");
  CHECK_FALSE(broken.Finish().has_value());
  Utf8Counter truncated;
  truncated.Add("ab\xF0\x9F");
  CHECK_FALSE(truncated.Finish().has_value());
  Utf8Counter nul;
  nul.Add(std::string("a\0b", 3));
  CHECK(nul.has_nul());
}

TEST_CASE("long values travel with their rows through copies, swaps and reads into memory",
          "[long_values][batch]") {
  Batch batch({Storage::kBytes});
  batch.column(0).AppendBytes("short");
  batch.column(0).AppendLong(std::make_shared<StringValue>(std::string(3u << 20, 'z')));
  batch.column(0).AppendNull();
  REQUIRE(batch.has_long());
  CHECK(batch.column(0).Long(0) == nullptr);
  REQUIRE(batch.column(0).Long(1) != nullptr);
  CHECK(batch.column(0).ValueSize(1) == (3u << 20));
  CHECK(batch.column(0).Long(2) == nullptr);
  CHECK(batch.column(0).IsNull(2));

  ColumnVector copy(Storage::kBytes);
  copy.CopyFrom(batch.column(0));
  CHECK(copy.Long(1) == batch.column(0).Long(1));
  ColumnVector swapped(Storage::kBytes);
  swapped.Swap(copy);
  CHECK(swapped.Long(1) != nullptr);
  CHECK_FALSE(copy.has_long());

  Batch whole = WithLongValuesInMemory(batch);
  CHECK_FALSE(whole.has_long());
  CHECK(whole.column(0).Bytes(0) == "short");
  CHECK(whole.column(0).Bytes(1) == std::string(3u << 20, 'z'));
  CHECK(whole.column(0).IsNull(2));

  batch.Clear();
  CHECK_FALSE(batch.has_long());
}
