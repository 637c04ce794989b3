// An export's kept schema (copier/schema_clone.hpp KeptSchema: the source's schema dump for the
// export's scope) and the source's sequence states as the manifest's JSON (`schema`,
// `sequences`, docs/staging-format.md): every field typed, so an import clones from them as a
// direct copy clones from the source.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "copier/schema_clone.hpp"

namespace ferry::staging {

nlohmann::json KeptSchemaJson(const KeptSchema& schema);
// Throws nlohmann::json::exception where a member is missing or of the wrong type, Error(kIo)
// where a word is unknown.
KeptSchema KeptSchemaFrom(const nlohmann::json& j);
// A kept MariaDB dump's DEFINER clauses (SHOW CREATE's "DEFINER=`user`@`host`"; an export keeps
// them whatever its --keep-definers, so the import decides): without --keep-definers at import
// each becomes DEFINER=CURRENT_USER, as a direct clone makes it.
void DefinersToCurrentUser(SchemaDump& dump);
// The definer of each object of `dump` in `schema` that names one, as (object, "user@host"), the
// objects named as Endpoint::Definers names them ("view db.v", "trigger t on db.film").
std::vector<std::pair<std::string, std::string>> DumpDefiners(const SchemaDump& dump,
                                                              const std::string& schema);
nlohmann::json SequencesJson(const std::vector<SequenceState>& states);
std::vector<SequenceState> SequencesFrom(const nlohmann::json& j);

}  // namespace ferry::staging
