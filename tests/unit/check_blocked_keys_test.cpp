// `ferry check` names the foreign keys a blocked table takes with it, and the types another
// engine gets as their text (scheduler/check_blocked_keys.hpp, check_types_needed.hpp).
#include <catch2/catch.hpp>

#include "scheduler/check_blocked_keys.hpp"
#include "scheduler/check_types_needed.hpp"

using namespace ferry;

namespace {

TableCheck Checked(const std::string& name) {
  TableCheck t;
  t.source = {"src", name};
  t.destination = {"public", name};
  return t;
}

CheckedForeignKey Key(const std::string& from, const std::string& name, const std::string& to) {
  PlannedForeignKey fk;
  fk.name = name;
  fk.references = {"public", to};
  return {"src." + from, TableName{"public", from}, fk};
}

}  // namespace

TEST_CASE("check names every foreign key to a table it blocks", "[check][foreign-keys]") {
  const std::vector<TableCheck> tables = {Checked("place"), Checked("visit"), Checked("trip"),
                                          Checked("note")};
  const std::vector<CheckedForeignKey> keys = {
      Key("visit", "visit_place", "place"), Key("trip", "trip_place", "place"),
      Key("trip", "trip_note", "note"), Key("place", "place_note", "note")};
  std::vector<Finding> findings = {
      {Severity::kBlocker, "type", "src.place", "pos", "column pos: ..."}};
  NoteKeysToBlockedTables(tables, keys, findings);
  REQUIRE(findings.size() == 2);
  const Finding& f = findings[1];
  CHECK(f.severity == Severity::kWarning);
  CHECK(f.kind == "foreign key to blocked table");
  // The referenced table as --exclude takes it: the source's name.
  CHECK(f.message.find("2 foreign keys: src.visit.visit_place to src.place, "
                       "src.trip.trip_place to src.place") != std::string::npos);
  CHECK(f.message.find("--exclude") != std::string::npos);

  SECTION("nothing is said where nothing is blocked, or the blocked table is the referencing one") {
    findings = {{Severity::kWarning, "lossy type", "src.place", "pos", "..."}};
    NoteKeysToBlockedTables(tables, keys, findings);
    CHECK(findings.size() == 1);
    findings = {{Severity::kBlocker, "type", "src.visit", "x", "..."}};
    NoteKeysToBlockedTables(tables, keys, findings);
    CHECK(findings.size() == 1);
  }
}

TEST_CASE("check says which types go to another engine as their text", "[check][text-form]") {
  ColumnType array;
  array.kind = TypeKind::kUnsupported;
  array.native = "text[]";
  array.text_form = true;
  ColumnType text;
  text.kind = TypeKind::kText;
  text.native = "longtext";
  CHECK(TextFormNote(array, text) == "text[] as longtext");
  array.native = "tsvector";
  CHECK(TextFormNote(array, text).find("full-text index") != std::string::npos);
  array.text_form = false;
  CHECK(TextFormNote(array, text).empty());
  CHECK(TextFormNote(text, text).empty());
}
