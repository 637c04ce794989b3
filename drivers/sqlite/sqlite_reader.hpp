// Native SQLite reader: each value's storage class is looked at and accepted only where it means
// exactly what the declared type says; long values are left out of the statement's rows and read
// after them in pieces (see MakeReader).
#pragma once

#include <memory>

#include "copier/endpoint.hpp"
#include "drivers/sql/dialect.hpp"
#include "drivers/sqlite/sqlite_session.hpp"

namespace ferry::sqlite {

// Whether the reader accepts `value` for a column read as `storage` (NULL always): ferry check
// --scan counts the values it would refuse (text in an INTEGER column, say) with it.
bool Readable(sqlite3_value* value, Storage storage);

std::unique_ptr<RowReader> MakeReader(Session& session, const Dialect& dialect,
                                      const ReadRequest& request);

}  // namespace ferry::sqlite
