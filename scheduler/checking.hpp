// `ferry check`: everything a DBA should know before a copy starts, found without writing
// anything. Both ends are described, every table in scope is planned exactly as `ferry run`
// would plan it (BuildPlan's PlanTable, the planner), and whatever would stop or weaken the copy
// is reported as a finding: a blocker where the run would refuse or fail, a warning where it
// would run but some values could be refused or resume and verify would be coarser.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/job.hpp"
#include "copier/planner.hpp"
#include "scheduler/schema_clone.hpp"

namespace ferry {

enum class Severity { kBlocker, kWarning };
const char* SeverityName(Severity severity);  // "blocker", "warning"

struct Finding {
  Severity severity = Severity::kWarning;
  // Stable, for scripts: "pair", "type", "lossy type", "no key", "destination shape",
  // "destination rows", "name collision", "privilege", "write mode", "same database", "rename".
  std::string kind;
  std::string table;   // the source table, qualified ("" when about the whole copy)
  std::string column;  // the source column, when one is at fault
  std::string message;
};

struct EndCheck {
  std::string display;  // the connection without secrets
  std::string engine;
  std::string product;
  std::string version;
};

struct TableCheck {
  TableName source;
  TableName destination;
  bool destination_exists = false;
  int64_t estimated_rows = -1;
  int64_t estimated_bytes = -1;
  std::vector<std::string> key;  // the row key resume and verify use; empty when none
  std::string key_note;          // which key it is, or why there is none
  std::vector<std::string> split_key;
  Strategy strategy = Strategy::kSingle;  // as the planner decides
  std::string why;
  int partitions = 1;
  double estimated_seconds = -1;  // one stream's read time, extrapolated; -1 = unknown
  bool sampled = false;           // its own rows were read for the estimate
  // How `ferry sync` should keep this table up to date after the copy: "tracked" (change log and
  // triggers, exact), "watermark" (a column that grows on every change; deletes unseen) or
  // "diff" (ferry verify --repair), and why.
  std::string sync_mode;
  std::string sync_note;
};

struct SchemaCheck {
  std::string name;
  int tables = 0;
  int64_t estimated_rows = 0;  // sums of what is known
  int64_t estimated_bytes = 0;
};

// What the read sample measured: rows read through a real ReadSession from the largest tables.
struct ReadSample {
  std::vector<TableName> tables;  // the tables read
  int64_t rows = 0;
  double seconds = 0;
  // Catalog bytes (the estimate's unit) read per second, from the sampled tables' bytes per row.
  double bytes_per_second = 0;
};

struct CheckReport {
  EndCheck source;
  EndCheck destination;
  bool pair_supported = false;
  std::vector<SchemaCheck> schemas;
  std::vector<TableCheck> tables;
  std::vector<Finding> findings;
  ReadSample sample;
  int readers = 1;
  double estimated_seconds = -1;  // the whole copy with `readers` streams; -1 = unknown

  int blockers() const;
  int warnings() const;
};

struct CheckOptions {
  PartitionOptions partitions;
  int readers = 1;  // parallel read streams the run would use, for the total estimate
  int writers = 1;  // the run's writers, for the sessions it opens at the destination
  // The read sample: up to this many of the largest tables, each read for at most these rows or
  // seconds, whichever comes first. Short, so check stays quick on any source.
  int sample_tables = 3;
  int64_t sample_rows = 20'000;
  double sample_seconds = 1.0;
  // --scan: every table in scope read once more, by aggregate queries on the source server, to
  // count per column the values the destination will refuse (NaN and infinities, NUL, text
  // longer than its destination column, dates out of range, MariaDB zero dates): blockers,
  // with example keys.
  bool scan = false;
  // What `ferry run` would be told about the schema clone (--schema-from, --no-routines,
  // --keep-definers): what the clone leaves out is listed, object by object.
  CloneOptions clone;
  // --allow-empty-source: no blocker for --truncate from a source whose tables are all empty.
  bool allow_empty_source = false;
};

// Checks the copy `job` describes. Throws only for what stops the check itself (a lost
// connection, a bad pattern, no table in scope); everything about the copy is a finding.
CheckReport CheckCopy(Endpoint& source, Endpoint& destination, const Job& job,
                      const CheckOptions& options);

// The report as JSON (pretty, stable key order), for `ferry check --json`.
std::string CheckReportToJson(const CheckReport& report);

}  // namespace ferry
