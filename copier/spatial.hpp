// Spatial values between engines. Their canonical form is EWKB (PostGIS's extended WKB: the
// SRID, when not 0, after the top-level type, flagged by 0x20000000); MariaDB keeps a value as
// its SRID (4 bytes, little-endian) followed by WKB, which ferry turns into EWKB when it leaves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry {

// A value that is whole, well-formed (E)WKB: every geometry's byte order, type and counts read,
// every byte used, an SRID only on the outermost geometry.
bool IsEwkb(std::string_view bytes);

// The EWKB of a value kept as SRID then WKB (MariaDB's form); nullopt when it is not one. An SRID
// of 0 (none) gives plain WKB, as PostGIS writes a geometry without an SRID.
std::optional<std::string> EwkbOfSridPrefixed(std::string_view bytes);

// The SRID an EWKB value carries (0 when none); nullopt when it is not EWKB.
std::optional<uint32_t> SridOfEwkb(std::string_view bytes);

// The bytes verify compares: EWKB as it is; a value in MariaDB's form as its EWKB; anything
// else as it is. MariaDB writes WKB little-endian, so its form never reads as EWKB (its fifth
// byte, the byte order 1, would be the high byte of an EWKB type, which none has).
std::string CanonicalSpatial(std::string_view bytes);

}  // namespace ferry
