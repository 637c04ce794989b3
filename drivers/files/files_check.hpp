// `ferry verify --files DIR`: a staging directory checked against its manifest with no database,
// like a shipping bill of materials: every chunk file present, of its recorded size and SHA-256,
// decoding to its recorded rows and row-hash sum (or recorded as imported and removed by an
// import with --remove-imported); every large object's file of its recorded size and SHA-256;
// the manifest unedited and every unit there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ferry::staging {

struct FileProblem {
  std::string file;   // relative to the directory ("chunks/...", "manifest.json")
  std::string table;  // "" when the problem is not one table's
  std::string unit;   // "unit 3 of 8, [(10), (20))", or ""
  std::string what;
};

struct DirectoryCheck {
  std::string status;  // the manifest's
  int tables = 0;
  int chunks = 0;
  uint64_t rows = 0;  // in the chunks read (not those removed)
  uint64_t bytes = 0;
  // Chunks an import took away (--remove-imported), each named by a record in imported/ that
  // agrees with the manifest: accounted for, not missing; their rows are in the manifest only.
  int removed_chunks = 0;
  uint64_t removed_rows = 0;
  int large_objects = 0;  // PostgreSQL large objects the manifest lists, each file checked
  uint64_t large_object_bytes = 0;  // the objects' bytes (their files' decompressed) checked
  // Of them, those whose file an import took away (--remove-imported), a record agreeing.
  int removed_large_objects = 0;
  std::vector<FileProblem> problems;
};

// Runs task(0) .. task(n - 1) and returns when all have ended, on as many threads as the caller
// likes (drivers/ starts none: scheduler/parallel_for.hpp does).
using ForEach = std::function<void(size_t n, const std::function<void(size_t)>& task)>;

// Throws Error(kNotFound) when `folder` holds no manifest; every other finding is a problem,
// listed in the manifest's order whatever order the chunks were checked in.
DirectoryCheck CheckDirectory(const std::string& folder, const ForEach& for_each = {});

}  // namespace ferry::staging
