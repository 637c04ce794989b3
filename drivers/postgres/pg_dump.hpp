// The schema of a PostgreSQL database as pg_dump writes it (--schema-only, by section), cut
// into its objects by the headers pg_dump puts before each one ("-- Name: x; Type: INDEX;
// Schema: s; Owner: -"), for a PostgreSQL -> PostgreSQL clone. pg_dump knows every kind of
// object and the order that creates them (types before tables, partitions attached, sequences
// owned); ferry only decides when each section runs and what runs in parallel.
#pragma once

#include <string>
#include <vector>

#include "copier/schema_clone.hpp"
#include "drivers/postgres/libpq_params.hpp"
#include "drivers/sql/sql_session.hpp"

namespace ferry::pg {

// One pg_dump plain-text script cut into objects; `session_setup` receives its SET lines.
// The sections' objects get waves: in "post-data", indexes and constraints first (in parallel),
// then the attachment of partition indexes, then foreign keys, then the rest one by one.
std::vector<SchemaObject> SplitDump(const std::string& script, bool post_data,
                                    std::vector<std::string>* session_setup);

// Runs pg_dump (a version that can read a server of `server_version`: `forced_pg_dump` (the
// user's --pg-dump) when not empty, else the
// matching /usr/lib/postgresql/N/bin/pg_dump, else the newest, else pg_dump in PATH) for the
// schemas of `request.tables`, leaving out the tables of `request.excluded` (and their
// partitions), and reads what it needs from `catalog` (extensions, populated materialized
// views). The password reaches pg_dump through PGPASSWORD only; it waits `lock_wait` seconds
// (--lock-wait) for each table's lock.
SchemaDump DumpSchema(const pq::ConnectParams& params, const std::string& server_version,
                      SqlSession& catalog, const SchemaRequest& request, const std::string& display,
                      const std::string& forced_pg_dump, int lock_wait);

}  // namespace ferry::pg
