// Writes a work unit with LOAD DATA LOCAL INFILE fed from memory: Prepare encodes a batch as
// LOAD DATA text on a worker thread, Write streams those bytes through libmariadb's local-infile
// callbacks, one statement per batch, all inside the unit's transaction.
//
// With LOCAL the server cannot stop the client mid-file, so it treats every data error and
// duplicate key as a warning and skips or adjusts the row (IGNORE semantics). The writer
// therefore checks the statement's warning count and affected rows after every batch and fails
// the unit on any warning or note, naming the row where the server says which one.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string_view>

#include "copier/endpoint.hpp"
#include "drivers/mariadb/mariadb_client.hpp"
#include "drivers/sql/dialect.hpp"

namespace ferry::mariadb {

// What the local-infile handler of one connection serves: the bytes of the LOAD DATA statement
// in flight, and nothing at all between statements.
struct InfileSource {
  std::string_view data;
  size_t at = 0;
  bool armed = false;
  // Set instead of `data` for a batch with long values: fills the buffer given with the next
  // bytes, 0 at the end. What it throws fails the statement and is rethrown after it.
  std::function<size_t(char*, size_t)> pull;
  std::exception_ptr failure;
};

// Installs the handler that serves `source` (which must outlive the connection's use); any file
// the server asks for outside a LoadDataWriter's statement is refused, so a hostile server
// cannot read local files through ferry.
void ServeLoadDataFromMemory(Connection& connection, InfileSource& source);

// Begins the unit's transaction on `connection`; the writer commits or rolls it back.
std::unique_ptr<RowWriter> MakeLoadDataWriter(Connection& connection, InfileSource& source,
                                              const Dialect& dialect, const WriteRequest& request);

}  // namespace ferry::mariadb
