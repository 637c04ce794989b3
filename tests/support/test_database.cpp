#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <sqlite3.h>

#include "drivers/odbc/connection.hpp"

namespace ferry::test {

namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string PgPort() {
  return Env("FERRY_TEST_PG_PORT", "54329");
}
std::string MariaDbPort() {
  return Env("FERRY_TEST_MARIADB_PORT", "33069");
}

std::string PgOdbc(const std::string& database) {
  return fmt::format(
      "Driver={{PostgreSQL Unicode}};Server=127.0.0.1;Port={};Database={};Uid=ferry;Pwd={};"
      "BoolsAsChar=0;",
      PgPort(), database, TestPassword());
}

std::string MariaDbOdbc(const std::string& database) {
  return fmt::format(
      "Driver={{MariaDB Unicode}};Server=127.0.0.1;Port={};Database={};Uid=ferry;Pwd={};"
      "CHARSET=utf8mb4;",
      MariaDbPort(), database, TestPassword());
}

odbc::Connection Connect(const std::string& odbc_string, Db db) {
  try {
    odbc::Connection c(odbc_string, DbName(db));
    if (db == Db::kMariaDB) {
      c.Execute("SET time_zone = '+00:00'");
      c.Execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO'");
    }
    if (db == Db::kPostgres) {
      c.Execute("SET TimeZone = 'UTC'");
      // ferry's run state (ferry_runs, ferry_units, ...) lives in its own schema: tests name
      // its tables without it.
      c.Execute("SET search_path = \"$user\", public, ferry_state");
      // A test's filling INSERT ... SELECT over generate_series and its ordered reads of the
      // copy are priced above jit_above_cost: compiling them cost more than running them.
      c.Execute("SET jit = off");
    }
    return c;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format(
        "cannot reach the {} test server ({}); start it with `bash scripts/test-servers.sh "
        "start`",
        DbName(db), e.what()));
  }
}

std::string UniqueName(const std::string& hint) {
  static std::atomic<int> counter{0};
  std::string clean;
  for (char c : hint)
    clean += std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(c)) : '_';
  return fmt::format("ft_{}_{}_{}", clean.substr(0, 30), getpid(), counter++);
}

std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < sql.size()) {
    size_t end = sql.find(";\n", at);
    if (end == std::string::npos) end = sql.size();
    std::string statement = sql.substr(at, end - at);
    if (statement.find_first_not_of(" \n\t") != std::string::npos) out.push_back(statement);
    at = end + 2;
  }
  return out;
}

// PostgreSQL 15's DROP DATABASE waits until every backend of the cluster has absorbed a signal
// barrier, and a backend reading one huge value from its client (the 200 MiB tests' COPY) or
// writing to a stopped one (the frozen-process tests) absorbs it only when that ends: drops made
// in tests' teardowns waited 80 to 130 s behind them, each holding a CTest slot idle. The drop
// runs detached instead (setsid --fork, stdio on /dev/null so CTest does not wait for it), and
// flock queues the drops so those waiting hold one server connection, not one each.
std::mutex& DetachedDropsMutex() {
  static std::mutex mutex;
  return mutex;
}

// The databases this process has handed to a detached drop that may still be running.
std::vector<std::string>& DetachedDrops() {
  static std::vector<std::string> names;
  return names;
}

void DropPostgresDetached(const std::string& name) {
  const std::string lock =
      (std::filesystem::temp_directory_path() / "ferry-test-pg-drops.lock").string();
  const std::string port = PgPort();
  const std::string drop = "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
  std::vector<const char*> argv = {"setsid", "--fork", "flock", lock.c_str(), "psql", "-X",
                                   "-q",     "-w",     "-h",    "127.0.0.1",  "-p",   port.c_str(),
                                   "-U",     "ferry",  "-d",    "postgres",   "-c",   drop.c_str(),
                                   nullptr};
  const std::string password = "PGPASSWORD=" + TestPassword();
  const std::string path = "PATH=" + Env("PATH", "/usr/bin:/bin");
  std::vector<const char*> env = {password.c_str(), path.c_str(), "PGCONNECT_TIMEOUT=10", nullptr};
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  for (int fd : {0, 1, 2}) {
    posix_spawn_file_actions_addopen(&io, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int failed =
      posix_spawnp(&pid, "setsid", &io, nullptr, const_cast<char* const*>(argv.data()),
                   const_cast<char* const*>(env.data()));
  posix_spawn_file_actions_destroy(&io);
  if (failed) throw std::runtime_error("cannot start psql to drop " + name);
  int status = 0;
  waitpid(pid, &status, 0);  // setsid --fork returns once the drop runs on its own
  std::lock_guard registered(DetachedDropsMutex());
  DetachedDrops().push_back(name);
}

// A role cannot be dropped while a database still holds objects it owns or grants to it, so a
// test dropping the role it made waits for its databases' detached drops first.
void AwaitDetachedDrops() {
  std::lock_guard lock(DetachedDropsMutex());
  std::vector<std::string>& pending = DetachedDrops();
  if (pending.empty()) return;
  odbc::Connection admin = Connect(PgOdbc("postgres"), Db::kPostgres);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<std::string> left;
    for (const std::string& name : pending) {
      auto rows = admin.Query("SELECT 1 FROM pg_database WHERE datname = '" + name + "'");
      if (!rows.empty()) left.push_back(name);
    }
    pending = std::move(left);
    if (!pending.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

const char* DbName(Db db) {
  switch (db) {
    case Db::kPostgres:
      return "postgresql";
    case Db::kMariaDB:
      return "mariadb";
    case Db::kSQLite:
      return "sqlite";
  }
  return "?";
}

const std::string& TestPassword() {
  static const std::string password = Env("FERRY_TEST_PASSWORD", "ferry-test-Secret-9f3b");
  return password;
}

TestDatabase::TestDatabase(Db db, const std::string& hint) : db_(db), name_(UniqueName(hint)) {
  switch (db_) {
    case Db::kPostgres:
      Connect(PgOdbc("postgres"), db_).Execute("CREATE DATABASE " + name_ + " ENCODING 'UTF8'");
      break;
    case Db::kMariaDB:
      Connect(MariaDbOdbc(""), db_)
          .Execute("CREATE DATABASE " + name_ + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
      break;
    case Db::kSQLite: {
      auto dir = std::filesystem::temp_directory_path() / fmt::format("ferry-tests-{}", getpid());
      std::filesystem::create_directories(dir);
      path_ = (dir / (name_ + ".sqlite")).string();
      std::filesystem::remove(path_);
      break;
    }
  }
}

TestDatabase::~TestDatabase() {
  try {
    switch (db_) {
      case Db::kPostgres:
        DropPostgresDetached(name_);
        break;
      case Db::kMariaDB:
        Connect(MariaDbOdbc(""), db_).Execute("DROP DATABASE IF EXISTS " + name_);
        break;
      case Db::kSQLite:
        std::filesystem::remove(path_);
        std::filesystem::remove(path_ + "-journal");
        std::filesystem::remove(path_ + "-wal");
        std::filesystem::remove(path_ + "-shm");
        std::filesystem::remove(path_ + ".ferry_lock");  // ferry's run lock
        {
          // The process's folder goes with its last database (remove fails while it holds any).
          std::error_code not_empty;
          std::filesystem::remove(std::filesystem::path(path_).parent_path(), not_empty);
        }
        break;
    }
  } catch (...) {
    // A cleanup failure must not hide the test's own result.
  }
}

std::string TestDatabase::Url() const {
  switch (db_) {
    case Db::kPostgres:
      return fmt::format("postgresql://ferry@127.0.0.1:{}/{}", PgPort(), name_);
    case Db::kMariaDB:
      return fmt::format("mysql://ferry@127.0.0.1:{}/{}", MariaDbPort(), name_);
    case Db::kSQLite:
      return "sqlite:" + path_;
  }
  return "";
}

std::string TestDatabase::Odbc() const {
  switch (db_) {
    case Db::kPostgres:
      return PgOdbc(name_);
    case Db::kMariaDB:
      return MariaDbOdbc(name_);
    case Db::kSQLite:
      return "Driver={SQLite3};Database=" + path_ + ";StepAPI=1;";
  }
  return "";
}

// SQLite is read with its own library: the SQLite ODBC driver rounds REAL values to 15 digits.
class SqliteFile {
 public:
  explicit SqliteFile(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Fail("open");
  }
  ~SqliteFile() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) Fail(sql);
  }
  std::vector<Row> Query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) Fail(sql);
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            row.emplace_back();
            break;
          case SQLITE_FLOAT: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(stmt, c));
            row.emplace_back(buf);
            break;
          }
          default:
            row.emplace_back(
                std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                            size_t(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) Fail(sql);
    return rows;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw std::runtime_error("sqlite test database: " + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_ = nullptr;
};

void TestDatabase::Exec(const std::string& sql) {
  if (db_ == Db::kSQLite) {
    SqliteFile(path_).Exec(sql);
    return;
  }
  // A role's objects may still be in this process's databases, dropped detached.
  if (db_ == Db::kPostgres &&
      (sql.find("DROP ROLE") != std::string::npos || sql.find("DROP USER") != std::string::npos)) {
    AwaitDetachedDrops();
  }
  odbc::Connection c = Connect(Odbc(), db_);
  for (const std::string& statement : SplitStatements(sql)) c.Execute(statement);
}

std::vector<Row> TestDatabase::Query(const std::string& sql) {
  if (db_ == Db::kSQLite) return SqliteFile(path_).Query(sql);
  odbc::Connection c = Connect(Odbc(), db_);
  auto rows = c.Query(sql);
  return std::vector<Row>(rows.begin(), rows.end());
}

std::string TestDatabase::QueryValue(const std::string& sql) {
  auto rows = Query(sql);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

FerryResult RunFerry(const std::string& args, bool with_passwords) {
  std::string env = with_passwords ? "FERRY_SOURCE_PASSWORD=" + ShellQuote(TestPassword()) +
                                         " FERRY_DEST_PASSWORD=" + ShellQuote(TestPassword()) + " "
                                   : "FERRY_SOURCE_PASSWORD= FERRY_DEST_PASSWORD= ";
  std::string command = env + ShellQuote(FerryBinary()) + " " + args + " 2>&1";
  FerryResult result;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start ferry");
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string SharedDatasets() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("FERRY_DATASETS")) candidates.emplace_back(env);
  candidates.push_back(std::filesystem::path(SourceDir()).parent_path() / "shared" / "datasets");
  candidates.emplace_back("/work/shared/datasets");
  for (const auto& p : candidates) {
    if (std::filesystem::exists(p / "chinook" / "Chinook_Sqlite.sql")) return p.string();
  }
  return "";
}

std::vector<pid_t> FerryPids(const TestDatabase& db) {
  std::vector<pid_t> found;
  DIR* dir = opendir("/proc");
  if (!dir) return found;
  while (dirent* entry = readdir(dir)) {
    pid_t pid = pid_t(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    // A process that exits while its command line is read makes the read fail (ESRCH, thrown
    // by libstdc++ as "basic_filebuf::underflow ... No such process"): it is not running, so it
    // is not one of them. Other sessions' processes come and go on this machine all the time.
    std::string cmdline;
    try {
      std::ifstream in("/proc/" + std::string(entry->d_name) + "/cmdline");
      cmdline.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      continue;
    }
    if (cmdline.rfind(FerryBinary(), 0) == 0 && cmdline.find(db.name()) != std::string::npos) {
      found.push_back(pid);
    }
  }
  closedir(dir);
  return found;
}

pid_t FerryPid(const TestDatabase& db) {
  std::vector<pid_t> pids = FerryPids(db);
  return pids.empty() ? 0 : pids.front();
}

FerryResult RunWhile(const std::string& args, const TestDatabase& dest,
                     const std::function<bool(pid_t)>& during) {
  FerryResult result;
  std::exception_ptr failed;
  // An exception escaping the thread, or leaving this function with the thread unjoined,
  // would abort the whole test binary (seen once under load): both are caught and rethrown.
  std::thread runner([&] {
    try {
      result = RunFerry(args);
    } catch (...) {
      failed = std::current_exception();
    }
  });
  try {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(120)) {
      pid_t pid = FerryPid(dest);
      if (pid > 0 && during(pid)) break;
      if (pid == 0 && std::chrono::steady_clock::now() - start > std::chrono::seconds(3)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (...) {
    runner.join();
    throw;
  }
  runner.join();
  if (failed) std::rethrow_exception(failed);
  return result;
}

int64_t RowCount(TestDatabase& db, const std::string& table) {
  return std::stoll(db.QueryValue("SELECT count(*) FROM " + table));
}

std::vector<std::string> RowLines(TestDatabase& db, const std::string& sql) {
  std::vector<std::string> out;
  for (const Row& row : db.Query(sql)) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) line += (i ? "|" : "") + row[i].value_or("NULL");
    out.push_back(line);
  }
  return out;
}

void CreateItems(TestDatabase& db, int rows) {
  db.Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INTEGER)");
  std::string values;
  for (int i = 1; i <= rows; ++i) {
    values += (i > 1 ? ", " : "") + std::string("(") + std::to_string(i) + ", 'item " +
              std::to_string(i) + "', " + (i % 7 == 0 ? "NULL" : std::to_string(i * 10)) + ")";
  }
  db.Exec("INSERT INTO items VALUES " + values);
}

std::vector<std::string> Items(TestDatabase& db) {
  return RowLines(db, "SELECT id, name, qty FROM items ORDER BY id");
}

}  // namespace ferry::test
