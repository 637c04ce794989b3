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
  columns_.reserve(storages.size());
  for (Storage s : storages) columns_.emplace_back(s);
}

void Batch::Clear() {
  for (ColumnVector& c : columns_) c.Clear();
  wire_.clear();
  wire_rows_ = 0;
}

size_t Batch::ByteSize() const {
  size_t total = wire_.size();
  for (const ColumnVector& c : columns_) total += c.ByteSize();
  return total;
}

}  // namespace ferry
