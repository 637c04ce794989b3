#include "drivers/sql/reconnecting_session.hpp"

#include "copier/error.hpp"

namespace ferry {

ReconnectingSession::ReconnectingSession(std::unique_ptr<SqlSession> first,
                                         std::function<std::unique_ptr<SqlSession>()> reopen)
    : session_(std::move(first)), reopen_(std::move(reopen)) {}

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
    if (IsTransient(e)) Replace(session);
    throw;
  }
}

std::vector<SqlSession::Row> ReconnectingSession::Query(const std::string& sql,
                                                         const std::vector<std::string>& params) {
  std::shared_ptr<SqlSession> session = Current();
  try {
    return session->Query(sql, params);
  } catch (const Error& e) {
    if (!IsTransient(e) || !Replace(session)) throw;
  }
  return Current()->Query(sql, params);
}

}  // namespace ferry
