// A same-engine schema clone: the source's schema as the engine's own tools write it
// (pg_dump; SHOW CREATE in MariaDB; sqlite_master in SQLite), cut into objects, each with the
// statements that make it. Objects before the data (types, sequences, tables with their
// defaults, checks and generated columns, views) are created before any row moves; objects
// after the data (indexes, keys, foreign keys, triggers, materialized view contents) once the
// rows are in, wave by wave, the objects of one wave in parallel.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copier/catalog.hpp"

namespace ferry {

// What creating a cloned object asks of the destination's user beyond owning the database
// (PostgreSQL, where a cloud database's user is never a superuser). The destination says which
// it cannot meet (Endpoint::UnmetNeeds); SchemaClone::Prepare leaves such an object out, or
// refuses the clone where leaving it out would make the copy wrong.
struct CloneNeed {
  enum class Kind {
    kSuperuser,      // event triggers, functions in untrusted languages, SET SESSION AUTHORIZATION
    kExtension,      // the extension exists there, or the user may create it
    kRole,           // the role exists there (a grant's grantee)
    kMemberOf,       // the user is a member of the role (ALTER DEFAULT PRIVILEGES FOR ROLE)
    kForeignServer,  // the server exists there and the user may use it (a foreign table's)
  };
  Kind kind = Kind::kSuperuser;
  std::string name;  // the extension, role or server ("" for kSuperuser)
  std::string why;   // why the object needs it: "it is an event trigger", "it uses extension x"
  bool operator==(const CloneNeed& o) const { return kind == o.kind && name == o.name; }
};

// Something of the source the clone does not carry, or carries otherwise, for check and the
// run summary to say: (object, why).
struct CloneNote {
  std::string object;  // "publication sales_pub"
  std::string why;
};

struct SchemaObject {
  std::string kind;  // the dump's word for it: "TABLE", "INDEX", "TRIGGER", "FUNCTION", ...
  std::string name;  // as the dump names it, for messages
  TableName table;   // the table it belongs to, where it belongs to one (name "" otherwise)
  std::string sql;   // one or more statements
  int wave = 0;      // after the data: objects of one wave are independent of each other
  // A foreign key's referenced table, as the source names it ("" for other objects): a key to a
  // table outside the copy's scope is left out of the clone (SchemaClone::Prepare).
  TableName references;
  // A view's or materialized view's: the tables and views it reads, as the source names them
  // (where the engine's catalog or the view's text tells). A view that reads a relation the
  // clone does not create is left out of it (SchemaClone::Prepare).
  std::vector<TableName> reads;
  // What its creation asks of the destination beyond owning the database (none for most).
  std::vector<CloneNeed> needs;
  std::string schema;  // the schema it is in, "" for the database's own objects
  // The tables whose columns need it (Endpoint::ColumnTypes), to name in check's findings.
  std::vector<TableName> used_by;
};

struct SchemaDump {
  std::string tool;  // what wrote it, for the log ("pg_dump 15.18")
  // Statements every session that creates objects runs first (pg_dump's SET lines).
  std::vector<std::string> session_setup;
  std::vector<SchemaObject> before_data;
  std::vector<SchemaObject> after_data;
  // What the source has that the engine's tool does not dump for the clone's schemas
  // (PostgreSQL: publications, subscriptions, casts), named for check and the run summary.
  std::vector<CloneNote> not_carried;
};

struct SchemaRequest {
  std::vector<TableName> tables;  // the tables in scope (their schemas are cloned)
  // Source tables the dump leaves out (in those schemas, but out of scope), with what belongs
  // to them.
  std::vector<TableName> excluded;
  bool routines = true;  // functions, procedures, triggers and events
  // MariaDB: views, routines, triggers and events keep the source's DEFINER account; otherwise
  // they are created with DEFINER = CURRENT_USER (the destination's connecting user), as an
  // account of the source's often does not exist at the destination.
  bool keep_definers = false;
};

// A sequence's state, as the engine keeps it: the next value nextval() gives is `last_value`
// when !is_called, else `last_value` plus the increment.
struct SequenceState {
  TableName name;
  std::string last_value;
  bool is_called = true;
  // Its definition, to create it where it does not exist (across engines), and whether a column
  // owns it (an identity or serial column's: its table's counter, carried with the table).
  int64_t start = 1;
  int64_t increment = 1;
  int64_t min_value = 1;
  int64_t max_value = INT64_MAX;
  bool cycle = false;
  bool owned = false;
};

// What an export keeps of its source's schema (Endpoint::KeepSchema): the dump a same-engine
// copy of the export's scope would clone, the request it was read for, and how the source's
// engine names the dump's objects (unqualified, in the source's default schema: MariaDB, SQLite).
struct KeptSchema {
  SchemaDump dump;
  SchemaRequest request;
  bool unqualified = false;
  std::string default_schema;
  // What the dumped schemas hold besides tables (Endpoint::OtherObjects): (schema, kind, object),
  // for ferry check of an import to name what it does not carry, as it would of the source.
  std::vector<std::vector<std::string>> other_objects;
};

// The next value an identity, serial or auto-increment column's counter gives an insert.
struct IdentityNext {
  std::string column;
  int64_t next = 1;
};

// One destination connection that creates cloned objects, with the dump's session setup run.
class SchemaSession {
 public:
  virtual ~SchemaSession() = default;
  virtual void Run(const std::string& sql) = 0;
  // An object created after the data (an index, a constraint, a trigger): where the engine can,
  // waits for other sessions' locks on its table are bounded and the holders named, as for a
  // TRUNCATE (Endpoint::TruncateTable), instead of queueing behind a reader for as long as it
  // lives; after the last try it throws Error(kBusy) naming them.
  virtual void RunAfterData(const SchemaObject& object) { Run(object.sql); }
  // Before-data objects are created in one transaction where the engine's DDL is transactional
  // (PostgreSQL, SQLite): a failure leaves the destination as it was.
  virtual void Begin() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() noexcept = 0;
  // Whether SAVEPOINT / ROLLBACK TO SAVEPOINT work inside Begin (PostgreSQL, SQLite).
  virtual bool Savepoints() const { return false; }
};

}  // namespace ferry
