// Operator mistakes in connections caught without a server (issue 12): misspelt URL schemes,
// and odbc.ini files that show a password to others.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "copier/error.hpp"
#include "drivers/connection_string.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;

namespace {

std::string ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

ConnectionOptions Source() {
  ConnectionOptions o;
  o.role = "source";
  o.password_env = "FERRY_UNIT_TEST_NO_PASSWORD";
  return o;
}

using test::TempDir;

}  // namespace

TEST_CASE("a misspelt URL scheme is refused naming the known schemes and the nearest one",
          "[mistakes][connection]") {
  std::string what = ErrorOf([] { ResolveConnection("postgress://u@h/db", Source()); });
  CHECK_THAT(what,
             Catch::Contains("unknown scheme postgress in the source URL (known: "
                             "postgresql, postgres, mysql, mariadb, sqlite, dir); did you mean "
                             "postgres?"));
  CHECK_THAT(ErrorOf([] { ResolveConnection("maria://u@h/db", Source()); }),
             Catch::Contains("did you mean mariadb?"));
  CHECK_THAT(ErrorOf([] { ResolveConnection("sqlit:/tmp/a.db", Source()); }),
             Catch::Contains("did you mean sqlite?"));
  // Far from every scheme: no guess, still refused as a URL.
  what = ErrorOf([] { ResolveConnection("oracle://u@h/db", Source()); });
  CHECK_THAT(what, Catch::Contains("unknown scheme oracle"));
  CHECK_THAT(what, !Catch::Contains("did you mean"));
  // A DSN name, an ODBC string holding a URL, and the known schemes are no mistakes.
  CHECK(ResolveConnection("warehouse", Source()).odbc == "DSN=warehouse;");
  CHECK(ErrorOf([] {
          ResolveConnection("Driver={PostgreSQL Unicode};Server=h;Database=d;sslrootcert=file://x",
                            Source());
        }) == "");
  CHECK(ResolveConnection("postgres://u@h/db", Source()).from_url);
  CHECK(ResolveConnection("sqlite:/tmp/a.db", Source()).from_url);
}

TEST_CASE("a SQLite or staging path starting with ~ is refused: the shell does not expand it there",
          "[mistakes][connection]") {
  // It named a folder called ~ in the current one ("the folder ~/data does not exist").
  const std::string what = ErrorOf([] { ResolveConnection("sqlite:~/data/app.db", Source()); });
  CHECK_THAT(what, Catch::Contains("sqlite:~/data/app.db starts with ~"));
  CHECK_THAT(what, Catch::Contains("sqlite:$HOME/data/app.db"));
  CHECK_THAT(ErrorOf([] { ResolveConnection("dir:~/stage", Source()); }),
             Catch::Contains("dir:$HOME/stage"));
  CHECK(ErrorOf([] { ResolveConnection("sqlite:/home/u/~old/app.db", Source()); }) == "");
}

TEST_CASE("an odbc.ini holding a password that others may read is refused, naming file and mode",
          "[mistakes][connection]") {
  TempDir dir;
  const std::string text =
      "; a comment\n[other]\nPassword = elsewhere\n\n[Warehouse]\nDriver = PostgreSQL Unicode\n"
      "PWD = s3cret-pass\n";
  const std::string open = dir.File("odbc.ini", text, 0644);
  std::string what = ErrorOf([&] { CheckOdbcIniPermissions("warehouse", {open}); });
  CHECK_THAT(what, Catch::Contains(open + " holds the password of data source warehouse"));
  CHECK_THAT(what, Catch::Contains("readable by others (mode 0644)"));
  CHECK_THAT(what, Catch::Contains("chmod 600"));
  CHECK_THAT(what, !Catch::Contains("s3cret-pass"));
  if (geteuid() != 0) {
    const std::string group = dir.File("group.ini", text, 0640);
    CHECK_THAT(ErrorOf([&] { CheckOdbcIniPermissions("Warehouse", {group}); }),
               Catch::Contains("readable by its group (mode 0640)"));
  }
  const std::string closed = dir.File("closed.ini", text, 0600);
  CHECK(ErrorOf([&] { CheckOdbcIniPermissions("warehouse", {closed}); }) == "");
  // No password for this data source, or a file that does not exist: nothing to refuse.
  const std::string no_password = dir.File("plain.ini", "[warehouse]\nServer = h\n", 0644);
  CHECK(ErrorOf([&] { CheckOdbcIniPermissions("warehouse", {no_password}); }) == "");
  CHECK(ErrorOf([&] { CheckOdbcIniPermissions("nosuch", {open}); }) == "");
  CHECK(ErrorOf([&] { CheckOdbcIniPermissions("warehouse", {dir.path() + "/none.ini"}); }) == "");
}

TEST_CASE(
    "a URL parameter its engine does not take is refused, naming it, the one meant and the ones "
    "taken, never its value",
    "[mistakes][connection][url]") {
  // psqlODBC and Connector/ODBC ignore attributes they do not know: these connected as if
  // the parameter had not been written (?sslmod=require: no TLS, and nothing said).
  std::string what =
      ErrorOf([] { ResolveConnection("postgresql://u@h/db?sslmod=require", Source()); });
  CHECK_THAT(what, Catch::Contains("the source URL sets ?sslmod=, which postgresql:// URLs do "
                                   "not take; did you mean ?sslmode=?"));
  CHECK_THAT(what, Catch::Contains("they take sslmode, "));
  CHECK_THAT(what, Catch::Contains("sslrootcert"));
  CHECK_THAT(what, !Catch::Contains("=require"));
  what = ErrorOf([] { ResolveConnection("mariadb://u@h/db?ssl_mode=REQUIRED", Source()); });
  CHECK_THAT(what, Catch::Contains("?ssl_mode=, which mariadb:// URLs do not take"));
  CHECK_THAT(what, Catch::Contains("sslca"));
  CHECK_THAT(what, Catch::Contains("forcetls"));
  CHECK_THAT(what, !Catch::Contains("REQUIRED"));
  // A misspelt password parameter holds a password: never shown.
  what = ErrorOf([] { ResolveConnection("mysql://u@h/db?pasword=Typo-Secret-7", Source()); });
  CHECK_THAT(what, Catch::Contains("?pasword=, which mysql:// URLs do not take; did you mean "
                                   "?password=?"));
  CHECK_THAT(what, !Catch::Contains("Typo-Secret-7"));
  // Parameters ferry sets itself are not the URL's to set.
  CHECK_THAT(ErrorOf([] { ResolveConnection("postgresql://u@h/db?application_name=x", Source()); }),
             Catch::Contains("?application_name=, which postgresql:// URLs do not take"));
  CHECK_THAT(
      ErrorOf([] { ResolveConnection("postgresql://u@h/db?client_encoding=LATIN1", Source()); }),
      Catch::Contains("?client_encoding="));
  // The accepted ones, in any case, and the URL's parts as parameters.
  CHECK(ErrorOf([] {
          ResolveConnection("postgresql://u@h/db?SSLMODE=disable&connect_timeout=5&port=5433",
                            Source());
        }) == "");
  CHECK(ErrorOf([] {
          ResolveConnection("mysql://u@h/db?socket=/run/m.sock&conn_timeout=3", Source());
        }) == "");
}

TEST_CASE(
    "a SQLite or staging path with parameters after ? is refused unless a file of that very "
    "name exists",
    "[mistakes][connection][url]") {
  TempDir dir;
  const std::string db = dir.File("app.db", "", 0644);
  std::string what = ErrorOf([&] { ResolveConnection("sqlite:" + db + "?mode=ro", Source()); });
  CHECK_THAT(what, Catch::Contains("the source sqlite:" + db +
                                   " sets ?mode= after the path, "
                                   "but sqlite: URLs take no parameters"));
  CHECK_THAT(
      ErrorOf([&] { ResolveConnection("sqlite:" + db + "?mode=ro&cache=shared", Source()); }),
      Catch::Contains("sets ?mode=, ?cache= after"));
  CHECK_THAT(ErrorOf([&] { ResolveConnection("dir:" + dir.path() + "?compress=9", Source()); }),
             Catch::Contains("dir: URLs take no parameters"));
  // A file whose name holds a '?' is that file.
  const std::string odd = dir.File("odd?name.db", "", 0644);
  CHECK(ResolveConnection("sqlite:" + odd, Source()).file == odd);
}
