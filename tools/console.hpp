// What `ferry` prints while a copy runs: on a terminal a live status line, otherwise a line per
// table every few seconds; a line per table as it finishes; the plan with --explain; the
// summary at the end.
#pragma once

#include <chrono>
#include <cstdio>
#include <vector>

#include "copier/text.hpp"
#include "scheduler/copy_run.hpp"

namespace ferry {

class ConsoleObserver final : public CopyObserver {
 public:
  ConsoleObserver(std::FILE* out, bool quiet, bool verbose = false);

  void Prepared(const CopyReport& report) override;
  void Progress(const CopyReport& report) override;
  void Finished(const CopyReport& report) override;
  void Note(const std::string& text) override;

  void PrintPlan(const CopyReport& report) const;
  void PrintSummary(const CopyReport& report) const;

 private:
  std::FILE* out_;
  bool quiet_;
  bool verbose_;
  bool tty_;
  size_t name_width_ = 10;
  std::vector<bool> announced_;  // a "done" line was printed
  std::chrono::steady_clock::time_point last_line_;
};

}  // namespace ferry
