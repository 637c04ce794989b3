// Benchmarks of MariaDB's text forms (drivers/mariadb/mariadb_text.hpp) on a batch shaped like
// TPC-H lineitem (bigint, int, 4 x decimal(15,2), char(1), varchar(44), 3 dates): the CPU every
// row pays on the native path, encoding LOAD DATA input for a writer (in Prepare, on worker
// threads) and decoding the text protocol's rows for a reader. Items are rows; bytes are the
// text bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/values.hpp"
#include "drivers/mariadb/mariadb_text.hpp"

namespace {

using namespace ferry;

constexpr uint64_t kSeed = 20240229;
constexpr size_t kRows = 8192;

const std::vector<Storage> kStorages = {Storage::kInt64,   Storage::kInt64,   Storage::kDecimal,
                                        Storage::kDecimal, Storage::kDecimal, Storage::kDecimal,
                                        Storage::kText,    Storage::kText,    Storage::kDate,
                                        Storage::kDate,    Storage::kDate};

std::string Cents(int64_t cents) {
  std::string s = std::to_string(cents / 100) + ".";
  s += char('0' + cents % 100 / 10);
  s += char('0' + cents % 10);
  return s;
}

// TPC-H-like values, as the converter leaves them for a MariaDB destination.
Batch Lineitem(size_t rows) {
  static const char* const kWords[] = {"carefully ", "final ",  "deposits ", "sleep ",
                                       "furiously ", "ironic ", "requests ", "Zoë's 東京 "};
  std::mt19937_64 rng(kSeed);
  const int32_t first_day = DaysFromCivil({1992, 1, 1});
  Batch batch(kStorages);
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
  return batch;
}

void BM_MariaDbEncodeLoadData(benchmark::State& state) {
  const Batch batch = Lineitem(kRows);
  const mariadb::LoadDataEncoder encoder(kStorages);
  std::string wire;
  for (auto _ : state) {
    wire.clear();
    encoder.Encode(batch, 0, kRows, wire);
    benchmark::DoNotOptimize(wire.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kRows));
  state.SetBytesProcessed(int64_t(state.iterations() * wire.size()));
}
BENCHMARK(BM_MariaDbEncodeLoadData)->ThreadRange(1, 2)->UseRealTime();

// Rows as the text protocol hands them over: each value's text and length, NULL as nullptr.
struct TextRows {
  std::string arena;
  std::vector<const char*> values;  // row-major
  std::vector<unsigned long> lengths;
};

TextRows AsServerText(const Batch& batch) {
  TextRows rows;
  std::vector<size_t> offsets;
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      const ColumnVector& column = batch.column(c);
      std::string text;
      switch (column.storage()) {
        case Storage::kInt64:
          text = std::to_string(column.Int(r));
          break;
        case Storage::kDate:
          text = FormatDate(int32_t(column.Int(r)));
          break;
        default:
          text = std::string(column.Bytes(r));
      }
      offsets.push_back(rows.arena.size());
      rows.lengths.push_back(text.size());
      rows.arena += text;
    }
  }
  for (size_t offset : offsets) rows.values.push_back(rows.arena.data() + offset);
  return rows;
}

void BM_MariaDbDecodeText(benchmark::State& state) {
  const TextRows rows = AsServerText(Lineitem(kRows));
  const mariadb::TextRowDecoder decoder(kStorages);
  const size_t columns = kStorages.size();
  Batch batch(kStorages);
  for (auto _ : state) {
    batch.Reset(kStorages);
    for (size_t r = 0; r < kRows; ++r) {
      if (decoder.Append(&rows.values[r * columns], &rows.lengths[r * columns], batch) >= 0) {
        state.SkipWithError("a lineitem value did not decode");
        return;
      }
    }
    benchmark::DoNotOptimize(batch);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kRows));
  state.SetBytesProcessed(int64_t(state.iterations() * rows.arena.size()));
}
BENCHMARK(BM_MariaDbDecodeText)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
