// An endpoint's catalog session that outlives its connection: the one long-lived session an
// endpoint keeps (catalog queries, DDL) would otherwise stay broken for the rest of the process
// once its server restarted or the network dropped it, and every later catalog query (a table
// described before its index build, say) would fail with the same connection error. After a
// transient error it opens a new connection: a query is asked again there once; a statement is
// not (it may have run before its reply was lost), its error goes to the caller, and the next
// call uses the new connection.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "drivers/sql/sql_session.hpp"

namespace ferry {

class ReconnectingSession final : public SqlSession {
 public:
  // `reopen` returns a new connection with the session's settings applied, or nullptr where
  // there is nothing to reconnect to (a file).
  // `display` (without secrets) names the server in the errors of a lost connection.
  ReconnectingSession(std::unique_ptr<SqlSession> first,
                      std::function<std::unique_ptr<SqlSession>()> reopen, std::string display);

  void Execute(const std::string& sql) override;
  std::vector<Row> Query(const std::string& sql,
                         const std::vector<std::string>& params = {}) override;

 private:
  std::shared_ptr<SqlSession> Current();
  // Replaces `failed` by a new connection (unless another thread did already); false when none
  // could be opened (the server still away), which leaves `failed` for the next call to try.
  bool Replace(const std::shared_ptr<SqlSession>& failed);

  // Several threads may describe tables at once: each call holds the session it started on, so
  // a replacement never pulls it from under another thread.
  std::mutex mutex_;
  std::shared_ptr<SqlSession> session_;
  std::function<std::unique_ptr<SqlSession>()> reopen_;
  std::string display_;
};

}  // namespace ferry
