#include "drivers/sqlite/sqlite_blobs.hpp"

#include <algorithm>

#include "drivers/long_values.hpp"

namespace ferry::sqlite {

namespace {

std::string SchemaOf(const TableName& table) {
  return table.schema.empty() ? "main" : table.schema;
}

}  // namespace

bool IsRowidTable(Session& session, const TableName& table) {
  Statement query(session, "SELECT wr FROM pragma_table_list WHERE schema = ? AND name = ?");
  const std::string schema = SchemaOf(table);
  sqlite3_bind_text(query.get(), 1, schema.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(query.get(), 2, table.name.c_str(), -1, SQLITE_TRANSIENT);
  return query.Step() == SQLITE_ROW && sqlite3_column_int(query.get(), 0) == 0;
}

std::optional<size_t> CellBytes(Session& session, const TableName& table, const std::string& column,
                                sqlite3_int64 rowid) {
  sqlite3_blob* blob = nullptr;
  std::optional<size_t> size;
  if (sqlite3_blob_open(session.get(), SchemaOf(table).c_str(), table.name.c_str(), column.c_str(),
                        rowid, 0, &blob) == SQLITE_OK) {
    size = size_t(sqlite3_blob_bytes(blob));
  }
  sqlite3_blob_close(blob);
  return size;
}

std::shared_ptr<const LongValue> ReadBlob(Session& session, const TableName& table,
                                          const std::string& column, sqlite3_int64 rowid) {
  sqlite3_blob* blob = nullptr;
  if (sqlite3_blob_open(session.get(), SchemaOf(table).c_str(), table.name.c_str(), column.c_str(),
                        rowid, 0, &blob) != SQLITE_OK) {
    sqlite3_blob_close(blob);
    return nullptr;
  }
  auto value = std::make_shared<SpillFile>();
  const int size = sqlite3_blob_bytes(blob);
  std::string piece;
  int rc = SQLITE_OK;
  for (int at = 0; at < size && rc == SQLITE_OK; at += int(kLongValuePiece)) {
    piece.resize(std::min<size_t>(kLongValuePiece, size_t(size - at)));
    rc = sqlite3_blob_read(blob, piece.data(), int(piece.size()), at);
    if (rc == SQLITE_OK) value->Append(piece);
  }
  sqlite3_blob_close(blob);
  if (rc != SQLITE_OK) session.Fail(rc, "sqlite3_blob_read");
  return value;
}

int WriteBlob(Session& session, const TableName& table, const std::string& column,
              sqlite3_int64 rowid, const LongValue& value) {
  sqlite3_blob* blob = nullptr;
  int rc = sqlite3_blob_open(session.get(), SchemaOf(table).c_str(), table.name.c_str(),
                             column.c_str(), rowid, 1, &blob);
  size_t at = 0;
  if (rc == SQLITE_OK) {
    ForEachPiece(value, [&](std::string_view piece) {
      if (rc == SQLITE_OK) rc = sqlite3_blob_write(blob, piece.data(), int(piece.size()), int(at));
      at += piece.size();
    });
  }
  sqlite3_blob_close(blob);
  return rc;
}

}  // namespace ferry::sqlite
