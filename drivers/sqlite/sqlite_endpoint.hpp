// SQLite opened with its own library, behind the same Endpoint as every other engine.
#pragma once

#include <memory>
#include <string>

#include "copier/endpoint.hpp"

namespace ferry {

std::unique_ptr<Endpoint> OpenSqliteEndpoint(const std::string& path, bool is_source,
                                             const std::string& display);

}  // namespace ferry
