// What a PostgreSQL clone's grants ask of the destination: pg_dump's ACL entries cut into one
// statement each, with the roles each needs, so a grant to a role the destination lacks is left
// out alone (drivers/postgres/pg_clone_needs.hpp).
#include <catch2/catch.hpp>

#include "drivers/postgres/pg_clone_needs.hpp"

using namespace ferry;

namespace {

std::vector<std::string> Roles(const SchemaObject& o) {
  std::vector<std::string> out;
  for (const CloneNeed& n : o.needs) {
    out.push_back((n.kind == CloneNeed::Kind::kSuperuser  ? "superuser"
                   : n.kind == CloneNeed::Kind::kMemberOf ? "member of " + n.name
                                                          : n.name));
  }
  return out;
}

}  // namespace

TEST_CASE("a grant entry is cut into one statement each, needing the roles it names", "[pgclone]") {
  SchemaObject acl;
  acl.kind = "ACL";
  acl.name = "TABLE product";
  acl.sql =
      "REVOKE ALL ON TABLE public.product FROM \"Old Reader\";\n"
      "GRANT SELECT,INSERT ON TABLE public.product TO PUBLIC;\n"
      "GRANT SELECT ON TABLE public.product TO reporting, pg_read_all_data;\n"
      "SET SESSION AUTHORIZATION clerk;\n"
      "GRANT SELECT ON TABLE public.product TO auditor;\n"
      "RESET SESSION AUTHORIZATION;";
  std::vector<SchemaObject> grants = pg::SplitGrants(acl);
  REQUIRE(grants.size() == 4);
  CHECK(Roles(grants[0]) == std::vector<std::string>{"Old Reader"});
  CHECK(Roles(grants[1]).empty());  // PUBLIC is everyone's
  // Predefined roles exist on every server.
  CHECK(Roles(grants[2]) == std::vector<std::string>{"reporting"});
  CHECK(Roles(grants[3]) == std::vector<std::string>{"superuser", "auditor"});
  CHECK(grants[3].sql.find("RESET SESSION AUTHORIZATION") != std::string::npos);
  for (const SchemaObject& g : grants) CHECK(g.name == "TABLE product");
}

TEST_CASE("default privileges for a role need membership in it and the grantee", "[pgclone]") {
  SchemaObject acl;
  acl.kind = "DEFAULT ACL";
  acl.name = "DEFAULT PRIVILEGES FOR TABLES";
  acl.sql =
      "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA public GRANT SELECT ON TABLES TO "
      "analyst;";
  std::vector<SchemaObject> grants = pg::SplitGrants(acl);
  REQUIRE(grants.size() == 1);
  CHECK(Roles(grants[0]) == std::vector<std::string>{"member of app_owner", "analyst"});
}
