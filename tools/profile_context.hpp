// What every profile and trace says of its command besides timings: the run, this ferry (its
// version and build type, known to the command's target only) and both ends as shown.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "copier/endpoint.hpp"
#include "scheduler/profile.hpp"

namespace ferry {

ProfileContext ProfileContextOf(const std::string& run_id, const Endpoint& source,
                                const Endpoint& dest,
                                std::vector<std::pair<std::string, std::string>> settings);

}  // namespace ferry
