#include "copier/spatial.hpp"

namespace ferry {

namespace {

constexpr uint32_t kZFlag = 0x80000000u;
constexpr uint32_t kMFlag = 0x40000000u;
constexpr uint32_t kSridFlag = 0x20000000u;
constexpr int kMaxDepth = 32;

// The 4-byte word at the start of `bytes` (at least 4 long) in the given byte order.
uint32_t WordAt(std::string_view bytes, bool little) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t b = uint8_t(bytes[size_t(i)]);
    v |= little ? b << (8 * i) : b << (8 * (3 - i));
  }
  return v;
}

// Reads WKB from `at`, advancing it; false at anything malformed.
class WkbReader {
 public:
  explicit WkbReader(std::string_view bytes) : bytes_(bytes) {}

  bool Geometry(bool outermost, int depth, uint32_t* srid) {
    if (depth > kMaxDepth || at_ >= bytes_.size()) return false;
    const uint8_t order = uint8_t(bytes_[at_++]);
    if (order > 1) return false;
    little_ = order == 1;
    uint32_t type;
    if (!Word(&type)) return false;
    const bool has_srid = (type & kSridFlag) != 0;
    int dims = 2 + ((type & kZFlag) ? 1 : 0) + ((type & kMFlag) ? 1 : 0);
    if ((type & 0x0fffffffu) != (type & ~(kZFlag | kMFlag | kSridFlag))) return false;
    uint32_t base = type & 0x0fffffffu;
    if (base >= 1000) {  // ISO WKB: 1000s add Z, 2000s M, 3000s both
      if (base >= 4000 || dims != 2) return false;
      dims += base / 1000 == 3 ? 2 : 1;
      base %= 1000;
    }
    if (has_srid) {
      uint32_t value;
      if (!outermost || !Word(&value)) return false;
      if (srid) *srid = value;
    }
    switch (base) {
      case 1:
        return Skip(size_t(dims) * 8);
      case 2:
        return Points(dims);
      case 3: {
        uint32_t rings;
        if (!Word(&rings) || rings > Left() / 4) return false;
        for (uint32_t r = 0; r < rings; ++r) {
          if (!Points(dims)) return false;
        }
        return true;
      }
      case 4:
      case 5:
      case 6:
      case 7: {
        uint32_t parts;
        if (!Word(&parts) || parts > Left() / 5) return false;
        for (uint32_t p = 0; p < parts; ++p) {
          if (!Geometry(false, depth + 1, nullptr)) return false;
        }
        return true;
      }
      default:
        return false;
    }
  }

  bool AtEnd() const { return at_ == bytes_.size(); }

 private:
  size_t Left() const { return bytes_.size() - at_; }

  bool Word(uint32_t* out) {
    if (Left() < 4) return false;
    *out = WordAt(bytes_.substr(at_), little_);
    at_ += 4;
    return true;
  }

  bool Skip(size_t n) {
    if (Left() < n) return false;
    at_ += n;
    return true;
  }

  bool Points(int dims) {
    uint32_t n;
    if (!Word(&n) || n > Left() / (size_t(dims) * 8)) return false;
    return Skip(size_t(n) * size_t(dims) * 8);
  }

  std::string_view bytes_;
  size_t at_ = 0;
  bool little_ = true;
};

void PutWord(std::string& out, uint32_t v, bool little) {
  for (int i = 0; i < 4; ++i) out.push_back(char((v >> (8 * (little ? i : 3 - i))) & 0xff));
}

}  // namespace

bool IsEwkb(std::string_view bytes) {
  WkbReader reader(bytes);
  return reader.Geometry(true, 0, nullptr) && reader.AtEnd();
}

std::optional<uint32_t> SridOfEwkb(std::string_view bytes) {
  WkbReader reader(bytes);
  uint32_t srid = 0;
  if (!reader.Geometry(true, 0, &srid) || !reader.AtEnd()) return std::nullopt;
  return srid;
}

std::optional<std::string> EwkbOfSridPrefixed(std::string_view bytes) {
  if (bytes.size() < 9) return std::nullopt;
  const std::string_view wkb = bytes.substr(4);
  WkbReader reader(wkb);
  if (!reader.Geometry(true, 0, nullptr) || !reader.AtEnd()) return std::nullopt;
  const uint32_t srid = WordAt(bytes, true);
  const bool little = wkb[0] == 1;
  const uint32_t type = WordAt(wkb.substr(1), little);
  if (type & kSridFlag) return std::nullopt;  // WKB with an SRID of its own
  if (srid == 0) return std::string(wkb);
  std::string out;
  out.reserve(wkb.size() + 4);
  out.push_back(wkb[0]);
  PutWord(out, type | kSridFlag, little);
  PutWord(out, srid, little);
  out.append(wkb.substr(5));
  return out;
}

std::string CanonicalSpatial(std::string_view bytes) {
  if (IsEwkb(bytes)) return std::string(bytes);
  if (std::optional<std::string> ewkb = EwkbOfSridPrefixed(bytes)) return *ewkb;
  return std::string(bytes);
}

}  // namespace ferry
