// From a Job to a Plan (reading catalogs, sampling keys), and from a Plan back to what the
// pipeline runs (checking the source has not drifted and the destination can take it). Both
// refuse bad input with an Error before anything is written.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/error.hpp"
#include "copier/foreign_keys.hpp"
#include "copier/job.hpp"
#include "copier/plan.hpp"
#include "copier/planner.hpp"
#include "copier/table_plan.hpp"

namespace ferry {

// Plans every table the job puts in scope. `source_text`/`destination_text` are recorded in
// the plan without secrets.
Plan BuildPlan(Endpoint& source, Endpoint& destination, const Job& job,
               const PartitionOptions& partitions);

// The source's tables, listed once: every one, and those the job's include/exclude patterns
// select (never ferry's run state). Throws Error(kNotFound) when none is in scope.
struct SourceTables {
  std::vector<TableName> all;
  std::vector<TableName> in_scope;
  std::vector<TableName> run_state;  // named as ferry's run state, left out though selected
};
SourceTables ListSourceTables(Endpoint& source, const Job& job);
// The destination name of a source table, renames applied: foreign keys are re-pointed with it.
TableName DestinationOf(const TableName& source, Endpoint& src, Endpoint& dst, const Job& job);
std::vector<TableName> TablesInScope(Endpoint& source, const Job& job);

// Throws Error(kUsage) when source and destination are one database (by server identity, see
// EndpointInfo::database_identity) and a table of `in_scope` would land on itself (or on
// another table in scope): BuildPlan, PlanAndPrepare and PreparePlan refuse such a copy before
// anything is written; `ferry check` reports it as a blocker. Then a destination that holds
// another source's export (a staging directory) refuses this source (Endpoint::RefuseOtherSource).
void CheckNotSelfCopy(Endpoint& source, Endpoint& destination, const Job& job,
                      const std::vector<TableName>& in_scope);
// Throws Error(kUsage) naming every rename of the job that matches nothing at the source
// (Renames::Unmatched); `in_scope` are the source tables in scope, described; `all` the
// source's tables when the caller listed them already.
void CheckRenamesMatch(Endpoint& source, const Job& job, const std::vector<Table>& in_scope,
                       const std::vector<TableName>* all = nullptr);
// The same for the tables of a plan (a plan file, a stored plan).
void CheckNotSelfCopy(const Plan& plan, const Endpoint& source, const Endpoint& destination);

// One table of BuildPlan: destination, column mapping, indexes, split. Throws like BuildPlan;
// with `problems`, what keeps the table from being copied into the destination (an unmappable
// type, a mismatched or non-empty destination table, kSchema/kUsage) is added there instead and
// the split is still planned (ferry check). `copy`, when given and the mapping succeeded,
// receives the column pairing with full types.
// `key_types` (ForeignKeyColumnTypes) gives columns of foreign keys the type to map them as.
TablePlan PlanTable(Endpoint& source, Endpoint& destination, const Job& job, const Table& table,
                    const PartitionOptions& partitions, std::vector<Error>* problems = nullptr,
                    TableCopyPlan* copy = nullptr, const KeyColumnTypes* key_types = nullptr);

// The tables of `names` as the source describes them, those dropped since listed left out.
std::vector<Table> DescribeTables(Endpoint& source, const std::vector<TableName>& names);

// The tables `names` (the source's, in scope) described ahead at both ends
// (Endpoint::DescribeAhead) while they are planned or checked, which changes neither end.
class PlanningDescriptions {
 public:
  PlanningDescriptions(Endpoint& source, Endpoint& destination, const Job& job,
                       const std::vector<TableName>& names);
  ~PlanningDescriptions();
  PlanningDescriptions(const PlanningDescriptions&) = delete;
  PlanningDescriptions& operator=(const PlanningDescriptions&) = delete;

 private:
  Endpoint& source_;
  Endpoint& destination_;
  std::vector<TableName> at_source_, at_destination_;
};

// The types foreign keys among `tables` (the source's, in scope) need their columns mapped as
// so that the destination creates every key (UnifyForeignKeyTypes); none within one engine.
KeyColumnTypes ForeignKeyColumnTypes(const Endpoint& source, const Endpoint& destination,
                                     const std::vector<Table>& tables);

// The work units a table's plan describes, as key ranges on `table` (the source table as it is
// now): the plan's own units, one whole-table unit, or, when the partition count was edited, a
// new cut (`why` then says so). `ferry run` copies by them and `ferry verify` compares by them.
std::vector<WorkUnit> PlannedUnits(const TablePlan& plan, const Table& table, Endpoint& source,
                                   const PartitionOptions& partitions, std::string* why);

// Whether a foreign key's referenced table is one the plan copies; a key to a table outside the
// scope is not built (OutOfScopeNote says so in the run summary, ferry check before).
bool ReferencesInScope(const Plan& plan, const PlannedForeignKey& fk);
std::string OutOfScopeNote(const PlannedForeignKey& fk);

// "foreign key ... not created: ..." when rows of `source` (the source table) reference no
// parent by the key `fk` is planned from (Endpoint::DanglingReference); "" otherwise. The run
// skips such a key and says so in its summary; ferry check says it first.
std::string DanglingNote(Endpoint& source, const Table& table, const PlannedForeignKey& fk);

// "foreign key ... not created: ..." when the destination would refuse `fk` of `table` for its
// columns' types (ForeignKeyTypeProblem), with `referenced` the referenced table as the copy
// creates or finds it; "" when it would be created. The run skips such a key and says so in its
// summary; ferry check says it first.
std::string KeyTypeNote(const Table& table, const PlannedForeignKey& fk, const Table& referenced,
                        const EngineTraits& destination);

// A table of a plan, resolved against the live catalogs.
struct PreparedTable {
  const TablePlan* plan = nullptr;
  TableCopyPlan copy;
  std::vector<WorkUnit> units;
  Strategy strategy = Strategy::kSingle;
  std::string why;
  bool pass_through = false;
  bool skip = false;
  // Write mode upsert into an existing table: rows are matched by `upsert_key` (destination
  // column indices). False for a table ferry creates, which is loaded like any other.
  bool upsert = false;
  std::vector<int> upsert_key;
};

// Checks every table of `plan` against the source (drift) and the destination (shape, rows
// already there for write mode create), and turns its units into key ranges. Throws
// Error(kSchema/kNotFound) naming the table and what is wrong.
std::vector<PreparedTable> PreparePlan(const Plan& plan, Endpoint& source, Endpoint& destination,
                                       const PartitionOptions& partitions);

// BuildPlan and PreparePlan in one pass, each table described once at each end: a plan made and
// run at once cannot have drifted. What `ferry sync` does on every timer tick. `tables[i].plan`
// points into `plan`, which moves with it. With `problems` (ferry sync, where one table's
// problem must not stop the others), a table that cannot be planned or prepared is skipped and
// its error kept at its index in `problems` instead of thrown, and a keyless table of an upsert
// job is planned as append (sync compares it whole).
struct PlannedRun {
  Plan plan;
  std::vector<PreparedTable> tables;
  // False: `tables` is empty and the plan is still to be checked against both ends (a plan
  // file, a stored plan); RunPlan prepares it (PreparePlan).
  bool prepared = true;
};
// A plan to run that still has to be prepared.
inline PlannedRun Unprepared(Plan plan) {
  return PlannedRun{std::move(plan), {}, false};
}
// `listed`: the source's tables when the caller listed them already (ListSourceTables).
PlannedRun PlanAndPrepare(Endpoint& source, Endpoint& destination, const Job& job,
                          const PartitionOptions& partitions,
                          std::vector<std::optional<Error>>* problems = nullptr,
                          const SourceTables* listed = nullptr);

}  // namespace ferry
