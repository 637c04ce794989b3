// Benchmarks of RowConverter (copier/convert.hpp) on a batch shaped like TPC-H lineitem: the
// per-batch cost every row pays between reader and writer. Items are rows, bytes are the input
// batch's payload; threads each convert into their own output batch, as the workers will.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "copier/values.hpp"

namespace {

using namespace ferry;

constexpr uint64_t kSeed = 20240229;

ColumnType Integer(int bits) {
  ColumnType t;
  t.kind = TypeKind::kInteger;
  t.width_bits = bits;
  t.native = bits == 64 ? "BIGINT" : "INT";
  return t;
}

ColumnType Decimal(int precision, int scale) {
  ColumnType t;
  t.kind = TypeKind::kDecimal;
  t.precision = precision;
  t.scale = scale;
  t.native = "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  return t;
}

ColumnType Character(TypeKind kind, int64_t length) {
  ColumnType t;
  t.kind = kind;
  t.length = length;
  t.native = kind == TypeKind::kChar      ? "CHAR(" + std::to_string(length) + ")"
             : kind == TypeKind::kVarchar ? "VARCHAR(" + std::to_string(length) + ")"
                                          : "TEXT";
  return t;
}

ColumnType Of(TypeKind kind, const char* native) {
  ColumnType t;
  t.kind = kind;
  t.native = native;
  return t;
}

std::vector<Column> LineitemColumns() {
  return {
      {"l_orderkey", Integer(64), false, false},
      {"l_linenumber", Integer(32), false, false},
      {"l_quantity", Decimal(15, 2), false, false},
      {"l_extendedprice", Decimal(15, 2), false, false},
      {"l_discount", Decimal(15, 2), false, false},
      {"l_tax", Decimal(15, 2), false, false},
      {"l_returnflag", Character(TypeKind::kChar, 1), false, false},
      {"l_comment", Character(TypeKind::kVarchar, 44), false, false},
      {"l_shipdate", Of(TypeKind::kDate, "DATE"), false, false},
      {"l_commitdate", Of(TypeKind::kDate, "DATE"), false, false},
      {"l_receiptdate", Of(TypeKind::kDate, "DATE"), false, false},
  };
}

// How the destination differs from the source in each variant.
enum class Variant {
  kIdentity,      // same types both sides: copy plus the destination's value checks
  kNarrowing,     // bigint -> int (range check), text -> char(1) / varchar(44) (length check)
  kCrossStorage,  // decimal(15,2) -> double and date -> timestamp: converted value by value
};

std::vector<Column> DestinationColumns(Variant variant) {
  std::vector<Column> out = LineitemColumns();
  if (variant == Variant::kCrossStorage) {
    for (int i = 2; i <= 5; ++i) out[size_t(i)].type = Of(TypeKind::kDouble, "DOUBLE");
    for (int i = 8; i <= 10; ++i) {
      out[size_t(i)].type = Of(TypeKind::kTimestamp, "TIMESTAMP(6)");
      out[size_t(i)].type.precision = 6;
    }
  }
  return out;
}

std::vector<Column> SourceColumns(Variant variant) {
  std::vector<Column> out = LineitemColumns();
  if (variant == Variant::kNarrowing) {
    out[0].type = Integer(64);
    out[1].type = Integer(64);
    out[6].type = Character(TypeKind::kText, -1);
    out[7].type = Character(TypeKind::kText, -1);
  }
  return out;
}

std::string Cents(int64_t cents) {
  std::string s = std::to_string(cents / 100) + ".";
  s += char('0' + cents % 100 / 10);
  s += char('0' + cents % 10);
  return s;
}

// TPC-H-like values, all of which fit every variant's destination.
void FillLineitem(Batch& batch, size_t rows) {
  static const char* const kWords[] = {"carefully ", "final ",  "deposits ", "sleep ",
                                       "furiously ", "ironic ", "requests ", "Zoë's 東京 "};
  std::mt19937_64 rng(kSeed);
  const int32_t first_day = DaysFromCivil({1992, 1, 1});
  for (size_t r = 0; r < rows; ++r) {
    const int64_t quantity = 1 + int64_t(rng() % 50);
    const int32_t ship = first_day + int32_t(rng() % 2526);
    batch.column(0).AppendInt(int64_t(r / 4) * 32 + 1);
    batch.column(1).AppendInt(int64_t(r % 4) + 1);
    batch.column(2).AppendBytes(Cents(quantity * 100));
    batch.column(3).AppendBytes(Cents(quantity * (90000 + int64_t(rng() % 10000000)) / 100));
    batch.column(4).AppendBytes(Cents(int64_t(rng() % 11)));
    batch.column(5).AppendBytes(Cents(int64_t(rng() % 9)));
    batch.column(6).AppendBytes(std::string(1, "ANR"[rng() % 3]));
    // Whole words up to 44 bytes, hence at most 44 characters whatever the words.
    std::string comment;
    const size_t length = 10 + rng() % 30;
    while (comment.size() < length) {
      std::string_view word = kWords[rng() % 8];
      if (comment.size() + word.size() > 44) break;
      comment += word;
    }
    batch.column(7).AppendBytes(comment);
    batch.column(8).AppendInt(ship);
    batch.column(9).AppendInt(ship - 30 + int32_t(rng() % 60));
    batch.column(10).AppendInt(ship + 1 + int32_t(rng() % 30));
  }
}

void BM_Convert(benchmark::State& state, Variant variant) {
  const size_t rows = size_t(state.range(0));
  const std::vector<Column> source = SourceColumns(variant);
  const std::vector<Column> destination = DestinationColumns(variant);
  std::vector<ColumnPairing> pairs;
  for (size_t i = 0; i < source.size(); ++i) pairs.push_back({&source[i], &destination[i]});
  const RowConverter converter("bench.lineitem", pairs, ValueLimits{}, {0, 1});

  Batch in(converter.input_storages());
  FillLineitem(in, rows);
  Batch out;
  // Converted once untimed: it sizes `out`, and a value that fails must stop the benchmark
  // rather than be timed as an exception.
  try {
    converter.Convert(in, out);
  } catch (const Error& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    converter.Convert(in, out);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * rows));
  state.SetBytesProcessed(int64_t(state.iterations() * in.ByteSize()));
}
BENCHMARK_CAPTURE(BM_Convert, identity, Variant::kIdentity)
    ->ArgName("rows")
    ->Arg(8192)
    ->ThreadRange(1, 2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Convert, narrowing, Variant::kNarrowing)
    ->ArgName("rows")
    ->Arg(8192)
    ->ThreadRange(1, 2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Convert, cross_storage, Variant::kCrossStorage)
    ->ArgName("rows")
    ->Arg(8192)
    ->ThreadRange(1, 2)
    ->UseRealTime();

}  // namespace
