// The phases of one copy run (RunPlan), in order: prepare -> create -> build units -> pipeline
// -> record outcomes -> indexes and constraints -> large objects -> finish. One object per run;
// each phase is a member function that reads and fills the run's state below. Internal to
// scheduler/:
// copy_run.cpp holds the phases that move data, copy_schema.cpp those that make schema objects
// (a plan file's DDL tried first; keys, indexes, foreign keys, counters after the rows).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "copier/convert.hpp"
#include "scheduler/copy_run.hpp"
#include "scheduler/planning.hpp"
#include "scheduler/run_recorder.hpp"
#include "scheduler/schema_clone.hpp"

namespace ferry {

class CopyRun {
 public:
  CopyRun(Endpoint& source, Endpoint& destination, PlannedRun run, const CopyOptions& options,
          CopyObserver& observer, RunRecording* recording);
  CopyRun(const CopyRun&) = delete;
  CopyRun& operator=(const CopyRun&) = delete;

  CopyReport Run();

 private:
  using Clock = std::chrono::steady_clock;

  // Prepare: every table checked against both ends before the first write; false when the run
  // only explains its plan.
  bool Prepare();
  void PrepareTables();
  void AskSourceForUnits();
  void SkipFinishedTables();
  void AnnounceTruncates();
  // Create: destination tables made (or cloned, or emptied) before any data moves.
  void Create();
  void CreateBeforeData();
  void ReadCarriedTypes();
  void CarryTypes();
  void CreateTable(size_t table);
  // Build units: the pipeline's jobs, largest first.
  void BuildUnits();
  // The source's part once a unit is copied (Endpoint::UnitCopied); a failure is said, not thrown.
  void SourceUnitCopied(const WorkUnit& unit);
  // Pipeline: every unit copied; a table's key and indexes built as its last unit commits.
  void LetSnapshotGoEarly();
  void RunUnits();
  // A shared run's units (copy_run_shared.cpp): claimed one at a time under a lease, in rounds
  // until every unit of the run is done and every table built, by whichever worker; then one
  // worker takes the run's own lease and finishes it.
  void RunSharedUnits(const std::function<void(const PipelineProgress&)>& progress);
  void OrderForShard();
  bool SharedRound(const std::vector<UnitJob>& all,
                   const std::function<void(const PipelineProgress&)>& progress);
  // Builds what waits for the table's rows once every unit of it is done (by any worker), under
  // the table's build lease; records the table's outcome for the whole run.
  void BuildSharedTable(size_t table);
  void BuildAndRecordSharedTable(size_t table, int units, int done, int failed, int64_t rows,
                                 int64_t bytes, std::string error);
  // No unit pending and every table built (or failed): what is left is the run's own finish.
  bool SharedTablesSettled();
  void SayLostBuilds();
  // Ends the server sessions of workers whose leases on `units` ran out, when they are gone.
  void EndLostWorkersSessions(const std::vector<UnitRecord>& units);
  void AwaitSharedFinish();
  // Record outcomes: unit results folded into table outcomes; what a failed table left undone.
  void RecordOutcomes();
  void FoldUnitResults();
  void MakeDefaultRows();
  void BuildIndexesWithoutUnits();
  void UndoFailedTables();
  // Indexes and constraints (copy_schema.cpp).
  void TryPlannedDdl() const;
  void BuildIndexes(size_t table);
  // A shared run's build, fenced and idempotent statement by statement (copy_schema.cpp):
  // false once this worker no longer holds the table's build lease; the table as it is now
  // (nullopt outside a shared run).
  bool SharedBuildStep(size_t table, bool statement = true);
  std::optional<Table> SharedDescribe(size_t table);
  void IndexesAndConstraints();
  void CloneAfterData();
  void BuildForeignKeys();
  // The CHECK constraints of tables ferry made, after their rows (Endpoint::AddChecks).
  void BuildChecks();
  void SyncIdentityCounters();
  void CarryStandaloneSequences();
  // An export (Endpoint::KeepsSchema): the source's sequences as they stand after the data.
  void KeepSourceSequences();
  // Foreign keys of the existing tables the run loads, set aside (copy_held_keys.cpp): found,
  // and refused where ferry's user may not alter them, before the run is recorded; recorded,
  // then dropped, before the first write; added back after the data, or when the run throws.
  void FindHeldKeys();
  void DropHeldKeys();
  void RestoreHeldKeys();
  void RestoreHeldKeysAfterError() noexcept;
  // Large objects (large_objects.cpp): copied after the tables, where both ends keep them.
  void CarryLargeObjects();
  // Finish: outcomes recorded, the observer told.
  void Finish();

  Endpoint& source_;
  Endpoint& destination_;
  const CopyOptions& options_;
  CopyObserver& observer_;
  RunRecorder recorder_;
  Plan plan_;                          // as this attempt runs it (RunRecorder::Adjusted)
  std::vector<PreparedTable> tables_;  // by plan index; point into plan_
  bool prepared_;                      // tables_ came resolved with the plan
  const Clock::time_point start_ = Clock::now();
  CopyReport report_;
  std::unique_ptr<SchemaClone> clone_;
  // An export's: the source's schema dump for its scope, kept in the directory (Create).
  std::optional<KeptSchema> kept_schema_;
  bool types_read_ = false;                  // ReadCarriedTypes ran
  std::optional<SchemaDump> carried_types_;  // what CarryTypes makes
  bool types_carried_ = false;               // CarryTypes ran (before an edited plan's trial DDL)
  // Where loading without the primary key is faster: the table with its key, built after.
  std::vector<std::optional<Table>> deferred_keys_;
  std::vector<std::unique_ptr<RowConverter>> converters_;
  std::vector<UnitJob> jobs_;
  std::vector<int> jobs_of_table_;
  std::vector<int> resumed_units_;  // units the interrupted attempt committed, per table
  EngineOptions engine_;
  std::vector<UnitResult> results_;
  std::vector<HeldForeignKey> held_keys_;  // set aside for the load, to add back after it
  Clock::time_point copy_start_;
  std::vector<double> first_start_;  // per table: its first unit's start, -1 before
  std::vector<double> last_end_;
  // Per table: when its last unit, key and indexes were done (the pipeline's clock, as
  // first_start_), from the pipeline's progress.
  std::vector<double> keys_done_at_;
  std::vector<bool> start_recorded_;  // per table: its first unit's start is in the run state
  std::mutex errors_mutex_;           // outcomes written from index and key builders
  std::mutex shared_mutex_;           // a shared run's tables built by this worker
  std::vector<bool> built_here_;
  std::set<size_t> build_lost_;  // tables whose build lease ran out while built here
  // Tables whose keys and indexes could not get a session of their own while the writers held
  // theirs (a connection limit): built after the copy, when the writers' sessions are closed.
  std::set<size_t> builds_after_copy_;
  std::set<size_t> said_lost_;
  std::set<std::string> lost_workers_;                   // workers whose sessions were seen to
  std::map<std::pair<int, int>, int> transient_rounds_;  // (table, part) -> rounds failed
  std::atomic<int> build_statements_{0};                 // the stop-in-build test seam's count
  // What the ends say they wait for on their reader and writer threads (a staging directory's
  // running export, a staging directory at --max-disk), said on this thread with the progress.
  std::mutex source_notes_mutex_;
  std::vector<std::string> source_notes_;
  std::string last_source_note_;
};

// Helpers the phases share.
std::vector<int> DestinationColumns(const Table& table, const std::vector<std::string>& names);
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace ferry
