#include <fmt/format.h>

#include <algorithm>

#include "copier/run_state.hpp"
#include "scheduler/stop.hpp"
#include "scheduler/verify_state.hpp"

namespace ferry {

namespace verify {

void Summarise(TableState& t, const VerifyOptions& options) {
  TableVerification& r = *t.result;
  for (auto* side : {&t.missing, &t.extra}) {
    const bool is_missing = side == &t.missing;
    for (auto& [key, rows] : *side) {
      for (Pending& p : rows) {
        (is_missing ? t.counts.missing : t.counts.extra) += 1;
        t.found.push_back(MakeFound(is_missing ? DifferenceKind::kMissing : DifferenceKind::kExtra,
                                    p.path, key, is_missing ? &p.row : nullptr,
                                    is_missing ? nullptr : &p.row, t.column_names));
      }
    }
    side->clear();
  }
  t.pending = 0;
  if (t.failed) {
    r.verdict = Verdict::kFailed;
    r.error = t.error;
    r.error_code = t.error_code;
  } else {
    // A range whose sums differ while no row does held rows the two engines order differently
    // (found in another range), or changed between the two reads: the rows decide.
    r.verdict = t.counts.total() > 0 ? Verdict::kDiffers : Verdict::kIdentical;
  }
  r.counts = t.counts;
  r.ranges_differing = t.differing;
  r.ranges_split = t.split;
  r.ranges_rehashed = t.rehashed;
  TrimFound(t.found, options.max_keys);
  r.differences.clear();
  for (const Found& f : t.found) r.differences.push_back(f.difference);
  std::stable_sort(r.differences.begin(), r.differences.end(),
                   [](const RowDifference& a, const RowDifference& b) { return a.kind < b.kind; });
}

}  // namespace verify

const char* DifferenceKindName(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::kMissing:
      return "missing";
    case DifferenceKind::kExtra:
      return "extra";
    case DifferenceKind::kDifferent:
      return "different";
  }
  return "different";
}

const char* HashPathName(HashPath path) {
  switch (path) {
    case HashPath::kAuto:
      return "auto";
    case HashPath::kServer:
      return "server";
    case HashPath::kClient:
      return "client";
  }
  return "auto";
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kIdentical:
      return "identical";
    case Verdict::kDiffers:
      return "differs";
    case Verdict::kFailed:
      return "failed";
  }
  return "failed";
}

int VerifyReport::Count(Verdict verdict) const {
  return int(std::count_if(tables.begin(), tables.end(),
                           [&](const TableVerification& t) { return t.verdict == verdict; }));
}

void RecordVerify(Endpoint& destination, const Plan& plan, const VerifyReport& report) {
  std::unique_ptr<RunStore> store = destination.OpenRunStore(kDefaultStatePrefix);
  store->Prepare();
  RunRecord run = NewRunRecord(plan, "verify");
  run.finished_at = UtcTimestamp();
  run.summary = fmt::format("{} identical, {} differ, {} failed to verify in {:.1f} s",
                            report.Count(Verdict::kIdentical), report.Count(Verdict::kDiffers),
                            report.Count(Verdict::kFailed), report.seconds);
  run.status = report.Count(Verdict::kFailed) > 0 ? RunStatus::kFailed : RunStatus::kDone;
  if (StopRequested()) {
    run.status = RunStatus::kInterrupted;
    run.summary = "stopped by a signal before every range was compared";
  }
  std::vector<TableRecord> records;
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const TableVerification& t = report.tables[i];
    TableRecord r;
    r.index = int(i);
    r.source = t.source;
    r.destination = t.destination;
    r.state = VerdictName(t.verdict);
    r.rows = t.source_rows;
    r.seconds = t.seconds;
    r.units = t.ranges;
    r.units_done = t.ranges_checked;
    r.attempts = 1;
    if (t.verdict == Verdict::kFailed) {
      std::string first_line = t.error.substr(0, t.error.find('\n'));
      r.error = first_line;
    } else {
      r.error = fmt::format("{} missing, {} extra, {} different; {} of {} ranges checked",
                            t.counts.missing, t.counts.extra, t.counts.different, t.ranges_checked,
                            t.ranges);
      if (t.repaired) {
        r.error += fmt::format(
            "; repaired {} ranges ({} rows) after {} missing, {} extra, {} "
            "different",
            t.ranges_repaired, t.rows_recopied, t.counts_before_repair.missing,
            t.counts_before_repair.extra, t.counts_before_repair.different);
      }
    }
    records.push_back(std::move(r));
  }
  store->StartRun(run, records, {});
  store->FinishRun(run.id, run.status, run.summary);
}

}  // namespace ferry
