#include "copier/run_state.hpp"

#include "copier/error.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>

namespace ferry {

std::string RunScopeKey(const std::string& source, const std::string& destination,
                        std::vector<TableName> source_tables) {
  std::vector<std::string> tables;
  for (const TableName& t : source_tables) tables.push_back(DisplayName(t));
  std::sort(tables.begin(), tables.end());
  std::string scope = source + "\n" + destination;
  for (const std::string& t : tables) scope += "\n" + t;
  return fmt::format("xxh64:{:016x}", XXH64(scope.data(), scope.size(), 0));
}

std::string RunScopeKey(const Plan& plan) {
  std::vector<TableName> tables;
  for (const TablePlan& t : plan.tables) tables.push_back(t.source);
  return RunScopeKey(plan.source, plan.destination, std::move(tables));
}

std::string PlanFingerprint(const std::string& plan_json) {
  return fmt::format("xxh64:{:016x}", XXH64(plan_json.data(), plan_json.size(), 0));
}

const UnitRecord* FindUnitRecord(const std::vector<UnitRecord>& units, int table, int part) {
  const std::pair<int, int> unit{table, part};
  auto at = std::lower_bound(units.begin(), units.end(), unit,
                             [](const UnitRecord& u, const std::pair<int, int>& key) {
                               return std::pair<int, int>{u.table, u.part} < key;
                             });
  if (at != units.end() && at->table == table && at->part == part) return &*at;
  for (const UnitRecord& u : units) {
    if (u.table == table && u.part == part) return &u;
  }
  return nullptr;
}

UnitRecord* FindUnitRecord(std::vector<UnitRecord>& units, int table, int part) {
  return const_cast<UnitRecord*>(
      FindUnitRecord(static_cast<const std::vector<UnitRecord>&>(units), table, part));
}

namespace {

// The run state tables' names after the prefix (RunStore's tables, drivers/run_store.cpp).
constexpr const char* kRunStateSuffixes[] = {"runs",    "tables", "units",
                                             "workers", "leases", "held_keys"};

}  // namespace

bool IsRunStateTable(const std::string& table) {
  for (const char* suffix : kRunStateSuffixes) {
    if (table == std::string(kDefaultStatePrefix) + suffix) return true;
  }
  return false;
}

bool IsFerryObjectName(const std::string& name) {
  for (const char* prefix : {"ferry_log_", "ferry_tracking", "ferry_track_consumers",
                             "ferry_sync_state", "ferry_upsert_rows", "ferry_rebuild_"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  for (const char* suffix : kRunStateSuffixes) {
    const std::string table = std::string(kDefaultStatePrefix) + suffix;
    if (name == table || name.rfind(table + "_", 0) == 0) return true;
  }
  return false;
}

bool NamesFerryObject(const std::string& description) {
  size_t start = 0;
  for (size_t i = 0; i <= description.size(); ++i) {
    if (i == description.size() || description[i] == ' ' || description[i] == '.' ||
        description[i] == '(') {
      if (IsFerryObjectName(description.substr(start, i - start))) return true;
      start = i + 1;
    }
  }
  return false;
}

bool IsRunStateTable(const TableName& table) {
  return table.schema == kStateSchema || IsRunStateTable(table.name);
}

std::string UtcTimestamp() {
  return UtcTimestamp(double(std::time(nullptr)));
}

std::string UtcTimestamp(double epoch_seconds) {
  std::time_t now = std::time_t(epoch_seconds);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NewOwnerToken() {
  std::random_device random;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", random(), random(), random(), random());
}

std::string HostName() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

std::string SessionTag(const std::string& host, int64_t pid) {
  std::string tag = fmt::format("ferry {}@{}", pid, host);
  // PostgreSQL keeps 63 bytes of application_name; cut at a character boundary.
  if (tag.size() > 63) {
    size_t end = 63;
    while (end > 0 && (static_cast<unsigned char>(tag[end]) & 0xC0) == 0x80) --end;
    tag.resize(end);
  }
  return tag;
}

const std::string& ThisSessionTag() {
  static const std::string tag = SessionTag(HostName(), getpid());
  return tag;
}

RunRecord NewRunRecord(const Plan& plan, const std::string& command) {
  RunRecord run;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  run.started_at = UtcTimestamp(double(millis / 1000));
  std::string compact = run.started_at;
  compact.erase(
      std::remove_if(compact.begin(), compact.end(), [](char c) { return c == '-' || c == ':'; }),
      compact.end());
  // The suffix begins with the millisecond (three hex digits), so ids, which the run state
  // sorts runs of one second by, follow the order runs started in; the last digit is random.
  run.id = fmt::format("{}-{:03x}{:x}", compact, millis % 1000, std::random_device{}() & 0xf);
  run.scope = RunScopeKey(plan);
  run.command = command;
  run.source = plan.source;
  run.destination = plan.destination;
  run.host = HostName();
  run.pid = getpid();
  run.owner_token = NewOwnerToken();
  return run;
}

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kDone:
      return "done";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "running";
}

std::optional<RunStatus> ParseRunStatus(const std::string& text) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kDone, RunStatus::kFailed, RunStatus::kInterrupted}) {
    if (text == RunStatusName(s)) return s;
  }
  return std::nullopt;
}

const char* UnitRecordStateName(UnitRecordState state) {
  switch (state) {
    case UnitRecordState::kPending:
      return "pending";
    case UnitRecordState::kDone:
      return "done";
    case UnitRecordState::kFailed:
      return "failed";
    case UnitRecordState::kSpooled:
      return "spooled";
  }
  return "pending";
}

std::optional<UnitRecordState> ParseUnitRecordState(const std::string& text) {
  for (UnitRecordState s : {UnitRecordState::kPending, UnitRecordState::kDone,
                            UnitRecordState::kFailed, UnitRecordState::kSpooled}) {
    if (text == UnitRecordStateName(s)) return s;
  }
  return std::nullopt;
}

namespace {

[[noreturn]] void NotShared() {
  throw Error(ErrorCode::kUsage,
              "this destination's run state cannot be shared by several workers (--join needs "
              "PostgreSQL, MariaDB or SQLite as the destination)");
}

}  // namespace

void RunStore::OpenRun(const std::string&, int64_t, int) {
  NotShared();
}
void RunStore::JoinRun(const std::string&, const WorkerRecord&) {
  NotShared();
}
void RunStore::LeaveRun(const std::string&, const std::string&) {
  NotShared();
}
bool RunStore::ClaimUnit(const std::string&, const std::string&, int, int, int64_t) {
  NotShared();
}
void RunStore::RenewLeases(const std::string&, const std::string&, int64_t) {
  NotShared();
}
bool RunStore::ClaimLease(const std::string&, const std::string&, const std::string&, int64_t) {
  NotShared();
}
void RunStore::LeaseDone(const std::string&, const std::string&, const std::string&) {
  NotShared();
}
void RunStore::HoldForeignKeys(const std::string&, const std::vector<HeldForeignKey>&) {}

void RunStore::ForeignKeyBack(const HeldForeignKey&, bool) {}

std::vector<HeldForeignKey> RunStore::HeldForeignKeys() {
  return {};
}

std::vector<WorkerRecord> RunStore::Workers(const std::string&) {
  return {};
}
void RunStore::ReleaseLease(const std::string&, const std::string&, const std::string&) {
  NotShared();
}
int RunStore::RetryFailed(const std::string&) {
  NotShared();
}

}  // namespace ferry
