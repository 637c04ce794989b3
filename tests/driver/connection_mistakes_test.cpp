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
