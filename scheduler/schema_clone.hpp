// Same-engine copies clone the schema: the source's own objects (types, domains, sequences,
// tables with their defaults, checks, identity and generated columns, partitions, inheritance,
// views, routines, triggers, comments) as the engine's own tools write them, instead of the
// tables ferry would make from its catalog model. Data still moves through the pipeline; what
// waits for the rows (keys, indexes, foreign keys, triggers, materialized views) is created after
// them, wave by wave, in parallel. And, on every pair, counters continue where the source's do.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "copier/job.hpp"
#include "copier/plan.hpp"
#include "copier/schema_clone.hpp"
#include "copier/table_plan.hpp"

namespace ferry {

enum class SchemaFrom {
  kTool,   // same-engine copies clone the schema with the engine's tools
  kFerry,  // every copy creates tables from ferry's own catalog model
};

struct CloneOptions {
  SchemaFrom from = SchemaFrom::kTool;
  bool routines = true;        // functions, procedures, triggers and events (--no-routines: none)
  bool keep_definers = false;  // MariaDB: the source's DEFINERs, not CURRENT_USER (--keep-definers)
};

class SchemaClone {
 public:
  // Whether this run clones, and the source's schema if it does (read now, before anything is
  // written). It clones when both ends are the same engine (PostgreSQL, MariaDB, SQLite),
  // --schema-from is tool, the run creates every table in scope (none exists at the
  // destination), and no table or column is renamed. `tables[i]` says whether plan table i is
  // copied (not skipped). `why_not` receives the reason a same-engine copy does not clone.
  static std::unique_ptr<SchemaClone> Prepare(Endpoint& source, Endpoint& destination,
                                              const Plan& plan, const std::vector<bool>& copied,
                                              const CloneOptions& options, std::string* why_not);

  // An export into a staging directory (Endpoint::KeepsSchema) keeps the dump a same-engine copy
  // of its scope would clone, read the same way (nullopt where such a copy would not clone, or
  // the source's engine has no dump); an import into the source's engine clones from it.
  static std::optional<KeptSchema> ReadForExport(Endpoint& source, Endpoint& destination,
                                                 const Plan& plan, const std::vector<bool>& copied,
                                                 const CloneOptions& options);

  const SchemaDump& dump() const { return dump_; }
  // Creates the objects that come before the data, on one connection, in one transaction where
  // the engine's DDL is transactional. Throws Error(kSchema) naming the object that failed;
  // the destination is then as it was (what was created is dropped where DDL is not
  // transactional). A view, materialized view, procedure, rule or comment that fails is left
  // out instead, where the engine has savepoints; those are returned like CreateAfterData's.
  // When `resuming`, a table or sequence an interrupted attempt made is passed over: where each
  // statement commits by itself (MariaDB), a kill inside the pre-data leaves some made.
  std::vector<std::pair<TableName, std::string>> CreateBeforeData(Endpoint& destination,
                                                                  bool resuming);
  // Creates the objects that come after the data, on up to `threads` connections; returns
  // each failure as (table, "kind name: message"), table empty for objects of no table. When
  // `resuming`, objects an interrupted attempt already made are passed over. Objects of a table
  // whose copy `failed` (as the source names it), or reading one, wait for the run that copies
  // it again: made now they would fail on its absence, or be built over rows it lacks.
  std::vector<std::pair<TableName, std::string>> CreateAfterData(
      Endpoint& destination, int threads, bool resuming,
      const std::function<bool(const TableName&)>& failed);
  // Sets every cloned sequence (owned and standalone) to the source's state.
  std::vector<std::string> CopySequences(Endpoint& source, Endpoint& destination);
  // The sequences the clone creates before the data (owned and standalone), by their source
  // names, and by their names at the destination.
  std::vector<TableName> Sequences() const;
  std::vector<TableName> SequencesThere() const;
  // Where the dump's object `name` lands: the same name, or, where the dump names objects
  // unqualified (MariaDB), the destination's database in place of the source's.
  TableName There(const TableName& name) const;
  // Throws Error(kSchema) naming a sequence the clone would create that the destination has
  // already: called before the run is recorded, so what a killed clone leaves of its sequences
  // is known to be the clone's (CloneSequences, ferry reset).
  void RefuseExistingSequences(Endpoint& destination) const;
  // What the clone would fail on at the destination, found before anything is written (ferry
  // check): each object, by kind and qualified name, with what the destination said. Where its
  // DDL is transactional (PostgreSQL), every object of the clone is made on an empty copy of the
  // tables in one transaction, each in a savepoint, and the transaction is rolled back (nothing
  // of it remains: the clone's statements are all of kinds PostgreSQL makes inside a
  // transaction); elsewhere (MariaDB, SQLite), the destination's views, routines, triggers and
  // events of the clone's names (Endpoint::OtherObjects), which it would not replace.
  struct Obstacle {
    std::string object;    // "domain public.year"
    std::string error;     // the destination's message
    bool exists = false;   // the destination has an object of that name already
    bool routine = false;  // a function, procedure, aggregate, trigger or event (--no-routines)
  };
  std::vector<Obstacle> Obstacles(Endpoint& destination) const;
  // Throws Error(kSchema) naming every obstacle (Obstacles) and what to do, then, as the run
  // does, RefuseExistingSequences.
  void RefuseObstacles(Endpoint& destination) const;
  // The foreign keys to tables outside the copy's scope that the clone leaves out, by source
  // table, each with the note the run summary gives (OutOfScopeNote).
  const std::vector<std::pair<TableName, std::string>>& left_out() const { return left_out_; }
  // Views and materialized views left out because they read a table or view the clone does not
  // create (`reads`: the first such one); also in left_out().
  struct ViewLeftOut {
    TableName view;
    std::string kind;  // "view", "materialized view"
    TableName reads;
  };
  const std::vector<ViewLeftOut>& views_left_out() const { return views_left_out_; }
  // What the clone leaves out or carries otherwise, grouped by rule for ferry check (objects the
  // destination's user cannot create, database objects the dump does not carry, SECURITY
  // DEFINER functions that change owner); also in left_out().
  struct Note {
    std::string kind;  // check's word for the finding: "not carried", "owner"
    std::string rule;
    std::string object;
    std::string detail;
  };
  const std::vector<Note>& notes() const { return notes_; }

 private:
  void LeaveOutForeignKeys(const Plan& plan, const std::vector<TableName>& scope);
  void LeaveOutViewsReadingOutside();
  // Leaves out the objects whose needs the destination cannot meet (Endpoint::UnmetNeeds), with
  // what is theirs (comments, grants); throws Error(kSchema) naming each object the copy cannot
  // do without (a table, a type, a key, an index, a policy) whose needs it cannot meet.
  void FitDestination(Endpoint& destination);
  void NoteCarriedOtherwise();

  SchemaDump dump_;
  std::string from_schema_, to_schema_;  // the databases There() maps between (MariaDB)
  std::vector<std::pair<TableName, std::string>> left_out_;
  std::vector<ViewLeftOut> views_left_out_;
  std::vector<Note> notes_;
};

// The next value each identity / serial / auto-increment counter of the copy's source table
// gives, under the destination's column names: SyncIdentity moves the destination's counters
// at least there, so an application's next row follows the source's.
std::vector<IdentityNext> SourceCounters(Endpoint& source, const TableCopyPlan& copy);

// The standalone sequences of the source schemas `schemas` (source, destination schema pairs)
// at the destination, under the same names: created where `create` and missing (across
// engines, with their start, increment, bounds and cycle), then set to the source's state
// (sequences a column owns are its table's counter: SyncIdentity's). Returns how many were set;
// failures are added to `errors`. Nothing where the destination has no sequences (SQLite).
int CarrySequences(Endpoint& source, Endpoint& destination,
                   const std::vector<std::pair<std::string, std::string>>& schemas, bool create,
                   std::vector<std::string>* errors);

// Sets every counter of the job's tables at the destination where the source's stands (ferry
// sync --final, at cutover): identity, serial and AUTO_INCREMENT counters on every pair (past
// the largest value and to the source counter's next value), and, between two databases of the
// same engine, every sequence of the tables' schemas the destination also has, to the source's
// state (CarrySequences, creating none). Returns what failed, one line each.
std::vector<std::string> ContinueCounters(Endpoint& source, Endpoint& destination, const Job& job,
                                          int* counters_set);

}  // namespace ferry
