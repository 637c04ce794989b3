// Independent tasks on a few threads, for work outside a copy's pipeline (the files-only verify
// checks a staging directory's chunks this way).
#pragma once

#include <cstddef>
#include <functional>

namespace ferry {

// Runs task(0) .. task(n - 1), at most `workers` at once, and returns when all have ended. The
// first exception a task throws is rethrown (after the others ended); tasks not started by then
// are skipped.
void ParallelFor(size_t n, int workers, const std::function<void(size_t)>& task);

}  // namespace ferry
