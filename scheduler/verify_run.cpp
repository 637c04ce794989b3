#include "scheduler/verify_run.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "copier/convert.hpp"
#include "copier/row_hash.hpp"
#include "copier/run_state.hpp"
#include "copier/table_plan.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/stop.hpp"

namespace ferry {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A thread that owns one read session and runs every read on it, so each connection is only
// ever used by the thread that opened it. The session opens on first use; after a failed read
// it is dropped and the next read opens a fresh one (a failed read may leave it mid-result).
class SessionThread {
 public:
  explicit SessionThread(Endpoint& endpoint) : endpoint_(endpoint), thread_([this] { Loop(); }) {}
  ~SessionThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  SessionThread(const SessionThread&) = delete;
  SessionThread& operator=(const SessionThread&) = delete;

  std::future<void> Run(std::function<void(ReadSession&)> fn) {
    Work work{std::move(fn), {}};
    std::future<void> done = work.done.get_future();
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(work));
    }
    wake_.notify_all();
    return done;
  }

 private:
  struct Work {
    std::function<void(ReadSession&)> fn;
    std::promise<void> done;
  };

  void Loop() {
    std::unique_ptr<ReadSession> session;
    for (;;) {
      Work work;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        work = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        if (!session) session = endpoint_.OpenReadSession();
        work.fn(*session);
        work.done.set_value();
      } catch (...) {
        session.reset();
        work.done.set_exception(std::current_exception());
      }
    }
  }

  Endpoint& endpoint_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Work> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

// Runs `on_source` and `on_destination` at once, on the worker's two session threads, and
// returns when both are done; the first failure is rethrown only after both have finished, as
// both work on the caller's data.
void OnBothSides(SessionThread& source, SessionThread& destination,
                 std::function<void(ReadSession&)> on_source,
                 std::function<void(ReadSession&)> on_destination) {
  std::future<void> s = source.Run(std::move(on_source));
  std::future<void> d = destination.Run(std::move(on_destination));
  s.wait();
  d.wait();
  s.get();
  d.get();
}

struct RangePair {
  KeyRange source;
  KeyRange destination;  // the same range in destination column indices
};

// Where a difference sorts in the report: the top-level range, the path of sub-ranges within
// it, then the key's canonical bytes (numeric order for non-negative integers: the bytes start
// with the length).
struct Found {
  std::vector<int> path;
  std::string order;
  RowDifference difference;
};

struct KeyedRow {
  uint64_t hash = 0;
  std::vector<uint64_t> columns;
  std::string display;
  std::string values;
};
// A row found on one end only, kept until every range has been compared: where the two engines
// order text keys differently (collations), a row can fall in one range at the source and in
// another at the destination, and must then not be reported twice.
struct Pending {
  std::vector<int> path;
  KeyedRow row;
};
using PendingByKey = std::unordered_map<std::string, std::vector<Pending>>;
// Rows held for that per table; beyond it, rows found on one end only are reported as they are.
constexpr size_t kMaxPending = 200'000;

// The report entry for a row on one end (`to` or `from` null) or on both.
Found MakeFound(DifferenceKind kind, const std::vector<int>& path, const std::string& key,
                const KeyedRow* from, const KeyedRow* to,
                const std::vector<std::string>& column_names) {
  Found f;
  f.path = path;
  f.order = key;
  f.difference.kind = kind;
  f.difference.key = from ? from->display : to->display;
  f.difference.source_values = from ? from->values : "";
  f.difference.destination_values = to ? to->values : "";
  if (from && to) {
    for (size_t c = 0; c < from->columns.size(); ++c) {
      if (from->columns[c] != to->columns[c]) f.difference.columns.push_back(column_names[c]);
    }
  }
  return f;
}

bool FoundBefore(const Found& a, const Found& b) {
  return std::tie(a.path, a.order) < std::tie(b.path, b.order);
}

// Keeps the first `max_keys` of each kind in report order. The first N of all differences are
// among the first N of any part of them, so trimming early never loses one the report lists.
void TrimFound(std::vector<Found>& found, size_t max_keys) {
  std::sort(found.begin(), found.end(), FoundBefore);
  std::map<DifferenceKind, size_t> kept;
  std::vector<Found> out;
  for (Found& f : found) {
    if (kept[f.difference.kind]++ < max_keys) out.push_back(std::move(f));
  }
  found = std::move(out);
}

struct Leaf {
  RangePair range;
  std::vector<int> path;
  int64_t source_rows = 0;
  int64_t destination_rows = 0;
};

struct TableState {
  TableVerification* result = nullptr;
  const TablePlan* plan = nullptr;
  TableCopyPlan copy;
  std::optional<RowHasher> hasher;
  std::vector<std::string> key_names;     // source names of the row key's columns
  std::vector<std::string> column_names;  // destination names, in batch order
  std::vector<int> source_position;       // source column index -> batch position, or -1
  std::vector<RangePair> ranges;          // the copy's units
  std::vector<bool> checked;              // chosen by the sample
  bool server_hash = false;               // ranges are first compared by server digests

  // Filled by a comparison pass, under `mutex`.
  std::mutex mutex;
  bool failed = false;
  std::string error;
  ErrorCode error_code = ErrorCode::kInternal;
  DifferenceCounts counts;
  std::vector<Found> found;
  std::vector<Leaf> leaves;  // differing ranges, as small as they were cut
  PendingByKey missing;      // rows of keyed tables found at the source only, so far
  PendingByKey extra;        // and at the destination only
  size_t pending = 0;
  int64_t source_rows = 0;
  int64_t destination_rows = 0;
  int differing = 0;
  int split = 0;
  int rehashed = 0;
  std::optional<Clock::time_point> first_start;
  Clock::time_point last_end;

  bool keyed() const { return !copy.key_positions.empty(); }

  void ResetPass() {
    counts = {};
    found.clear();
    leaves.clear();
    missing.clear();
    extra.clear();
    pending = 0;
    source_rows = destination_rows = 0;
    differing = split = rehashed = 0;
  }
};

struct Task {
  size_t table = 0;
  RangePair range;
  std::vector<int> path;
  bool top = false;  // one of the copy's units: its rows count towards the table's totals
};

struct SideDigest {
  RangeDigest digest;
  int64_t min = std::numeric_limits<int64_t>::max();
  int64_t max = std::numeric_limits<int64_t>::min();
};

void Scan(ReadSession& session, const Table& table, const std::vector<int>& columns,
          const KeyRange& range, const BatchLimits& limits,
          const std::function<void(const Batch&)>& on_batch) {
  ReadRequest request;
  request.table = &table;
  request.columns = columns;
  request.unit.table = table.name;
  request.unit.range = range;
  request.limits = limits;
  std::unique_ptr<RowReader> reader = session.Read(request);
  Batch batch;
  while (reader->Next(batch)) on_batch(batch);
}

// Hashes every row of the range on oneTBB while the session thread waits for the next batch
// to be needed; notes the smallest and largest value of the integer split column (when
// `split_position` >= 0), which is where the range can be cut.
SideDigest DigestSide(ReadSession& session, const Table& table, const std::vector<int>& columns,
                      const KeyRange& range, const BatchLimits& limits, const RowHasher& hasher,
                      int split_position) {
  SideDigest out;
  Scan(session, table, columns, range, limits, [&](const Batch& batch) {
    const size_t rows = batch.num_rows();
    out.digest.Merge(tbb::parallel_reduce(
        tbb::blocked_range<size_t>(0, rows, 512), RangeDigest{},
        [&](const tbb::blocked_range<size_t>& r, RangeDigest acc) {
          acc.Merge(DigestRows(hasher, batch, r.begin(), r.end()));
          return acc;
        },
        [](RangeDigest a, const RangeDigest& b) {
          a.Merge(b);
          return a;
        }));
    if (split_position >= 0) {
      const ColumnVector& c = batch.column(size_t(split_position));
      for (size_t row = 0; row < rows; ++row) {
        if (c.IsNull(row)) continue;
        out.min = std::min(out.min, c.Int(row));
        out.max = std::max(out.max, c.Int(row));
      }
    }
  });
  return out;
}

// "(42, 'abc', NULL)", each value cut at 200 characters: for --show-values only.
std::string RowValues(const Batch& batch, size_t row) {
  std::string out = "(";
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    const ColumnVector& c = batch.column(i);
    std::string v = FormatValue(c, row);
    if (v.size() > 200) v = v.substr(0, 200) + "...";
    const bool quote = !c.IsNull(row) && c.storage() != Storage::kInt64 &&
                       c.storage() != Storage::kUInt64 && c.storage() != Storage::kDecimal &&
                       c.storage() != Storage::kFloat64 && c.storage() != Storage::kBool;
    out += (i > 0 ? ", " : "") + (quote ? "'" + v + "'" : v);
  }
  return out + ")";
}

using KeyedSide = std::unordered_map<std::string, std::vector<KeyedRow>>;

void CollectKeyed(ReadSession& session, const TableState& t, const Table& table,
                  const std::vector<int>& columns, const KeyRange& range,
                  const VerifyOptions& options, KeyedSide& out) {
  std::string scratch, key;
  Scan(session, table, columns, range, options.limits, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      KeyedRow r;
      r.columns.resize(t.hasher->num_columns());
      r.hash = t.hasher->Hash(batch, row, scratch, r.columns.data());
      r.display = RenderKey(batch, t.copy.key_positions, t.key_names, row);
      if (options.show_values) r.values = RowValues(batch, row);
      t.hasher->Key(batch, row, t.copy.key_positions, key);
      out[key].push_back(std::move(r));
    }
  });
}

struct KeylessEntry {
  int64_t count = 0;
  std::string values;
};
using KeylessSide = std::unordered_map<uint64_t, KeylessEntry>;

void CollectKeyless(ReadSession& session, const TableState& t, const Table& table,
                    const std::vector<int>& columns, const KeyRange& range,
                    const VerifyOptions& options, uint64_t passes, uint64_t pass,
                    KeylessSide& out) {
  std::string scratch;
  Scan(session, table, columns, range, options.limits, [&](const Batch& batch) {
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      const uint64_t hash = t.hasher->Hash(batch, row, scratch);
      if (hash % passes != pass) continue;
      KeylessEntry& e = out[hash];
      if (e.count++ == 0 && options.show_values) e.values = RowValues(batch, row);
    }
  });
}

// A unit is cut into this many sub-ranges when it differs.
constexpr int kSplitPieces = 8;
// Rows a keyless comparison holds per side and pass.
constexpr int64_t kKeylessRowsPerPass = 2'000'000;

class Comparison {
 public:
  Comparison(Endpoint& source, Endpoint& destination,
             std::vector<std::unique_ptr<TableState>>& tables, const VerifyOptions& options)
      : source_(source), destination_(destination), tables_(tables), options_(options) {}

  // Compares every task (and the sub-ranges they are cut into) on options.workers workers.
  void Run(std::vector<Task> tasks) {
    for (Task& task : tasks) queue_.push_back(std::move(task));
    std::vector<std::thread> workers;
    const int n = std::max(options_.workers, 1);
    for (int i = 0; i < n; ++i) workers.emplace_back([this] { Work(); });
    for (std::thread& w : workers) w.join();
  }

 private:
  void Work() {
    SessionThread source(source_);
    SessionThread destination(destination_);
    for (;;) {
      Task task;
      {
        std::unique_lock lock(mutex_);
        // Stopped by a signal: what is queued is not compared (the command says so).
        if (StopRequested()) queue_.clear();
        wake_.wait(lock, [&] { return !queue_.empty() || active_ == 0; });
        if (queue_.empty()) {
          wake_.notify_all();
          return;
        }
        task = std::move(queue_.front());
        queue_.pop_front();
        ++active_;
      }
      TableState& t = *tables_[task.table];
      const Clock::time_point start = Clock::now();
      try {
        bool skip;
        {
          std::lock_guard lock(t.mutex);
          skip = t.failed;
        }
        if (!skip) Compare(task, t, source, destination);
      } catch (const Error& e) {
        Fail(t, e.what(), e.code());
      } catch (const std::exception& e) {
        Fail(t, e.what(), ErrorCode::kInternal);
      }
      {
        std::lock_guard lock(t.mutex);
        if (!t.first_start || start < *t.first_start) t.first_start = start;
        t.last_end = std::max(t.last_end, Clock::now());
      }
      {
        std::lock_guard lock(mutex_);
        --active_;
      }
      wake_.notify_all();
    }
  }

  static void Fail(TableState& t, const std::string& error, ErrorCode code) {
    std::lock_guard lock(t.mutex);
    if (t.failed) return;
    t.failed = true;
    t.error = error;
    t.error_code = code;
  }

  // The batch position of the range's split column when the range can be cut by value: one
  // integer column on both ends, a range of keys (not NULL keys, not pages).
  static int SplitPosition(const TableState& t, const KeyRange& range) {
    if (range.key_columns.size() != 1 || range.null_keys || range.by_location) return -1;
    const int position = t.source_position[size_t(range.key_columns[0])];
    if (position < 0) return -1;
    const Column& s = t.copy.source.columns[size_t(t.copy.source_columns[size_t(position)])];
    const Column& d =
        t.copy.destination.columns[size_t(t.copy.destination_columns[size_t(position)])];
    if (StorageOf(s.type) != Storage::kInt64 || StorageOf(d.type) != Storage::kInt64) return -1;
    return position;
  }

  // Both servers reduce the range themselves; true when their digests agree (the range is
  // identical: its rows are counted for a top-level range).
  bool CompareInServers(const Task& task, TableState& t, SessionThread& source,
                        SessionThread& destination) {
    ServerDigest s, d;
    OnBothSides(
        source, destination,
        [&](ReadSession& session) {
          s = session.Digest({&t.copy.source, t.copy.source_columns, task.range.source});
        },
        [&](ReadSession& session) {
          d = session.Digest(
              {&t.copy.destination, t.copy.destination_columns, task.range.destination});
        });
    std::lock_guard lock(t.mutex);
    if (!(s == d)) {
      ++t.rehashed;
      return false;
    }
    if (task.top) {
      t.source_rows += s.rows;
      t.destination_rows += d.rows;
    }
    return true;
  }

  void Compare(const Task& task, TableState& t, SessionThread& source, SessionThread& destination) {
    // Where the servers' sums differ, ferry reads the range and decides by the canonical form:
    // a difference only in how the servers spell equal values (numeric's scale, say) is none.
    if (t.server_hash && CompareInServers(task, t, source, destination)) return;
    const int split = t.keyed() ? SplitPosition(t, task.range.source) : -1;
    SideDigest s, d;
    OnBothSides(
        source, destination,
        [&](ReadSession& session) {
          s = DigestSide(session, t.copy.source, t.copy.source_columns, task.range.source,
                         options_.limits, *t.hasher, split);
        },
        [&](ReadSession& session) {
          d = DigestSide(session, t.copy.destination, t.copy.destination_columns,
                         task.range.destination, options_.limits, *t.hasher, split);
        });
    if (task.top) {
      std::lock_guard lock(t.mutex);
      t.source_rows += s.digest.rows;
      t.destination_rows += d.digest.rows;
      if (!(s.digest == d.digest)) ++t.differing;
    }
    if (s.digest == d.digest) return;
    Leaf leaf{task.range, task.path, s.digest.rows, d.digest.rows};
    if (t.keyed() && split >= 0 && std::max(s.digest.rows, d.digest.rows) > options_.leaf_rows) {
      std::vector<Task> children = Split(task, std::min(s.min, d.min), std::max(s.max, d.max));
      if (!children.empty()) {
        {
          std::lock_guard lock(t.mutex);
          ++t.split;
        }
        {
          std::lock_guard lock(mutex_);
          for (Task& child : children) queue_.push_back(std::move(child));
        }
        wake_.notify_all();
        return;
      }
    }
    std::vector<Found> found;
    DifferenceCounts counts;
    std::vector<std::pair<std::string, Pending>> missing, extra;
    if (t.keyed()) {
      DiffKeyed(task, t, source, destination, found, counts, missing, extra);
    } else {
      DiffKeyless(task, t, source, destination, std::max(s.digest.rows, d.digest.rows), found,
                  counts);
    }
    // Only the first max_keys of each kind can be reported; keep no more per range.
    std::sort(found.begin(), found.end(),
              [](const Found& a, const Found& b) { return a.order < b.order; });
    std::map<DifferenceKind, size_t> kept;
    std::lock_guard lock(t.mutex);
    t.counts.missing += counts.missing;
    t.counts.extra += counts.extra;
    t.counts.different += counts.different;
    for (Found& f : found) {
      if (kept[f.difference.kind]++ < options_.max_keys) t.found.push_back(std::move(f));
    }
    for (auto& [key, p] : missing) Hold(t, DifferenceKind::kMissing, key, std::move(p));
    for (auto& [key, p] : extra) Hold(t, DifferenceKind::kExtra, key, std::move(p));
    if (t.found.size() > 100'000) TrimFound(t.found, options_.max_keys);
    t.leaves.push_back(std::move(leaf));
  }

  // Pairs a row found on one end only with the same key found on the other end only in another
  // range: equal rows are no difference, unequal ones are "different". Unpaired rows wait for
  // the end of the pass (Settle). Called under t.mutex.
  static void Hold(TableState& t, DifferenceKind kind, const std::string& key, Pending p) {
    const bool is_missing = kind == DifferenceKind::kMissing;
    PendingByKey& other = is_missing ? t.extra : t.missing;
    auto it = other.find(key);
    if (it != other.end() && !it->second.empty()) {
      Pending match = std::move(it->second.back());
      it->second.pop_back();
      if (it->second.empty()) other.erase(it);
      --t.pending;
      const KeyedRow& from = is_missing ? p.row : match.row;
      const KeyedRow& to = is_missing ? match.row : p.row;
      if (from.hash != to.hash) {
        ++t.counts.different;
        t.found.push_back(MakeFound(DifferenceKind::kDifferent, is_missing ? p.path : match.path,
                                    key, &from, &to, t.column_names));
      }
      return;
    }
    if (t.pending >= kMaxPending) {
      (is_missing ? t.counts.missing : t.counts.extra) += 1;
      t.found.push_back(MakeFound(kind, p.path, key, is_missing ? &p.row : nullptr,
                                  is_missing ? nullptr : &p.row, t.column_names));
      return;
    }
    (is_missing ? t.missing : t.extra)[key].push_back(std::move(p));
    ++t.pending;
  }

  // Cuts the range at even steps between the smallest and largest key seen on either end; the
  // first and last pieces keep the range's own (possibly open) ends, so together they hold
  // exactly its rows.
  static std::vector<Task> Split(const Task& task, int64_t lo, int64_t hi) {
    std::vector<Task> out;
    if (lo >= hi) return out;
    const uint64_t span = uint64_t(hi) - uint64_t(lo);
    const uint64_t step = span / kSplitPieces + 1;
    std::vector<std::string> cuts;
    for (int i = 1; i < kSplitPieces; ++i) {
      const uint64_t offset = step * uint64_t(i);
      if (offset > span) break;
      cuts.push_back(std::to_string(int64_t(uint64_t(lo) + offset)));
    }
    if (cuts.empty()) return out;
    for (size_t i = 0; i <= cuts.size(); ++i) {
      Task child;
      child.table = task.table;
      child.range = task.range;
      child.path = task.path;
      child.path.push_back(int(i));
      for (KeyRange* r : {&child.range.source, &child.range.destination}) {
        if (i > 0) r->lo = std::vector<std::string>{cuts[i - 1]};
        if (i < cuts.size()) r->hi = std::vector<std::string>{cuts[i]};
      }
      out.push_back(std::move(child));
    }
    return out;
  }

  void DiffKeyed(const Task& task, const TableState& t, SessionThread& source,
                 SessionThread& destination, std::vector<Found>& found, DifferenceCounts& counts,
                 std::vector<std::pair<std::string, Pending>>& missing,
                 std::vector<std::pair<std::string, Pending>>& extra) {
    KeyedSide s, d;
    OnBothSides(
        source, destination,
        [&](ReadSession& session) {
          CollectKeyed(session, t, t.copy.source, t.copy.source_columns, task.range.source,
                       options_, s);
        },
        [&](ReadSession& session) {
          CollectKeyed(session, t, t.copy.destination, t.copy.destination_columns,
                       task.range.destination, options_, d);
        });
    std::vector<KeyedRow> none;
    for (auto& [key, from_rows] : s) {
      auto it = d.find(key);
      std::vector<KeyedRow>& to_rows = it == d.end() ? none : it->second;
      // Rows with equal hashes pair off first; what is left pairs as "different", and the rest
      // is missing (source) or extra (destination): duplicates of a key count.
      std::vector<bool> used(to_rows.size(), false);
      std::vector<KeyedRow*> left_from, left_to;
      for (KeyedRow& r : from_rows) {
        bool matched = false;
        for (size_t j = 0; j < to_rows.size() && !matched; ++j) {
          if (!used[j] && to_rows[j].hash == r.hash) used[j] = matched = true;
        }
        if (!matched) left_from.push_back(&r);
      }
      for (size_t j = 0; j < to_rows.size(); ++j) {
        if (!used[j]) left_to.push_back(&to_rows[j]);
      }
      const size_t pairs = std::min(left_from.size(), left_to.size());
      for (size_t i = 0; i < pairs; ++i) {
        ++counts.different;
        found.push_back(MakeFound(DifferenceKind::kDifferent, task.path, key, left_from[i],
                                  left_to[i], t.column_names));
      }
      for (size_t i = pairs; i < left_from.size(); ++i) {
        missing.push_back({key, Pending{task.path, std::move(*left_from[i])}});
      }
      for (size_t i = pairs; i < left_to.size(); ++i) {
        extra.push_back({key, Pending{task.path, std::move(*left_to[i])}});
      }
    }
    for (auto& [key, to_rows] : d) {
      if (s.count(key)) continue;
      for (KeyedRow& r : to_rows) extra.push_back({key, Pending{task.path, std::move(r)}});
    }
  }

  // Multisets of row hashes; large tables in several passes, each holding the rows whose hash
  // falls in one residue class, so memory stays bounded.
  void DiffKeyless(const Task& task, const TableState& t, SessionThread& source,
                   SessionThread& destination, int64_t rows, std::vector<Found>& found,
                   DifferenceCounts& counts) {
    const uint64_t passes = uint64_t(std::max<int64_t>(1, rows / kKeylessRowsPerPass + 1));
    for (uint64_t pass = 0; pass < passes; ++pass) {
      KeylessSide s, d;
      OnBothSides(
          source, destination,
          [&](ReadSession& session) {
            CollectKeyless(session, t, t.copy.source, t.copy.source_columns, task.range.source,
                           options_, passes, pass, s);
          },
          [&](ReadSession& session) {
            CollectKeyless(session, t, t.copy.destination, t.copy.destination_columns,
                           task.range.destination, options_, passes, pass, d);
          });
      auto add = [&](DifferenceKind kind, uint64_t hash, int64_t n, const std::string& values) {
        (kind == DifferenceKind::kMissing ? counts.missing : counts.extra) += n;
        for (int64_t i = 0; i < n && size_t(i) < options_.max_keys; ++i) {
          Found f;
          f.path = task.path;
          f.order = fmt::format("{:016x}", hash);
          f.difference.kind = kind;
          f.difference.key = fmt::format("row xxh64:{:016x}", hash);
          (kind == DifferenceKind::kMissing ? f.difference.source_values
                                            : f.difference.destination_values) = values;
          found.push_back(std::move(f));
        }
      };
      for (const auto& [hash, e] : s) {
        auto it = d.find(hash);
        const int64_t there = it == d.end() ? 0 : it->second.count;
        if (e.count > there) add(DifferenceKind::kMissing, hash, e.count - there, e.values);
      }
      for (const auto& [hash, e] : d) {
        auto it = s.find(hash);
        const int64_t here = it == s.end() ? 0 : it->second.count;
        if (e.count > here) add(DifferenceKind::kExtra, hash, e.count - here, e.values);
      }
    }
  }

  Endpoint& source_;
  Endpoint& destination_;
  std::vector<std::unique_ptr<TableState>>& tables_;
  const VerifyOptions& options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  int active_ = 0;
};

// Whether a key range on this column holds the same rows on both ends: numbers, dates and
// times order by value everywhere; text follows each column's collation, and UUIDs each
// engine's own byte order.
bool SameOrderOnBothEnds(const ColumnType& source, const ColumnType& destination) {
  auto by_value = [](const ColumnType& t) {
    switch (StorageOf(t)) {
      case Storage::kBool:
      case Storage::kInt64:
      case Storage::kUInt64:
      case Storage::kDecimal:
      case Storage::kFloat64:
      case Storage::kDate:
      case Storage::kTime:
      case Storage::kTimestamp:
        return true;
      default:
        return false;
    }
  };
  return by_value(source) && by_value(destination);
}

// Why the servers cannot hash this table's rows for the comparison, or "" when they can: both
// must hash rows alike (same engine, the same server_row_hash), and every compared column must
// have the same declared type at both ends, as for PostgreSQL's pass-through, since the servers
// hash their own forms of the values, not ferry's canonical form.
std::string ServerHashRefusal(const TableCopyPlan& copy, const EndpointInfo& source,
                              const EndpointInfo& destination) {
  if (source.server_row_hash.empty()) {
    return fmt::format("the source ({}) cannot hash rows itself", EngineName(source.engine));
  }
  if (destination.server_row_hash.empty()) {
    return fmt::format("the destination ({}) cannot hash rows itself",
                       EngineName(destination.engine));
  }
  if (source.engine != destination.engine) return "the two ends are different engines";
  if (source.server_row_hash != destination.server_row_hash) {
    return fmt::format("the servers hash rows differently ({}; {})", source.server_row_hash,
                       destination.server_row_hash);
  }
  for (size_t i = 0; i < copy.source_columns.size(); ++i) {
    const Column& s = copy.source.columns[size_t(copy.source_columns[i])];
    const Column& d = copy.destination.columns[size_t(copy.destination_columns[i])];
    if (s.type.native.empty() || s.type.native != d.type.native) {
      return fmt::format("column {} is {} at the source and {} at the destination", d.name,
                         s.type.native, d.type.native);
    }
  }
  return "";
}

// Resolves a table of the plan against both ends: the source as it is now (refused when it
// drifted from the plan), the destination table (which must exist), the column pairs, and
// the copy's units in source and destination column indices.
void Prepare(TableState& t, Endpoint& source, Endpoint& destination, const VerifyOptions& options) {
  const TablePlan& plan = *t.plan;
  const std::string shown = DisplayName(plan.source);
  std::optional<Table> table = source.DescribeTable(plan.source);
  if (!table) {
    throw Error(ErrorCode::kNotFound, "the source table does not exist",
                ErrorContext{shown, "", "", ""});
  }
  std::vector<std::string> drift = ShapeDrift(plan, *table);
  if (!drift.empty()) {
    std::string list;
    for (const std::string& d : drift) list += "\n    " + d;
    throw Error(ErrorCode::kSchema,
                fmt::format("the source table changed since the plan was made:{}", list),
                ErrorContext{shown, "", "", ""});
  }
  std::vector<ColumnChoice> choices;
  for (const PlannedColumn& c : plan.columns) {
    auto index = table->FindColumn(c.source);
    if (!index) {
      throw Error(ErrorCode::kSchema, "the plan names a column the source table lacks",
                  ErrorContext{shown, c.source, "", ""});
    }
    choices.push_back({*index, c.destination, c.destination_type});
  }
  t.copy = PlanTableCopy(*table, source.info().engine, destination, plan.destination, choices,
                         plan.primary_key);
  if (t.copy.create) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("destination table {} does not exist", DisplayName(plan.destination)),
                ErrorContext{shown, "", "", ""});
  }
  std::vector<CanonicalForm> forms;
  t.source_position.assign(t.copy.source.columns.size(), -1);
  std::vector<int> destination_of(t.copy.source.columns.size(), -1);
  for (size_t i = 0; i < t.copy.source_columns.size(); ++i) {
    const Column& s = t.copy.source.columns[size_t(t.copy.source_columns[i])];
    const Column& d = t.copy.destination.columns[size_t(t.copy.destination_columns[i])];
    forms.push_back(CanonicalFormFor(s.type, d.type));
    t.column_names.push_back(d.name);
    t.source_position[size_t(t.copy.source_columns[i])] = int(i);
    destination_of[size_t(t.copy.source_columns[i])] = t.copy.destination_columns[i];
  }
  t.hasher.emplace(std::move(forms));
  for (int p : t.copy.key_positions) {
    t.key_names.push_back(t.copy.source.columns[size_t(t.copy.source_columns[size_t(p)])].name);
  }

  std::string why;
  std::vector<WorkUnit> units = PlannedUnits(plan, t.copy.source, source, options.partitions, &why);
  auto translate = [&](const KeyRange& range) -> std::optional<KeyRange> {
    KeyRange out = range;
    for (int& c : out.key_columns) {
      if (destination_of[size_t(c)] < 0) return std::nullopt;
      c = destination_of[size_t(c)];
    }
    return out;
  };
  bool by_units = t.keyed();
  std::vector<RangePair> ranges;
  for (const WorkUnit& unit : units) {
    if (unit.range.by_location) by_units = false;
    std::optional<KeyRange> d = translate(unit.range);
    if (!d) by_units = false;
    for (size_t k = 0; d && k < unit.range.key_columns.size(); ++k) {
      if (!SameOrderOnBothEnds(t.copy.source.columns[size_t(unit.range.key_columns[k])].type,
                               t.copy.destination.columns[size_t(d->key_columns[k])].type)) {
        by_units = false;
      }
    }
    if (by_units) ranges.push_back({unit.range, *d});
  }
  if (!by_units || ranges.empty()) {
    // Heap pages mean nothing at the other end, and bounds on text or UUID keys select other
    // rows where the other end orders them otherwise (collations; MariaDB's UUID order), so
    // that ranges would overlap or leave gaps there: such tables are compared whole.
    ranges = {RangePair{}};
  }
  if (ranges.size() == 1 && ranges[0].source.IsWholeTable() && t.keyed() &&
      t.copy.key_positions.size() == 1) {
    // A whole table with a one-column key: name the key, so the range can be cut by it.
    const int k = t.copy.source_columns[size_t(t.copy.key_positions[0])];
    ranges[0].source.key_columns = {k};
    ranges[0].destination.key_columns = {destination_of[size_t(k)]};
  }
  t.ranges = std::move(ranges);

  TableVerification& r = *t.result;
  if (options.hash == HashPath::kClient) {
    r.hash_note = "--hash client";
  } else {
    r.hash_note = ServerHashRefusal(t.copy, source.info(), destination.info());
    if (r.hash_note.empty() && options.hash == HashPath::kAuto &&
        !(source.info().server_row_hash_faster && destination.info().server_row_hash_faster)) {
      r.hash_note = fmt::format("faster than {} hashing rows itself (--hash server asks for that)",
                                EngineName(source.info().engine));
    }
    t.server_hash = r.hash_note.empty();
  }
  r.hash = t.server_hash ? "server" : "client";
}

// Fills the report entries from the comparison's state; differences in key order.
void Summarise(TableState& t, const VerifyOptions& options) {
  TableVerification& r = *t.result;
  for (auto* side : {&t.missing, &t.extra}) {
    const bool is_missing = side == &t.missing;
    for (auto& [key, rows] : *side) {
      for (Pending& p : rows) {
        (is_missing ? t.counts.missing : t.counts.extra) += 1;
        t.found.push_back(MakeFound(is_missing ? DifferenceKind::kMissing : DifferenceKind::kExtra,
                                    p.path, key, is_missing ? &p.row : nullptr,
                                    is_missing ? nullptr : &p.row, t.column_names));
      }
    }
    side->clear();
  }
  t.pending = 0;
  if (t.failed) {
    r.verdict = Verdict::kFailed;
    r.error = t.error;
    r.error_code = t.error_code;
  } else {
    // A range whose sums differ while no row does held rows the two engines order differently
    // (found in another range), or changed between the two reads: the rows decide.
    r.verdict = t.counts.total() > 0 ? Verdict::kDiffers : Verdict::kIdentical;
  }
  r.counts = t.counts;
  r.ranges_differing = t.differing;
  r.ranges_split = t.split;
  r.ranges_rehashed = t.rehashed;
  TrimFound(t.found, options.max_keys);
  r.differences.clear();
  for (const Found& f : t.found) r.differences.push_back(f.difference);
  std::stable_sort(r.differences.begin(), r.differences.end(),
                   [](const RowDifference& a, const RowDifference& b) { return a.kind < b.kind; });
}

// Copies the differing ranges again through the pipeline, each replacing its range at the
// destination inside its own transaction.
void Repair(Endpoint& source, Endpoint& destination,
            std::vector<std::unique_ptr<TableState>>& tables, const VerifyOptions& options) {
  std::vector<std::unique_ptr<RowConverter>> converters;
  std::vector<UnitJob> jobs;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableState& t = *tables[i];
    if (t.failed || t.leaves.empty()) continue;
    TableVerification& r = *t.result;
    r.repaired = true;
    try {
      converters.push_back(std::make_unique<RowConverter>(
          DisplayName(t.copy.source.name), PairColumns(t.copy), destination.info().limits,
          t.copy.key_positions, source.info().limits));
    } catch (const Error& e) {
      r.repair_error = e.what();
      continue;
    }
    for (const Leaf& leaf : t.leaves) {
      UnitJob job;
      job.table = i;
      job.read.table = &t.copy.source;
      job.read.columns = t.copy.source_columns;
      job.read.unit.table = t.copy.source.name;
      job.read.unit.part = int(jobs.size());
      job.read.unit.range = leaf.range.source;
      job.read.limits = options.engine.limits;
      job.write.table = &t.copy.destination;
      job.write.columns = t.copy.destination_columns;
      job.write.key_positions = t.copy.key_positions;
      job.write.replace_range = leaf.range.destination;
      job.converter = converters.back().get();
      jobs.push_back(std::move(job));
    }
  }
  if (jobs.empty()) return;
  EngineOptions engine = options.engine;
  if (destination.info().max_write_sessions > 0) {
    engine.writers = std::min(engine.writers, destination.info().max_write_sessions);
  }
  std::vector<UnitResult> results =
      RunPipeline(source, destination, engine, jobs, tables.size(), [](const PipelineProgress&) {});
  for (const UnitResult& u : results) {
    TableVerification& r = *tables[u.table]->result;
    if (u.state == UnitState::kDone) {
      ++r.ranges_repaired;
      r.rows_recopied += u.rows;
    } else if (u.state == UnitState::kFailed && r.repair_error.empty()) {
      r.repair_error = u.error->what();
    }
  }
}

}  // namespace

const char* DifferenceKindName(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::kMissing:
      return "missing";
    case DifferenceKind::kExtra:
      return "extra";
    case DifferenceKind::kDifferent:
      return "different";
  }
  return "different";
}

const char* HashPathName(HashPath path) {
  switch (path) {
    case HashPath::kAuto:
      return "auto";
    case HashPath::kServer:
      return "server";
    case HashPath::kClient:
      return "client";
  }
  return "auto";
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kIdentical:
      return "identical";
    case Verdict::kDiffers:
      return "differs";
    case Verdict::kFailed:
      return "failed";
  }
  return "failed";
}

int VerifyReport::Count(Verdict verdict) const {
  return int(std::count_if(tables.begin(), tables.end(),
                           [&](const TableVerification& t) { return t.verdict == verdict; }));
}

VerifyReport RunVerify(Endpoint& source, Endpoint& destination, const Plan& plan,
                       const VerifyOptions& options) {
  const Clock::time_point start = Clock::now();
  VerifyReport report;
  report.sample_percent = options.sample_percent;
  report.seed = options.seed;
  report.repair = options.repair;
  report.hash = options.hash;
  report.method =
      "per range, a row count and a sum of row hashes: hashed by both servers in SQL for tables "
      "marked 'server' (same engine, identical column types), else xxh64 of canonical rows "
      "hashed by ferry (oneTBB); ranges that differ are compared by ferry, down to the keys";
  for (const TablePlan& p : plan.tables) {
    if (p.strategy == Strategy::kSkip) continue;
    TableVerification r;
    r.source = p.source;
    r.destination = p.destination;
    report.tables.push_back(std::move(r));
  }
  std::vector<std::unique_ptr<TableState>> tables;
  size_t index = 0;
  for (const TablePlan& p : plan.tables) {
    if (p.strategy == Strategy::kSkip) continue;
    auto t = std::make_unique<TableState>();
    t->plan = &p;
    t->result = &report.tables[index++];
    tables.push_back(std::move(t));
  }
  std::vector<Task> tasks;
  for (size_t i = 0; i < tables.size(); ++i) {
    TableState& t = *tables[i];
    const Clock::time_point table_start = Clock::now();
    try {
      Prepare(t, source, destination, options);
    } catch (const Error& e) {
      t.failed = true;
      t.error = e.what();
      t.error_code = e.code();
      t.result->seconds = SecondsBetween(table_start, Clock::now());
      continue;
    }
    if (t.copy.source_columns.empty()) {
      // No column to compare (none, or only generated ones): the row counts must match.
      try {
        t.source_rows = source.CountRows(t.copy.source);
        t.destination_rows = destination.CountRows(t.copy.destination);
        const int64_t gap = t.source_rows - t.destination_rows;
        (gap > 0 ? t.counts.missing : t.counts.extra) += gap > 0 ? gap : -gap;
      } catch (const Error& e) {
        t.failed = true;
        t.error = e.what();
        t.error_code = e.code();
      }
      t.result->keyed = false;
      t.result->seconds = SecondsBetween(table_start, Clock::now());
      continue;
    }
    t.result->keyed = t.keyed();
    t.result->ranges = int(t.ranges.size());
    // A seeded choice per table, so a rehearsal can repeat exactly the same sample.
    std::mt19937_64 random(options.seed ^ (0x9e3779b97f4a7c15ull * (i + 1)));
    std::uniform_real_distribution<double> percent(0, 100);
    t.checked.assign(t.ranges.size(), options.sample_percent >= 100);
    if (options.sample_percent < 100) {
      for (size_t u = 0; u < t.ranges.size(); ++u) {
        t.checked[u] = percent(random) < options.sample_percent;
      }
      if (std::find(t.checked.begin(), t.checked.end(), true) == t.checked.end()) {
        t.checked[std::uniform_int_distribution<size_t>(0, t.ranges.size() - 1)(random)] = true;
      }
    }
    for (size_t u = 0; u < t.ranges.size(); ++u) {
      if (!t.checked[u]) continue;
      ++t.result->ranges_checked;
      tasks.push_back(Task{i, t.ranges[u], {int(u)}, true});
    }
  }
  report.consistency = source.BeginSnapshot(options.consistency);
  destination.BeginSnapshot(options.consistency);
  Comparison(source, destination, tables, options).Run(std::move(tasks));
  for (auto& t : tables) {
    Summarise(*t, options);
    t->result->source_rows = t->source_rows;
    t->result->destination_rows = t->destination_rows;
    if (t->first_start) t->result->seconds = SecondsBetween(*t->first_start, t->last_end);
  }

  if (options.repair) {
    Repair(source, destination, tables, options);
    // Compare the repaired ranges again, in a snapshot taken after the repair committed.
    std::vector<Task> again;
    for (size_t i = 0; i < tables.size(); ++i) {
      TableState& t = *tables[i];
      TableVerification& r = *t.result;
      if (!r.repaired) continue;
      r.verdict_before_repair = r.verdict;
      r.counts_before_repair = r.counts;
      r.differences_before_repair = r.differences;
      if (!r.repair_error.empty()) continue;
      for (const Leaf& leaf : t.leaves) {
        // Sub-ranges are compared again as they are; their rows replace what the first pass
        // counted for them.
        t.source_rows -= leaf.source_rows;
        t.destination_rows -= leaf.destination_rows;
        again.push_back(Task{i, leaf.range, leaf.path, false});
      }
      // The pass below counts the repaired ranges' rows and differences afresh.
      const int64_t source_rows = t.source_rows, destination_rows = t.destination_rows;
      t.ResetPass();
      t.source_rows = source_rows;
      t.destination_rows = destination_rows;
    }
    if (!again.empty()) {
      destination.BeginSnapshot(options.consistency);
      for (Task& task : again) task.top = true;  // their rows count again
      Comparison(source, destination, tables, options).Run(std::move(again));
      for (auto& t : tables) {
        TableVerification& r = *t->result;
        if (!r.repaired || !r.repair_error.empty()) continue;
        const int differed = r.ranges_differing, rehashed = r.ranges_rehashed;
        Summarise(*t, options);
        r.ranges_differing = differed;
        r.ranges_rehashed = rehashed;
        r.source_rows = t->source_rows;
        r.destination_rows = t->destination_rows;
      }
    }
    for (auto& t : tables) {
      TableVerification& r = *t->result;
      if (r.repaired && !r.repair_error.empty()) r.verdict = Verdict::kDiffers;
    }
  }
  report.seconds = SecondsBetween(start, Clock::now());
  return report;
}

void RecordVerify(Endpoint& destination, const Plan& plan, const VerifyReport& report) {
  std::unique_ptr<RunStore> store = destination.OpenRunStore(kDefaultStatePrefix);
  store->Prepare();
  RunRecord run = NewRunRecord(plan, "verify");
  run.finished_at = UtcTimestamp();
  run.summary = fmt::format("{} identical, {} differ, {} failed to verify in {:.1f} s",
                            report.Count(Verdict::kIdentical), report.Count(Verdict::kDiffers),
                            report.Count(Verdict::kFailed), report.seconds);
  run.status = report.Count(Verdict::kFailed) > 0 ? RunStatus::kFailed : RunStatus::kDone;
  if (StopRequested()) {
    run.status = RunStatus::kInterrupted;
    run.summary = "stopped by a signal before every range was compared";
  }
  std::vector<TableRecord> records;
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const TableVerification& t = report.tables[i];
    TableRecord r;
    r.index = int(i);
    r.source = t.source;
    r.destination = t.destination;
    r.state = VerdictName(t.verdict);
    r.rows = t.source_rows;
    r.seconds = t.seconds;
    r.units = t.ranges;
    r.units_done = t.ranges_checked;
    r.attempts = 1;
    if (t.verdict == Verdict::kFailed) {
      std::string first_line = t.error.substr(0, t.error.find('\n'));
      r.error = first_line;
    } else {
      r.error = fmt::format("{} missing, {} extra, {} different; {} of {} ranges checked",
                            t.counts.missing, t.counts.extra, t.counts.different, t.ranges_checked,
                            t.ranges);
      if (t.repaired) {
        r.error += fmt::format(
            "; repaired {} ranges ({} rows) after {} missing, {} extra, {} "
            "different",
            t.ranges_repaired, t.rows_recopied, t.counts_before_repair.missing,
            t.counts_before_repair.extra, t.counts_before_repair.different);
      }
    }
    records.push_back(std::move(r));
  }
  store->StartRun(run, records, {});
  store->FinishRun(run.id, run.status, run.summary);
}

}  // namespace ferry
