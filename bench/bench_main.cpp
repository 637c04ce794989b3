// The entry point of ferry_bench; the benchmarks register themselves from the other files of
// this folder, one file per module under test.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
