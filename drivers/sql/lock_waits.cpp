// SqlEndpoint's waits for locks other sessions hold on a table (README "Lock waits"): short
// tries on a session of their own, the holders named between them, the table failed with their
// names once the --lock-wait budget (EndpointOptions::lock_wait) is spent.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "copier/backoff.hpp"
#include "copier/error.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry {

namespace {

// Each try waits this long for the table's locks; the pauses between tries grow from
// kFirstPause, doubling (BackoffDelay), so a reader that ends within the budget lets the
// statement through, and one that does not fails the table with its name instead of blocking the
// run.
constexpr int kLockWaitSeconds = 2;
constexpr std::chrono::milliseconds kFirstPause{1000};

double PauseSeconds(int attempt) {
  return double(BackoffDelay(kFirstPause, attempt).count()) / 1000;
}

// The tries that fit in `budget` seconds of tries and pauses, one at least: with the default
// --lock-wait of 30 (a budget of 15), 4 tries of 2 s with pauses of 1, 2 and 4 s.
int LockTries(double budget) {
  int tries = 1;
  double waited = kLockWaitSeconds;
  while (waited + PauseSeconds(tries) + kLockWaitSeconds <= budget) {
    waited += PauseSeconds(tries) + kLockWaitSeconds;
    ++tries;
  }
  return tries;
}

}  // namespace

void SqlEndpoint::RunWithLockWaits(const TableName& name, const std::string& what,
                                   const std::vector<std::string>& sql) {
  if (dialect_->LockTimeoutSql(kLockWaitSeconds).empty()) {
    for (const std::string& statement : sql) RunDdl(name, statement);
    return;
  }
  WithLockWaits({name}, what, [&](SqlSession& session) {
    for (const std::string& statement : sql) session.Execute(statement);
  });
}

void SqlEndpoint::WithLockWaits(const std::vector<TableName>& tables, const std::string& what,
                                const std::function<void(SqlSession&)>& work, SqlSession* on) {
  const std::vector<std::string> limits = dialect_->LockTimeoutSql(kLockWaitSeconds);
  const std::string shown = DisplayName(tables.at(0));
  // Statements that change a table wait half of --lock-wait in all: they run while the copy
  // goes on, and a table that fails here is named in the report.
  const int tries = LockTries(lock_wait_ / 2);
  double waited = 0;
  for (int attempt = 1;; ++attempt) {
    const std::chrono::milliseconds pause = BackoffDelay(kFirstPause, attempt);
    std::unique_ptr<SqlSession> own = on ? nullptr : OpenSqlSession();
    SqlSession* session = on ? on : own.get();
    try {
      for (const std::string& limit : limits) session->Execute(limit);
      work(*session);
      return;
    } catch (Error& e) {
      if (limits.empty() || !dialect_->IsLockTimeout(e)) {
        e.WithTable(shown);
        throw;
      }
      waited += kLockWaitSeconds;
      const std::string list = LockHolderLines(*session, tables);
      if (attempt >= tries) {
        throw Error(ErrorCode::kBusy,
                    fmt::format("cannot {} table {}: other sessions held locks on it for "
                                "{:.0f} s of waiting over {} tries (--lock-wait {}); they "
                                "are:{}",
                                what, shown, waited, attempt, lock_wait_, list),
                    ErrorContext{shown, "", "", ""})
            .WithAdvice("end or commit those sessions' transactions, then run again");
      }
      NoticeWait(
          fmt::format("waiting to {} {}: other sessions hold locks on it (try {} of {}, "
                      "again in {:.0f} s):{}",
                      what, shown, attempt, tries, double(pause.count()) / 1000, list));
    }
    std::this_thread::sleep_for(pause);
    waited += double(pause.count()) / 1000;
  }
}

std::string SqlEndpoint::LockHolderLines(SqlSession& session,
                                         const std::vector<TableName>& tables) const {
  std::vector<std::string> holders;
  try {
    for (const TableName& table : tables) {
      for (std::string& h : dialect_->LockHolders(session, table)) {
        if (std::find(holders.begin(), holders.end(), h) == holders.end()) {
          holders.push_back(std::move(h));
        }
      }
    }
  } catch (const Error&) {
    // Who holds the lock is advice; the wait itself is still reported.
  }
  std::string list;
  for (const std::string& h : holders) list += "\n    " + h;
  return list.empty() ? "\n    (the server does not say which session)" : list;
}

void SqlEndpoint::CreateAfterData(SqlSession& session, const SchemaObject& object,
                                  const std::function<void()>& run) {
  if (object.table.name.empty()) {
    run();
    return;
  }
  // pg_dump names a table's constraints and triggers "table name".
  std::string name = object.name;
  if (name.starts_with(object.table.name + " ")) name.erase(0, object.table.name.size() + 1);
  std::string what;
  if (object.kind == "INDEX") {
    what = "build index " + name + " on";
  } else if (object.kind == "FK CONSTRAINT") {
    what = "add foreign key " + name + " to";
  } else {
    std::string kind = object.kind;
    std::transform(kind.begin(), kind.end(), kind.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    what = "create " + kind + " " + name + " on";
  }
  WithLockWaits(
      {object.table}, what, [&](SqlSession&) { run(); }, &session);
}

}  // namespace ferry
