// SQLite opened with its own library, behind the same Endpoint as every other engine.
#pragma once

#include <memory>
#include <string>

#include "copier/endpoint.hpp"

namespace ferry {

// `state_schema`: EndpointInfo::state_schema.
std::unique_ptr<Endpoint> OpenSqliteEndpoint(const std::string& path, bool is_source,
                                             const std::string& display,
                                             const std::string& state_schema);

}  // namespace ferry
