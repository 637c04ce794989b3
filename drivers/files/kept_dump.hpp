// An export's kept schema (Manifest::schema, docs/staging-format.md "The kept schema") as an
// import reads it: the dump a clone of the import's tables takes, why none can be taken, and
// what the source held besides tables.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "copier/schema_clone.hpp"

namespace ferry::staging {

// The kept dump for a clone of `request`'s tables, with what it does not carry noted; nullopt
// where none was kept or the import leaves out some of the dumped tables (WhyNoKeptDump).
std::optional<SchemaDump> KeptDumpFor(const std::optional<KeptSchema>& kept,
                                      const SchemaRequest& request);
// Why the directory shown as `display` gives no dump for `request` ("" where it gives one, or
// keeps none: the import then makes its tables from ferry's model).
std::string WhyNoKeptDump(const std::optional<KeptSchema>& kept, const SchemaRequest& request,
                          const std::string& display);
// What `schema` held besides tables (Endpoint::OtherObjects), as the export's source listed it.
std::vector<std::pair<std::string, std::string>> KeptOtherObjects(const KeptSchema& kept,
                                                                  const std::string& schema);
// The columns of large-object oids an older ferry listed among the other objects (before
// Endpoint::LargeObjectColumns; a directory whose export did not carry the objects).
std::vector<std::string> KeptLargeObjectColumns(const KeptSchema& kept, const std::string& schema);

}  // namespace ferry::staging
