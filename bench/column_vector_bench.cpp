// Benchmarks of ColumnVector (copier/batch.hpp), the buffer every fetched value is appended to.
// A column is cleared and refilled each iteration, as pooled batches are, so these measure the
// steady state with no allocation; items are rows, bytes are the payload appended.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "copier/batch.hpp"

namespace {

using namespace ferry;

constexpr uint64_t kSeed = 20240229;

// Arg: rows per batch. Arg 1: percent of NULLs.
void BM_AppendInt(benchmark::State& state) {
  const size_t rows = size_t(state.range(0));
  const int64_t null_percent = state.range(1);
  std::mt19937_64 rng(kSeed);
  std::vector<int64_t> values(rows);
  std::vector<bool> is_null(rows);
  for (size_t i = 0; i < rows; ++i) {
    values[i] = int64_t(rng());
    is_null[i] = int64_t(rng() % 100) < null_percent;
  }
  ColumnVector column(Storage::kInt64);
  column.Reserve(rows);
  for (auto _ : state) {
    column.Clear();
    for (size_t i = 0; i < rows; ++i) {
      if (is_null[i]) {
        column.AppendNull();
      } else {
        column.AppendInt(values[i]);
      }
    }
    benchmark::DoNotOptimize(column);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * rows));
  state.SetBytesProcessed(int64_t(state.iterations() * rows * sizeof(int64_t)));
}
BENCHMARK(BM_AppendInt)->ArgNames({"rows", "null%"})->Args({8192, 0})->Args({8192, 5});

// Strings shaped like a varchar(44) comment column: 10..44 bytes.
std::vector<std::string> MakeComments(size_t rows) {
  static const char* const kWords[] = {"carefully ", "final ",  "deposits ", "sleep ",
                                       "furiously ", "ironic ", "requests ", "a "};
  std::mt19937_64 rng(kSeed);
  std::vector<std::string> out(rows);
  for (std::string& s : out) {
    size_t length = 10 + rng() % 35;
    while (s.size() < length) s += kWords[rng() % 8];
    s.resize(length);
  }
  return out;
}

void BM_AppendBytes(benchmark::State& state) {
  const size_t rows = size_t(state.range(0));
  const std::vector<std::string> values = MakeComments(rows);
  size_t bytes = 0;
  for (const std::string& v : values) bytes += v.size();
  ColumnVector column(Storage::kText);
  column.Reserve(rows);
  for (const std::string& v : values) column.AppendBytes(v);  // grows the arena once
  for (auto _ : state) {
    column.Clear();
    for (const std::string& v : values) column.AppendBytes(v);
    benchmark::DoNotOptimize(column);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * rows));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}
BENCHMARK(BM_AppendBytes)->ArgName("rows")->Arg(8192);

// The in-place path converters use: reserve the longest form, write, shrink to what was written.
void BM_AppendUninitialized(benchmark::State& state) {
  const size_t rows = size_t(state.range(0));
  const std::vector<std::string> values = MakeComments(rows);
  size_t bytes = 0;
  for (const std::string& v : values) bytes += v.size();
  ColumnVector column(Storage::kText);
  column.Reserve(rows);
  for (auto _ : state) {
    column.Clear();
    for (const std::string& v : values) {
      char* at = column.AppendUninitialized(64);
      std::memcpy(at, v.data(), v.size());
      column.ShrinkLast(v.size());
    }
    benchmark::DoNotOptimize(column);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * rows));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}
BENCHMARK(BM_AppendUninitialized)->ArgName("rows")->Arg(8192);

// Whole-column copy, which is all an identity conversion does before its checks.
void BM_CopyFromText(benchmark::State& state) {
  const size_t rows = size_t(state.range(0));
  ColumnVector source(Storage::kText);
  for (const std::string& v : MakeComments(rows)) source.AppendBytes(v);
  ColumnVector copy(Storage::kText);
  copy.CopyFrom(source);
  for (auto _ : state) {
    copy.CopyFrom(source);
    benchmark::DoNotOptimize(copy);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * rows));
  state.SetBytesProcessed(int64_t(state.iterations() * source.ByteSize()));
}
BENCHMARK(BM_CopyFromText)->ArgName("rows")->Arg(8192);

}  // namespace
