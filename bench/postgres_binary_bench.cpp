// Benchmarks of PostgreSQL's COPY formats (drivers/postgres/binary_copy.hpp) on a batch shaped
// like TPC-H lineitem (bigint, int, 4 x numeric(15,2), char(1), varchar(44), 3 dates): the CPU
// every row pays on the native path, encoding for a writer (binary, and text for comparison),
// decoding for a reader, framing for pass-through. Items are rows; bytes are the wire bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/error.hpp"
#include "copier/values.hpp"
#include "drivers/postgres/binary_copy.hpp"

namespace {

using namespace ferry;
using ferry::pg::BinaryForm;

constexpr uint64_t kSeed = 20240229;
constexpr size_t kRows = 8192;

const std::vector<Storage> kStorages = {Storage::kInt64,   Storage::kInt64,   Storage::kDecimal,
                                        Storage::kDecimal, Storage::kDecimal, Storage::kDecimal,
                                        Storage::kText,    Storage::kText,    Storage::kDate,
                                        Storage::kDate,    Storage::kDate};
const std::vector<BinaryForm> kForms = {
    BinaryForm::kInt8,    BinaryForm::kInt4,    BinaryForm::kNumeric, BinaryForm::kNumeric,
    BinaryForm::kNumeric, BinaryForm::kNumeric, BinaryForm::kBytes,   BinaryForm::kBytes,
    BinaryForm::kDate,    BinaryForm::kDate,    BinaryForm::kDate};

std::string Cents(int64_t cents) {
  std::string s = std::to_string(cents / 100) + ".";
  s += char('0' + cents % 100 / 10);
  s += char('0' + cents % 10);
  return s;
}

// TPC-H-like values, as the converter leaves them for a PostgreSQL destination.
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

std::string EncodedLineitem() {
  std::string wire;
  pg::EncodeFailure failure;
  if (!pg::EncodeBinaryRows(Lineitem(kRows), kForms, wire, &failure)) return "";
  return wire;
}

void BM_EncodeBinary(benchmark::State& state) {
  const Batch batch = Lineitem(kRows);
  std::string wire;
  pg::EncodeFailure failure;
  if (!pg::EncodeBinaryRows(batch, kForms, wire, &failure)) {
    state.SkipWithError(failure.reason.c_str());
    return;
  }
  for (auto _ : state) {
    wire.clear();
    pg::EncodeBinaryRows(batch, kForms, wire, &failure);
    benchmark::DoNotOptimize(wire.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kRows));
  state.SetBytesProcessed(int64_t(state.iterations() * wire.size()));
}
BENCHMARK(BM_EncodeBinary)->ThreadRange(1, 2)->UseRealTime();

// The text format a table with an enum or interval column is written in.
void BM_EncodeText(benchmark::State& state) {
  const Batch batch = Lineitem(kRows);
  const std::vector<bool> with_zone(kStorages.size(), false);
  std::string wire;
  for (auto _ : state) {
    wire.clear();
    pg::EncodeTextRows(batch, with_zone, wire);
    benchmark::DoNotOptimize(wire.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kRows));
  state.SetBytesProcessed(int64_t(state.iterations() * wire.size()));
}
BENCHMARK(BM_EncodeText)->ThreadRange(1, 2)->UseRealTime();

// What a reader does per batch: frame each tuple and decode it into the batch's columns.
void BM_DecodeBinary(benchmark::State& state) {
  const std::string wire = EncodedLineitem();
  if (wire.empty()) {
    state.SkipWithError("the lineitem batch did not encode");
    return;
  }
  const pg::TupleDecoder decoder(kForms);
  Batch batch(kStorages);
  for (auto _ : state) {
    batch.Reset(kStorages);
    std::string_view data = wire;
    int fields = 0;
    pg::DecodeFailure failure;
    while (size_t n = pg::FrameTuple(data, &fields)) {
      decoder.Decode(data.data(), batch, &failure);
      data.remove_prefix(n);
    }
    benchmark::DoNotOptimize(batch);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kRows));
  state.SetBytesProcessed(int64_t(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeBinary)->ThreadRange(1, 2)->UseRealTime();

// What a pass-through reader does per batch: frame each tuple and copy it to the wire buffer.
void BM_FramePassThrough(benchmark::State& state) {
  const std::string wire = EncodedLineitem();
  std::string out;
  out.reserve(wire.size());
  for (auto _ : state) {
    out.clear();
    std::string_view data = wire;
    int fields = 0;
    while (size_t n = pg::FrameTuple(data, &fields)) {
      out.append(data.data(), n);
      data.remove_prefix(n);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kRows));
  state.SetBytesProcessed(int64_t(state.iterations() * wire.size()));
}
BENCHMARK(BM_FramePassThrough)->UseRealTime();

// One numeric value each way. Arg: digits before the point (two after it).
void BM_Numeric(benchmark::State& state) {
  const std::string text = std::string(size_t(state.range(0)), '7') + ".25";
  std::string field;
  pg::EncodeNumeric(text, field);
  std::string out;
  for (auto _ : state) {
    out.clear();
    pg::EncodeNumeric(text, out);
    pg::DecodeNumeric(field, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_Numeric)->ArgName("digits")->Arg(4)->Arg(13)->Arg(36);

}  // namespace
