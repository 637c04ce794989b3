// An export's kept schema (copier/schema_clone.hpp KeptSchema: the source's schema dump for the
// export's scope) and the source's sequence states as the manifest's JSON (`schema`,
// `sequences`, docs/staging-format.md): every field typed, so an import clones from them as a
// direct copy clones from the source.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copier/schema_clone.hpp"

namespace ferry::staging {

nlohmann::json KeptSchemaJson(const KeptSchema& schema);
// Throws nlohmann::json::exception where a member is missing or of the wrong type, Error(kIo)
// where a word is unknown.
KeptSchema KeptSchemaFrom(const nlohmann::json& j);
nlohmann::json SequencesJson(const std::vector<SequenceState>& states);
std::vector<SequenceState> SequencesFrom(const nlohmann::json& j);

}  // namespace ferry::staging
