// A sync with its ends swapped: the destination of a tracked copy named as the source, and its
// source as the destination. Tracked mode would fail on the missing change log; --watermark
// would write the copy's rows into the real source. Refused before anything is written.
#pragma once

#include <string>

#include "copier/endpoint.hpp"
#include "copier/job.hpp"

namespace ferry {

// Throws Error(kUsage) naming the swap when a destination table of the job is tracked by ferry
// (it is the source of a tracked copy) and either its change log lists the source as one of its
// consumers (the source holds the sync identity a copy registered there), or, for a tracked sync
// (`watermark` empty; a diff sync gives a non-empty word), the source table is not tracked.
// Reads only.
void RefuseSwappedEnds(Endpoint& source, Endpoint& destination, const Job& job,
                       const std::string& watermark);

}  // namespace ferry
