// The import's reader: a unit's chunk files decoded block by block (each block one batch), the
// requested columns moved out of the decoded batch. The units the directory stores are read
// whole; `ferry verify` may also ask for a part of one by an integer or temporal key, which is
// filtered here row by row.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "copier/convert.hpp"
#include "copier/error.hpp"
#include "drivers/files/chunk_format.hpp"
#include "drivers/files/files_io.hpp"
#include "drivers/files/imported.hpp"

namespace ferry::staging {

std::vector<CanonicalForm> FormsOf(const Table& table) {
  std::vector<CanonicalForm> forms;
  for (const Column& c : table.columns) forms.push_back(CanonicalFormFor(c.type, c.type));
  return forms;
}

std::vector<CanonicalForm> FormsFromNames(const std::vector<std::string>& names,
                                          const std::string& table) {
  std::vector<CanonicalForm> forms;
  for (const std::string& name : names) {
    bool found = false;
    for (int f = 0; f <= int(CanonicalForm::kFormatted) && !found; ++f) {
      if (name == CanonicalFormName(CanonicalForm(f))) {
        forms.push_back(CanonicalForm(f));
        found = true;
      }
    }
    if (!found) {
      throw Error(ErrorCode::kIo, fmt::format("the manifest names row hash form '{}' for {}, "
                                              "which this ferry does not know",
                                              name, table));
    }
  }
  return forms;
}

std::vector<Storage> StoragesOf(const Table& table) {
  std::vector<Storage> storages;
  for (const Column& c : table.columns) storages.push_back(StorageOf(c.type));
  return storages;
}

namespace {

bool Comparable(Storage s) {
  return s == Storage::kInt64 || s == Storage::kUInt64 || s == Storage::kBool ||
         s == Storage::kDate || s == Storage::kTime || s == Storage::kTimestamp;
}

// Rows of a key range by value, for keys whose order is the numbers' own.
class RangeFilter {
 public:
  RangeFilter(const Table& table, const KeyRange& range) : range_(range) {
    for (int k : range.key_columns) {
      const Storage s = StorageOf(table.columns[size_t(k)].type);
      if (!Comparable(s)) {
        throw Error(ErrorCode::kUsage,
                    fmt::format("a staging directory reads its own units, whole tables and ranges "
                                "of integer or temporal keys; {} is none of them (column {})",
                                DescribeRange(range), table.columns[size_t(k)].name),
                    ErrorContext{DisplayName(table.name), "", "", ""});
      }
      storages_.push_back(s);
    }
    if (range.keys) {
      throw Error(ErrorCode::kUsage, "a staging directory cannot select rows by a list of keys",
                  ErrorContext{DisplayName(table.name), "", "", ""});
    }
    auto parse = [&](const std::optional<std::vector<std::string>>& bound,
                     std::vector<int64_t>& out) {
      if (!bound) return;
      for (size_t i = 0; i < bound->size() && i < storages_.size(); ++i) {
        ColumnVector v(storages_[i]);
        if (!ParseValue((*bound)[i], v)) {
          throw Error(ErrorCode::kUsage, fmt::format("bound {} is not a key value", (*bound)[i]));
        }
        out.push_back(v.Int(0));
      }
    };
    parse(range.lo, lo_);
    parse(range.hi, hi_);
  }

  bool Keeps(const Batch& batch, size_t row) const {
    const ColumnVector& first = batch.column(size_t(range_.key_columns[0]));
    if (range_.null_keys) return first.IsNull(row);
    if (first.IsNull(row)) return false;
    if (!lo_.empty() && Compare(batch, row, lo_) < 0) return false;
    if (!hi_.empty() && Compare(batch, row, hi_) >= 0) return false;
    return true;
  }

 private:
  int Compare(const Batch& batch, size_t row, const std::vector<int64_t>& bound) const {
    for (size_t i = 0; i < bound.size(); ++i) {
      const ColumnVector& c = batch.column(size_t(range_.key_columns[i]));
      if (c.IsNull(row)) return -1;
      if (storages_[i] == Storage::kUInt64) {
        if (c.UInt(row) != uint64_t(bound[i])) return c.UInt(row) < uint64_t(bound[i]) ? -1 : 1;
      } else if (c.Int(row) != bound[i]) {
        return c.Int(row) < bound[i] ? -1 : 1;
      }
    }
    return 0;
  }

  KeyRange range_;
  std::vector<Storage> storages_;
  std::vector<int64_t> lo_, hi_;
};

void AppendRow(const ColumnVector& in, size_t row, ColumnVector& out) {
  if (in.IsNull(row)) {
    out.AppendNull();
  } else if (in.has_long() && in.Long(row)) {
    out.AppendLong(in.SharedLong(row));
  } else if (in.variable_length()) {
    out.AppendBytes(in.Bytes(row));
  } else {
    out.AppendInt(in.Int(row));
  }
}

bool SameRange(const KeyRange& a, const KeyRange& b) {
  return a.key_columns == b.key_columns && a.lo == b.lo && a.hi == b.hi &&
         a.null_keys == b.null_keys && a.by_location == b.by_location && !a.keys && !b.keys;
}

// The first of `table`'s units (in part order) whose range is `range`, or nullptr.
const UnitEntry* UnitOfRange(const IndexedManifest& m, const TableEntry& table,
                             const KeyRange& range) {
  for (const UnitEntry* unit : m.UnitsWithBounds(table, range)) {
    if (SameRange(RangeOf(*unit, table.shape), range)) return unit;
  }
  return nullptr;
}

class FilesRowReader final : public RowReader {
 public:
  FilesRowReader(std::shared_ptr<const IndexedManifest> manifest, std::string folder,
                 const ReadRequest& request)
      : manifest_(std::move(manifest)), folder_(std::move(folder)), columns_(request.columns) {
    const Table& table = *request.table;
    const TableEntry* entry = manifest_->Find(table.name);
    if (!entry) {
      throw Error(ErrorCode::kNotFound, "the staging directory holds no such table",
                  ErrorContext{DisplayName(table.name), "", "", ""});
    }
    storages_ = StoragesOf(entry->shape);
    for (int c : columns_) {
      out_storages_.push_back(storages_[size_t(c)]);
      asked_once_.push_back(std::count(columns_.begin(), columns_.end(), c) == 1);
    }
    const KeyRange& range = request.unit.range;
    const bool unbounded =
        !range.lo && !range.hi && !range.null_keys && !range.by_location && !range.keys;
    if (const UnitEntry* unit = unbounded ? nullptr : UnitOfRange(*manifest_, *entry, range)) {
      for (const ChunkEntry& c : unit->chunks) files_.push_back(c.file);
      return;
    }
    for (const UnitEntry& unit : entry->units) {
      for (const ChunkEntry& c : unit.chunks) files_.push_back(c.file);
    }
    if (!unbounded) filter_.emplace(entry->shape, range);
  }

  bool Next(Batch& batch) override {
    for (;;) {
      if (!chunk_) {
        if (next_file_ == files_.size()) return false;
        const std::string& file = files_[next_file_++];
        RefuseRemoved(file);
        chunk_ = std::make_unique<ChunkReader>(folder_ + "/" + file, storages_);
      }
      if (!chunk_->Next(decoded_)) {
        chunk_.reset();
        continue;
      }
      batch.Reset(out_storages_);
      if (filter_) {
        for (size_t r = 0; r < decoded_.num_rows(); ++r) {
          if (!filter_->Keeps(decoded_, r)) continue;
          for (size_t i = 0; i < columns_.size(); ++i) {
            AppendRow(decoded_.column(size_t(columns_[i])), r, batch.column(i));
          }
        }
        if (batch.num_rows() == 0) continue;
        return true;
      }
      // A column asked for once moves over (its buffers swapped with the batch's, which the
      // next block decodes into); one asked for twice is copied.
      for (size_t i = 0; i < columns_.size(); ++i) {
        ColumnVector& from = decoded_.column(size_t(columns_[i]));
        if (asked_once_[i]) {
          batch.column(i).Swap(from);
        } else {
          batch.column(i).CopyFrom(from);
        }
      }
      return true;
    }
  }

  std::string Method() const override { return "staging chunk files (zstd)"; }

 private:
  std::shared_ptr<const IndexedManifest> manifest_;
  std::string folder_;
  std::vector<int> columns_;
  std::vector<Storage> storages_, out_storages_;
  std::vector<bool> asked_once_;  // by output column
  // A chunk an import took away (--remove-imported) is named as such, not as a file that
  // cannot be opened.
  void RefuseRemoved(const std::string& file) const {
    if (access((folder_ + "/" + file).c_str(), F_OK) == 0) return;
    const auto removed = RemovedChunks(folder_);
    auto r = removed.find(file);
    if (r == removed.end()) return;
    throw Error(ErrorCode::kNotFound,
                fmt::format("{} was imported{} and removed ({}, {}; --remove-imported): this "
                            "directory no longer holds its rows, so it cannot be imported or "
                            "read again",
                            file, r->second.into.empty() ? "" : " into " + r->second.into,
                            r->second.removed_at, r->second.by));
  }

  std::vector<std::string> files_;
  size_t next_file_ = 0;
  std::optional<RangeFilter> filter_;
  std::unique_ptr<ChunkReader> chunk_;
  Batch decoded_;
};

class FilesReadSession final : public ReadSession {
 public:
  FilesReadSession(std::shared_ptr<const IndexedManifest> manifest, std::string folder,
                   std::shared_ptr<ExportFollower> follower)
      : manifest_(std::move(manifest)),
        folder_(std::move(folder)),
        follower_(std::move(follower)) {}
  std::unique_ptr<RowReader> Read(const ReadRequest& request) override {
    // Following a running export: the unit's chunks once the manifest names them.
    auto manifest =
        follower_ ? follower_->WaitForUnit(request.table->name, request.unit.range) : manifest_;
    return std::make_unique<FilesRowReader>(std::move(manifest), folder_, request);
  }

  // From the manifest's row sums, when the request hashes every column in the forms the export
  // summed them in, over one unit the export wrote (or the whole table).
  std::optional<RangeDigest> StoredDigest(const DigestRequest& request,
                                          const std::vector<CanonicalForm>& forms) override {
    if (follower_) return std::nullopt;  // the sums of units not written yet are not known
    const TableEntry* entry = manifest_->Find(request.table->name);
    if (!entry || entry->default_rows > 0 || entry->units.empty()) return std::nullopt;
    if (request.columns.size() != entry->shape.columns.size()) return std::nullopt;
    for (size_t i = 0; i < request.columns.size(); ++i) {
      if (request.columns[i] != int(i)) return std::nullopt;
    }
    if (forms != FormsFromNames(entry->forms, DisplayName(entry->shape.name))) return std::nullopt;
    const KeyRange& range = request.range;
    const bool whole =
        !range.lo && !range.hi && !range.null_keys && !range.by_location && !range.keys;
    std::vector<const UnitEntry*> units;
    if (whole) {
      for (const UnitEntry& unit : entry->units) units.push_back(&unit);
    } else if (const UnitEntry* unit = UnitOfRange(*manifest_, *entry, range)) {
      units.push_back(unit);
    }
    std::optional<RangeDigest> digest;
    for (const UnitEntry* unit : units) {
      if (!digest) digest.emplace();
      for (const ChunkEntry& c : unit->chunks) digest->Merge({int64_t(c.rows), c.row_sum});
    }
    return digest;
  }

 private:
  std::shared_ptr<const IndexedManifest> manifest_;
  std::string folder_;
  std::shared_ptr<ExportFollower> follower_;
};

}  // namespace

std::unique_ptr<ReadSession> MakeReadSession(std::shared_ptr<const IndexedManifest> manifest,
                                             std::string folder,
                                             std::shared_ptr<ExportFollower> follower) {
  return std::make_unique<FilesReadSession>(std::move(manifest), std::move(folder),
                                            std::move(follower));
}

}  // namespace ferry::staging
