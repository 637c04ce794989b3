// How the libmariadb data path derives its connection from the ODBC target the catalog uses
// (drivers/mariadb/mariadb_params.hpp), with odbc.ini replaced by a map.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "copier/secrets.hpp"
#include "drivers/mariadb/mariadb_params.hpp"

using namespace ferry;
using ferry::mariadb::ConnectParams;
using ferry::mariadb::ParamsFromOdbc;

namespace {

using Ini = std::map<std::string, std::map<std::string, std::string>>;

ConnectParams Params(const std::string& odbc, const Ini& ini = {}) {
  std::string why;
  auto params = ParamsFromOdbc(odbc, &why, [&](const std::string& dsn, const std::string& key) {
    auto section = ini.find(dsn);
    if (section == ini.end()) return std::string();
    auto value = section->second.find(key);
    return value == section->second.end() ? std::string() : value->second;
  });
  INFO(why);
  REQUIRE(params);
  return *params;
}

}  // namespace

TEST_CASE("a Connector/ODBC connection string maps to libmariadb parameters", "[mariadb]") {
  ConnectParams p = Params(
      "Driver={MariaDB Unicode};Server=db.example;Port=3307;Database={my db};Uid=app;"
      "Pwd={p;w};CHARSET=latin1;OPTION=3;");
  CHECK(p.host == "db.example");
  CHECK(p.port == 3307);
  CHECK(p.database == "my db");
  CHECK(p.user == "app");
  CHECK(p.password == "p;w");
  CHECK_FALSE(p.force_tls);

  ConnectParams aliases = Params("SERVERNAME=h;DB=d;USER=u;PASSWORD=x;SOCKET=/run/my.sock");
  CHECK(aliases.host == "h");
  CHECK(aliases.database == "d");
  CHECK(aliases.user == "u");
  CHECK(aliases.password == "x");
  CHECK(aliases.socket == "/run/my.sock");
  CHECK(aliases.port == 3306);

  CHECK(Params("Driver=x;Database=d").host == "localhost");
  CHECK(Params("Server=localhost;TCPIP=1").host == "127.0.0.1");
}

TEST_CASE("TLS attributes carry over to the libmariadb connection", "[mariadb]") {
  ConnectParams p =
      Params("Server=h;SSLCA=/ca.pem;SSLCERT=/c.pem;SSLKEY=/k.pem;SSLVERIFY=1;FORCETLS=1");
  CHECK(p.ssl_ca == "/ca.pem");
  CHECK(p.ssl_cert == "/c.pem");
  CHECK(p.ssl_key == "/k.pem");
  CHECK(p.ssl_verify);
  CHECK(p.force_tls);
}

TEST_CASE("a DSN's attributes come from odbc.ini and the string's own win", "[mariadb]") {
  const Ini ini = {{"prod",
                    {{"SERVER", "ini-host"},
                     {"PORT", "3308"},
                     {"DATABASE", "shop"},
                     {"USER", "ini-user"},
                     {"PASSWORD", "Ini-Secret-51d0"}}}};
  ConnectParams p = Params("DSN=prod;Uid=override;", ini);
  CHECK(p.host == "ini-host");
  CHECK(p.port == 3308);
  CHECK(p.database == "shop");
  CHECK(p.user == "override");
  CHECK(p.password == "Ini-Secret-51d0");
  // A password read from odbc.ini never shows in a message.
  CHECK(Redact("login failed for Ini-Secret-51d0") == "login failed for ***");
}

TEST_CASE("a connection attribute libmariadb cannot reproduce keeps the data on ODBC",
          "[mariadb]") {
  std::string why;
  auto params = ParamsFromOdbc("Driver=x;Server=h;TLSPEERFP=ab:cd;", &why,
                               [](const std::string&, const std::string&) { return ""; });
  CHECK_FALSE(params);
  CHECK(why.find("TLSPEERFP") != std::string::npos);
  CHECK_FALSE(ParamsFromOdbc("Server=h;Port=abc", &why,
                             [](const std::string&, const std::string&) { return ""; }));
}
