// The pipeline with a spool (EngineOptions::spool, ferry run --spool) on the memory engine: the
// readers end while the writer is held, a unit the spool holds whole is retried from it (never
// read again from the source), and a full spool hands units on to the writer; every row arrives
// once. The spool here keeps its units' batches in memory (drivers/files/spool_dir.cpp keeps
// them on disk; the integration tests run that one).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <numeric>

#include "copier/spool.hpp"
#include "scheduler/pipeline.hpp"
#include "tests/support/memory_copy.hpp"
#include "tests/support/memory_endpoint.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// A spool of at most `capacity` batches, held in memory.
class BatchSpool final : public Spool {
 public:
  explicit BatchSpool(size_t capacity) : capacity_(capacity) {}

  class File final : public SpoolFile {
   public:
    explicit File(BatchSpool& spool) : spool_(spool) {}
    ~File() override { spool_.Give(batches_.size()); }
    bool Append(const Batch& batch) override {
      if (!spool_.Take()) return false;
      batches_.push_back(batch);
      return true;
    }
    void Finish() override {}
    std::unique_ptr<RowReader> Replay() override {
      struct Reader final : RowReader {
        const std::vector<Batch>* batches;
        size_t next = 0;
        bool Next(Batch& batch) override {
          if (next == batches->size()) return false;
          batch = (*batches)[next++];
          batch.wire().clear();  // the spool's encoding is not the writer's
          batch.set_wire_rows(0);
          return true;
        }
        std::string Method() const override { return "memory spool"; }
      };
      auto reader = std::make_unique<Reader>();
      reader->batches = &batches_;
      return reader;
    }
    uint64_t bytes() const override { return batches_.size(); }

   private:
    BatchSpool& spool_;
    std::vector<Batch> batches_;
  };

  void Encode(Batch&) const override {}
  std::unique_ptr<SpoolFile> Create() override { return std::make_unique<File>(*this); }
  bool HasRoom() const override {
    std::lock_guard lock(mutex_);
    return used_ < capacity_;
  }
  const std::string& path() const override { return path_; }
  uint64_t peak_bytes() const override {
    std::lock_guard lock(mutex_);
    return peak_;
  }

  bool Take() {
    std::lock_guard lock(mutex_);
    if (used_ == capacity_) return false;
    peak_ = std::max(peak_, ++used_);
    return true;
  }
  void Give(size_t n) {
    std::lock_guard lock(mutex_);
    used_ -= n;
  }

 private:
  size_t capacity_;
  mutable std::mutex mutex_;
  size_t used_ = 0;
  size_t peak_ = 0;
  std::string path_ = "memory";
};

std::vector<int64_t> Range(int64_t first, int64_t count) {
  std::vector<int64_t> ids(static_cast<size_t>(count));
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

// Two readers, one writer, a spool; the writer's session held until the test lets it go, so
// the readers run ahead into the spool. (A unit a writer takes straight from its reader keeps
// the readers until it commits, as it may have to be read again: holding the writer inside a
// unit would make what the test sees depend on which unit the writer took first.)
struct SpooledCopy {
  MemoryDatabase source{"source"}, destination{"destination"};
  TableName table = CreateNumberedTable(source, "orders", 2000);
  PipelineCopy copy{source, destination, table, 8};
  std::shared_ptr<Stall> held = destination.StallWriteSessions();
  std::atomic<bool> readers_done{false};
  PipelineProgress last;

  std::vector<UnitResult> Run(size_t capacity, const std::function<void()>& while_held = {}) {
    EngineOptions options = QuickOptions();
    options.writers = 1;
    options.spool = std::make_shared<BatchSpool>(capacity);
    options.readers_done = [this] { readers_done = true; };
    auto run = std::async(std::launch::async, [&] {
      return copy.Run(options, [&](const PipelineProgress& p) { last = p; });
    });
    REQUIRE(held->WaitUntilReached());
    if (while_held) while_held();
    held->Release();
    return run.get();
  }
};

bool WaitFor(const std::atomic<bool>& flag) {
  for (int i = 0; i < 500 && !flag; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return flag;
}

}  // namespace

TEST_CASE("with a spool the readers end while the writer is held, and every row arrives once",
          "[pipeline][spool]") {
  SpooledCopy c;
  bool ended_while_held = false;
  std::vector<UnitResult> results =
      c.Run(1000, [&] { ended_while_held = WaitFor(c.readers_done); });
  CHECK(ended_while_held);
  for (const UnitResult& r : results) CHECK(r.state == UnitState::kDone);
  CHECK(Ids(c.destination.Rows(c.table)) == Range(1, 2000));
  CHECK(c.last.units_spooled >= 6);
  CHECK(c.last.readers_done >= 0);
}

TEST_CASE("a unit the spool holds whole is retried from the spool, not read again",
          "[pipeline][spool][retry]") {
  SpooledCopy c;
  const int part = c.copy.PartHolding(1900);
  REQUIRE(part > 1);
  c.destination.FailWrite(c.table, Value("1900"), 1, DeadlockError());
  std::vector<UnitResult> results = c.Run(1000, [&] { WaitFor(c.readers_done); });
  CHECK(c.last.units_spooled >= 6);
  CHECK(results.at(size_t(part)).state == UnitState::kDone);
  CHECK(results.at(size_t(part)).attempts == 2);
  CHECK(c.source.ReadAttempts(c.table, part).size() == 1);
  CHECK(Ids(c.destination.Rows(c.table)) == Range(1, 2000));
}

TEST_CASE("a full spool hands its units on to the writer, and every row arrives once",
          "[pipeline][spool]") {
  SpooledCopy c;
  // Room for three batches of 64 rows: a unit of 250 rows does not fit whole.
  std::vector<UnitResult> results = c.Run(3);
  for (const UnitResult& r : results) CHECK(r.state == UnitState::kDone);
  CHECK(c.last.units_handed_on >= 1);
  CHECK(c.last.spool_peak_bytes <= 3);
  CHECK(Ids(c.destination.Rows(c.table)) == Range(1, 2000));
}
