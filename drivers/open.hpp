// The one entry point into drivers/ for the layers above: connects to a database given what
// the user typed and returns it as a copier Endpoint.
#pragma once

#include <memory>
#include <string>

#include "copier/endpoint.hpp"
#include "drivers/connection_string.hpp"

namespace ferry {

enum class EndpointRole {
  kSource,
  kDestination,
  // A source ferry writes its change logs and triggers into (ferry track, ferry sync): a SQLite
  // file is then opened for writing too.
  kTrackedSource,
};

// Connects, detects the engine and checks the server answers. Throws Error(kConnection,
// kMissingDriver or kUsage) with the connection's display form, never its password.
std::unique_ptr<Endpoint> OpenEndpoint(const std::string& text, EndpointRole role,
                                       bool allow_inline_password = false);

}  // namespace ferry
