#include "drivers/sqlite/sqlite_blobs.hpp"

#include <algorithm>

#include "drivers/long_values.hpp"

namespace ferry::sqlite {

namespace {

std::string SchemaOf(const TableName& table) {
  return table.schema.empty() ? "main" : table.schema;
}

}  // namespace

std::optional<bool> RowidTable(SqlSession& session, const TableName& table) {
  // Through SqlSession, not the handle: an endpoint's catalog session is a reconnecting wrapper.
  const std::vector<SqlSession::Row> rows =
      session.Query("SELECT wr FROM pragma_table_list WHERE schema = ? AND name = ?",
                    {SchemaOf(table), table.name});
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return std::nullopt;
  return *rows[0][0] == "0";
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

void Utf16ToUtf8::Convert(std::string_view piece, bool last, std::string& out) {
  std::string_view in = piece;
  if (!carry_.empty()) {
    carry_.append(piece);
    in = carry_;
  }
  auto unit = [&](size_t at) {
    const unsigned a = static_cast<unsigned char>(in[at]);
    const unsigned b = static_cast<unsigned char>(in[at + 1]);
    return big_endian_ ? (a << 8) | b : (b << 8) | a;
  };
  size_t at = 0;
  while (in.size() - at >= 2) {
    unsigned c = unit(at);
    if (c >= 0xD800 && c < 0xE000) {
      if (in.size() - at < 4 && !last) break;  // the pair's second half comes with the next piece
      if (in.size() - at >= 4) {
        // SQLite's formula (vdbemem.c, sqlite3VdbeMemTranslate), unchecked like its own.
        const unsigned c2 = unit(at + 2);
        c = (c2 & 0x03FF) + ((c & 0x003F) << 10) + (((c & 0x03C0) + 0x0040) << 10);
        at += 2;
      }
    }
    at += 2;
    if (c < 0x80) {
      out += char(c);
    } else if (c < 0x800) {
      out += char(0xC0 + ((c >> 6) & 0x1F));
      out += char(0x80 + (c & 0x3F));
    } else if (c < 0x10000) {
      out += char(0xE0 + ((c >> 12) & 0x0F));
      out += char(0x80 + ((c >> 6) & 0x3F));
      out += char(0x80 + (c & 0x3F));
    } else {
      out += char(0xF0 + ((c >> 18) & 0x07));
      out += char(0x80 + ((c >> 12) & 0x3F));
      out += char(0x80 + ((c >> 6) & 0x3F));
      out += char(0x80 + (c & 0x3F));
    }
  }
  // An odd last byte is dropped, as SQLite drops it.
  carry_ = last ? std::string() : std::string(in.substr(at));
}

std::shared_ptr<const LongValue> ReadBlob(Session& session, const TableName& table,
                                          const std::string& column, sqlite3_int64 rowid,
                                          const std::string& utf16, std::string_view prefix) {
  sqlite3_blob* blob = nullptr;
  if (sqlite3_blob_open(session.get(), SchemaOf(table).c_str(), table.name.c_str(), column.c_str(),
                        rowid, 0, &blob) != SQLITE_OK) {
    sqlite3_blob_close(blob);
    return nullptr;
  }
  auto value = std::make_shared<SpillFile>();
  value->Append(prefix);
  const int size = sqlite3_blob_bytes(blob);
  std::optional<Utf16ToUtf8> decoder;
  if (!utf16.empty()) decoder.emplace(utf16 == "UTF-16be");
  std::string piece, utf8;
  int rc = SQLITE_OK;
  for (int at = 0; at < size && rc == SQLITE_OK; at += int(kLongValuePiece)) {
    piece.resize(std::min<size_t>(kLongValuePiece, size_t(size - at)));
    rc = sqlite3_blob_read(blob, piece.data(), int(piece.size()), at);
    if (rc != SQLITE_OK) break;
    if (decoder) {
      utf8.clear();
      decoder->Convert(piece, at + int(piece.size()) >= size, utf8);
      value->Append(utf8);
    } else {
      value->Append(piece);
    }
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
