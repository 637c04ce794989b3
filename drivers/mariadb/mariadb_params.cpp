#include "drivers/mariadb/mariadb_params.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/text.hpp"
#include "drivers/connection_string.hpp"

namespace ferry::mariadb {

namespace {

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// Connector/ODBC's attribute names (aliases folded to one name) that this path reproduces.
const std::map<std::string, std::string>& Mapped() {
  static const std::map<std::string, std::string> names = {
      {"SERVER", "SERVER"},
      {"SERVERNAME", "SERVER"},
      {"PORT", "PORT"},
      {"DATABASE", "DATABASE"},
      {"DB", "DATABASE"},
      {"UID", "UID"},
      {"USER", "UID"},
      {"PWD", "PWD"},
      {"PASSWORD", "PWD"},
      {"SOCKET", "SOCKET"},
      {"TCPIP", "TCPIP"},
      {"CONN_TIMEOUT", "CONN_TIMEOUT"},
      {"SSLKEY", "SSLKEY"},
      {"SSLCERT", "SSLCERT"},
      {"SSLCA", "SSLCA"},
      {"SSLCAPATH", "SSLCAPATH"},
      {"SSLCIPHER", "SSLCIPHER"},
      {"SSLVERIFY", "SSLVERIFY"},
      {"FORCETLS", "FORCETLS"},
  };
  return names;
}

// Attributes that do not change where or how the connection is made: the driver's name, ODBC
// behaviour flags (OPTION), and CHARSET, which the native path fixes at utf8mb4.
bool Harmless(const std::string& upper) {
  static const char* const kHarmless[] = {"DSN",      "DRIVER",   "DESCRIPTION",    "CHARSET",
                                          "OPTION",   "OPTIONS",  "NO_PROMPT",      "TRACE",
                                          "NO_CACHE", "PREFETCH", "AUTO_RECONNECT", "SAVEFILE"};
  return std::find(std::begin(kHarmless), std::end(kHarmless), upper) != std::end(kHarmless);
}

bool Truthy(const std::string& v) {
  return !v.empty() && v != "0" && Upper(v) != "NO" && Upper(v) != "FALSE";
}

bool ParseUnsigned(const std::string& text, unsigned* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::vector<std::string> UrlParameters() {
  std::vector<std::string> out;
  for (const auto& [name, canonical] : Mapped()) {
    if (name != canonical) continue;  // an alias
    if (canonical == "SERVER" || canonical == "PORT" || canonical == "DATABASE" ||
        canonical == "UID" || canonical == "PWD") {
      continue;  // the URL's parts
    }
    out.push_back(Lower(name));
  }
  return out;
}

std::optional<ConnectParams> ParamsFromOdbc(const std::string& odbc, std::string* why,
                                            const DsnReader& read_dsn) {
  std::map<std::string, std::string> values;  // by canonical name; the string's first
  std::string dsn;
  for (const auto& [key, value] : SplitConnectionString(odbc)) {
    const std::string upper = Upper(key);
    if (upper == "DSN") dsn = value;
    auto mapped = Mapped().find(upper);
    if (mapped != Mapped().end()) {
      values.emplace(mapped->second, value);
    } else if (!Harmless(upper)) {
      *why = "the connection sets " + key + ", which ferry's libmariadb path does not reproduce";
      return std::nullopt;
    }
  }
  if (!dsn.empty()) {
    // unixODBC matches odbc.ini keys without regard to case; the aliases cover the rest.
    for (const auto& [alias, name] : Mapped()) {
      if (values.count(name)) continue;
      std::string value = read_dsn(dsn, alias);
      if (!value.empty()) {
        if (name == "PWD") RegisterSecret(value);
        values.emplace(name, value);
      }
    }
  }
  auto get = [&](const char* name) {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  };
  ConnectParams params;
  if (std::string server = get("SERVER"); !server.empty()) params.host = server;
  if (std::string port = get("PORT"); !port.empty() && !ParseUnsigned(port, &params.port)) {
    *why = "the connection's Port is not a number";
    return std::nullopt;
  }
  if (std::string timeout = get("CONN_TIMEOUT"); !timeout.empty()) {
    ParseUnsigned(timeout, &params.connect_timeout);
  }
  params.socket = get("SOCKET");
  params.user = get("UID");
  params.password = get("PWD");
  params.database = get("DATABASE");
  params.ssl_key = get("SSLKEY");
  params.ssl_cert = get("SSLCERT");
  params.ssl_ca = get("SSLCA");
  params.ssl_capath = get("SSLCAPATH");
  params.ssl_cipher = get("SSLCIPHER");
  params.ssl_verify = Truthy(get("SSLVERIFY"));
  params.force_tls = Truthy(get("FORCETLS"));
  // Connector/ODBC's TCPIP=1 forces TCP for "localhost"; libmariadb does the same for an
  // address, so name the loopback address instead of carrying a protocol option.
  if (Truthy(get("TCPIP")) && params.host == "localhost") params.host = "127.0.0.1";
  return params;
}

}  // namespace ferry::mariadb
