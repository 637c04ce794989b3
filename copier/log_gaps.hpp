// Gaps in a change log read without waiting for its writers. Where log numbers are taken when a
// row is written and become visible when its transaction commits (MariaDB's AUTO_INCREMENT,
// PostgreSQL's identity columns), a sync that reads the log up to its largest number finds
// numbers missing below it: taken by transactions still open (their entries appear when they
// commit) or by transactions that rolled back (never to appear). Each missing stretch is kept as a
// gap with the transactions open when it was seen (only one of them can still fill it); later
// syncs read the gap again, and a gap is dropped when its entries are all there or every
// transaction kept with it has ended (then the re-read, made after that was seen, found
// everything that will ever be there). The sync state keeps the pending gaps with the position,
// and the log is never purged at or above one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry {

struct LogGap {
  int64_t first = 0;  // the missing numbers first..last
  int64_t last = 0;
  // The transactions open when the gap was seen, as the engine names them (connection and start
  // on MariaDB: an id InnoDB gives a transaction changes when it first writes).
  std::vector<std::string> writers;
};

// How far a sync may read a log now: up to `upto`, with `gaps` (ascending, within the range read)
// still pending.
struct LogHorizon {
  int64_t upto = 0;
  std::vector<LogGap> gaps;
};

// At most this many gaps are kept for one table: a log whose numbers step by more than one
// (auto_increment_increment) shows a gap between every two entries, and a sync then reads only
// as far as this many gaps while writers are open.
inline constexpr size_t kMaxLogGaps = 1000;

// The sync state's text for pending gaps ("" for none): "first-last,first-last@w1,w2;..." with
// gaps of the same writers together.
std::string FormatGaps(const std::vector<LogGap>& gaps);
// The gaps FormatGaps wrote; throws std::invalid_argument for other text.
std::vector<LogGap> ParseGaps(const std::string& text);

// What is left of `gaps` once they were read again: `open` are the writers still open, asked
// before the re-read; `complete[i]` says whether every entry of gaps[i] was there. A gap stays
// (with its writers still open) unless its entries are all there or none of its writers is open.
std::vector<LogGap> ResolveGaps(const std::vector<LogGap>& gaps,
                                const std::vector<std::string>& open,
                                const std::vector<bool>& complete);

// The sequence a consumer at `applied` with `gaps` pending registers with the log: below its
// first pending gap, so a purge (which keeps the entry at the sequence every consumer applied)
// never removes an entry a pending gap still waits for.
int64_t PurgeFloor(int64_t applied, const std::vector<LogGap>& gaps);

// The gaps of `gaps` at or below `sequence`: those a sync that applied up to it has passed.
std::vector<LogGap> GapsUpTo(const std::vector<LogGap>& gaps, int64_t sequence);

// Every writer named by `gaps`, each once.
std::vector<std::string> GapWriters(const std::vector<LogGap>& gaps);

}  // namespace ferry
