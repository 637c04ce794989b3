// PostgreSQL's large objects through a staging directory (docs/staging-format.md, "Large
// objects"): an export keeps each object's bytes in a file of its own under large_objects/,
// written in pieces, fsynced and renamed before one journal entry per batch names them with
// their size and SHA-256; an import reads them back in pieces, checking each file's hash as it
// goes, and `ferry verify` compares the destination's objects with the manifest's digests.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "copier/large_objects.hpp"
#include "drivers/files/staging_dir.hpp"

namespace ferry::staging {

// As an export's destination: objects written into `directory`.
std::unique_ptr<LargeObjectStore> MakeLargeObjectWriter(std::shared_ptr<Directory> directory);
// As an import's source: the objects the manifest `finished` gives (a finished export's, asked
// when first needed: an import following a running export waits for its end then) lists, read
// from `folder`. A manifest that does not carry them is an Error(kNotFound) saying so.
std::unique_ptr<LargeObjectStore> MakeLargeObjectReader(
    std::function<std::shared_ptr<const IndexedManifest>()> finished, std::string folder);

// The columns ("schema.table.column") of `m`'s tables in `schema` that hold large-object oids
// (PostgreSQL's oid and contrib lo types), where the export carried any objects; none else.
std::vector<std::string> LargeObjectColumns(const Manifest& m, const std::string& schema);

}  // namespace ferry::staging
