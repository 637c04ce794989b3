// Benchmarks of `ferry verify`'s hashing (copier/row_hash.hpp): canonical form and xxHash64 of
// every row of a batch shaped like TPC-H lineitem, the CPU work verify pays per row on each end.
// Items are rows per second on one core (DigestRows is what each oneTBB task runs); bytes are
// the batch's payload.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "copier/batch.hpp"
#include "copier/row_hash.hpp"
#include "copier/values.hpp"

namespace {

using namespace ferry;

constexpr size_t kRows = 8192;

// lineitem's 16 columns in ferry's storage: keys and counts as integers, money as decimal
// text, flags and comments as text, dates as days.
Batch Lineitem(std::vector<CanonicalForm>& forms) {
  const std::vector<std::pair<Storage, CanonicalForm>> layout = {
      {Storage::kInt64, CanonicalForm::kNumber},    {Storage::kInt64, CanonicalForm::kNumber},
      {Storage::kInt64, CanonicalForm::kNumber},    {Storage::kInt64, CanonicalForm::kNumber},
      {Storage::kDecimal, CanonicalForm::kNumber},  {Storage::kDecimal, CanonicalForm::kNumber},
      {Storage::kDecimal, CanonicalForm::kNumber},  {Storage::kDecimal, CanonicalForm::kNumber},
      {Storage::kText, CanonicalForm::kPaddedText}, {Storage::kText, CanonicalForm::kPaddedText},
      {Storage::kDate, CanonicalForm::kDate},       {Storage::kDate, CanonicalForm::kDate},
      {Storage::kDate, CanonicalForm::kDate},       {Storage::kText, CanonicalForm::kPaddedText},
      {Storage::kText, CanonicalForm::kPaddedText}, {Storage::kText, CanonicalForm::kText}};
  std::vector<Storage> storages;
  for (const auto& [storage, form] : layout) {
    storages.push_back(storage);
    forms.push_back(form);
  }
  Batch batch(storages);
  std::mt19937_64 random(20240229);
  const int32_t day = DaysFromCivil({1995, 6, 17});
  for (size_t row = 0; row < kRows; ++row) {
    for (int c = 0; c < 4; ++c) batch.column(size_t(c)).AppendInt(int64_t(random() % 6'000'000));
    batch.column(4).AppendBytes(std::to_string(random() % 50 + 1) + ".00");
    batch.column(5).AppendBytes(std::to_string(random() % 100000) + "." +
                                std::to_string(random() % 90 + 10));
    batch.column(6).AppendBytes("0.0" + std::to_string(random() % 10));
    batch.column(7).AppendBytes("0.0" + std::to_string(random() % 9));
    batch.column(8).AppendBytes(random() % 2 ? "N" : "R");
    batch.column(9).AppendBytes(random() % 2 ? "O" : "F");
    for (int c = 10; c < 13; ++c) batch.column(size_t(c)).AppendInt(day + int64_t(random() % 2000));
    batch.column(13).AppendBytes("DELIVER IN PERSON        ");
    batch.column(14).AppendBytes("TRUCK     ");
    batch.column(15).AppendBytes(
        std::string("carefully final deposits detect slyly agai").substr(0, 10 + random() % 30));
  }
  return batch;
}

void BM_DigestLineitem(benchmark::State& state) {
  std::vector<CanonicalForm> forms;
  const Batch batch = Lineitem(forms);
  const RowHasher hasher(forms);
  for (auto _ : state) {
    RangeDigest digest = DigestRows(hasher, batch, 0, batch.num_rows());
    benchmark::DoNotOptimize(digest);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * batch.num_rows()));
  state.SetBytesProcessed(int64_t(state.iterations() * batch.ByteSize()));
}
BENCHMARK(BM_DigestLineitem);

// The key-by-key comparison's hashing: every column hashed on its own too, to name differences.
void BM_HashWithColumnsLineitem(benchmark::State& state) {
  std::vector<CanonicalForm> forms;
  const Batch batch = Lineitem(forms);
  const RowHasher hasher(forms);
  std::string scratch;
  std::vector<uint64_t> columns(forms.size());
  for (auto _ : state) {
    uint64_t sum = 0;
    for (size_t row = 0; row < batch.num_rows(); ++row) {
      sum += hasher.Hash(batch, row, scratch, columns.data());
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * batch.num_rows()));
}
BENCHMARK(BM_HashWithColumnsLineitem);

}  // namespace
