// --memory-limit holds with values far larger than it: 200 MiB values copy exactly between every
// pair of engines while ferry's peak resident memory stays under the limit plus 64 MiB (long
// values travel in pieces through spill files, never whole in memory). Slow-ish: one table of two
// or three rows per pair, the source made once per engine and copied to each in turn.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/tcp_proxy.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_paths.hpp"

using namespace ferry::test;

namespace {

constexpr long kMiB = 1024 * 1024;
constexpr long kLimit = 64 * kMiB;
constexpr int kValueMiB = 200;

// Two rows with a 200 MiB value each (bytes in one, text in the other) and a small row. Values
// are a 1 MiB random piece repeated, which no server's compression shrinks (pglz looks back
// 4 KiB). Copies into SQLite carry the long blob only, in the table's last column: SQLite builds
// each record it inserts whole in memory except for zeroblobs with nothing after them, and text
// cannot be inserted as a zeroblob (README, Known limits).
void CreateSource(TestDatabase& db, bool keyless = false) {
  const std::string n = std::to_string(kValueMiB);
  const std::string key = keyless ? "" : " PRIMARY KEY";
  switch (db.db()) {
    case Db::kPostgres:
      db.Exec("CREATE TABLE big (id int PRIMARY KEY, t text, b bytea)");
      // p: 2 MiB of hex digits (1 MiB of bytes once decoded), made once.
      db.Exec(
          "CREATE TABLE piece AS SELECT string_agg(md5(random()::text), '') AS p "
          "FROM generate_series(1, 65536)");
      db.Exec("INSERT INTO big (id, b, t) SELECT 1, decode(repeat(p, " + n +
              "), 'hex'), 'small' FROM piece");
      db.Exec("INSERT INTO big (id, b, t) SELECT 2, '\\x0102'::bytea, repeat(p, " +
              std::to_string(kValueMiB / 2) + ") FROM piece");
      db.Exec("DROP TABLE piece");
      db.Exec("INSERT INTO big (id, b, t) VALUES (3, '\\x03', 'three')");
      break;
    case Db::kMariaDB:
      db.Exec("CREATE TABLE big (id int" + key + ", t longtext, b longblob)");
      db.Exec("INSERT INTO big (id, b, t) SELECT 1, REPEAT(p, " + n +
              "), 'small' FROM (SELECT GROUP_CONCAT(RANDOM_BYTES(1024) SEPARATOR '') AS p "
              "FROM seq_1_to_1024) s");
      db.Exec("INSERT INTO big (id, b, t) SELECT 2, X'0102', REPEAT(HEX(p), " + n +
              ") FROM (SELECT GROUP_CONCAT(RANDOM_BYTES(1024) SEPARATOR '') AS p "
              "FROM seq_1_to_512) s");
      db.Exec("INSERT INTO big (id, b, t) VALUES (3, X'03', 'three')");
      break;
    case Db::kSQLite:
      db.Exec("CREATE TABLE big (id INTEGER PRIMARY KEY, t TEXT, b BLOB)");
      db.Exec("INSERT INTO big (id, b, t) VALUES (1, randomblob(" + n + " * 1048576), 'small')");
      db.Exec("INSERT INTO big (id, b, t) VALUES (2, X'0102', hex(randomblob(" + n +
              " * 524288)))");
      db.Exec("INSERT INTO big (id, b, t) VALUES (3, X'03', 'three')");
      break;
  }
}

std::string Run(const std::string& command) {
  std::string out;
  std::FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

// "id md5(b) md5(t)" per row (NULL for NULL), computed where the values are (SQLite's through its
// shell).
std::string Hashes(TestDatabase& db, bool with_text) {
  std::ostringstream out;
  for (const char* id : {"1", "2", "3"}) {
    if (!with_text && std::string(id) == "2") continue;
    out << id;
    for (const char* column : {"b", "t"}) {
      if (db.db() == Db::kSQLite && db.QueryValue(std::string("SELECT typeof(") + column +
                                                  ") FROM big WHERE id = " + id) == "null") {
        out << " NULL";
      } else if (db.db() == Db::kSQLite) {
        const std::string path = db.Url().substr(std::string("sqlite:").size());
        const std::string file = path + ".value";
        Run("sqlite3 " + ShellQuote(path) + " " +
            ShellQuote(std::string("SELECT writefile('") + file + "', " + column +
                       ") FROM big WHERE id = " + id) +
            " >/dev/null");
        out << " " << Run("md5sum < " + ShellQuote(file) + " | cut -c1-32 | tr -d '\\n'");
        std::filesystem::remove(file);
      } else {
        out << " "
            << db.QueryValue(std::string("SELECT COALESCE(") +
                             (db.db() == Db::kPostgres ? "md5(" : "MD5(") + column +
                             "), 'NULL') FROM big WHERE id = " + id);
      }
    }
    out << "\n";
  }
  return out.str();
}

struct Measured {
  int exit_code = -1;
  std::string output;
  long peak_bytes = 0;       // the ferry process's peak resident set
  long peak_anon_bytes = 0;  // its anonymous part (RssAnon), sampled every 20 ms
};

// The RssAnon of process `pid` in bytes, or 0 once it is gone.
long AnonymousResident(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8)) * 1024;
  }
  return 0;
}

// Runs ferry as a direct child and takes its own peak resident set from wait4.
Measured RunMeasured(const std::string& args) {
  const std::string log = (std::filesystem::temp_directory_path() /
                           ("ferry-long-values-" + std::to_string(getpid()) + ".log"))
                              .string();
  const std::string command = "FERRY_SOURCE_PASSWORD=" + ShellQuote(TestPassword()) +
                              " FERRY_DEST_PASSWORD=" + ShellQuote(TestPassword()) + " exec " +
                              ShellQuote(FerryBinary()) + " " + args + " >" + ShellQuote(log) +
                              " 2>&1";
  Measured result;
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Sampled, so it can only miss a peak, never invent one.
  std::atomic<bool> ended{false};
  std::atomic<long> peak_anon{0};
  std::thread sampler([&] {
    while (!ended) {
      peak_anon = std::max(peak_anon.load(), AnonymousResident(pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  int status = 0;
  rusage usage{};
  const pid_t waited = wait4(pid, &status, 0, &usage);
  ended = true;
  sampler.join();
  REQUIRE(waited == pid);
  result.peak_anon_bytes = peak_anon;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.peak_bytes = usage.ru_maxrss * 1024;
  std::ifstream in(log);
  result.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::filesystem::remove(log);
  return result;
}

// Copies `source` into `dest` with --memory-limit 64 MiB (and `options`), then checks the copy
// by its values' hashes and ferry's peak resident memory against the limit plus 64 MiB.
void CopyWithinLimit(TestDatabase& source, TestDatabase& dest, bool with_text,
                     const std::string& options = "") {
  Measured run =
      RunMeasured("run --source " + ShellQuote(source.Url()) + " --dest " + ShellQuote(dest.Url()) +
                  " --memory-limit " + std::to_string(kLimit) + options);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const std::string want = Hashes(source, with_text);
  CHECK(want.size() > 3 * 32);
  CHECK(Hashes(dest, with_text) == want);
  INFO("peak resident memory " << run.peak_bytes / kMiB << " MiB");
  CHECK(run.peak_bytes <= kLimit + 64 * kMiB);
}

void CopyEachWay(Db from) {
  TestDatabase source(from, "longmem_src");
  CreateSource(source);
  for (Db to : kAllDbs) {
    const bool with_text = to != Db::kSQLite;
    INFO("to " << DbName(to));
    TestDatabase dest(to, "longmem_dst");
    if (!with_text) source.Exec("DELETE FROM big WHERE id = 2");
    CopyWithinLimit(source, dest, with_text);
  }
}

}  // namespace

TEST_CASE("200 MiB values copy exactly from postgresql to every engine within the memory limit",
          "[long_values][memory][postgresql]") {
  CopyEachWay(Db::kPostgres);
}

TEST_CASE("200 MiB values copy exactly from mariadb to every engine within the memory limit",
          "[long_values][memory][mariadb]") {
  CopyEachWay(Db::kMariaDB);
}

TEST_CASE("200 MiB values copy exactly from sqlite to every engine within the memory limit",
          "[long_values][memory][sqlite]") {
  CopyEachWay(Db::kSQLite);
}

TEST_CASE("200 MiB blobs stream into sqlite wherever nothing but NULLs or empty values follow them",
          "[long_values][memory][sqlite][postgresql]") {
  // Not only in the table's last column: the record SQLite builds ends with the zeroblobs.
  TestDatabase source(Db::kPostgres, "longzero_src");
  source.Exec("CREATE TABLE big (id int PRIMARY KEY, b bytea, t text)");
  source.Exec("INSERT INTO big SELECT 1, decode(repeat(p, " + std::to_string(kValueMiB) +
              "), 'hex'), NULL FROM (SELECT string_agg(md5(random()::text), '') AS p "
              "FROM generate_series(1, 65536)) s");
  source.Exec("INSERT INTO big SELECT 2, b, '' FROM big WHERE id = 1");
  source.Exec("INSERT INTO big VALUES (3, '\\x03', 'three')");
  TestDatabase dest(Db::kSQLite, "longzero_dst");
  CopyWithinLimit(source, dest, true);
  CHECK(dest.QueryValue("SELECT group_concat(k, ' ') FROM (SELECT typeof(b) || typeof(t) "
                        "AS k FROM big ORDER BY id)") == "blobnull blobtext blobtext");
}

TEST_CASE(
    "a 200 MiB text and a 200 MiB blob with bytes after it copy exactly into sqlite, ferry's own "
    "memory holding only the record SQLite builds",
    "[long_values][memory][sqlite][postgresql]") {
  // Neither can go in as a zeroblob (README, Known limits): SQLite builds the record whole from
  // the bound value. The value is bound from its spill file mapped read-only, so its bytes are the
  // kernel's file pages, not a copy in ferry's anonymous memory (431 MiB before: the value read
  // into a buffer, and the record). The resident set still counts the mapped pages it reads.
  TestDatabase source(Db::kPostgres, "longsqlrec_src");
  // The blob first: the small text after it keeps it from going in as a zeroblob.
  source.Exec("CREATE TABLE big (id int PRIMARY KEY, b bytea, t text)");
  source.Exec(
      "CREATE TABLE piece AS SELECT string_agg(md5(random()::text), '') AS p "
      "FROM generate_series(1, 65536)");
  source.Exec("INSERT INTO big SELECT 1, decode(repeat(p, " + std::to_string(kValueMiB) +
              "), 'hex'), 'small' FROM piece");
  source.Exec("INSERT INTO big SELECT 2, '\\x0102'::bytea, repeat(p, " +
              std::to_string(kValueMiB / 2) + ") FROM piece");
  source.Exec("DROP TABLE piece");
  source.Exec("INSERT INTO big VALUES (3, '\\x03', 'three')");
  TestDatabase dest(Db::kSQLite, "longsqlrec_dst");
  Measured run = RunMeasured("run --source " + ShellQuote(source.Url()) + " --dest " +
                             ShellQuote(dest.Url()) + " --memory-limit " + std::to_string(kLimit));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(Hashes(dest, true) == Hashes(source, true));
  CHECK(dest.QueryValue("SELECT group_concat(k, ' ') FROM (SELECT typeof(b) || typeof(t) AS k "
                        "FROM big ORDER BY id)") == "blobtext blobtext blobtext");
  INFO("peak resident memory " << run.peak_bytes / kMiB << " MiB, anonymous "
                               << run.peak_anon_bytes / kMiB << " MiB");
  CHECK(run.peak_anon_bytes > 0);
  CHECK(run.peak_anon_bytes <= long(kValueMiB) * kMiB + kLimit + 64 * kMiB);
  CHECK(run.peak_bytes <= 2L * kValueMiB * kMiB + kLimit + 64 * kMiB);
}

TEST_CASE(
    "200 MiB text from sqlite read through a key's index, and from a UTF-16 database, copies "
    "exactly within the memory limit",
    "[long_values][memory][sqlite][postgresql]") {
  // A text key: each unit's range is read through its index, not in rowid order, which the reader
  // needs to find a long text's row (245 MiB before, the text read whole). In a UTF-16 database
  // blob I/O gives the stored UTF-16, turned into UTF-8 a piece at a time (434 MiB before).
  const std::string unit = "\u00e9\u5927\U0001F6A2 x\U0001F600";  // 15 bytes of UTF-8
  const long units = long(kValueMiB) * kMiB / 15;
  for (const char* encoding : {"UTF-8", "UTF-16le"}) {
    INFO(encoding);
    TestDatabase source(Db::kSQLite, "longidx_src");
    source.Exec(std::string("PRAGMA encoding = '") + encoding +
                "'; CREATE TABLE docs (k text PRIMARY KEY, t text)");
    source.Exec(
        "INSERT INTO docs VALUES ('a', 'small'), ('c', 'trois \u00e9'), ('d', NULL), "
        "('e', 'five'), ('f', '')");
    source.Exec("INSERT INTO docs VALUES ('b', replace(hex(zeroblob(" + std::to_string(units) +
                ")), '00', '" + unit + "'))");
    TestDatabase dest(Db::kPostgres, "longidx_dst");
    Measured run =
        RunMeasured("run -v --partitions 2 --source " + ShellQuote(source.Url()) + " --dest " +
                    ShellQuote(dest.Url()) + " --memory-limit " + std::to_string(kLimit));
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(run.output.find("2 units") != std::string::npos);
    CHECK(dest.QueryValue("SELECT md5(t) = md5(repeat('" + unit + "', " + std::to_string(units) +
                          ")) FROM docs WHERE k = 'b'") == "1");
    CHECK(dest.QueryValue("SELECT string_agg(k || '=' || coalesce(t, 'NULL'), ',' ORDER BY k) "
                          "FROM docs WHERE k <> 'b'") == "a=small,c=trois \u00e9,d=NULL,e=five,f=");
    INFO("peak resident memory " << run.peak_bytes / kMiB << " MiB");
    CHECK(run.peak_bytes <= kLimit + 64 * kMiB);
  }
}

TEST_CASE("200 MiB values of a mariadb table without a key copy exactly within the memory limit",
          "[long_values][memory][mariadb][postgresql]") {
  // No key to find a left-out row again: its place in the stream (same query, same snapshot).
  TestDatabase source(Db::kMariaDB, "longnokey_src");
  CreateSource(source, true);
  TestDatabase dest(Db::kPostgres, "longnokey_dst");
  CopyWithinLimit(source, dest, true);
}

TEST_CASE(
    "200 MiB values copy exactly into mariadb by LOAD DATA and by ODBC within the memory limit",
    "[long_values][memory][mariadb][postgresql]") {
  TestDatabase source(Db::kPostgres, "longmeth_src");
  CreateSource(source);
  for (const char* method : {"load-data", "odbc"}) {
    INFO("--mariadb-write-method " << method);
    TestDatabase dest(Db::kMariaDB, "longmeth_dst");
    CopyWithinLimit(source, dest, true, std::string(" --mariadb-write-method ") + method);
  }
}

TEST_CASE(
    "200 MiB values read through an ODBC driver are fetched in pieces: ferry adds no whole copy "
    "to what the driver holds",
    "[long_values][memory][mariadb][postgresql]") {
  // READ_TIMEOUT is an attribute ferry's libmariadb path does not reproduce, so the source is read
  // by the plain ODBC endpoint's block cursor. MariaDB Connector/ODBC 3.1 stores the whole result
  // at execution (every row, and its network buffer holds the longest row: measured with
  // heaptrack, 420 + 210 MiB here, whatever NO_CACHE or PREFETCH say), which ferry cannot bound;
  // what it adds on top must stay within the limit plus 64 MiB (1420 MiB peak before, when each
  // value was gathered whole, then copied into the batch).
  TestDatabase source(Db::kMariaDB, "longodbc_src");
  CreateSource(source);
  TestDatabase dest(Db::kPostgres, "longodbc_dst");
  const std::string odbc =
      "Driver={MariaDB Unicode};Server=127.0.0.1;Port=" + std::to_string(ServerPort(Db::kMariaDB)) +
      ";Database=" + source.name() + ";Uid=ferry;CHARSET=utf8mb4;READ_TIMEOUT=600;";
  const std::string profile = (std::filesystem::temp_directory_path() /
                               ("ferry-long-odbc-" + std::to_string(getpid()) + ".json"))
                                  .string();
  Measured run = RunMeasured("run --source " + ShellQuote(odbc) + " --dest " +
                             ShellQuote(dest.Url()) + " --memory-limit " + std::to_string(kLimit) +
                             " --profile " + ShellQuote(profile));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::ifstream in(profile);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(profile);
  CHECK(written.find("ODBC block cursor") != std::string::npos);
  CHECK(Hashes(dest, true) == Hashes(source, true));
  // The driver's stored result (the three rows) and its network buffer (the longest row).
  const long driver = 3L * kValueMiB * kMiB;
  INFO("peak resident memory " << run.peak_bytes / kMiB << " MiB");
  CHECK(run.peak_bytes <= driver + kLimit + 64 * kMiB);
}

TEST_CASE("a value larger than a mariadb destination's max_allowed_packet is refused by name",
          "[long_values][mariadb][postgresql]") {
  TestDatabase source(Db::kPostgres, "longpkt_src");
  TestDatabase dest(Db::kMariaDB, "longpkt_dst");
  const long packet = std::stol(dest.QueryValue("SELECT @@max_allowed_packet"));
  // One MiB more than the server takes (the test servers': 256 MiB); p is 1 MiB once decoded.
  const std::string mib = std::to_string(packet / kMiB + 1);
  source.Exec("CREATE TABLE big (id int PRIMARY KEY, b bytea)");
  source.Exec("INSERT INTO big SELECT 7, decode(repeat(p, " + mib +
              "), 'hex') FROM (SELECT string_agg(md5(random()::text), '') AS p "
              "FROM generate_series(1, 65536)) s");
  REQUIRE(std::stol(source.QueryValue("SELECT octet_length(b) FROM big")) > packet);
  Measured run = RunMeasured("run --source " + ShellQuote(source.Url()) + " --dest " +
                             ShellQuote(dest.Url()) + " --memory-limit " + std::to_string(kLimit));
  INFO(run.output);
  CHECK(run.exit_code != 0);
  CHECK(run.output.find("max_allowed_packet") != std::string::npos);
  CHECK(run.output.find("big") != std::string::npos);
  CHECK(run.output.find("column b") != std::string::npos);
  CHECK(run.output.find("(id)=(7)") != std::string::npos);
  CHECK(run.peak_bytes <= kLimit + 64 * kMiB);
}

TEST_CASE(
    "200 MiB values export into a staging directory and import back exactly, each side within "
    "the memory limit",
    "[long_values][memory][staging][postgresql]") {
  // The values stream into the chunk files a piece at a time (chunk format version 2) and back
  // out into spill files at import; before, the export held each value three times in memory.
  TestDatabase source(Db::kPostgres, "longstage_src");
  CreateSource(source);
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("ferry-longstage-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(dir);
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};
  Measured exported =
      RunMeasured("run --source " + ShellQuote(source.Url()) + " --dest " +
                  ShellQuote("dir:" + dir) + " --memory-limit " + std::to_string(kLimit));
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  INFO("export: peak resident memory " << exported.peak_bytes / kMiB << " MiB");
  CHECK(exported.peak_bytes <= kLimit + 64 * kMiB);
  FerryResult files = RunFerry("verify --files " + ShellQuote(dir));
  INFO(files.output);
  CHECK(files.exit_code == 0);
  TestDatabase dest(Db::kPostgres, "longstage_dst");
  Measured imported =
      RunMeasured("run --source " + ShellQuote("dir:" + dir) + " --dest " + ShellQuote(dest.Url()) +
                  " --memory-limit " + std::to_string(kLimit));
  INFO(imported.output);
  REQUIRE(imported.exit_code == 0);
  INFO("import: peak resident memory " << imported.peak_bytes / kMiB << " MiB");
  CHECK(imported.peak_bytes <= kLimit + 64 * kMiB);
  CHECK(Hashes(dest, true) == Hashes(source, true));
}
