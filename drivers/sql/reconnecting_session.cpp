#include "drivers/sql/reconnecting_session.hpp"

#include <fmt/format.h>

#include "copier/error.hpp"

namespace ferry {

namespace {

Error Named(Error error, const std::string& display) {
  error.WithAdvice(
      fmt::format("the connection to {} was lost: the server restarted or went "
                  "away, or the network dropped it",
                  display));
  return error;
}

}  // namespace

ReconnectingSession::ReconnectingSession(std::unique_ptr<SqlSession> first,
                                         std::function<std::unique_ptr<SqlSession>()> reopen,
                                         std::string display)
    : session_(std::move(first)), reopen_(std::move(reopen)), display_(std::move(display)) {}

std::shared_ptr<SqlSession> ReconnectingSession::Current() {
  std::lock_guard lock(mutex_);
  return session_;
}

bool ReconnectingSession::Replace(const std::shared_ptr<SqlSession>& failed) {
  if (!reopen_) return false;
  std::lock_guard lock(mutex_);
  if (session_ != failed) return true;  // replaced by another thread meanwhile
  try {
    std::unique_ptr<SqlSession> fresh = reopen_();
    if (!fresh) return false;
    session_ = std::move(fresh);
    return true;
  } catch (const Error&) {
    return false;
  }
}

void ReconnectingSession::Execute(const std::string& sql) {
  std::shared_ptr<SqlSession> session = Current();
  try {
    session->Execute(sql);
  } catch (const Error& e) {
    if (!IsTransient(e)) throw;
    Replace(session);
    throw Named(e, display_);
  }
}

std::vector<SqlSession::Row> ReconnectingSession::Query(const std::string& sql,
                                                        const std::vector<std::string>& params) {
  std::shared_ptr<SqlSession> session = Current();
  try {
    return session->Query(sql, params);
  } catch (const Error& e) {
    if (!IsTransient(e)) throw;
    if (!Replace(session)) throw Named(e, display_);
  }
  try {
    return Current()->Query(sql, params);
  } catch (const Error& e) {
    if (!IsTransient(e)) throw;
    throw Named(e, display_);
  }
}

}  // namespace ferry
