// Chunk files an import took away (`ferry run --source dir:DIR ... --remove-imported`): each
// removed chunk leaves a record in DIR/imported/, written (atomically, fsynced) before its file
// is removed, so the directory still says what it held: `verify --files` counts such a chunk as
// imported and removed, not as missing, and an export paused at --max-disk counts its bytes as
// free. The manifest is the export's alone (an import never writes it, not even one following a
// running export), hence a folder of its own.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "drivers/files/manifest.hpp"

namespace ferry::staging {

inline constexpr const char* kImportedFolder = "imported";

struct RemovedChunk {
  std::string file;  // as the manifest names it: "chunks/t0000-u00003-..."
  std::string sha256;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::string removed_at;
  std::string by;  // the importing process: "pid 4242 on host db2"
};

// The records of `folder`, by file; a record that cannot be read is left out (its chunk, when
// gone, is then missing).
std::map<std::string, RemovedChunk> RemovedChunks(const std::string& folder);
// Only the files the records name (no record is read).
std::set<std::string> RemovedChunkNames(const std::string& folder);
// Records `chunk` (of `folder`'s manifest) as imported and removed, then removes its file.
void RemoveImportedChunk(const std::string& folder, const ChunkEntry& chunk);

}  // namespace ferry::staging
