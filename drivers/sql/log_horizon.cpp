// Reading a change log without waiting for its writers (copier/log_gaps.hpp): the log's largest
// number, the transactions open right after it was read, and the numbers missing below it.
#include <fmt/format.h>

#include <algorithm>

#include "copier/error.hpp"
#include "drivers/sql/change_log.hpp"

namespace ferry {

namespace {

int64_t ToInt(const std::optional<std::string>& v) {
  return v && !v->empty() ? std::stoll(*v) : 0;
}

}  // namespace

LogHorizon ReadLogHorizon(SqlSession& s, const ChangeLogEngine& engine, const ChangeLog& log,
                          int64_t first, int lock_wait_seconds) {
  const std::string max_sql = fmt::format("SELECT max({}) FROM {}", log.seq, log.log);
  // A number below the largest one was taken before it, so a transaction that took one and had
  // not committed when the largest was read is still open below, or has ended by then: committed
  // (its entry is seen by the reads that follow) or rolled back (its number never appears).
  const int64_t max = ToInt(s.Query(max_sql).at(0)[0]);
  std::optional<std::vector<std::string>> writers = engine.OpenTransactions(s);
  if (!writers) return {engine.StableSequence(s, log, max_sql, lock_wait_seconds), {}};
  LogHorizon h{max, {}};
  // No transaction open: every number missing below `max` is missing for good.
  if (writers->empty() || max < first) return h;
  const int64_t lowest =
      ToInt(s.Query(fmt::format("SELECT min({0}) FROM {1} WHERE {0} >= {2} AND {0} <= {3}", log.seq,
                                log.log, first, max))
                .at(0)[0]);
  if (lowest > first) h.gaps.push_back(LogGap{first, lowest - 1, *writers});
  for (const auto& row : s.Query(fmt::format(
           "SELECT seq, nxt FROM (SELECT {0} AS seq, LEAD({0}) OVER (ORDER BY {0}) AS nxt FROM {1} "
           "WHERE {0} >= {2} AND {0} <= {3}) g WHERE nxt > seq + 1 ORDER BY seq LIMIT {4}",
           log.seq, log.log, lowest, max, kMaxLogGaps + 1))) {
    h.gaps.push_back(LogGap{ToInt(row[0]) + 1, ToInt(row[1]) - 1, *writers});
  }
  if (h.gaps.size() > kMaxLogGaps) {
    h.upto = h.gaps[kMaxLogGaps].first - 1;
    h.gaps.resize(kMaxLogGaps);
  }
  return h;
}

std::vector<std::string> StillOpen(SqlSession& s, const ChangeLogEngine& engine,
                                   const std::vector<std::string>& writers) {
  std::optional<std::vector<std::string>> open = engine.OpenTransactions(s);
  // Cannot tell (the right to see them was taken away since): every one counts as open, and
  // their gaps stay until their entries appear.
  if (!open) return writers;
  std::vector<std::string> out;
  for (const std::string& w : writers) {
    if (std::find(open->begin(), open->end(), w) != open->end()) out.push_back(w);
  }
  return out;
}

int64_t PurgeBound(SqlSession& s, const ChangeLog& log, int64_t floor) {
  return ToInt(
      s.Query(fmt::format("SELECT max({0}) FROM {1} WHERE {0} <= {2}", log.seq, log.log, floor))
          .at(0)[0]);
}

std::unique_ptr<ChangeLogEngine> Dialect::ChangeLog() const {
  return nullptr;
}

}  // namespace ferry
