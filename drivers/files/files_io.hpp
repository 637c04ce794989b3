// Reading and writing a staging directory's chunk files as an endpoint's sessions.
#pragma once

#include <memory>

#include "copier/endpoint.hpp"
#include "copier/row_hash.hpp"
#include "drivers/files/follow.hpp"
#include "drivers/files/staging_dir.hpp"

namespace ferry::staging {

// Every column of a staged table in the form its row sums are kept in (the table against
// itself), and those forms back from their names.
std::vector<CanonicalForm> FormsOf(const Table& table);
std::vector<CanonicalForm> FormsFromNames(const std::vector<std::string>& names,
                                          const std::string& table);
std::vector<Storage> StoragesOf(const Table& table);

// Reads the manifest as it was when the session opened (an import reads a finished export), or,
// with a follower, each unit once the running export has written it.
std::unique_ptr<ReadSession> MakeReadSession(std::shared_ptr<const IndexedManifest> manifest,
                                             std::string folder,
                                             std::shared_ptr<ExportFollower> follower = nullptr);
std::unique_ptr<WriteSession> MakeWriteSession(std::shared_ptr<Directory> directory);

}  // namespace ferry::staging
