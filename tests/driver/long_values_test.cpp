// Spill files (drivers/long_values.hpp): a long value written in pieces reads back the same
// bytes, in pieces or as one view, and the view of a spill file is its mapping, not a copy.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "drivers/long_values.hpp"

using namespace ferry;

namespace {

class StringValue final : public LongValue {
 public:
  explicit StringValue(std::string bytes) : bytes_(std::move(bytes)) {}
  size_t size() const override { return bytes_.size(); }
  void Read(size_t offset, char* out, size_t length) const override {
    std::memcpy(out, bytes_.data() + offset, length);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

std::string Bytes(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = char((i * 131 + i / 7) & 0xFF);
  return out;
}

}  // namespace

TEST_CASE("a long value is seen whole with the bytes it was written with, a spill file mapped",
          "[long_values]") {
  const std::string bytes = Bytes(kLongValuePiece * 2 + 12345);
  SpillFile file;
  for (size_t at = 0; at < bytes.size(); at += 1000003) file.Append(bytes.substr(at, 1000003));
  REQUIRE(file.size() == bytes.size());
  {
    WholeLongValue view(file);
    CHECK(view.bytes() == bytes);
    // The view is the file's own pages, not a copy: a byte written to the file shows in it.
    const char changed = char(~bytes[5]);
    REQUIRE(::pwrite(file.fd(), &changed, 1, 5) == 1);
    CHECK(view.bytes()[5] == changed);
  }
  std::string again;
  ForEachPiece(file, [&](std::string_view piece) { again.append(piece); });
  CHECK(again.size() == bytes.size());
  CHECK(again.substr(6) == bytes.substr(6));
  StringValue other(bytes);
  WholeLongValue copied(other);
  CHECK(copied.bytes() == bytes);
  CHECK(copied.bytes().data() != other.bytes().data());
}
