// A run's spool (ferry run --spool DIR): when every writer is busy, a reader writes the unit it
// reads into a file on local disk instead of waiting for a writer, so the readers finish (and
// the source's snapshot is let go) as fast as the source reads, while the writers drain the
// files. The files are scratch: a unit counts as copied only once the destination committed it,
// and a run killed with units in the spool reads them again when resumed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "copier/batch.hpp"
#include "copier/endpoint.hpp"

namespace ferry {

// One unit's converted batches on disk.
class SpoolFile {
 public:
  virtual ~SpoolFile() = default;  // the file goes with it (drained, or given up)
  // Appends the block Spool::Encode put in `batch.wire()`, and the batch's long values after it
  // (a piece at a time); false, writing nothing, when the spool is full (its size limit, or the
  // disk's free space): the caller goes on without it.
  virtual bool Append(const Batch& batch) = 0;
  // No more blocks; what was appended can be read back (Replay), as often as needed.
  virtual void Finish() = 0;
  // The file's batches, in the order they were appended, each in the storages it had.
  virtual std::unique_ptr<RowReader> Replay() = 0;
  virtual uint64_t bytes() const = 0;
};

class Spool {
 public:
  virtual ~Spool() = default;
  // `batch`'s rows as the block SpoolFile::Append takes, into batch.wire(). CPU only: called on
  // the conversion threads.
  virtual void Encode(Batch& batch) const = 0;
  virtual std::unique_ptr<SpoolFile> Create() = 0;
  // Whether a new unit may start into the spool (it is under its limit with room to spare).
  virtual bool HasRoom() const = 0;
  virtual const std::string& path() const = 0;
  // The most bytes the spool's files took at one time, for the run's summary.
  virtual uint64_t peak_bytes() const = 0;
};

}  // namespace ferry
