#include "drivers/open.hpp"

#include <fmt/format.h>

#include <cctype>

#include "copier/error.hpp"
#include "drivers/odbc/odbc_endpoint.hpp"
#include "drivers/sql/sql_endpoint.hpp"

namespace ferry {

namespace {

const EngineFactory* EngineOfScheme(const std::string& scheme) {
  for (const EngineFactory& engine : Engines()) {
    for (const UrlScheme& s : engine.schemes) {
      if (s.name == scheme) return &engine;
    }
  }
  return nullptr;
}

const EngineFactory* EngineOfProduct(const std::string& dbms_name) {
  std::string name;
  for (char c : dbms_name) name += char(std::tolower(static_cast<unsigned char>(c)));
  for (const EngineFactory& engine : Engines()) {
    for (const std::string& word : engine.product_words) {
      if (name.find(word) != std::string::npos) return &engine;
    }
  }
  return nullptr;
}

std::unique_ptr<Endpoint> OpenEngine(const std::string& text, EndpointRole role,
                                     const EndpointOptions& endpoint_options) {
  const bool is_source = role != EndpointRole::kDestination;
  ConnectionOptions options;
  options.role = is_source ? "source" : "destination";
  options.password_env = is_source ? "FERRY_SOURCE_PASSWORD" : "FERRY_DEST_PASSWORD";
  options.allow_inline_password = endpoint_options.allow_inline_password;
  ResolvedConnection resolved = ResolveConnection(text, options);
  EngineTarget target;
  target.odbc = resolved.odbc;
  target.display = resolved.display;
  target.role = role;
  target.options = endpoint_options;
  if (!resolved.file.empty()) {
    const EngineFactory* engine = EngineOfScheme(resolved.scheme);
    if (!engine) throw Error(ErrorCode::kInternal, "no engine opens " + resolved.scheme + ": URLs");
    target.file = resolved.file;
    return engine->open(std::move(target));
  }
  // A URL's scheme names its engine (and the driver it connects with), so its factory connects
  // once, with its dialect's attributes; the probe that learns the engine of a DSN or a
  // connection string cost a connection of its own.
  if (!resolved.scheme.empty()) {
    if (const EngineFactory* engine = EngineOfScheme(resolved.scheme)) {
      return engine->open(std::move(target));
    }
  }
  // Connect once to learn the engine; its factory connects again where its dialect needs
  // other connection attributes.
  target.probe = std::make_unique<odbc::Connection>(resolved.odbc, resolved.display,
                                                    ConnectTimeout(endpoint_options));
  const std::string dbms = DbmsName(*target.probe);
  const EngineFactory* engine = EngineOfProduct(dbms);
  if (!engine) {
    std::string known;
    const std::vector<EngineFactory>& engines = Engines();
    for (size_t i = 0; i < engines.size(); ++i) {
      known += (i == 0 ? "" : i + 1 == engines.size() ? " and " : ", ") + engines[i].product;
    }
    throw Error(ErrorCode::kUsage,
                fmt::format("{} is a {} server, which ferry does not support yet ({} are)",
                            resolved.display, dbms, known));
  }
  return engine->open(std::move(target));
}

}  // namespace

std::unique_ptr<Endpoint> OpenEndpoint(const std::string& text, EndpointRole role,
                                       const EndpointOptions& endpoint_options) {
  std::unique_ptr<Endpoint> endpoint = OpenEngine(text, role, endpoint_options);
  if (auto* sql = dynamic_cast<SqlEndpoint*>(endpoint.get())) {
    sql->SetLockWait(endpoint_options.lock_wait);
  }
  return endpoint;
}

void EndSnapshot(Endpoint& source) {
  if (auto* sql = dynamic_cast<SqlEndpoint*>(&source)) sql->EndSnapshot();
}

}  // namespace ferry
