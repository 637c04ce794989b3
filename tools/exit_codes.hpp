// ferry's exit codes, one table for every command (also in README.md).
#pragma once

#include "copier/error.hpp"

namespace ferry {

enum ExitCode : int {
  kExitOk = 0,             // everything in scope was done
  kExitTablesFailed = 1,   // the run finished but some tables failed (listed at the end);
                           // verify: some table differs or could not be verified
  kExitUsage = 2,          // bad command line, pattern or connection string
  kExitConnection = 3,     // a database could not be reached or refused the login
  kExitBlocked = 4,        // the copy cannot start: unknown table, incompatible destination,
                           // unmappable type, missing driver; nothing was written
  kExitInterrupted = 5,    // stopped by a signal; `ferry run --resume` continues it
  kExitBusy = 6,           // another ferry process holds the destination (a run or a sync),
                           // or another session holds a lock ferry waited for in vain
  kExitResyncNeeded = 7,   // sync: a table's change log has a gap for this destination (listed,
                           // with how to copy it again); the other tables were synced
  kExitDiskFull = 8,       // a disk is full (a staging directory's, the destination's); free
                           // space, then --resume
  kExitExportStopped = 9,  // an import following a running export: the export stopped
                           // unfinished (an interruption marked kExportStoppedState);
                           // resume the export, then the import with --resume
  kExitInternal = 70,      // a bug in ferry
};

inline int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
      return kExitUsage;
    case ErrorCode::kConnection:
      return kExitConnection;
    case ErrorCode::kMissingDriver:
    case ErrorCode::kNotFound:
    case ErrorCode::kSchema:
    case ErrorCode::kData:
    case ErrorCode::kDriver:
    case ErrorCode::kIo:
      return kExitBlocked;
    case ErrorCode::kInterrupted:
      return kExitInterrupted;
    case ErrorCode::kBusy:
      return kExitBusy;
    case ErrorCode::kResyncNeeded:
      return kExitResyncNeeded;
    case ErrorCode::kDiskFull:
      return kExitDiskFull;
    case ErrorCode::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace ferry
