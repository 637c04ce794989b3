// SQLite opened with its own library, behind the same Endpoint as every other engine: a
// sqlite: URL's file, or the file an SQLite ODBC data source names.
#pragma once

#include "drivers/engine.hpp"

namespace ferry {

EngineFactory SqliteEngine();

}  // namespace ferry
