// `ferry verify`: proves a copy range by range. Both ends are read by the same key ranges the
// copy used, in parallel (each comparison worker holds one source and one destination
// connection, each on its own thread), and every range is reduced to a row count and a sum of
// row hashes over the canonical form of its values (copier/row_hash.hpp). A range whose sums
// differ is cut into smaller ranges and compared again (single-column integer keys), until it is
// small enough to compare key by key; its rows are then reported as missing at the destination,
// extra at the destination, or different (naming the columns). Keyless tables are compared as
// multisets of row hashes. Where both ends are the same engine hashing rows alike and the
// compared columns have identical declared types, each range is first reduced by the servers
// themselves (ReadSession::Digest: a row count and an exact sum of row hashes computed in SQL), so
// no row travels; a range whose server sums differ is compared as above. With `repair`, the
// differing ranges are copied again through the normal pipeline (each replacing its range at the
// destination) and compared once more.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/plan.hpp"
#include "copier/planner.hpp"
#include "scheduler/pipeline.hpp"

namespace ferry {

// Where rows are hashed. kClient: ferry reads every row and hashes its canonical form. kServer:
// both servers hash and sum the rows of each range themselves, for tables where that is sound
// (otherwise ferry does). kAuto: the server where that is sound and faster
// (EndpointInfo::server_row_hash_faster), else ferry.
enum class HashPath { kAuto, kServer, kClient };
// "auto", "server", "client"
const char* HashPathName(HashPath path);

// What a verification has compared so far, per table in report order, for progress displays.
struct TableProgressCount {
  int ranges = 0;       // to compare (the sample's)
  int ranges_done = 0;  // compared
  int64_t rows = 0;     // source rows in the ranges compared
  double seconds = 0;   // since its first range started, to its last range's end once done
  bool failed = false;
};
struct VerifyProgress {
  std::vector<TableProgressCount> tables;
};

struct VerifyOptions {
  // Comparison workers; each holds one source and one destination connection.
  int workers = kFewestDefaultWorkers;
  BatchLimits limits;
  Consistency consistency = kDefaultConsistency;
  PartitionOptions partitions;  // only for plans whose partition count was edited
  // Differences listed per kind and table; the counts are always complete.
  size_t max_keys = 10;
  // Put the differing rows' values in the report (they may be confidential, hence opt-in).
  bool show_values = false;
  // A differing range with at most this many rows (on the larger side) is compared key by key;
  // a larger one is cut into smaller ranges first, where its key allows.
  int64_t leaf_rows = 20'000;
  // Compare this percentage of each table's ranges, chosen at random from `seed`.
  double sample_percent = 100;
  uint64_t seed = 0;
  HashPath hash = HashPath::kAuto;
  // Copy the differing ranges again, through `engine`, then compare them again.
  bool repair = false;
  EngineOptions engine;
  // Called on the calling thread about twice a second while ranges are compared, and once when
  // a comparison pass ends.
  std::function<void(const VerifyProgress&)> progress;
  // What the ranges' times are measured from (RunVerify sets it to its start).
  std::chrono::steady_clock::time_point epoch{};
};

enum class DifferenceKind { kMissing, kExtra, kDifferent };
// "missing", "extra", "different"
const char* DifferenceKindName(DifferenceKind kind);

struct RowDifference {
  DifferenceKind kind = DifferenceKind::kMissing;
  std::string key;                   // "(id)=(42)"; for keyless tables the row's hash
  std::vector<std::string> columns;  // kDifferent: the differing columns (destination names)
  std::string source_values;         // only with show_values: "(42, 'abc', NULL)"
  std::string destination_values;
};

struct DifferenceCounts {
  int64_t missing = 0;
  int64_t extra = 0;
  int64_t different = 0;
  int64_t total() const { return missing + extra + different; }
};

enum class Verdict { kIdentical, kDiffers, kFailed };
// "identical", "differs", "failed"
const char* VerdictName(Verdict verdict);

struct TableVerification {
  TableName source;
  TableName destination;
  Verdict verdict = Verdict::kIdentical;
  bool keyed = true;         // compared by key; false: as a multiset of rows
  int ranges = 0;            // the copy's units
  int ranges_checked = 0;    // fewer with sample_percent
  int ranges_differing = 0;  // of those checked
  int ranges_split = 0;      // differing ranges cut into smaller ones
  // Where this table's rows were hashed: "server" or "client"; why not in the server when it
  // could have been asked for; ranges whose server sums differed and ferry compared again.
  std::string hash = "client";
  std::string hash_note;
  int ranges_rehashed = 0;
  int64_t source_rows = 0;  // in the ranges checked
  int64_t destination_rows = 0;
  DifferenceCounts counts;
  std::vector<RowDifference> differences;  // up to max_keys of each kind, in key order
  double seconds = 0;
  std::string error;  // why it could not be verified
  ErrorCode error_code = ErrorCode::kInternal;

  // With repair, for tables that differed: what was found first, and what the copy did.
  bool repaired = false;
  Verdict verdict_before_repair = Verdict::kIdentical;
  DifferenceCounts counts_before_repair;
  std::vector<RowDifference> differences_before_repair;
  int ranges_repaired = 0;
  int64_t rows_recopied = 0;
  std::string repair_error;

  // Each comparison of one of its ranges or sub-ranges, for the profile and the trace: which
  // worker compared it and when, in seconds since the verification started.
  struct RangeTiming {
    int worker = 0;
    double started_at = 0;
    double finished_at = 0;
    std::string range;  // DescribeRange
    bool top = false;   // one of the copy's units, not a sub-range cut from one
  };
  std::vector<RangeTiming> timings;
};

struct VerifyReport {
  std::vector<TableVerification> tables;
  std::string consistency;  // what the source snapshot guarantees
  double sample_percent = 100;
  uint64_t seed = 0;
  bool repair = false;
  double seconds = 0;
  std::string method;               // how rows were hashed
  HashPath hash = HashPath::kAuto;  // as asked; each table says where it was hashed
  // With repair: the units that copied differing ranges again (UnitResult::table indexes tables).
  std::vector<UnitResult> repair_units;
  // The large objects of both ends by OID, size and SHA-256, where both keep them and a table
  // in scope points at them (scheduler/large_objects.hpp); never repaired (ferry run --resume
  // copies the missing ones).
  std::optional<LargeObjectComparison> large_objects;

  int Count(Verdict verdict) const;
};

// Compares every table of `plan` (skipped tables excepted). Failures of one table (a missing
// destination table, a lost connection) are in its entry; throws only when nothing can be
// compared at all.
VerifyReport RunVerify(Endpoint& source, Endpoint& destination, const Plan& plan,
                       const VerifyOptions& options);

// Records the verification as a run with command "verify" in the destination's run state
// (tables ferry_runs, ferry_tables), so `ferry status` can show it. A verification stopped by a
// signal (StopRequested) is recorded as interrupted: its verdicts are incomplete.
void RecordVerify(Endpoint& destination, const Plan& plan, const VerifyReport& report);

}  // namespace ferry
