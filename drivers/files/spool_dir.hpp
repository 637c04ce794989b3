// ferry run --spool DIR: the spool's files, in the staging chunk format (chunk_format.hpp) without
// the fsyncs (nothing in a spool outlives the process that wrote it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "copier/spool.hpp"

namespace ferry::staging {

// Makes the spool in a folder of its own inside `folder` (made when missing), holding a lock on it
// while the process lives; folders of spools whose process died (killed, its lock gone) are
// removed first. `max_bytes` caps what the files take together (0: no cap beyond the disk, which
// keeps kReserveBytes free). Throws Error(kIo) naming the folder when it cannot be written.
std::shared_ptr<Spool> OpenSpool(const std::string& folder, uint64_t max_bytes);

}  // namespace ferry::staging
