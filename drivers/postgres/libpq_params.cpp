#include "drivers/postgres/libpq_params.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "copier/secrets.hpp"
#include "copier/text.hpp"
#include "drivers/connection_string.hpp"

namespace ferry::pq {

namespace {

// psqlODBC's spellings of what libpq needs, connection-string names first, then odbc.ini's.
struct Alias {
  const char* keyword;
  std::vector<const char*> names;
};
const std::vector<Alias>& Aliases() {
  static const std::vector<Alias> aliases = {
      {"host", {"server", "servername"}}, {"port", {"port"}},
      {"dbname", {"database"}},           {"user", {"uid", "username", "user"}},
      {"password", {"pwd", "password"}},  {"sslmode", {"sslmode"}},
  };
  return aliases;
}

// libpq keywords that may pass through from the ODBC string as they are. The ones ferry sets
// itself (client_encoding) or that change what a connection is (replication, and the ones
// psqlODBC's attributes already name) do not.
const std::set<std::string>& PassThroughKeywords() {
  static const std::set<std::string> keywords = [] {
    std::set<std::string> out;
    PQconninfoOption* options = PQconndefaults();
    for (PQconninfoOption* o = options; o && o->keyword; ++o) out.insert(o->keyword);
    PQconninfoFree(options);
    for (const char* excluded : {"host", "port", "dbname", "user", "password", "sslmode",
                                 "client_encoding", "replication", "service", "passfile"}) {
      out.erase(excluded);
    }
    return out;
  }();
  return keywords;
}

void Set(ConnectParams& params, const std::string& keyword, const std::string& value) {
  SetUnlessGiven(params, keyword, value);
}

}  // namespace

std::vector<std::string> UrlParameters() {
  std::vector<std::string> out = {"sslmode"};
  for (const std::string& keyword : PassThroughKeywords()) {
    if (keyword != "application_name" && keyword != "fallback_application_name") {
      out.push_back(keyword);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> UrlAttributes(
    const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string pqopt;
  for (const auto& [key, value] : parameters) {
    const std::string keyword = Lower(key);
    // psqlODBC reads sslmode itself, sets connect_timeout itself (refusing it in Pqopt), and
    // fails the login when Pqopt holds options: those reach libpq's data path as they are.
    if (keyword == "sslmode" || keyword == "connect_timeout" || keyword == "options") {
      out.emplace_back(keyword, value);
      continue;
    }
    std::string quoted = "'";  // libpq conninfo: quoted, \ and ' escaped
    for (char c : value) {
      if (c == '\\' || c == '\'') quoted += '\\';
      quoted += c;
    }
    pqopt += (pqopt.empty() ? "" : " ") + keyword + "=" + quoted + "'";
  }
  if (!pqopt.empty()) out.emplace_back("Pqopt", pqopt);
  return out;
}

void SetUnlessGiven(ConnectParams& params, const std::string& keyword, const std::string& value) {
  for (auto& [k, v] : params) {
    if (k == keyword) return;  // the first source that sets a keyword wins
  }
  // Before client_encoding, which LibpqParams adds last.
  auto at = params.end();
  if (!params.empty() && params.back().first == "client_encoding") --at;
  params.insert(at, {keyword, value});
}

ConnectParams LibpqParams(const std::string& odbc, const DsnReader& read_dsn) {
  std::vector<std::pair<std::string, std::string>> given;  // lower-cased names
  for (auto& [key, value] : SplitConnectionString(odbc)) {
    std::string name = Lower(key);
    bool seen = std::any_of(given.begin(), given.end(), [&](auto& g) { return g.first == name; });
    if (!seen) given.emplace_back(std::move(name), std::move(value));  // ODBC: first one wins
  }
  auto attribute = [&](const std::string& name) -> std::string {
    for (auto& [k, v] : given) {
      if (k == name) return v;
    }
    return "";
  };
  const std::string dsn = attribute("dsn");
  ConnectParams params;
  for (const Alias& alias : Aliases()) {
    std::string value;
    for (const char* name : alias.names) {
      if (value.empty()) value = attribute(name);
    }
    if (value.empty() && !dsn.empty()) {
      for (const char* name : alias.names) {
        if (value.empty()) value = read_dsn(dsn, name);
      }
      if (alias.keyword == std::string("password")) RegisterSecret(value);
    }
    if (!value.empty()) params.emplace_back(alias.keyword, value);
  }
  for (auto& [name, value] : given) {
    if (PassThroughKeywords().count(name) && !value.empty()) Set(params, name, value);
  }
  // psqlODBC hands Pqopt to libpq as extra conninfo ("sslrootcert=/x keepalives=1").
  std::string pqopt = attribute("pqopt");
  if (pqopt.empty() && !dsn.empty()) pqopt = read_dsn(dsn, "pqopt");
  if (!pqopt.empty()) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(pqopt.c_str(), &error);
    if (!options) {
      std::string why = error ? error : "malformed";
      PQfreemem(error);
      throw Error(ErrorCode::kUsage,
                  "the connection's Pqopt attribute is not libpq conninfo: " + why);
    }
    for (PQconninfoOption* o = options; o->keyword; ++o) {
      if (o->val && *o->val && std::string(o->keyword) != "client_encoding") {
        if (std::string(o->keyword) == "password") RegisterSecret(o->val);
        Set(params, o->keyword, o->val);
      }
    }
    PQconninfoFree(options);
  }
  Set(params, "application_name", ThisSessionTag());
  // A server that vanishes without a reset (a cut network) would leave a COPY waiting for
  // hours under the kernel's keepalive defaults; these notice it within about two minutes.
  Set(params, "keepalives_idle", "60");
  Set(params, "keepalives_interval", "10");
  Set(params, "keepalives_count", "6");
  // Keepalive probes go only while nothing waits for an acknowledgement: a COMMIT sent into a cut
  // network would retransmit for some fifteen minutes before the kernel gives up. Two minutes,
  // as the keepalives: a server busy building an index still acknowledges at once.
  Set(params, "tcp_user_timeout", "120000");
  params.emplace_back("client_encoding", "UTF8");
  return params;
}

// Values the destination stores out of line (or compresses inline) are compressed with lz4
// rather than the built-in pglz: on the reference workload pglz_compress was a third of the
// destination's CPU for wide_events, and lz4 compresses several times faster. Only the
// session's default changes: a column whose compression is set keeps it, the stored values
// read back identically, and later writes by others use the server's own default.
// --pg-toast-compression server keeps the server's default; servers before 14 or built
// without lz4 refuse the setting, and keep theirs.
std::string ToastCompressionSql(const std::string& method) {
  if (method == "server") return "";
  if (method != "lz4" && method != "pglz") {
    throw Error(ErrorCode::kUsage,
                fmt::format("--pg-toast-compression (FERRY_PG_TOAST_COMPRESSION) is '{}'; it may "
                            "be lz4, pglz or server",
                            method));
  }
  return "SET default_toast_compression = " + method;
}

}  // namespace ferry::pq
