// Chunk and large-object files an import took away (`ferry run --source dir:DIR ...
// --remove-imported`): each removed file leaves a record in DIR/imported/, written (atomically,
// fsynced) before the file is removed, so the directory still says what it held: `verify
// --files` counts such a file as imported and removed, not as missing, and an export paused at
// --max-disk counts its bytes as free. The manifest is the export's alone (an import never
// writes it, not even one following a running export), hence a folder of its own.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

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
  // Where the import wrote the chunk's rows: the destination's connection without secrets, and
  // its database identity (EndpointInfo::database_identity); "" in records of an older ferry.
  std::string into;
  std::string into_identity;
};

// The destination an import writes into, as its records name it.
struct ImportTarget {
  std::string display;
  std::string identity;
};

// The records of `folder`, by file; a record that cannot be read is left out (its chunk, when
// gone, is then missing).
std::map<std::string, RemovedChunk> RemovedChunks(const std::string& folder);
// Only the files the records name (no record is read).
std::set<std::string> RemovedChunkNames(const std::string& folder);
// Records `chunk` (of `folder`'s manifest) as imported and removed, then removes its file.
void RemoveImportedChunk(const std::string& folder, const ChunkEntry& chunk,
                         const ImportTarget& into);
// The same for a large object's file once the destination committed the object: its record
// (named after the file, in the same folder) holds the file's `bytes` and `sha256`, `rows` 0.
void RemoveImportedLargeObject(const std::string& folder, const LargeObjectEntry& object,
                               const ImportTarget& into);

// Every process reading a staging directory as a source holds a shared lock (flock) on
// DIR/.ferry.readers for as long as it reads, and an import with --remove-imported an
// exclusive one, so no process reads a chunk another takes away under it: the second to come
// is refused (Error kBusy) before it reads or writes anything. A directory where the lock file
// cannot be made (read-only media) cannot be drained either: its readers take no lock.
class ReadersLock {
 public:
  ReadersLock(const std::string& folder, bool removes, const std::string& display);
  ~ReadersLock();
  ReadersLock(const ReadersLock&) = delete;
  ReadersLock& operator=(const ReadersLock&) = delete;

 private:
  int fd_ = -1;
};

// A unit an import is about to read: its table (as shown), which unit, and its chunks.
struct UnitChunks {
  std::string table;
  int part = 0;
  int parts = 1;
  std::vector<ChunkEntry> chunks;
};

// "" when every chunk of `units` is in `folder` (shown as `display`); otherwise why an import
// into `into` cannot read them, and what to do: chunks an earlier import removed (where their
// rows went, from its records: resume that import when it wrote into `into`), chunks lost.
std::string GoneChunksProblem(const std::string& folder, const std::string& display,
                              const std::vector<UnitChunks>& units, const ImportTarget& into);

}  // namespace ferry::staging
