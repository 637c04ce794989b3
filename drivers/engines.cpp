// The list of engines this build carries. An engine lives in its own folder and is known here
// by its factory alone: adding one is a folder and a line below.
#include "drivers/engine.hpp"

namespace ferry {

const std::vector<EngineFactory>& Engines() {
  static const std::vector<EngineFactory> engines = {PostgresEngine(), MariaDbEngine(),
                                                     SqliteEngine(), FilesEngine()};
  return engines;
}

}  // namespace ferry
