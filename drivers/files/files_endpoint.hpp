// A staging directory (`dir:/path`) as a fourth engine: export into it, import from it,
// docs/staging-format.md for the format.
#pragma once

#include "drivers/engine.hpp"

namespace ferry {

EngineFactory FilesEngine();

}  // namespace ferry
