// Benchmarks of copier/values.hpp: the text forms every value crosses on its way through ODBC
// (timestamps, dates, times, decimals, UUIDs, doubles). Inputs are made once per benchmark from
// a fixed seed, so runs compare; items are values, bytes are the text read or written.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/convert.hpp"
#include "copier/values.hpp"

namespace {

using namespace ferry;

// Enough distinct values to defeat the branch predictor, few enough to stay in L2.
constexpr size_t kValues = 4096;
constexpr uint64_t kSeed = 20240229;

// Microseconds between 1900 and 2100, the range real timestamps fall in.
std::vector<int64_t> MakeTimestamps(bool whole_seconds) {
  std::mt19937_64 rng(kSeed);
  const int64_t lo = int64_t(DaysFromCivil({1900, 1, 1})) * kMicrosPerDay;
  const int64_t hi = int64_t(DaysFromCivil({2100, 1, 1})) * kMicrosPerDay;
  std::uniform_int_distribution<int64_t> pick(lo, hi);
  std::vector<int64_t> out(kValues);
  for (int64_t& v : out) {
    v = pick(rng);
    if (whole_seconds) v -= TimeOfDay(v) % kMicrosPerSecond;
  }
  return out;
}

std::vector<int32_t> MakeDates() {
  std::mt19937_64 rng(kSeed);
  std::uniform_int_distribution<int32_t> pick(DaysFromCivil({1, 1, 1}),
                                              DaysFromCivil({9999, 12, 31}));
  std::vector<int32_t> out(kValues);
  for (int32_t& v : out) v = pick(rng);
  return out;
}

// Total length, for SetBytesProcessed.
size_t TotalBytes(const std::vector<std::string>& texts) {
  size_t total = 0;
  for (const std::string& t : texts) total += t.size();
  return total;
}

void SetCounters(benchmark::State& state, size_t values_per_iteration, size_t bytes_per_iteration) {
  state.SetItemsProcessed(int64_t(state.iterations() * values_per_iteration));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes_per_iteration));
}

// ---- timestamps, dates, times

void BM_FormatTimestampTo(benchmark::State& state) {
  const std::vector<int64_t> values = MakeTimestamps(state.range(0) == 0);
  char buf[40];
  size_t bytes = 0;
  for (int64_t v : values) bytes += FormatTimestampTo(v, buf);
  for (auto _ : state) {
    for (int64_t v : values) {
      size_t n = FormatTimestampTo(v, buf);
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(buf);
    }
  }
  SetCounters(state, values.size(), bytes);
}
// Arg 0: whole seconds ("2020-01-02 03:04:05"); 1: with microseconds.
BENCHMARK(BM_FormatTimestampTo)->ArgName("micros")->Arg(0)->Arg(1);

// The std::string form, to show what the allocation costs next to the in-place form.
void BM_FormatTimestamp(benchmark::State& state) {
  const std::vector<int64_t> values = MakeTimestamps(false);
  size_t bytes = 0;
  for (int64_t v : values) bytes += FormatTimestamp(v).size();
  for (auto _ : state) {
    for (int64_t v : values) {
      std::string s = FormatTimestamp(v);
      benchmark::DoNotOptimize(s);
    }
  }
  SetCounters(state, values.size(), bytes);
}
BENCHMARK(BM_FormatTimestamp);

// Arg 0: naive timestamps; 1: with a "+05:30" zone, which is applied to give UTC.
void BM_ParseTimestamp(benchmark::State& state) {
  std::vector<std::string> texts;
  for (int64_t v : MakeTimestamps(false)) {
    texts.push_back(FormatTimestamp(v) + (state.range(0) ? "+05:30" : ""));
  }
  for (auto _ : state) {
    for (const std::string& t : texts) {
      auto parsed = ParseTimestamp(t);
      benchmark::DoNotOptimize(parsed);
    }
  }
  SetCounters(state, texts.size(), TotalBytes(texts));
}
BENCHMARK(BM_ParseTimestamp)->ArgName("zone")->Arg(0)->Arg(1);

void BM_FormatDateTo(benchmark::State& state) {
  const std::vector<int32_t> values = MakeDates();
  char buf[32];
  for (auto _ : state) {
    for (int32_t v : values) {
      size_t n = FormatDateTo(v, buf);
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(buf);
    }
  }
  SetCounters(state, values.size(), values.size() * 10);
}
BENCHMARK(BM_FormatDateTo);

void BM_ParseDate(benchmark::State& state) {
  std::vector<std::string> texts;
  for (int32_t v : MakeDates()) texts.push_back(FormatDate(v));
  for (auto _ : state) {
    for (const std::string& t : texts) {
      auto parsed = ParseDate(t);
      benchmark::DoNotOptimize(parsed);
    }
  }
  SetCounters(state, texts.size(), TotalBytes(texts));
}
BENCHMARK(BM_ParseDate);

void BM_ParseTime(benchmark::State& state) {
  std::vector<std::string> texts;
  for (int64_t v : MakeTimestamps(false)) texts.push_back(FormatTime(TimeOfDay(v)));
  for (auto _ : state) {
    for (const std::string& t : texts) {
      auto parsed = ParseTime(t);
      benchmark::DoNotOptimize(parsed);
    }
  }
  SetCounters(state, texts.size(), TotalBytes(texts));
}
BENCHMARK(BM_ParseTime);

// ---- decimals

// Arg: total digits. 15 is decimal(15,2) (money); 38 is decimal(38,10) (the widest exact type).
std::vector<std::string> MakeDecimals(int digits) {
  std::mt19937_64 rng(kSeed);
  std::uniform_int_distribution<int> digit(0, 9);
  const int scale = digits <= 15 ? 2 : 10;
  std::vector<std::string> out(kValues);
  for (std::string& s : out) {
    if (rng() % 4 == 0) s += '-';
    // Varying widths, as real columns hold; never a leading zero, so the text is canonical.
    int integer_digits = 1 + int(rng() % unsigned(digits - scale));
    s += char('1' + rng() % 9);
    for (int i = 1; i < integer_digits; ++i) s += char('0' + digit(rng));
    s += '.';
    for (int i = 0; i < scale; ++i) s += char('0' + digit(rng));
  }
  return out;
}

void BM_CanonicalDecimal(benchmark::State& state) {
  const std::vector<std::string> texts = MakeDecimals(int(state.range(0)));
  DecimalShape shape;
  for (auto _ : state) {
    for (const std::string& t : texts) {
      auto canonical = CanonicalDecimal(t, &shape);
      benchmark::DoNotOptimize(canonical);
      benchmark::DoNotOptimize(shape);
    }
  }
  SetCounters(state, texts.size(), TotalBytes(texts));
}
BENCHMARK(BM_CanonicalDecimal)->ArgName("digits")->Arg(15)->Arg(38);

// ---- UUIDs

std::vector<std::string> MakeUuids() {
  std::mt19937_64 rng(kSeed);
  std::vector<std::string> out;
  for (size_t i = 0; i < kValues; ++i) {
    unsigned char bytes[16];
    for (unsigned char& b : bytes) b = static_cast<unsigned char>(rng());
    out.push_back(FormatUuid(bytes));
  }
  return out;
}

void BM_ParseUuid(benchmark::State& state) {
  const std::vector<std::string> texts = MakeUuids();
  unsigned char bytes[16];
  for (auto _ : state) {
    for (const std::string& t : texts) {
      bool ok = ParseUuid(t, bytes);
      benchmark::DoNotOptimize(ok);
      benchmark::DoNotOptimize(bytes);
    }
  }
  SetCounters(state, texts.size(), TotalBytes(texts));
}
BENCHMARK(BM_ParseUuid);

void BM_FormatUuidTo(benchmark::State& state) {
  const std::vector<std::string> texts = MakeUuids();
  std::vector<std::array<unsigned char, 16>> values(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) ParseUuid(texts[i], values[i].data());
  char buf[40];
  for (auto _ : state) {
    for (const auto& v : values) {
      size_t n = FormatUuidTo(v.data(), buf);
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(buf);
    }
  }
  SetCounters(state, values.size(), values.size() * 36);
}
BENCHMARK(BM_FormatUuidTo);

// ---- doubles

std::vector<double> MakeDoubles() {
  std::mt19937_64 rng(kSeed);
  std::uniform_real_distribution<double> pick(-1e6, 1e6);
  std::vector<double> out(kValues);
  for (double& v : out) v = pick(rng);  // full 17-digit mantissas: the slow case
  return out;
}

void BM_FormatDouble(benchmark::State& state) {
  const std::vector<double> values = MakeDoubles();
  size_t bytes = 0;
  for (double v : values) bytes += FormatDouble(v).size();
  for (auto _ : state) {
    for (double v : values) {
      std::string s = FormatDouble(v);
      benchmark::DoNotOptimize(s);
    }
  }
  SetCounters(state, values.size(), bytes);
}
BENCHMARK(BM_FormatDouble);

// ParseValue is how text from a driver becomes a batch value; the column is cleared each pass
// as a reused batch is, so this measures parsing plus an append into reserved memory.
void BM_ParseValueDouble(benchmark::State& state) {
  std::vector<std::string> texts;
  for (double v : MakeDoubles()) texts.push_back(FormatDouble(v));
  ColumnVector column(Storage::kFloat64);
  column.Reserve(texts.size());
  for (auto _ : state) {
    column.Clear();
    for (const std::string& t : texts) {
      bool ok = ParseValue(t, column);
      benchmark::DoNotOptimize(ok);
    }
    benchmark::ClobberMemory();
  }
  SetCounters(state, texts.size(), TotalBytes(texts));
}
BENCHMARK(BM_ParseValueDouble);

// ---- text

// The varchar(n) length check counts code points. Arg 0: ASCII; 1: mixed Latin, CJK and emoji.
void BM_Utf8Length(benchmark::State& state) {
  const std::vector<std::string> words =
      state.range(0)
          ? std::vector<std::string>{"Zoë ", "東京 ", "Ångström ", "😀 ", "مرحبا "}
          : std::vector<std::string>{"carefully ", "final ", "deposits ", "sleep ", "a "};
  std::mt19937_64 rng(kSeed);
  std::vector<std::string> texts(kValues);
  for (std::string& t : texts) {
    while (t.size() < 10 + rng() % 34) t += words[rng() % words.size()];
  }
  for (auto _ : state) {
    for (const std::string& t : texts) {
      auto length = Utf8Length(t);
      benchmark::DoNotOptimize(length);
    }
  }
  SetCounters(state, texts.size(), TotalBytes(texts));
}
BENCHMARK(BM_Utf8Length)->ArgName("multibyte")->Arg(0)->Arg(1);

}  // namespace
