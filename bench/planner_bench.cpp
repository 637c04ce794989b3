// Benchmarks of RangesFromSample (copier/planner.hpp), which cuts a table's sorted key sample
// into key ranges: integer keys, composite text keys, and a sample whose repeated key values
// must be merged. Items are units produced; bytes are the bound values copied into them.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "copier/planner.hpp"
#include "copier/work_unit.hpp"

namespace {

using namespace ferry;
using Sample = std::vector<std::vector<std::string>>;

constexpr uint64_t kSeed = 20261122;

// Sorted bigint keys with random gaps, as a TABLESAMPLE of a table with deletions returns them.
Sample IntegerKeys(size_t n) {
  std::mt19937_64 rng(kSeed);
  Sample out;
  out.reserve(n);
  int64_t key = 1000;
  for (size_t i = 0; i < n; ++i) {
    key += 1 + int64_t(rng() % 100);
    out.push_back({std::to_string(key)});
  }
  return out;
}

// (tenant text, order text) pairs in sort order: a handful of tenants, many orders each, like
// a multi-tenant table keyed by name.
Sample CompositeTextKeys(size_t n) {
  std::mt19937_64 rng(kSeed);
  Sample out;
  out.reserve(n);
  const size_t per_tenant = n / 20 + 1;
  uint64_t order = 0;
  char buffer[32];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buffer, sizeof buffer, "tenant-%03zu", i / per_tenant);
    std::string tenant = buffer;
    order += 1 + rng() % 50;
    std::snprintf(buffer, sizeof buffer, "ORD-%012llu", static_cast<unsigned long long>(order));
    out.push_back({std::move(tenant), buffer});
  }
  return out;
}

// 90 % of the sample is one key value, the rest spread around it (a key column with few
// distinct values, or NULL-heavy): most candidate bounds are equal and get merged, so far fewer
// units come out than were asked for. Distinct but clustered keys cost what IntegerKeys does:
// the cut only indexes the sample.
Sample RepeatedIntegerKeys(size_t n) {
  Sample out = IntegerKeys(n);
  const size_t hot_from = n / 20;
  const size_t hot_to = n - n / 20;
  for (size_t i = hot_from; i < hot_to; ++i) out[i] = out[hot_from];
  return out;
}

enum class Keys { kInteger, kCompositeText, kRepeatedInteger };

void BM_RangesFromSample(benchmark::State& state, Keys keys) {
  const auto samples = size_t(state.range(0));
  const int units = int(state.range(1));
  const Sample sample = keys == Keys::kInteger         ? IntegerKeys(samples)
                        : keys == Keys::kCompositeText ? CompositeTextKeys(samples)
                                                       : RepeatedIntegerKeys(samples);
  const std::vector<int> key =
      keys == Keys::kCompositeText ? std::vector<int>{0, 1} : std::vector<int>{0};

  size_t produced = 0;
  size_t bound_bytes = 0;
  for (const KeyRange& r : RangesFromSample(sample, key, units, false)) {
    ++produced;
    if (r.hi) {
      for (const std::string& v : *r.hi) bound_bytes += 2 * v.size();  // hi here, lo of the next
    }
  }
  for (auto _ : state) {
    std::vector<KeyRange> ranges = RangesFromSample(sample, key, units, false);
    benchmark::DoNotOptimize(ranges.data());
    benchmark::ClobberMemory();
  }
  state.counters["units"] = double(produced);
  state.SetItemsProcessed(int64_t(state.iterations() * produced));
  state.SetBytesProcessed(int64_t(state.iterations() * bound_bytes));
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"samples", "units"});
  for (int64_t samples : {1'000, 10'000, 100'000}) {
    for (int64_t units : {16, 64, 256}) b->Args({samples, units});
  }
}
BENCHMARK_CAPTURE(BM_RangesFromSample, integer, Keys::kInteger)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_RangesFromSample, composite_text, Keys::kCompositeText)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_RangesFromSample, repeated_integer, Keys::kRepeatedInteger)->Apply(Sizes);

}  // namespace
