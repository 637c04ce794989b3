// Long values in SQLite by incremental blob I/O (sqlite3_blob_open/read/write), which finds a value
// by its row's rowid: readers take long blobs out of a row a piece at a time, writers put them in
// after inserting the row with a zeroblob of their size.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "copier/batch.hpp"
#include "copier/catalog.hpp"
#include "drivers/sqlite/sqlite_session.hpp"

namespace ferry::sqlite {

// Whether `table` has rowids (not WITHOUT ROWID), so blob I/O can reach its values; nothing when
// there is no such table.
std::optional<bool> RowidTable(SqlSession& session, const TableName& table);
inline bool IsRowidTable(Session& session, const TableName& table) {
  return RowidTable(session, table).value_or(false);
}

// The bytes of the text or blob in `column` of the row `rowid` (text as the database stores it:
// UTF-8 in a UTF-8 database), measured without reading them; nothing for other values.
std::optional<size_t> CellBytes(Session& session, const TableName& table, const std::string& column,
                                sqlite3_int64 rowid);

// Turns a UTF-16 text, given in pieces split anywhere, into the UTF-8 SQLite's own conversion
// (sqlite3_column_text) gives: its rules exactly, so a value reads the same in pieces as whole
// (a surrogate pair is combined without checking its second half, a lone surrogate at the end is
// written as it is, an odd last byte is dropped).
class Utf16ToUtf8 {
 public:
  explicit Utf16ToUtf8(bool big_endian) : big_endian_(big_endian) {}
  // Appends to `out` what `piece` completes; `last` for the value's last piece.
  void Convert(std::string_view piece, bool last, std::string& out);

 private:
  bool big_endian_;
  std::string carry_;  // bytes of a unit, or of a surrogate pair, split by a piece's end
};

// The blob (or text, see CellBytes) in `column` of the row `rowid`, copied into a spill file in
// pieces; nullptr when the value is NULL or neither. `utf16` names the database's encoding
// ("UTF-16le" or "UTF-16be") when the value is text to turn into UTF-8 on the way, else "";
// `prefix` goes first in the file (a kAny value's class, sqlite_any.hpp).
std::shared_ptr<const LongValue> ReadBlob(Session& session, const TableName& table,
                                          const std::string& column, sqlite3_int64 rowid,
                                          const std::string& utf16 = "",
                                          std::string_view prefix = {});

// Writes `value` in pieces over the zeroblob of its size that `column` of row `rowid` holds;
// the SQLite result code (SQLITE_OK when written).
int WriteBlob(Session& session, const TableName& table, const std::string& column,
              sqlite3_int64 rowid, const LongValue& value);

}  // namespace ferry::sqlite
