// Benchmarks of IndexQueue (scheduler/index_queue.hpp), the lock-free queue of pool slot indices
// with a futex doorbell that joins the pipeline's readers, converters and writers. Items are
// indices delivered to the consumer; counters say what share of its time a side spent waiting
// in Pop (spinning briefly in std::atomic::wait, then asleep on the futex).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "scheduler/index_queue.hpp"

namespace {

using ferry::IndexQueue;
using Clock = std::chrono::steady_clock;

// Large enough that producers rarely find it full (the pipeline's never is): a full queue makes
// Push spin, which would measure the spin rather than the queue.
constexpr size_t kCapacity = 4096;
// The pipeline's pool depth: one batch being read, one converting, one queued, one written.
constexpr int kPipelineSlotsPerReader = 4;

// Never set: every benchmark consumes exactly what it produces, so no side waits forever.
std::atomic<bool> g_never_stop{false};

// The queues a multi-threaded benchmark shares, made by Setup before its threads start and
// dropped by Teardown after they end, so every run begins with the queues as it expects them.
std::vector<std::unique_ptr<IndexQueue>> g_queues;

void DropQueues(const benchmark::State&) {
  g_queues.clear();
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One thread pushes and pops: the uncontended cost of an index through the queue, doorbell
// included (no waiter, so the notify stays in user space). `burst` indices go in before the
// first comes out, as when a reader runs ahead of its writer.
void BM_PushPop_OneThread(benchmark::State& state) {
  const auto burst = uint32_t(state.range(0));
  IndexQueue queue(kCapacity);
  uint32_t value = 0;
  for (auto _ : state) {
    for (uint32_t i = 0; i < burst; ++i) queue.Push(i);
    for (uint32_t i = 0; i < burst; ++i) {
      queue.Pop(value, g_never_stop);
      benchmark::DoNotOptimize(value);
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * burst);
}
BENCHMARK(BM_PushPop_OneThread)->ArgName("burst")->Arg(1)->Arg(64);

void MakeOneQueue(const benchmark::State&) {
  g_queues.clear();
  g_queues.push_back(std::make_unique<IndexQueue>(kCapacity));
}

// Thread 0 consumes; every other thread produces as fast as it can. The consumer takes
// (threads - 1) indices per iteration, so both sides end together. With one producer this is
// the reader-to-writer hand-off; with more, producers contend on the queue's tail. The consumer
// waits in Pop whenever it empties the queue; "consumer_waiting" is the share of its time it did.
void BM_ProducersOneConsumer(benchmark::State& state) {
  IndexQueue& queue = *g_queues[0];
  const int producers = state.threads() - 1;
  if (state.thread_index() == 0) {
    uint32_t value = 0;
    double waited = 0;
    const Clock::time_point start = Clock::now();
    for (auto _ : state) {
      for (int p = 0; p < producers; ++p) queue.Pop(value, g_never_stop, &waited);
      benchmark::DoNotOptimize(value);
    }
    state.counters["consumer_waiting"] = waited / Since(start);
    state.SetItemsProcessed(int64_t(state.iterations()) * producers);
  } else {
    uint32_t i = 0;
    for (auto _ : state) queue.Push(i++ % kCapacity);
  }
}
BENCHMARK(BM_ProducersOneConsumer)
    ->Setup(MakeOneQueue)
    ->Teardown(DropQueues)
    ->Threads(2)
    ->Threads(3)
    ->Threads(5)
    ->UseRealTime();

void MakeTwoQueues(const benchmark::State&) {
  g_queues.clear();
  for (int i = 0; i < 2; ++i) g_queues.push_back(std::make_unique<IndexQueue>(kCapacity));
}

// The sleeping-consumer case: one index bounces between two threads, so each Push finds its
// consumer asleep on the doorbell and must wake it through the kernel. Items are one-way
// hand-offs; their time is the latency a batch pays when its writer was idle.
void BM_PingPong_SleepingConsumer(benchmark::State& state) {
  IndexQueue& to_other = *g_queues[size_t(state.thread_index())];
  IndexQueue& to_me = *g_queues[size_t(1 - state.thread_index())];
  uint32_t value = 0;
  double waited = 0;
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    if (state.thread_index() == 0) {
      to_other.Push(value);
      to_me.Pop(value, g_never_stop, &waited);
    } else {
      to_me.Pop(value, g_never_stop, &waited);
      to_other.Push(value);
    }
  }
  state.counters["waiting"] =
      benchmark::Counter(waited / Since(start), benchmark::Counter::kAvgThreads);
  // Each iteration is a hand-off to each thread: two per round trip, counted once per thread.
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_PingPong_SleepingConsumer)
    ->Setup(MakeTwoQueues)
    ->Teardown(DropQueues)
    ->Threads(2)
    ->UseRealTime();

// Queue 0 carries filled slots to the writer; queue 1 + r is reader r's free list, holding its
// share of the pool (`slots` slots, numbered r * slots + k), as the pipeline's are.
void MakePool(const benchmark::State& state) {
  const int readers = state.threads() - 1;
  const auto slots = uint32_t(state.range(0));
  g_queues.clear();
  g_queues.push_back(std::make_unique<IndexQueue>(kCapacity));
  for (int r = 0; r < readers; ++r) {
    g_queues.push_back(std::make_unique<IndexQueue>(kCapacity));
    for (uint32_t k = 0; k < slots; ++k) g_queues.back()->Push(uint32_t(r) * slots + k);
  }
}

// The pipeline's round trip of a pool slot with no work in between: a reader takes a free slot
// from its own list (sleeping when all of its slots are in flight: back-pressure), hands it to
// the work queue; the writer (thread 0) takes it and returns it to its reader's list. Items are
// slots through the whole loop; the pool depth is swept to show what it buys.
void BM_PoolRoundTrip(benchmark::State& state) {
  const int readers = state.threads() - 1;
  const auto slots = uint32_t(state.range(0));
  IndexQueue& work = *g_queues[0];
  uint32_t slot = 0;
  double waited = 0;
  const Clock::time_point start = Clock::now();
  if (state.thread_index() == 0) {
    for (auto _ : state) {
      for (int r = 0; r < readers; ++r) {
        work.Pop(slot, g_never_stop, &waited);
        g_queues[1 + slot / slots]->Push(slot);
      }
    }
    state.counters["writer_waiting"] = waited / Since(start);
    state.SetItemsProcessed(int64_t(state.iterations()) * readers);
  } else {
    IndexQueue& free_list = *g_queues[size_t(state.thread_index())];
    for (auto _ : state) {
      free_list.Pop(slot, g_never_stop, &waited);
      work.Push(slot);
    }
    // Summed over the readers, so the reported figure is their average.
    state.counters["readers_waiting"] = waited / Since(start) / readers;
  }
}
BENCHMARK(BM_PoolRoundTrip)
    ->Setup(MakePool)
    ->Teardown(DropQueues)
    ->ArgName("slots_per_reader")
    ->Arg(1)
    ->Arg(kPipelineSlotsPerReader)
    ->Arg(16)
    ->Threads(2)
    ->Threads(3)
    ->UseRealTime();

}  // namespace
