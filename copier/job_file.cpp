#include "copier/job_file.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "copier/error.hpp"
#include "copier/planner.hpp"
#include "copier/text.hpp"

namespace ferry {

namespace {

class JobReader {
 public:
  explicit JobReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& key,
                         const std::string& what) const {
    const YAML::Mark mark = node.Mark();
    std::string where = mark.line >= 0 ? fmt::format(", line {}", mark.line + 1) : "";
    throw Error(ErrorCode::kUsage, fmt::format("job file {}{}: {}: {}", file_, where, key, what));
  }

  void OnlyKeys(const YAML::Node& map, const std::string& where,
                const std::set<std::string>& allowed) const {
    if (!map.IsMap()) Fail(map, where, "expected a mapping of keys to values");
    // yaml-cpp keeps every copy of a repeated key and lookups find the first, so a key written
    // twice (the later one meant to win, or a paste left behind) would be half ignored.
    std::map<std::string, int> seen;
    for (const auto& kv : map) {
      std::string key = kv.first.as<std::string>();
      const int line = kv.first.Mark().line + 1;
      if (auto [at, fresh] = seen.emplace(key, line); !fresh) {
        Fail(kv.first, where.empty() ? key : where + "." + key,
             fmt::format("written twice (first on line {}); keep one", at->second));
      }
      if (!allowed.count(key)) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Fail(kv.first, where.empty() ? key : where + "." + key,
             fmt::format("unknown key (expected one of: {})", list));
      }
    }
  }

  std::string String(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) Fail(node, key, "expected a text value");
    return node.as<std::string>();
  }

  bool Bool(const YAML::Node& node, const std::string& key) const {
    try {
      return node.as<bool>();
    } catch (const YAML::Exception&) {
      Fail(node, key, "expected true or false");
    }
  }

  template <typename T>
  T Number(const YAML::Node& node, const std::string& key, T min,
           T max = std::numeric_limits<T>::max()) const {
    try {
      T value = node.as<T>();
      if (max == std::numeric_limits<T>::max() && value < min) {
        Fail(node, key, fmt::format("must be at least {}", min));
      }
      if (value < min || value > max) {
        Fail(node, key, fmt::format("must be {} to {}, not {}", min, max, value));
      }
      return value;
    } catch (const YAML::Exception&) {
      Fail(node, key, "expected a whole number");
    }
  }

  // A size in bytes, written as a number or as the command line takes it ("64MiB").
  uint64_t ByteSize(const YAML::Node& node, const std::string& key, uint64_t min) const {
    if (!node.IsScalar()) Fail(node, key, "expected a size such as 67108864 or 64MiB");
    const std::optional<uint64_t> bytes = ParseByteSize(node.as<std::string>());
    if (!bytes) Fail(node, key, "expected a size such as 67108864 or 64MiB");
    if (*bytes < min) Fail(node, key, fmt::format("must be at least {} bytes", min));
    return *bytes;
  }

  std::vector<std::string> Strings(const YAML::Node& node, const std::string& key) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.as<std::string>());
      return out;
    }
    if (!node.IsSequence()) Fail(node, key, "expected a list of text values");
    for (size_t i = 0; i < node.size(); ++i) {
      out.push_back(String(node[i], fmt::format("{}[{}]", key, i)));
    }
    return out;
  }

  TablePattern Pattern(const YAML::Node& node, const std::string& key) const {
    std::string text = String(node, key);
    try {
      return TablePattern::Parse(text);
    } catch (const Error& e) {
      Fail(node, key, e.message());
    }
  }

  WriteMode Mode(const YAML::Node& node, const std::string& key) const {
    auto mode = ParseWriteMode(String(node, key));
    if (!mode) Fail(node, key, "expected create, truncate, append or upsert");
    return *mode;
  }

 private:
  std::string file_;
};

void ReadRenames(JobReader& r, const YAML::Node& rename, Job& job) {
  r.OnlyKeys(rename, "rename", {"schemas", "tables", "columns"});
  if (const YAML::Node list = rename["schemas"]) {
    if (!list.IsSequence()) r.Fail(list, "rename.schemas", "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string key = fmt::format("rename.schemas[{}]", i);
      r.OnlyKeys(list[i], key, {"from", "to", "table_prefix"});
      if (!list[i]["from"]) r.Fail(list[i], key + ".from", "missing");
      SchemaRename rule;
      rule.from = r.String(list[i]["from"], key + ".from");
      if (list[i]["to"]) rule.to = r.String(list[i]["to"], key + ".to");
      if (list[i]["table_prefix"]) {
        rule.table_prefix = r.String(list[i]["table_prefix"], key + ".table_prefix");
      }
      job.renames.schemas.push_back(std::move(rule));
    }
  }
  if (const YAML::Node list = rename["tables"]) {
    if (!list.IsSequence()) r.Fail(list, "rename.tables", "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string key = fmt::format("rename.tables[{}]", i);
      r.OnlyKeys(list[i], key, {"from", "to"});
      if (!list[i]["from"] || !list[i]["to"]) r.Fail(list[i], key, "needs from and to");
      TablePattern from = r.Pattern(list[i]["from"], key + ".from");
      if (!from.IsExact()) r.Fail(list[i]["from"], key + ".from", "must name one table");
      job.renames.tables.push_back({from, r.String(list[i]["to"], key + ".to")});
    }
  }
  if (const YAML::Node list = rename["columns"]) {
    if (!list.IsSequence()) r.Fail(list, "rename.columns", "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string key = fmt::format("rename.columns[{}]", i);
      r.OnlyKeys(list[i], key, {"table", "from", "to"});
      if (!list[i]["table"] || !list[i]["from"] || !list[i]["to"]) {
        r.Fail(list[i], key, "needs table, from and to");
      }
      job.renames.columns.push_back({r.Pattern(list[i]["table"], key + ".table"),
                                     r.String(list[i]["from"], key + ".from"),
                                     r.String(list[i]["to"], key + ".to")});
    }
  }
}

void ReadOverrides(JobReader& r, const YAML::Node& list, Job& job) {
  if (!list.IsSequence()) r.Fail(list, "tables", "expected a list of per-table overrides");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = fmt::format("tables[{}]", i);
    const YAML::Node& item = list[i];
    r.OnlyKeys(item, key, {"match", "strategy", "partitions", "write_mode", "key", "watermark"});
    if (!item["match"]) r.Fail(item, key + ".match", "missing (a table pattern)");
    TableOverride o{r.Pattern(item["match"], key + ".match"), {}, {}, {}, {}};
    if (item["strategy"]) {
      o.strategy = ParseStrategy(r.String(item["strategy"], key + ".strategy"));
      if (!o.strategy) {
        r.Fail(item["strategy"], key + ".strategy",
               "expected single, key ranges, page ranges or skip");
      }
    }
    if (item["partitions"]) {
      o.partitions =
          r.Number<int>(item["partitions"], key + ".partitions", 1, PartitionOptions{}.max_units);
    }
    if (item["write_mode"]) o.write_mode = r.Mode(item["write_mode"], key + ".write_mode");
    if (item["key"]) o.key = r.Strings(item["key"], key + ".key");
    if (item["watermark"]) o.watermark = r.String(item["watermark"], key + ".watermark");
    job.overrides.push_back(std::move(o));
  }
}

void ReadEngine(JobReader& r, const YAML::Node& e, Job& job) {
  r.OnlyKeys(e, "engine",
             {"workers", "readers", "writers", "partitions", "batch_rows", "batch_bytes",
              "memory_limit", "consistency"});
  if (e["workers"]) job.engine.workers = r.Number<int>(e["workers"], "engine.workers", 1);
  if (e["readers"]) job.engine.readers = r.Number<int>(e["readers"], "engine.readers", 1);
  if (e["writers"]) job.engine.writers = r.Number<int>(e["writers"], "engine.writers", 1);
  // 0 used to be taken for "from each table's size", which is what leaving it out says.
  if (e["partitions"]) {
    job.engine.partitions =
        r.Number<int>(e["partitions"], "engine.partitions", 1, PartitionOptions{}.max_units);
  }
  if (e["batch_rows"]) {
    job.engine.batch_rows = r.Number<size_t>(e["batch_rows"], "engine.batch_rows", 1);
  }
  if (e["batch_bytes"]) {
    job.engine.batch_bytes = r.ByteSize(e["batch_bytes"], "engine.batch_bytes", 1);
  }
  if (e["memory_limit"]) {
    job.engine.memory_limit = r.ByteSize(e["memory_limit"], "engine.memory_limit", 1 << 20);
  }
  if (e["consistency"]) {
    std::string c = r.String(e["consistency"], "engine.consistency");
    if (c != "snapshot" && c != "none") {
      r.Fail(e["consistency"], "engine.consistency", "expected snapshot or none");
    }
    job.engine.consistency = c;
  }
}

}  // namespace

Job ParseJob(const std::string& text, const std::string& file) {
  JobReader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorCode::kUsage, fmt::format("job file {}, line {}: not valid YAML: {}", file,
                                               e.mark.line + 1, e.msg));
  }
  Job job;
  if (root.IsNull()) return job;
  r.OnlyKeys(root, "",
             {"source", "destination", "include", "exclude", "write_mode", "schema_only",
              "data_only", "rename", "tables", "engine"});
  if (root["source"]) job.source = r.String(root["source"], "source");
  if (root["destination"]) job.destination = r.String(root["destination"], "destination");
  if (root["include"]) job.include = r.Strings(root["include"], "include");
  if (root["exclude"]) job.exclude = r.Strings(root["exclude"], "exclude");
  for (size_t i = 0; i < job.include.size(); ++i) {
    r.Pattern(root["include"].IsSequence() ? root["include"][i] : root["include"],
              fmt::format("include[{}]", i));
  }
  for (size_t i = 0; i < job.exclude.size(); ++i) {
    r.Pattern(root["exclude"].IsSequence() ? root["exclude"][i] : root["exclude"],
              fmt::format("exclude[{}]", i));
  }
  if (root["write_mode"]) job.write_mode = r.Mode(root["write_mode"], "write_mode");
  if (root["schema_only"]) job.schema_only = r.Bool(root["schema_only"], "schema_only");
  if (root["data_only"]) job.data_only = r.Bool(root["data_only"], "data_only");
  if (job.schema_only && job.data_only) {
    r.Fail(root["data_only"], "data_only", "schema_only and data_only cannot both be true");
  }
  if (const YAML::Node rename = root["rename"]) ReadRenames(r, rename, job);
  if (const YAML::Node list = root["tables"]) ReadOverrides(r, list, job);
  if (const YAML::Node e = root["engine"]) ReadEngine(r, e, job);
  return job;
}

Plan ReadPlanFile(const std::string& path) {
  return PlanFromJson(ReadUserFile(path, "plan file"), path, true);
}

std::string ReadUserFile(const std::string& path, const std::string& what) {
  auto refuse = [&](const std::string& why) {
    return Error(ErrorCode::kUsage, fmt::format("cannot read {} {}: {}", what, path, why));
  };
  // std::ifstream opens a directory without complaint and then reads nothing.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw refuse("it is a directory");
  errno = 0;
  std::ifstream in(path);
  if (!in) {
    const int cause = errno;
    switch (cause) {
      case ENOENT:
        throw refuse("no such file");
      case EACCES:
      case EPERM:
        throw refuse("permission denied");
      default:
        throw refuse(cause != 0 ? std::string(std::strerror(cause)) : "it cannot be opened");
    }
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw refuse(errno != 0 ? std::string(std::strerror(errno)) : "a read error");
  return text.str();
}

Job LoadJobFile(const std::string& path) {
  return ParseJob(ReadUserFile(path, "job file"), path);
}

}  // namespace ferry
