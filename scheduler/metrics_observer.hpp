// `--metrics-file`: what the textfile collector reads about a copy, written as it starts, every
// few seconds while it runs, and when it ends (metrics_file.hpp). Also TeeObserver,
// which hands a copy's events to the console and to the metrics alike.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "copier/progress.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/metrics_file.hpp"

namespace ferry {

class Endpoint;

class TeeObserver final : public CopyObserver {
 public:
  explicit TeeObserver(std::vector<CopyObserver*> observers) : observers_(std::move(observers)) {}
  void Prepared(const CopyReport& r) override {
    for (CopyObserver* o : observers_) o->Prepared(r);
  }
  void Progress(const CopyReport& r) override {
    for (CopyObserver* o : observers_) o->Progress(r);
  }
  void Finished(const CopyReport& r) override {
    for (CopyObserver* o : observers_) o->Finished(r);
  }
  void Note(const std::string& text) override {
    for (CopyObserver* o : observers_) o->Note(text);
  }

 private:
  std::vector<CopyObserver*> observers_;
};

class MetricsObserver final : public CopyObserver {
 public:
  // `path` empty: writes nothing.
  MetricsObserver(std::string path, std::string command);

  // Writes the file once before the run starts: a path that cannot be written is an Error(kIo)
  // then, not a surprise halfway through a copy. Later writes that fail are warned about once.
  void Start();
  void Prepared(const CopyReport& report) override;
  void Progress(const CopyReport& report) override;

  // The last word, once the run is recorded: its status and the last successful run's time
  // (from `destination`'s run state). Throws nothing: a metric it cannot read is left out, and
  // a write that fails is warned about.
  void Final(const CopyReport& report, const std::string& status, Endpoint& destination,
             const std::string& state_prefix);

 private:
  void Write(const CopyReport& report);

  std::string path_;
  bool warned_ = false;
  MetricsContext context_;
  RateMeter rate_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_write_;
};

// The end time of the newest run of `command` recorded done in `destination` (seconds since the
// epoch), or -1.
double LastSuccess(Endpoint& destination, const std::string& state_prefix,
                   const std::string& command);

}  // namespace ferry
