// Long values in SQLite by incremental blob I/O (sqlite3_blob_open/read/write), which finds a value
// by its row's rowid: readers take long blobs out of a row a piece at a time, writers put them in
// after inserting the row with a zeroblob of their size.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "drivers/sqlite/sqlite_session.hpp"

namespace ferry::sqlite {

// Whether `table` has rowids (not WITHOUT ROWID), so blob I/O can reach its values.
bool IsRowidTable(Session& session, const TableName& table);

// The bytes of the text or blob in `column` of the row `rowid` (text as the database stores it:
// UTF-8 in a UTF-8 database), measured without reading them; nothing for other values.
std::optional<size_t> CellBytes(Session& session, const TableName& table, const std::string& column,
                                sqlite3_int64 rowid);

// The blob (or text, see CellBytes) in `column` of the row `rowid`, copied into a spill file in
// pieces; nullptr when the value is NULL or neither.
std::shared_ptr<const LongValue> ReadBlob(Session& session, const TableName& table,
                                          const std::string& column, sqlite3_int64 rowid);

// Writes `value` in pieces over the zeroblob of its size that `column` of row `rowid` holds;
// the SQLite result code (SQLITE_OK when written).
int WriteBlob(Session& session, const TableName& table, const std::string& column,
              sqlite3_int64 rowid, const LongValue& value);

}  // namespace ferry::sqlite
