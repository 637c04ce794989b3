// PostgreSQL's large objects through a staging directory (docs/staging-format.md, "Large
// objects"): an export keeps each object's bytes in a file of its own under large_objects/,
// compressed as the chunks' blocks are and written in pieces, fsynced and renamed before one
// journal entry per batch names them with their sizes and SHA-256s; an import reads them back
// in pieces, checking each file's hashes as it goes (and with --remove-imported takes each
// file away once the destination committed its object), and `ferry verify` compares the
// destination's objects with the manifest's digests.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "copier/large_objects.hpp"
#include "drivers/files/staging_dir.hpp"

namespace ferry::staging {

// As an export's destination: objects written into `directory`.
std::unique_ptr<LargeObjectStore> MakeLargeObjectWriter(std::shared_ptr<Directory> directory);
// As an import's source: the objects the manifest `finished` gives (a finished export's, asked
// when first needed: an import following a running export waits for its end then) lists, read
// from `folder`. A manifest that does not carry them is an Error(kNotFound) saying so.
// With `drain` (an import with --remove-imported), each object the destination committed
// (LargeObjectStore::Delivered) is given to it, to take its file away.
std::unique_ptr<LargeObjectStore> MakeLargeObjectReader(
    std::function<std::shared_ptr<const IndexedManifest>()> finished, std::string folder,
    std::function<void(const LargeObjectEntry&)> drain = {});

// Reads the file of `object` in `folder` a piece at a time, giving `piece` (when set) the
// object's bytes (decompressed where the file is compressed); "" where the file's size and
// SHA-256 and the object's agree with the manifest, else what is wrong ("its SHA-256 is ...").
// Throws Error(kIo) where the file cannot be read.
std::string ReadLargeObjectFile(const std::string& folder, const LargeObjectEntry& object,
                                const std::function<void(std::string_view)>& piece);

// The columns ("schema.table.column") of `m`'s tables in `schema` that hold large-object oids
// (PostgreSQL's oid and contrib lo types), where the export carried any objects; none else.
std::vector<std::string> LargeObjectColumns(const Manifest& m, const std::string& schema);

}  // namespace ferry::staging
