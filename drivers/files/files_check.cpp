#include "drivers/files/files_check.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <set>

#include "copier/error.hpp"
#include "copier/row_hash.hpp"
#include "drivers/files/chunk_format.hpp"
#include "drivers/files/disk.hpp"
#include "drivers/files/files_io.hpp"
#include "drivers/files/imported.hpp"
#include "drivers/files/large_objects_dir.hpp"
#include "drivers/files/manifest.hpp"
#include "drivers/files/manifest_journal.hpp"

namespace ferry::staging {

namespace fs = std::filesystem;

namespace {

// One chunk against its entry: present, size, SHA-256, then its decoded rows and row sum.
void CheckChunk(const std::string& folder, const TableEntry& table, const UnitEntry& unit,
                const ChunkEntry& chunk, const RowHasher& hasher,
                const std::map<std::string, RemovedChunk>& removed, DirectoryCheck& out) {
  FileProblem p{chunk.file, DisplayName(table.shape.name), DescribeUnit(unit), ""};
  auto report = [&](std::string what) {
    p.what = std::move(what);
    out.problems.push_back(p);
  };
  const std::string path = folder + "/" + chunk.file;
  auto record = removed.find(chunk.file);
  if (record != removed.end() && !fs::exists(path)) {
    const RemovedChunk& r = record->second;
    if (r.sha256 != chunk.sha256 || r.rows != chunk.rows || r.bytes != chunk.bytes) {
      return report(
          fmt::format("removed after an import, but its record in {}/ says {} rows, "
                      "{} bytes, SHA-256 {}, not what the manifest says",
                      kImportedFolder, r.rows, r.bytes, r.sha256));
    }
    ++out.removed_chunks;
    out.removed_rows += chunk.rows;
    return;
  }
  if (!fs::exists(path)) return report("missing: the manifest lists it, the directory lacks it");
  uint64_t size = 0;
  const std::string sha = FileSha256(path, &size);
  out.bytes += size;
  if (size != chunk.bytes) {
    report(fmt::format("{} bytes, the manifest says {} ({})", size, chunk.bytes,
                       size < chunk.bytes ? "truncated" : "grown"));
  } else if (sha != chunk.sha256) {
    report(fmt::format("its SHA-256 is {}, the manifest says {}: the file is damaged", sha,
                       chunk.sha256));
  }
  try {
    ChunkReader reader(path, StoragesOf(table.shape));
    Batch batch;
    RangeDigest digest;
    while (reader.Next(batch)) digest.Merge(DigestRows(hasher, batch, 0, batch.num_rows()));
    if (uint64_t(digest.rows) != chunk.rows) {
      report(fmt::format("holds {} rows, the manifest says {}", digest.rows, chunk.rows));
    } else if (digest.sum != chunk.row_sum) {
      report(fmt::format("its rows hash to {:016x}, the manifest says {:016x}", digest.sum,
                         chunk.row_sum));
    } else {
      out.rows += chunk.rows;
    }
  } catch (const Error& e) {
    // Found already by size or hash: the decoding error says only where.
    if (size == chunk.bytes && sha == chunk.sha256) report(e.what());
  }
}

void CheckUnits(const TableEntry& t, DirectoryCheck& out) {
  if (t.units.empty()) return;
  const int parts = t.units.front().parts;
  std::set<int> present;
  for (const UnitEntry& u : t.units) present.insert(u.part);
  for (int part = 0; part < parts; ++part) {
    if (!present.count(part)) {
      out.problems.push_back({std::string(kManifestName), DisplayName(t.shape.name),
                              fmt::format("unit {} of {}", part + 1, parts),
                              "no chunk holds this unit: it was not exported"});
    }
  }
}

// The journal the manifest names (an unfinished export's) applied to `m` up to its first bad
// line, which is a problem naming the journal, the line, the table and what is wrong. Returns
// whether its last line was torn (an append a stopped export never finished: not damage).
bool ApplyJournal(const std::string& folder, Manifest& m, DirectoryCheck& out) {
  if (m.journal.empty()) return false;
  const std::string path = folder + "/" + m.journal;
  if (!fs::exists(path)) {
    out.problems.push_back({m.journal, "", "",
                            "missing: the manifest names it as holding what the export did since "
                            "the manifest was written"});
    return false;
  }
  const JournalRead read = ReadJournalLines(path);
  TableLookup tables(m);
  for (const JournalEntry& e : read.entries) {
    try {
      ApplyJournalEntry(m, e, nullptr, &tables);
    } catch (const Error& error) {
      out.problems.push_back({m.journal, DisplayName(e.table), "", error.what()});
    }
  }
  if (read.bad_line > 0) {
    out.problems.push_back(
        {m.journal, read.bad_table, "",
         fmt::format("line {} {} (edited, or damaged); what the export did after it cannot be "
                     "trusted: run the export again into a new directory",
                     read.bad_line, read.problem)});
  }
  return read.torn;
}

// Every large object's file: there (or taken away by an import, its record agreeing), of its
// recorded size and SHA-256, decompressing to the object's; and the files of large_objects/
// the manifest does not name.
void CheckLargeObjects(const std::string& folder, const Manifest& m,
                       const std::map<std::string, RemovedChunk>& removed, DirectoryCheck& out) {
  std::set<std::string> named;
  if (m.large_objects) {
    for (const LargeObjectEntry& o : *m.large_objects) {
      named.insert(o.file);
      ++out.large_objects;
      const std::string path = folder + "/" + o.file;
      const std::string what = fmt::format("large object {}: ", o.object.oid);
      if (!fs::exists(path)) {
        auto record = removed.find(o.file);
        if (record != removed.end() && record->second.sha256 == o.file_sha256) {
          ++out.removed_large_objects;
          continue;
        }
        out.problems.push_back(
            {o.file, "", "", what + "missing: the manifest lists it, the directory lacks it"});
        continue;
      }
      out.large_object_bytes += uint64_t(o.bytes);
      const std::string problem = ReadLargeObjectFile(folder, o, {});
      if (!problem.empty()) out.problems.push_back({o.file, "", "", what + problem});
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder + "/" + kLargeObjectFolder, ec)) {
    const std::string file =
        std::string(kLargeObjectFolder) + "/" + entry.path().filename().string();
    if (named.count(file)) continue;
    out.problems.push_back({file, "", "",
                            IsTempName(file) ? "a large object being written (or left by a "
                                               "stopped export): not part of the export"
                                             : "not in the manifest"});
  }
}

}  // namespace

DirectoryCheck CheckDirectory(const std::string& folder, const ForEach& for_each) {
  const std::string manifest_path = folder + "/" + kManifestName;
  if (!fs::exists(manifest_path)) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("{} holds no {}: not a staging directory", folder, kManifestName));
  }
  DirectoryCheck out;
  const std::string text = ReadWholeFile(manifest_path);
  Manifest m;
  try {
    m = ManifestFromJson(text, manifest_path);
  } catch (const Error& e) {
    out.problems.push_back({kManifestName, "", "", e.what()});
    m = ManifestFromJson(text, manifest_path, /*checked=*/false);
  }
  out.status = m.status;
  const bool torn = ApplyJournal(folder, m, out);
  if (m.status != "complete") {
    out.problems.push_back(
        {kManifestName, "", "",
         fmt::format("the export is not finished (status '{}'{}); `ferry run --resume` with the "
                     "same source and directory ends it",
                     m.status,
                     torn ? fmt::format(", and the last record of {} is an append its process "
                                        "never finished: left out, as never done",
                                        m.journal)
                          : "")});
  }
  std::set<std::string> named;
  struct Job {
    const TableEntry* table;
    const UnitEntry* unit;
    const ChunkEntry* chunk;
    const RowHasher* hasher;
  };
  std::vector<Job> jobs;
  std::vector<std::unique_ptr<RowHasher>> hashers;
  const std::map<std::string, RemovedChunk> removed = RemovedChunks(folder);
  for (const TableEntry& t : m.tables) {
    ++out.tables;
    hashers.push_back(
        std::make_unique<RowHasher>(FormsFromNames(t.forms, DisplayName(t.shape.name))));
    CheckUnits(t, out);
    for (const UnitEntry& u : t.units) {
      for (const ChunkEntry& c : u.chunks) {
        ++out.chunks;
        named.insert(c.file);
        jobs.push_back({&t, &u, &c, hashers.back().get()});
      }
    }
  }
  // Each chunk's findings apart, merged in the manifest's order.
  std::vector<DirectoryCheck> found(jobs.size());
  auto check = [&](size_t i) {
    CheckChunk(folder, *jobs[i].table, *jobs[i].unit, *jobs[i].chunk, *jobs[i].hasher, removed,
               found[i]);
  };
  if (for_each) {
    for_each(jobs.size(), check);
  } else {
    for (size_t i = 0; i < jobs.size(); ++i) check(i);
  }
  for (DirectoryCheck& f : found) {
    out.rows += f.rows;
    out.bytes += f.bytes;
    out.removed_chunks += f.removed_chunks;
    out.removed_rows += f.removed_rows;
    for (FileProblem& p : f.problems) out.problems.push_back(std::move(p));
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder + "/" + kChunkFolder, ec)) {
    const std::string file = std::string(kChunkFolder) + "/" + entry.path().filename().string();
    if (named.count(file)) continue;
    out.problems.push_back({file, "", "",
                            IsTempName(file) ? "a chunk being written (or left by a stopped "
                                               "export): not part of the export"
                                             : "not in the manifest"});
  }
  CheckLargeObjects(folder, m, removed, out);
  return out;
}

}  // namespace ferry::staging
