// The one entry point into drivers/ for the layers above: connects to a database given what
// the user typed and returns it as a copier Endpoint.
#pragma once

#include <memory>
#include <string>

#include "copier/endpoint.hpp"
#include "drivers/connection_string.hpp"
#include "drivers/engine.hpp"

namespace ferry {

// Connects, detects the engine (by the URL's scheme, else by what the ODBC driver reports) and
// hands the connection to that engine's factory (drivers/engine.hpp), which checks the server
// answers. Throws Error(kConnection, kMissingDriver or kUsage) with the connection's display
// form, never its password.
std::unique_ptr<Endpoint> OpenEndpoint(const std::string& text, EndpointRole role,
                                       const EndpointOptions& options);
inline std::unique_ptr<Endpoint> OpenEndpoint(const std::string& text, EndpointRole role,
                                              bool allow_inline_password = false) {
  EndpointOptions options;
  options.allow_inline_password = allow_inline_password;
  return OpenEndpoint(text, role, options);
}

// Lets a source's run snapshot go once no session will read in it again (ferry run --spool, every
// unit read): the server may then clean up behind it. Nothing where the engine holds none.
void EndSnapshot(Endpoint& source);

}  // namespace ferry
