// `ferry check`: what a copy leaves behind besides tables, named object by object so the DBA
// knows what to recreate, the DEFINER accounts a MariaDB clone would keep that the destination
// lacks, and generated columns whose case mapping differs between the ends.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "copier/endpoint.hpp"
#include "scheduler/schema_clone.hpp"

namespace ferry {

struct LeftOut {
  std::string kind;    // "view", "function", "trigger", "enum type"...
  std::string object;  // as the source names it ("public.film_list", "trg on public.film")
  std::string rule;    // why it stays behind, said once for every object of its kind
  std::string kinds;   // the kind in the plural ("views", "row security policies")
};

// The views, materialized views, routines, triggers, events, sequences and types of the scope's
// schemas that the copy does not carry: across engines, every one of them (sequences are carried
// where the destination has sequences); between databases of one engine, the routines,
// triggers and events --no-routines leaves out of a clone, or every one of them where the
// tables are made from ferry's own model (`why_not_cloned` says why: --schema-from ferry, a
// destination table that exists...). `clones`: whether the run clones the schema. Across
// engines, an enum type a column of `tables` uses is carried as the column's labels.
std::vector<LeftOut> ObjectsLeftOut(Endpoint& source, Endpoint& destination,
                                    const std::vector<TableName>& scope,
                                    const std::vector<Table>& tables, bool clones,
                                    const CloneOptions& options, const std::string& why_not_cloned);

// `info` of a source with its product said as the engine a staging directory's rows were
// exported from (EndpointInfo::exported_from), for messages about what another engine does not
// carry of it.
EndpointInfo AsExported(const EndpointInfo& info);

struct DefinerNote {
  std::string object;  // "view sakila.customer_list"
  std::string account;
};

// The source objects of a schema clone whose DEFINER account does not exist at the destination
// (with --keep-definers; without it, every definer becomes the destination's connecting user).
// Empty where the engine has no definers or the destination cannot tell.
std::vector<DefinerNote> MissingDefiners(Endpoint& source, Endpoint& destination,
                                         const std::vector<TableName>& scope);

struct CaseFoldingNote {
  std::string column;
  std::string detail;  // the expression and how each end maps case
};

// The generated columns of `table` the destination computes with a translated lower/upper
// while one end maps case otherwise than Unicode does (Endpoint::CaseFolding): the destination's
// values would differ from the source's for some letters. `destination_folding` caches the
// destination's answer across tables.
std::vector<CaseFoldingNote> CaseFoldingNotes(Endpoint& source, Endpoint& destination,
                                              const Table& table,
                                              std::optional<std::string>& destination_folding);

}  // namespace ferry
