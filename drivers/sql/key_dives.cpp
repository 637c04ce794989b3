#include "drivers/sql/key_dives.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ferry {

namespace {

// Wide enough for the span of any 64-bit key, signed or not, times the dive count.
__extension__ typedef __int128 Wide;

// Dives per statement at most: one statement of 20,000 parenthesized SELECTs is ~2 MB of text.
constexpr size_t kMaxDives = 20000;
// Fewer distinct keys than this share of the dives: the key space has gaps that mislead.
constexpr double kMinDistinctShare = 0.9;
// Keys each dive reads to measure the key's density where it lands, and how far the rows that
// the densities add up to may be from the statistics' estimate (itself a sample's).
constexpr int kKeysPerDive = 16;
constexpr double kMaxEstimateError = 1.5;

// A decimal integer's text as a number.
std::optional<Wide> Parse(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  const std::string& t = *text;
  size_t i = t[0] == '-' ? 1 : 0;
  if (i == t.size()) return std::nullopt;
  Wide value = 0;
  for (; i < t.size(); ++i) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
    value = value * 10 + (t[i] - '0');
  }
  return t[0] == '-' ? -value : value;
}

std::string Text(Wide v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string out;
  for (; v != 0; v /= 10) out += char('0' + int(negative ? -(v % 10) : v % 10));
  if (negative) out += '-';
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

std::optional<std::vector<std::vector<std::string>>> SampleByKeyDives(SqlSession& session,
                                                                      const Dialect& dialect,
                                                                      const Table& table,
                                                                      const std::vector<int>& key,
                                                                      size_t count) {
  if (key.size() != 1 || count < 2 || count > kMaxDives) return std::nullopt;
  const Column& column = table.columns[size_t(key[0])];
  if (column.type.kind != TypeKind::kInteger) return std::nullopt;
  const std::string k = dialect.Quote(column.name);
  const std::string from = dialect.QualifiedName(table.name);
  // Both ends from the index alone.
  auto bounds = session.Query(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}", k, from));
  if (bounds.empty() || bounds[0].size() < 2) return std::nullopt;
  const std::optional<Wide> lo = Parse(bounds[0][0]), hi = Parse(bounds[0][1]);
  if (!lo || !hi || *hi - *lo < Wide(count)) return std::nullopt;
  // Each dive reads the few keys after its value too: how many values they span is the key's
  // density there, and the densities summed over the dives' intervals estimate the table's rows.
  // Keys bunched between dives (most rows in a sliver of the key space) make that estimate miss
  // the statistics' row count, and the dives are not used.
  std::string sql;
  for (size_t i = 0; i < count; ++i) {
    const Wide at = *lo + (*hi - *lo) * Wide(i) / Wide(count);
    sql += fmt::format("{}(SELECT {}, {} FROM {} WHERE {} >= {} ORDER BY {} LIMIT {})",
                       i == 0 ? "" : " UNION ALL ", i, k, from, k, Text(at), k, kKeysPerDive);
  }
  std::vector<std::vector<Wide>> dives(count);
  for (const SqlSession::Row& row : session.Query(sql)) {
    const std::optional<Wide> i = row.size() == 2 ? Parse(row[0]) : std::nullopt;
    const std::optional<Wide> v = row.size() == 2 ? Parse(row[1]) : std::nullopt;
    if (i && v && *i >= 0 && *i < Wide(count)) dives[size_t(*i)].push_back(*v);
  }
  std::vector<Wide> found;
  double estimate = 0;
  const double interval = double(*hi - *lo) / double(count);
  for (std::vector<Wide>& d : dives) {
    if (d.empty()) continue;
    std::sort(d.begin(), d.end());
    found.push_back(d.front());
    // n keys over the values from the first to the last: n - 1 steps (one key: none to judge).
    if (d.size() > 1) estimate += interval * double(d.size() - 1) / double(d.back() - d.front());
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  if (double(found.size()) < kMinDistinctShare * double(count)) return std::nullopt;
  if (table.estimated_rows > 0) {
    const double ratio = estimate / double(table.estimated_rows);
    if (ratio < 1 / kMaxEstimateError || ratio > kMaxEstimateError) return std::nullopt;
  }
  std::vector<std::vector<std::string>> out;
  out.reserve(found.size());
  for (Wide v : found) out.push_back({Text(v)});
  return out;
}

}  // namespace ferry
