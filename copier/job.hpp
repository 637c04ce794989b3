// What a user asks ferry to copy and how, whether it comes from flags or a job file: the two
// connections, the tables in scope, how names change on the way (schemas, tables, columns),
// per-table overrides, and the engine settings. The planner turns a Job into a Plan.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"
#include "copier/scope.hpp"

namespace ferry {

enum class WriteMode {
  kCreate,    // create missing tables; refuse a destination table that already holds rows
  kTruncate,  // empty destination tables first (create missing ones)
  kAppend,    // add to destination tables (create missing ones)
  kUpsert,    // insert new keys, update existing ones (needs a key)
};
const char* WriteModeName(WriteMode mode);
std::optional<WriteMode> ParseWriteMode(const std::string& text);

// How a table is cut into work units: one unit, key ranges, heap page ranges (PostgreSQL), or
// not copied at all.
enum class Strategy { kSingle, kKeyRanges, kPageRanges, kSkip };
// As plan and job files spell it: "single", "key ranges", "page ranges", "skip".
const char* StrategyName(Strategy strategy);
std::optional<Strategy> ParseStrategy(const std::string& text);

// Maps source schemas to destination schemas: the first rule whose pattern matches the
// source schema applies. `table_prefix` is put in front of every table name; "{schema}" in
// it (or in `to`) stands for the source schema, so many schemas can land in one.
struct SchemaRename {
  std::string from;  // pattern over the source schema: `*` wildcards, otherwise exact
  std::string to;    // destination schema; "" keeps the destination's default
  std::string table_prefix;
};

struct TableRename {
  TablePattern from;  // exact schema.table (or table) in the source
  std::string to;     // new table name (no schema: schema renames apply)
};

struct ColumnRename {
  TablePattern table;  // which source tables
  std::string from;    // source column name, exact
  std::string to;
};

struct Renames {
  std::vector<SchemaRename> schemas;
  std::vector<TableRename> tables;
  std::vector<ColumnRename> columns;

  // The destination name of `source`, given where it would land without renames.
  TableName Apply(const TableName& source, const TableName& unrenamed,
                  const std::string& source_default_schema) const;
  std::string ApplyToColumn(const TableName& source, const std::string& column,
                            const std::string& source_default_schema) const;
  bool empty() const { return schemas.empty() && tables.empty() && columns.empty(); }
  // The rules that match nothing at the source, one sentence each naming the rule
  // ("rename.tables[0]: from 'public.ordrs' matches no source table"): a mistyped rename would
  // otherwise copy the table or column under its old name. Table and schema rules are checked
  // against `all` source tables (a job file may rename tables a narrower --include leaves out);
  // column rules against the described tables in scope, or, for a rule about tables out of
  // scope, only by table name.
  std::vector<std::string> Unmatched(const std::vector<Table>& in_scope,
                                     const std::vector<TableName>& all,
                                     const std::string& source_default_schema) const;
};

// Settings for the tables a pattern matches; the last matching override wins per field.
struct TableOverride {
  TablePattern table;
  std::optional<Strategy> strategy;
  std::optional<int> partitions;
  std::optional<WriteMode> write_mode;
  std::optional<std::vector<std::string>> key;  // columns to split on instead of the table's key
  // ferry sync: keep this table up to date by this watermark column instead of its change log.
  std::optional<std::string> watermark;
};

struct EngineSettings {
  std::optional<int> workers, readers, writers, partitions;
  std::optional<size_t> batch_rows, batch_bytes, memory_limit;
  std::optional<std::string> consistency;
};

struct Job {
  std::string source;  // connection text, never with a password in a file
  std::string destination;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  Renames renames;
  std::vector<TableOverride> overrides;
  WriteMode write_mode = WriteMode::kCreate;
  bool schema_only = false;
  bool data_only = false;
  EngineSettings engine;

  // The merged override for one source table.
  TableOverride OverrideFor(const TableName& table, const std::string& default_schema) const;
  // The overrides whose pattern matches no source table, each named by its place in the job
  // ("tables[0]: match 'ordrs' matches no source table"): a mistyped name would leave its table
  // to the default settings (a create instead of the upsert asked for) without a word.
  std::vector<std::string> UnmatchedOverrides(const std::vector<TableName>& all,
                                              const std::string& source_default_schema) const;
};

}  // namespace ferry
