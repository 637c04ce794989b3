#include "copier/batch.hpp"

namespace ferry {

void Batch::Reset(const std::vector<Storage>& storages) {
  bool same = storages.size() == columns_.size();
  for (size_t i = 0; same && i < storages.size(); ++i) {
    same = columns_[i].storage() == storages[i];
  }
  if (same) {
    Clear();
    return;
  }
  columns_.clear();
  wire_.clear();
  wire_rows_ = 0;
  splices_.clear();
  columns_.reserve(storages.size());
  for (Storage s : storages) columns_.emplace_back(s);
}

void Batch::Clear() {
  for (ColumnVector& c : columns_) c.Clear();
  wire_.clear();
  wire_rows_ = 0;
  splices_.clear();
}

bool Batch::has_long() const {
  if (!splices_.empty()) return true;
  for (const ColumnVector& c : columns_) {
    if (c.has_long()) return true;
  }
  return false;
}

Batch WithLongValuesInMemory(const Batch& batch) {
  std::vector<Storage> storages;
  for (size_t i = 0; i < batch.num_columns(); ++i) storages.push_back(batch.column(i).storage());
  Batch out(storages);
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    const ColumnVector& in = batch.column(i);
    ColumnVector& column = out.column(i);
    if (!in.has_long()) {
      column.CopyFrom(in);
      continue;
    }
    for (size_t r = 0; r < in.size(); ++r) {
      if (in.IsNull(r)) {
        column.AppendNull();
      } else if (const LongValue* value = in.Long(r)) {
        value->Read(0, column.AppendUninitialized(value->size()), value->size());
      } else {
        column.AppendBytes(in.Bytes(r));
      }
    }
  }
  out.wire() = batch.wire();
  out.set_wire_rows(batch.wire_rows());
  if (!batch.splices().empty()) {
    // Wire bytes with splices: put each value's bytes in place.
    std::string wire;
    size_t from = 0;
    for (const WireSplice& s : batch.splices()) {
      wire.append(batch.wire(), from, s.at - from);
      size_t at = wire.size();
      wire.resize(at + s.value->size());
      s.value->Read(0, wire.data() + at, s.value->size());
      from = s.at;
    }
    wire.append(batch.wire(), from, std::string::npos);
    out.wire() = std::move(wire);
  }
  return out;
}

size_t Batch::ByteSize() const {
  size_t total = wire_.size();
  for (const ColumnVector& c : columns_) total += c.ByteSize();
  return total;
}

}  // namespace ferry
