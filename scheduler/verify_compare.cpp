#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "scheduler/stop.hpp"
#include "scheduler/verify_hashing.hpp"
#include "scheduler/verify_state.hpp"

namespace ferry::verify {

namespace {

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

bool FoundBefore(const Found& a, const Found& b) {
  return std::tie(a.path, a.order) < std::tie(b.path, b.order);
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
    for (int i = 0; i < n; ++i) workers.emplace_back([this, i] { Work(i); });
    // The progress is sampled here, on the caller's thread, while the workers compare.
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, std::chrono::milliseconds(500), [&] { return finished_ == n; }))
          break;
      }
      if (options_.progress) options_.progress(Sample());
    }
    for (std::thread& w : workers) w.join();
    if (options_.progress) options_.progress(Sample());
  }

 private:
  VerifyProgress Sample() const {
    VerifyProgress p;
    const Clock::time_point now = Clock::now();
    for (const auto& table : tables_) {
      TableState& t = *table;
      std::lock_guard lock(t.mutex);
      TableProgressCount c;
      c.ranges = t.result->ranges_checked;
      c.ranges_done = std::min(t.top_done, c.ranges);
      c.rows = t.source_rows;
      c.failed = t.failed;
      if (t.first_start)
        c.seconds = SecondsBetween(*t.first_start, c.ranges_done == c.ranges ? t.last_end : now);
      p.tables.push_back(c);
    }
    return p;
  }

  void Work(int worker) {
    struct Finished {
      Comparison* c;
      ~Finished() {
        {
          std::lock_guard lock(c->mutex_);
          ++c->finished_;
        }
        c->wake_.notify_all();
      }
    } finished{this};
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
        const Clock::time_point end = Clock::now();
        std::lock_guard lock(t.mutex);
        if (!t.first_start || start < *t.first_start) t.first_start = start;
        t.last_end = std::max(t.last_end, end);
        t.top_done += task.top;
        t.result->timings.push_back({worker, SecondsBetween(options_.epoch, start),
                                     SecondsBetween(options_.epoch, end),
                                     DescribeRange(task.range.source), task.top});
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
    bool on_record = false;  // the source's digest from its record (a staging manifest)
    OnBothSides(
        source, destination,
        [&](ReadSession& session) {
          if (task.top) {
            const DigestRequest request{&t.copy.source, t.copy.source_columns, task.range.source};
            if (auto stored = session.StoredDigest(request, t.hasher->forms())) {
              s.digest = *stored;
              on_record = true;
              return;
            }
          }
          s = DigestSide(session, t.copy.source, t.copy.source_columns, task.range.source,
                         options_.limits, *t.hasher, split);
        },
        [&](ReadSession& session) {
          d = DigestSide(session, t.copy.destination, t.copy.destination_columns,
                         task.range.destination, options_.limits, *t.hasher, split);
        });
    if (on_record && !(s.digest == d.digest)) {
      // Differences are looked for in the rows themselves (the record cannot be cut smaller).
      source
          .Run([&](ReadSession& session) {
            s = DigestSide(session, t.copy.source, t.copy.source_columns, task.range.source,
                           options_.limits, *t.hasher, split);
          })
          .get();
    }
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
  int finished_ = 0;  // workers that returned
};

}  // namespace

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

void TrimFound(std::vector<Found>& found, size_t max_keys) {
  std::sort(found.begin(), found.end(), FoundBefore);
  std::map<DifferenceKind, size_t> kept;
  std::vector<Found> out;
  for (Found& f : found) {
    if (kept[f.difference.kind]++ < max_keys) out.push_back(std::move(f));
  }
  found = std::move(out);
}

void CompareRanges(Endpoint& source, Endpoint& destination,
                   std::vector<std::unique_ptr<TableState>>& tables, const VerifyOptions& options,
                   std::vector<Task> tasks) {
  Comparison(source, destination, tables, options).Run(std::move(tasks));
}

}  // namespace ferry::verify
