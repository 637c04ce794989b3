// What `ferry` prints while a copy runs: a live line per table on a terminal (a line per
// table otherwise), and the summary at the end.
#pragma once

#include <cstdio>

#include "scheduler/copy_run.hpp"

namespace ferry {

class ConsoleObserver final : public CopyObserver {
 public:
  explicit ConsoleObserver(std::FILE* out, bool quiet);

  void Prepared(const std::vector<TableOutcome>& tables) override;
  void TableStarted(size_t index, const TableOutcome& table) override;
  void TableProgress(size_t index, const TableOutcome& table) override;
  void TableFinished(size_t index, const TableOutcome& table) override;

  void PrintSummary(const CopyReport& report) const;

 private:
  std::FILE* out_;
  bool quiet_;
  bool tty_;
  size_t total_ = 0;
  size_t name_width_ = 10;
};

// 1234567 -> "1,234,567"
std::string Grouped(int64_t value);

}  // namespace ferry
