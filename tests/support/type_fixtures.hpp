// The type matrix fixture: table all_types with every supported type at its limits, NULLs,
// empty values and Unicode, in the engine of `db`.
#pragma once

#include "tests/support/test_database.hpp"

namespace ferry::test {

void LoadTypeFixture(TestDatabase& db);

}  // namespace ferry::test
