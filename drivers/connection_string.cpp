#include "drivers/connection_string.hpp"

#include <fmt/format.h>

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "copier/text.hpp"
#include "drivers/engine.hpp"

namespace ferry {

namespace {

struct Attribute {
  std::string key;
  std::string value;  // braces removed
};

// Splits "k=v;k2={v;2};" into attributes; values in braces may hold ';' ('}}' escapes '}').
std::vector<Attribute> SplitAttributes(const std::string& s) {
  std::vector<Attribute> out;
  size_t at = 0;
  while (at < s.size()) {
    while (at < s.size() && (s[at] == ';' || s[at] == ' ')) ++at;
    if (at >= s.size()) break;
    size_t eq = s.find('=', at);
    if (eq == std::string::npos) {
      out.push_back({s.substr(at), ""});
      break;
    }
    Attribute a{s.substr(at, eq - at), ""};
    at = eq + 1;
    if (at < s.size() && s[at] == '{') {
      ++at;
      while (at < s.size()) {
        if (s[at] == '}') {
          if (at + 1 < s.size() && s[at + 1] == '}') {
            a.value += '}';
            at += 2;
            continue;
          }
          ++at;
          break;
        }
        a.value += s[at++];
      }
      while (at < s.size() && s[at] != ';') ++at;
    } else {
      size_t end = s.find(';', at);
      if (end == std::string::npos) end = s.size();
      a.value = s.substr(at, end - at);
      at = end;
    }
    out.push_back(std::move(a));
  }
  return out;
}

bool IsPasswordKey(const std::string& key) {
  std::string k = Lower(key);
  return k == "pwd" || k == "password";
}

std::string Braced(const std::string& value) {
  if (value.find_first_of(";{}= ") == std::string::npos) return value;
  std::string out = "{";
  for (char c : value) {
    out += c;
    if (c == '}') out += '}';
  }
  return out + "}";
}

// A password always in braces: psqlODBC URL-decodes a bare value ('+' becomes a space, "%41" an
// 'A'), so a password holding '%' or '+' failed to log in; a braced one it takes as written.
std::string BracedPassword(const std::string& value) {
  std::string out = "{";
  for (char c : value) {
    out += c;
    if (c == '}') out += '}';
  }
  return out + "}";
}

bool HasAttribute(const std::string& odbc, const std::string& key) {
  for (const Attribute& a : SplitAttributes(odbc)) {
    if (Lower(a.key) == Lower(key)) return true;
  }
  return false;
}

// Decodes %XX escapes in URL parts.
std::string PercentDecode(const std::string& s, const std::string& whole) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        throw Error(ErrorCode::kUsage, fmt::format("bad %-escape in {}", whole));
      }
      out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Url {
  std::string scheme, user, password, host, port, database;
  std::vector<std::pair<std::string, std::string>> query;
  bool has_password = false;
};

// The schemes ferry reads (each engine's, drivers/engine.hpp), and the one a misspelt scheme
// most likely meant.
std::vector<const UrlScheme*> KnownSchemes() {
  std::vector<const UrlScheme*> out;
  for (const EngineFactory& engine : Engines()) {
    for (const UrlScheme& scheme : engine.schemes) out.push_back(&scheme);
  }
  return out;
}

const UrlScheme* FindScheme(const std::string& name, bool file) {
  for (const UrlScheme* scheme : KnownSchemes()) {
    if (scheme->name == name && scheme->file == file) return scheme;
  }
  return nullptr;
}

// The shell expands ~ only at the start of a word, never after "sqlite:": the path would name a
// folder called ~ (or ~user) in the current one.
void RefuseTilde(const std::string& path, const std::string& scheme, const std::string& role) {
  if (path[0] != '~') return;
  throw Error(ErrorCode::kUsage,
              fmt::format("the {} {}:{} starts with ~, which the shell does not expand after {}:; "
                          "write the full path ({}:$HOME{})",
                          role, scheme, path, scheme, scheme,
                          path.substr(std::min(path.find('/'), path.size()))));
}

// "postgress" -> "postgres"; "" when nothing is close (more than a third of it differs).
std::string NearestScheme(const std::string& scheme) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const UrlScheme* known : KnownSchemes()) {
    size_t d = EditDistance(scheme, known->name);
    if (d < best_distance) {
      best_distance = d;
      best = known->name;
    }
  }
  return best_distance <= std::max<size_t>(1, best.size() / 3) ? best : "";
}

// The scheme `text` begins with ("word:", a letter first, as RFC 3986 spells one), or "".
std::string SchemeOf(const std::string& text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return "";
  if (!std::isalpha(static_cast<unsigned char>(text[0]))) return "";
  for (size_t i = 0; i < colon; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return "";
  }
  return Lower(text.substr(0, colon));
}

Error UnknownScheme(const std::string& scheme, const std::string& role) {
  std::string known;
  for (const UrlScheme* k : KnownSchemes()) known += (known.empty() ? "" : ", ") + k->name;
  const std::string nearest = NearestScheme(scheme);
  return Error(ErrorCode::kUsage,
               fmt::format("unknown scheme {} in the {} URL (known: {}){}", scheme, role, known,
                           nearest.empty() ? "" : fmt::format("; did you mean {}?", nearest)));
}

Url ParseServerUrl(const std::string& text, const std::string& scheme) {
  Url url;
  url.scheme = scheme;
  std::string rest = text.substr(scheme.size() + 3);  // after "://"
  std::string shown = text;
  size_t q = rest.find('?');
  if (q != std::string::npos) {
    std::string query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    size_t at = 0;
    while (at <= query.size()) {
      size_t amp = query.find('&', at);
      if (amp == std::string::npos) amp = query.size();
      std::string kv = query.substr(at, amp - at);
      if (!kv.empty()) {
        size_t eq = kv.find('=');
        std::string key = kv.substr(0, eq);
        std::string value =
            eq == std::string::npos
                ? ""
                : PercentDecode(kv.substr(eq + 1), "a URL parameter's value (write % as %25)");
        if (Lower(key) == "sslpassword") RegisterSecret(value);  // a key file's passphrase
        if (IsPasswordKey(key)) {
          // libpq takes ?password= too; it is a password written in the URL like user:pw@. An
          // empty one says nothing.
          if (!value.empty()) {
            RegisterSecret(value);  // a user:pw@ password read later would replace it
            url.password = std::move(value);
            url.has_password = true;
          }
        } else {
          url.query.emplace_back(std::move(key), std::move(value));
        }
      }
      at = amp + 1;
    }
  }
  size_t slash = rest.find('/');
  std::string authority = slash == std::string::npos ? rest : rest.substr(0, slash);
  url.database =
      slash == std::string::npos
          ? ""
          : PercentDecode(
                rest.substr(slash + 1),
                "the URL's database name (in a password, write '/', '?', '@' and '%' as %2F, "
                "%3F, %40 and %25)");
  size_t atsign = authority.rfind('@');
  if (atsign != std::string::npos) {
    std::string userinfo = authority.substr(0, atsign);
    authority = authority.substr(atsign + 1);
    size_t colon = userinfo.find(':');
    // Not echoed: the part may be a password.
    url.user = PercentDecode(userinfo.substr(0, colon), "the URL's user name (write % as %25)");
    if (colon != std::string::npos) {
      url.password =
          PercentDecode(userinfo.substr(colon + 1), "the URL's password (write % as %25)");
      url.has_password = true;
    }
  }
  if (!authority.empty() && authority.front() == '[') {  // [ipv6]:port
    size_t close = authority.find(']');
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      url.port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    // libpq's URLs spell a socket directory as a percent-encoded host (%2Fvar%2Frun%2Fpostgresql).
    url.host = PercentDecode(authority.substr(0, colon), "the URL's host");
    if (colon != std::string::npos) url.port = authority.substr(colon + 1);
  }
  // The URL parameters libpq reads in place of the URL's parts (postgresql:///db?host=/run/pg):
  // passed on as they are, the ODBC drivers ignore them and connect to localhost at the default
  // port, which may be another server.
  for (auto it = url.query.begin(); it != url.query.end();) {
    const std::string key = Lower(it->first);
    std::string* part = key == "host"                          ? &url.host
                        : key == "port"                        ? &url.port
                        : key == "user"                        ? &url.user
                        : key == "dbname" || key == "database" ? &url.database
                                                               : nullptr;
    if (!part) {
      ++it;
      continue;
    }
    *part = it->second;
    it = url.query.erase(it);
  }
  if (url.host.empty()) url.host = "localhost";
  if (!url.port.empty() && url.port.find_first_not_of("0123456789") != std::string::npos) {
    // Not echoed: a '/' or '?' left unescaped in a password ends the host part early, and
    // what is taken for the port is then the start of the password.
    throw Error(ErrorCode::kUsage,
                "the URL's port is not a number (write '/', '?' and '@' in a user name or "
                "password as %2F, %3F and %40)");
  }
  return url;
}

// The URL's parts, which ?host=, ?port=, ?user=, ?dbname= and ?password= may also give.
constexpr const char* kUrlParts[] = {"host", "port", "user", "dbname", "database", "password"};

// A query parameter the scheme does not take is refused, named with the one it most likely
// meant and every one it takes; its value is never shown (a misspelt ?pasword= holds one).
void RefuseUnknownParameters(const Url& url, const UrlScheme& scheme, const std::string& role) {
  for (const auto& [key, value] : url.query) {
    const std::string name = Lower(key);
    if (std::find(scheme.parameters.begin(), scheme.parameters.end(), name) !=
        scheme.parameters.end()) {
      continue;
    }
    std::vector<std::string> known(std::begin(kUrlParts), std::end(kUrlParts));
    known.insert(known.end(), scheme.parameters.begin(), scheme.parameters.end());
    std::string nearest;
    size_t best = std::string::npos;
    for (const std::string& k : known) {
      const size_t d = EditDistance(name, k);
      if (d < best) {
        best = d;
        nearest = k;
      }
    }
    if (best > std::max<size_t>(1, nearest.size() / 3)) nearest.clear();
    std::string taken;
    for (const std::string& k : scheme.parameters) taken += (taken.empty() ? "" : ", ") + k;
    throw Error(ErrorCode::kUsage,
                fmt::format("the {} URL sets ?{}=, which {}:// URLs do not take{} (they take {}, "
                            "and host, port, user, dbname and password in place of the URL's "
                            "parts); nothing was connected to",
                            role, key, scheme.name,
                            nearest.empty() ? "" : fmt::format("; did you mean ?{}=?", nearest),
                            taken.empty() ? "no other" : taken));
  }
}

// "sqlite:app.db?mode=ro": a file URL takes no parameters; unless a file of that very name
// exists, the '?' starts parameters, which would have named (or made) another file.
void RefuseFileParameters(const std::string& path, const UrlScheme& scheme,
                          const std::string& role) {
  const size_t q = path.find('?');
  struct stat st {};
  if (q == std::string::npos || stat(path.c_str(), &st) == 0) return;
  std::string names;
  for (size_t at = q + 1; at <= path.size();) {
    size_t amp = path.find('&', at);
    if (amp == std::string::npos) amp = path.size();
    const std::string name = path.substr(at, std::min(path.find('=', at), amp) - at);
    if (!name.empty()) names += (names.empty() ? "?" : ", ?") + name + "=";
    at = amp + 1;
  }
  throw Error(ErrorCode::kUsage,
              fmt::format("the {} {}:{} sets {} after the path, but {}: URLs take no parameters "
                          "(ferry opens a source read-only and a destination for writing "
                          "itself); write the path alone",
                          role, scheme.name, path.substr(0, q), names.empty() ? "nothing" : names,
                          scheme.name));
}

// The URL's query parameters as the scheme's ODBC attributes, once every one is known.
std::vector<std::pair<std::string, std::string>> QueryAttributes(const Url& url,
                                                                 const UrlScheme& scheme,
                                                                 const std::string& role) {
  RefuseUnknownParameters(url, scheme, role);
  return scheme.attributes ? scheme.attributes(url.query) : url.query;
}

std::string Join(const std::vector<std::pair<std::string, std::string>>& attrs) {
  std::string out;
  for (const auto& [k, v] : attrs) out += k + "=" + Braced(v) + ";";
  return out;
}

}  // namespace

std::vector<std::string> OdbcIniFiles() {
  std::vector<std::string> files;
  if (const char* user = std::getenv("ODBCINI"); user && *user) {
    files.push_back(user);
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    files.push_back(std::string(home) + "/.odbc.ini");
  }
  const char* system = std::getenv("ODBCSYSINI");
  files.push_back(system && *system ? std::string(system) + "/odbc.ini" : "/etc/odbc.ini");
  return files;
}

void CheckOdbcIniPermissions(const std::string& dsn, const std::vector<std::string>& files) {
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r");
    size_t e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) continue;
    bool in_section = false, has_password = false;
    for (std::string line; std::getline(in, line);) {
      line = trim(line);
      if (line.empty() || line[0] == ';' || line[0] == '#') continue;
      if (line.front() == '[') {
        const size_t close = line.find(']');
        in_section =
            close != std::string::npos && Lower(trim(line.substr(1, close - 1))) == Lower(dsn);
        continue;
      }
      const size_t eq = line.find('=');
      if (!in_section || eq == std::string::npos) continue;
      has_password = has_password || (IsPasswordKey(trim(line.substr(0, eq))) &&
                                      !trim(line.substr(eq + 1)).empty());
    }
    if (!has_password) continue;
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) continue;
    const bool others = (st.st_mode & S_IRWXO) != 0;
    const bool group = (st.st_mode & S_IRWXG) != 0 && st.st_uid != 0;
    if (!others && !group) continue;
    throw Error(ErrorCode::kUsage,
                fmt::format("{} holds the password of data source {} and is readable by {} "
                            "(mode {:04o}); make it private (chmod 600 {}), or keep the password "
                            "in FERRY_SOURCE_PASSWORD / FERRY_DEST_PASSWORD instead",
                            file, dsn, others ? "others" : "its group", st.st_mode & 07777, file));
  }
}

std::string WithoutSecrets(const std::string& text) {
  size_t scheme_end = text.find("://");
  if (scheme_end != std::string::npos) {
    std::string out = text;
    // user:password@ -> user@
    size_t authority = scheme_end + 3;
    size_t slash = out.find('/', authority);
    size_t at = out.rfind('@', slash == std::string::npos ? out.size() : slash);
    if (at != std::string::npos && at > authority) {
      size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
    // ?password=... and ?pwd=... query parameters
    size_t q = out.find('?');
    if (q != std::string::npos) {
      std::string query = out.substr(q + 1), kept;
      size_t start = 0;
      while (start <= query.size()) {
        size_t amp = query.find('&', start);
        if (amp == std::string::npos) amp = query.size();
        std::string kv = query.substr(start, amp - start);
        std::string key = Lower(kv.substr(0, kv.find('=')));
        if (!kv.empty() && key != "password" && key != "pwd" && key != "sslpassword") {
          kept += (kept.empty() ? "" : "&") + kv;
        }
        start = amp + 1;
      }
      out = out.substr(0, q) + (kept.empty() ? "" : "?" + kept);
    }
    return out;
  }
  if (text.find('=') == std::string::npos) return text;  // a DSN name or sqlite:path
  std::string out;
  for (const Attribute& a : SplitAttributes(text)) {
    if (!IsPasswordKey(a.key)) out += a.key + "=" + Braced(a.value) + ";";
  }
  return out;
}

std::string RedactConnectionString(const std::string& odbc) {
  std::string out;
  for (const Attribute& a : SplitAttributes(odbc)) {
    out += a.key + "=" + (IsPasswordKey(a.key) ? std::string("***") : Braced(a.value)) + ";";
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SplitConnectionString(const std::string& odbc) {
  std::vector<std::pair<std::string, std::string>> out;
  for (Attribute& a : SplitAttributes(odbc)) out.emplace_back(std::move(a.key), std::move(a.value));
  return out;
}

std::string WithAttribute(const std::string& odbc, const std::string& key,
                          const std::string& value) {
  if (HasAttribute(odbc, key)) return odbc;
  std::string out = odbc;
  if (!out.empty() && out.back() != ';') out += ';';
  return out + key + "=" + Braced(value) + ";";
}

ResolvedConnection ResolveConnection(const std::string& text, const ConnectionOptions& options) {
  if (text.empty()) {
    throw Error(ErrorCode::kUsage, fmt::format("no {} connection given", options.role));
  }
  const char* env_password =
      options.password_env.empty() ? nullptr : std::getenv(options.password_env.c_str());
  std::string password = env_password ? env_password : "";
  if (!password.empty()) RegisterSecret(password);

  auto refuse_inline = [&]() {
    return Error(ErrorCode::kUsage,
                 fmt::format("the {} connection has a password written in it; put it in {} or "
                             "odbc.ini instead (or pass --password-on-command-line to accept "
                             "that it shows in the process list and shell history)",
                             options.role, options.password_env));
  };

  ResolvedConnection out;
  size_t scheme_end = text.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : Lower(text.substr(0, scheme_end));
  if (const UrlScheme* server = FindScheme(scheme, false)) {
    Url url = ParseServerUrl(text, text.substr(0, scheme_end));
    if (url.has_password) {
      RegisterSecret(url.password);
      if (!options.allow_inline_password) throw refuse_inline();
      password = url.password;  // typed and allowed, so it wins, as in an ODBC string
    }
    if (url.database.empty()) {
      throw Error(ErrorCode::kUsage,
                  fmt::format("the {} URL names no database (…/DATABASE)", options.role));
    }
    const std::string port = url.port.empty() ? server->default_port : url.port;
    std::vector<std::pair<std::string, std::string>> attrs;
    attrs.emplace_back("Driver", server->odbc_driver);
    // A host that is a path is a Unix socket: libpq (under the PostgreSQL driver) takes its
    // directory as the host, the MariaDB driver wants the socket file apart from the server.
    const bool socket = url.host.front() == '/';
    if (socket && server->odbc_driver.find("MariaDB") != std::string::npos) {
      attrs.emplace_back("Server", "localhost");
      attrs.emplace_back("Socket", url.host);
    } else {
      attrs.emplace_back("Server", url.host);
    }
    attrs.emplace_back("Port", port);
    attrs.emplace_back("Database", url.database);
    if (!url.user.empty()) attrs.emplace_back("Uid", url.user);
    for (auto& kv : QueryAttributes(url, *server, options.role)) attrs.push_back(std::move(kv));
    std::string base = Join(attrs);
    const bool ipv6 = url.host.find(':') != std::string::npos && !socket;
    out.display = fmt::format("{}://{}{}:{}/{}", scheme, url.user.empty() ? "" : url.user + "@",
                              ipv6     ? "[" + url.host + "]"
                              : socket ? "(socket in " + url.host + ")"
                                       : url.host,
                              port, url.database);
    out.odbc = password.empty() ? base : base + "Pwd=" + BracedPassword(password) + ";";
    out.from_url = true;
    out.scheme = scheme;
    return out;
  }
  const std::string file_scheme = SchemeOf(text);
  if (const UrlScheme* file = FindScheme(file_scheme, true)) {
    std::string path = text.substr(file_scheme.size() + 1);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://path
    if (path.empty()) {
      throw Error(ErrorCode::kUsage,
                  fmt::format("the {} {}: URL names no file", options.role, file->name));
    }
    RefuseTilde(path, file->name, options.role);
    RefuseFileParameters(path, *file, options.role);
    out.odbc = "Driver={" + file->odbc_driver + "};Database=" + Braced(path) + ";";
    out.display = file->name + ":" + path;
    out.file = path;
    out.scheme = file->name;
    out.from_url = true;
    return out;
  }
  // "postgress://..." is a misspelt URL, not a DSN or an ODBC string (whose drivers would say
  // only "syntax error"); so is "sqlit:a.db", a scheme close to a known one.
  if (const std::string typed = SchemeOf(text); !typed.empty()) {
    if (scheme_end != std::string::npos && scheme_end == typed.size()) {
      throw UnknownScheme(typed, options.role);
    }
    if (text.find('=') == std::string::npos && !NearestScheme(typed).empty()) {
      throw UnknownScheme(typed, options.role);
    }
  }
  if (text.find('=') != std::string::npos) {
    bool has_password = false;
    for (const Attribute& a : SplitAttributes(text)) {
      if (IsPasswordKey(a.key) && !a.value.empty()) {
        RegisterSecret(a.value);
        has_password = true;
      }
    }
    if (has_password && !options.allow_inline_password) throw refuse_inline();
    for (const Attribute& a : SplitAttributes(text)) {
      if (Lower(a.key) == "dsn" && !a.value.empty())
        CheckOdbcIniPermissions(a.value, OdbcIniFiles());
    }
    out.odbc = text;
    if (!password.empty() && !has_password && !HasAttribute(text, "Pwd")) {
      out.odbc = text + (text.back() == ';' ? "" : ";") + "Pwd=" + BracedPassword(password) + ";";
    }
    out.display = RedactConnectionString(text);
    return out;
  }
  if (text.find_first_of(";{}[]") != std::string::npos) {
    throw Error(ErrorCode::kUsage,
                fmt::format("the {} connection '{}' is neither an ODBC connection string "
                            "(key=value;...), a DSN name, nor a URL (postgresql://, mysql://, "
                            "sqlite:)",
                            options.role, text));
  }
  CheckOdbcIniPermissions(text, OdbcIniFiles());
  out.odbc = "DSN=" + text + ";";
  if (!password.empty()) out.odbc += "Pwd=" + BracedPassword(password) + ";";
  out.display = "DSN=" + text;
  return out;
}

std::string ReadOdbcIni(const std::string& dsn, const std::string& key) {
  // odbcinst's reader, which searches the user's and the system's odbc.ini exactly as the
  // driver manager does. Resolved at run time: ferry links libodbc, which does not export it,
  // and libodbcinst ships with every unixODBC install.
  using Reader = int (*)(const char*, const char*, const char*, char*, int, const char*);
  static const Reader reader = [] {
    void* library = dlopen("libodbcinst.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libodbcinst.so", RTLD_NOW | RTLD_LOCAL);
    return library ? reinterpret_cast<Reader>(dlsym(library, "SQLGetPrivateProfileString"))
                   : nullptr;
  }();
  if (!reader) {
    throw Error(ErrorCode::kMissingDriver,
                "cannot read the data source's attributes from odbc.ini: libodbcinst.so.2 "
                "(unixODBC) is not installed");
  }
  char value[1024] = {0};
  int n = reader(dsn.c_str(), key.c_str(), "", value, int(sizeof value), "odbc.ini");
  return n > 0 ? std::string(value, size_t(std::min<int>(n, int(sizeof value) - 1))) : "";
}

}  // namespace ferry
