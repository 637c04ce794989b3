// The staging directory's manifest journal (drivers/files/manifest_journal.hpp) without a
// server: an export's unit commits append to it instead of rewriting the whole manifest each
// time (an export of n units wrote O(n^2) bytes), a reader sees every committed unit through it,
// an append cut short is left out, a damaged entry is refused by line, a complete directory
// keeps no journal, and table events (manifest version 3), unit failures and resets, kept types
// and snapshot positions (version 5) are journal records too.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "copier/error.hpp"
#include "drivers/files/large_objects_dir.hpp"
#include "drivers/files/manifest_journal.hpp"
#include "drivers/files/staging_dir.hpp"
#include "drivers/open.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ferry;
using namespace ferry::staging;
namespace fs = std::filesystem;

namespace {

const TableName kTable{"public", "t"};

// Bytes this process has handed to write(2) so far (/proc/self/io).
uint64_t BytesWritten() {
  std::ifstream in("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (in >> name >> value) {
    if (name == "wchar:") return value;
  }
  return 0;
}

// An export into `folder` of one table in `units` units, started (its run recorded) under the
// directory's lock, which `lock` keeps.
struct Export {
  Export(const std::string& folder, int units) : dir(std::make_shared<Directory>(folder, true)) {
    store = MakeFileRunStore(dir);
    lock = store->TryLock();
    REQUIRE(lock);
    dir->Update([](Manifest& m, std::vector<std::string>&) {
      if (m.Find(kTable)) return;  // resumed
      TableEntry t;
      t.shape.name = kTable;
      m.tables.push_back(t);
    });
    RunRecord run;
    run.id = "20261206T000000Z-test";
    run.owner_token = "token";
    TableRecord table;
    table.source = table.destination = kTable;
    table.units = units;
    std::vector<UnitRecord> records(size_t(units), UnitRecord{});
    for (int part = 0; part < units; ++part) records[size_t(part)].part = part;
    store->StartRun(run, {table}, records);
    run_id = run.id;
  }

  void Commit(int part, int parts) {
    UnitEntry unit;
    unit.part = part;
    unit.parts = parts;
    unit.key = {"id"};
    unit.lo = std::vector<std::string>{std::to_string(part * 1000)};
    unit.hi = std::vector<std::string>{std::to_string(part * 1000 + 1000)};
    unit.chunks.push_back({dir->NewChunkPath(0, part, 0).substr(dir->path().size() + 1), 1000,
                           65536, std::string(64, 'a'), uint64_t(part)});
    dir->CommitUnit(kTable, unit, store->UnitDoneSql(run_id, 0, part, 1000, 65536, 1));
  }

  std::shared_ptr<Directory> dir;
  std::unique_ptr<RunStore> store;
  std::unique_ptr<ScopeLock> lock;
  std::string run_id;
};

int DoneUnits(const Manifest& m) {
  int done = 0;
  for (const auto& [run, units] : m.run_units) {
    for (const UnitRecord& u : units) done += u.state == UnitRecordState::kDone;
  }
  return done;
}

std::vector<std::string> JournalFiles(const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (IsJournalName(e.path().filename().string())) out.push_back(e.path().string());
  }
  return out;
}

}  // namespace

TEST_CASE(
    "an export's unit commits append to the manifest's journal, writing a few times the final "
    "manifest in all where rewriting it per unit wrote hundreds of times it, and a reader sees "
    "every committed unit",
    "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  const int units = 1500;
  Export e(folder, units);
  const uint64_t before = BytesWritten();
  for (int part = 0; part < units; ++part) e.Commit(part, units);
  const uint64_t written = BytesWritten() - before;
  const uint64_t manifest = fs::file_size(folder + "/" + kManifestName);
  INFO("wrote " << written << " bytes for a manifest of " << manifest);
  CHECK(written < 8 * manifest);

  // Another process's view (an import following the export, or `ferry status`).
  std::optional<Manifest> seen = LoadManifest(folder);
  REQUIRE(seen);
  REQUIRE(seen->tables.size() == 1);
  CHECK(seen->tables[0].units.size() == size_t(units));
  CHECK(seen->tables[0].units.back().part == units - 1);
  CHECK(DoneUnits(*seen) == units);
  CHECK(JournalFiles(folder).size() == 1);
}

TEST_CASE(
    "a journal entry cut short is left out as never committed, and a damaged one before others "
    "is refused naming the journal and its line",
    "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  Export e(folder, 6);
  for (int part = 0; part < 3; ++part) e.Commit(part, 6);
  const std::vector<std::string> journals = JournalFiles(folder);
  REQUIRE(journals.size() == 1);
  const std::string journal = journals[0];
  std::stringstream text;
  text << std::ifstream(journal).rdbuf();
  REQUIRE(!text.str().empty());

  SECTION("cut short") {
    // Half of a fourth entry: its process died writing it.
    const std::string first = text.str().substr(0, text.str().find('\n'));
    std::ofstream(journal, std::ios::app) << first.substr(0, first.size() / 2);
    std::optional<Manifest> m = LoadManifest(folder);
    REQUIRE(m);
    CHECK(m->tables[0].units.size() == 3);
    CHECK(DoneUnits(*m) == 3);
    // The export going on (resumed: the lock taken again) begins a new journal after it.
    e.lock.reset();
    Export again(folder, 6);
    again.Commit(3, 6);
    m = LoadManifest(folder);
    REQUIRE(m);
    CHECK(m->tables[0].units.size() == 4);
    CHECK(JournalFiles(folder).size() == 1);
  }
  SECTION("damaged") {
    std::string damaged = text.str();
    const size_t at = damaged.find("\"rows\":1000");
    REQUIRE(at != std::string::npos);
    damaged.replace(at, 11, "\"rows\":9000");
    std::ofstream(journal, std::ios::trunc) << damaged;
    try {
      LoadManifest(folder);
      FAIL("a damaged journal was read");
    } catch (const Error& error) {
      CHECK(error.code() == ErrorCode::kIo);
      CHECK(std::string(error.what()).find(fs::path(journal).filename().string() + ": line 1") !=
            std::string::npos);
    }
  }
}

TEST_CASE("a complete staging directory keeps no journal, and its manifest holds every unit",
          "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  Export e(folder, 4);
  for (int part = 0; part < 4; ++part) e.Commit(part, 4);
  e.store->FinishRun(e.run_id, RunStatus::kDone, "done");
  CHECK(JournalFiles(folder).empty());
  std::stringstream text;
  text << std::ifstream(folder + "/" + kManifestName).rdbuf();
  const Manifest m = ManifestFromJson(text.str(), "manifest.json");
  CHECK(m.status == "complete");
  CHECK(m.journal.empty());
  CHECK(m.tables[0].units.size() == 4);
  CHECK(DoneUnits(m) == 4);
}

TEST_CASE(
    "units committed out of order are kept in part order, each with its own done mark, and a "
    "resumed export's unit written again replaces the old one's chunks",
    "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  const int units = 200;
  Export e(folder, units);
  // Writers finish units in any order: every seventh part, then the rest from the last down.
  std::vector<int> order;
  for (int part = 0; part < units; part += 7) order.push_back(part);
  for (int part = units - 1; part >= 0; --part) {
    if (part % 7 != 0 && part != 100) order.push_back(part);
  }
  for (int part : order) e.Commit(part, units);
  auto check = [&](const Manifest& m, int done) {
    REQUIRE(m.tables.size() == 1);
    const std::vector<UnitEntry>& entries = m.tables[0].units;
    REQUIRE(entries.size() == size_t(units - 1));
    for (size_t i = 1; i < entries.size(); ++i) CHECK(entries[i - 1].part < entries[i].part);
    CHECK_FALSE(m.tables[0].FindUnit(100));
    CHECK(DoneUnits(m) == done);
    for (const auto& [run, records] : m.run_units) {
      for (const UnitRecord& u : records) {
        CHECK((u.state == UnitRecordState::kDone) == (u.part != 100 || run != e.run_id));
      }
    }
  };
  std::optional<Manifest> seen = LoadManifest(folder);
  REQUIRE(seen);
  check(*seen, units - 1);
  // Committing a unit twice in one run is refused.
  CHECK_THROWS_AS(e.Commit(5, units), Error);

  // A resumed export (another run of the same directory) writes unit 7 again: the entry for
  // part 7 is replaced, and the old chunk file goes.
  const std::string old_chunk = folder + "/" + seen->tables[0].FindUnit(7)->chunks[0].file;
  std::ofstream(old_chunk) << "chunk";
  e.lock.reset();
  Export again(folder, units);
  again.run_id = "20261206T000001Z-test";
  RunRecord run;
  run.id = again.run_id;
  run.owner_token = "token2";
  std::vector<UnitRecord> records(1);
  records[0].part = 7;
  again.store->StartRun(run, {}, records);
  again.Commit(7, units);
  seen = LoadManifest(folder);
  REQUIRE(seen);
  REQUIRE(seen->tables[0].FindUnit(7));
  CHECK(seen->tables[0].FindUnit(7)->chunks[0].file != old_chunk.substr(folder.size() + 1));
  CHECK_FALSE(fs::exists(old_chunk));
  CHECK(seen->tables[0].units.size() == size_t(units - 1));
}

TEST_CASE(
    "an export's table events are journal records: a reader sees each at once, and the manifest "
    "is not rewritten for them",
    "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  std::unique_ptr<Endpoint> dest =
      OpenEndpoint("dir:" + folder, EndpointRole::kDestination, EndpointOptions{});
  Table t;
  t.name = {"main", "t"};
  Column id;
  id.name = "id";
  id.type.kind = TypeKind::kInteger;
  id.type.width_bits = 64;
  id.identity = true;
  t.columns.push_back(id);
  t.primary_key = {0};
  // An export's tables made, then its run started (which writes the manifest whole); the
  // manifest is rewritten (compacted) once the journal grows as large as it, not here.
  dest->CreateTable(t);
  for (int i = 0; i < 20; ++i) {
    Table other = t;
    other.name.name = "other" + std::to_string(i);
    dest->CreateTable(other);
  }
  std::unique_ptr<RunStore> store = dest->OpenRunStore("");
  std::unique_ptr<ScopeLock> lock = store->TryLock();
  REQUIRE(lock);
  RunRecord run;
  run.id = "20261207T000000Z-test";
  store->StartRun(run, {}, {});
  const std::string manifest = folder + "/" + kManifestName;
  auto text = [&] {
    std::stringstream in;
    in << std::ifstream(manifest).rdbuf();
    return in.str();
  };
  const std::string written = text();
  Table u = t;
  u.name = {"main", "u"};
  dest->CreateTable(u);
  dest->CreateIndex(t, Index{"t_id", {0}, false, ""});
  dest->SyncIdentity(t, {{"id", 42}});
  dest->DropTable(u.name);
  CHECK(text() == written);  // not rewritten (a rewrite would hold the index)
  std::optional<Manifest> seen = LoadManifest(folder);
  REQUIRE(seen);
  REQUIRE(seen->tables.size() == 21);
  CHECK(seen->tables[0].shape.name == t.name);
  CHECK(seen->tables[1].shape.name.name == "other0");
  REQUIRE(seen->tables[0].shape.indexes.size() == 1);
  CHECK(seen->tables[0].shape.indexes[0].name == "t_id");
  REQUIRE(seen->tables[0].identity.size() == 1);
  CHECK(seen->tables[0].identity[0].next == 42);
}

// An export through the directory's endpoint: `tables` tables made, then its run started under
// the directory's lock, which `lock` keeps.
struct EndpointExport {
  EndpointExport(const std::string& folder, int tables)
      : dest(OpenEndpoint("dir:" + folder, EndpointRole::kDestination, EndpointOptions{})) {
    for (int i = 0; i < tables; ++i) {
      Table t;
      t.name = {"public", "t" + std::to_string(i)};
      dest->CreateTable(t);
    }
    store = dest->OpenRunStore("");
    lock = store->TryLock();
    REQUIRE(lock);
    run.id = "20261207T000000Z-test";
    run.status = RunStatus::kRunning;
    store->StartRun(run, {}, {});
  }
  std::unique_ptr<Endpoint> dest;
  std::unique_ptr<RunStore> store;
  std::unique_ptr<ScopeLock> lock;
  RunRecord run;
};

std::string ReadText(const std::string& path) {
  std::stringstream in;
  in << std::ifstream(path).rdbuf();
  return in.str();
}

TEST_CASE(
    "a unit's failure and a table's units reset for a resume are journal records a reader "
    "replays, and the manifest is not rewritten for them",
    "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  Export e(folder, 4);
  e.Commit(0, 4);  // the first change of the process writes the manifest, naming its journal
  const std::string manifest = folder + "/" + kManifestName;
  const std::string written = ReadText(manifest);
  e.Commit(1, 4);
  e.store->FailUnit(e.run_id, 0, 2, 3, "the disk said no");
  CHECK(ReadText(manifest) == written);
  std::optional<Manifest> seen = LoadManifest(folder);
  REQUIRE(seen);
  const UnitRecord* failed = FindUnitRecord(seen->run_units[e.run_id], 0, 2);
  REQUIRE(failed);
  CHECK(failed->state == UnitRecordState::kFailed);
  CHECK(failed->attempts == 3);
  CHECK(failed->error == "the disk said no");
  CHECK(DoneUnits(*seen) == 2);
  // The store answers from the directory as replayed in this process, too.
  CHECK(e.store->Units(e.run_id)[2].state == UnitRecordState::kFailed);

  e.store->ResetUnits(e.run_id, 0);
  CHECK(ReadText(manifest) == written);
  seen = LoadManifest(folder);
  REQUIRE(seen);
  for (const UnitRecord& u : seen->run_units[e.run_id]) {
    CHECK(u.state == UnitRecordState::kPending);
  }
  // A resumed export (the lock taken again) reads them back from the journal.
  e.lock.reset();
  Export again(folder, 4);
  CHECK(again.store->Units(e.run_id)[0].state == UnitRecordState::kPending);
}

TEST_CASE(
    "an export whose units fail writes a few times the manifest in all, where rewriting it per "
    "failure wrote it once per unit",
    "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  const int units = 400;
  Export e(folder, units);
  for (int part = 0; part < units / 2; ++part) e.Commit(part, units);
  const uint64_t before = BytesWritten();
  for (int part = units / 2; part < units; ++part) {
    e.store->FailUnit(e.run_id, 0, part, 2, "the destination said no");
  }
  e.store->ResetUnits(e.run_id, 0);
  const uint64_t written = BytesWritten() - before;
  const uint64_t manifest = fs::file_size(folder + "/" + kManifestName);
  INFO("wrote " << written << " bytes for a manifest of " << manifest);
  CHECK(written < 4 * manifest);
  std::optional<Manifest> seen = LoadManifest(folder);
  REQUIRE(seen);
  CHECK(DoneUnits(*seen) == 0);
}

TEST_CASE(
    "the source's types kept and an export attempt's snapshot position are journal records a "
    "reader replays (each type once), and the manifest is not rewritten for them",
    "[staging][journal]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  // Tables made, then the run started (which writes the manifest whole): a manifest larger than
  // the records below, so that no fold (the journal grown as large as it) rewrites it.
  EndpointExport e(folder, 20);
  Endpoint* dest = e.dest.get();
  const RunRecord& run = e.run;
  const std::string manifest = folder + "/" + kManifestName;
  const std::string written = ReadText(manifest);

  SchemaDump dump;
  dump.session_setup = {"SET client_encoding = 'UTF8';"};
  std::unique_ptr<SchemaSession> types = dest->OpenSchemaSession(dump);
  types->Run("CREATE TYPE public.mood AS ENUM ('ok');");
  types->Run("CREATE TYPE public.pair AS (a integer, b integer);");
  types->Run("CREATE TYPE public.mood AS ENUM ('ok');");  // kept once
  dest->KeepSourcePosition({{"postgresql_wal_lsn", "0/1A2B3C"}, {"postgresql_snapshot", "9:9:"}});
  CHECK(ReadText(manifest) == written);

  std::optional<Manifest> seen = LoadManifest(folder);
  REQUIRE(seen);
  CHECK(seen->type_setup == dump.session_setup);
  CHECK(seen->types == std::vector<std::string>{"CREATE TYPE public.mood AS ENUM ('ok');",
                                                "CREATE TYPE public.pair AS (a integer, b "
                                                "integer);"});
  REQUIRE(seen->snapshots.size() == 1);
  CHECK(seen->snapshots[0].run == run.id);
  CHECK(!seen->snapshots[0].taken_at.empty());
  // A JSON object: its members in name order.
  CHECK(seen->snapshots[0].position ==
        std::vector<std::pair<std::string, std::string>>{{"postgresql_snapshot", "9:9:"},
                                                         {"postgresql_wal_lsn", "0/1A2B3C"}});
  // Folded into the manifest when the run ends, field by field.
  e.store->FinishRun(run.id, RunStatus::kDone, "done");
  const Manifest done = ManifestFromJson(ReadText(manifest), manifest);
  CHECK(done.types == seen->types);
  CHECK(done.snapshots.size() == 1);
}

TEST_CASE(
    "large objects committed into a staging directory are a journal record a reader replays: "
    "each file whole, with its size and SHA-256, and one not committed leaves no entry",
    "[staging][journal][large_objects]") {
  test::TempDir temp;
  const std::string folder = temp.path() + "/stage";
  EndpointExport e(folder, 0);
  std::unique_ptr<LargeObjectStore> objects = e.dest->OpenLargeObjects();
  REQUIRE(objects);
  CHECK(objects->List().empty());  // the export begins carrying them: a list, empty
  objects->Begin();
  objects->Create({16401, "alice", {{"", "SELECT", false}}});
  objects->Append("hello, ");
  objects->Append("world");
  objects->Create({16402, "bob", {}});
  objects->Commit();
  objects->Begin();
  objects->Create({16403, "bob", {}});
  objects->Append("never committed");
  objects->Rollback();

  std::optional<Manifest> seen = LoadManifest(folder);
  REQUIRE(seen);
  REQUIRE(seen->large_objects);
  REQUIRE(seen->large_objects->size() == 2);
  const LargeObjectEntry& first = (*seen->large_objects)[0];
  CHECK(first.object.oid == 16401);
  CHECK(first.object.owner == "alice");
  REQUIRE(first.object.grants.size() == 1);
  CHECK(first.object.grants[0].privilege == "SELECT");
  CHECK(first.bytes == 12);
  CHECK(first.sha256 == "09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b");
  CHECK(first.codec == "zstd");
  CHECK(first.file_bytes == int64_t(fs::file_size(folder + "/" + first.file)));
  std::string read;
  CHECK(ReadLargeObjectFile(folder, first, [&](std::string_view b) { read += b; }).empty());
  CHECK(read == "hello, world");
  CHECK((*seen->large_objects)[1].bytes == 0);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(folder + "/" + kLargeObjectFolder)) {
    files.push_back(e.path().filename().string());
  }
  CHECK(files.size() == 2);
}

TEST_CASE(
    "a manifest of version 2 (no table records) is still read, and one of a newer version is "
    "refused naming its version and what to do",
    "[staging][journal]") {
  Manifest m;
  TableEntry t;
  t.shape.name = kTable;
  m.tables.push_back(t);
  auto as_version = [&](int version) {
    nlohmann::json j = nlohmann::json::parse(ManifestToJson(m));
    j.erase("checksum");
    j["version"] = version;
    j["checksum"] = Checksum(j);
    return j.dump();
  };
  CHECK(nlohmann::json::parse(ManifestToJson(m)).at("version") == kManifestVersion);
  const Manifest old = ManifestFromJson(as_version(2), "stage/manifest.json");
  REQUIRE(old.tables.size() == 1);
  CHECK(old.tables[0].shape.name == kTable);
  CHECK_THROWS_WITH(
      ManifestFromJson(as_version(kManifestVersion + 1), "stage/manifest.json"),
      Catch::Contains("stage/manifest.json: manifest version " +
                      std::to_string(kManifestVersion + 1) + "; this ferry reads versions 1 to " +
                      std::to_string(kManifestVersion) + " (a newer ferry wrote it"));
}

TEST_CASE("a manifest keeps the source's schema dump, sequences and identity field by field",
          "[staging][journal]") {
  Manifest m;
  m.source_identity = "PostgreSQL cluster 1, database app (oid 5)";
  KeptSchema kept;
  kept.dump.tool = "pg_dump 15.18";
  kept.dump.session_setup = {"SET client_encoding = 'UTF8';"};
  SchemaObject view{"VIEW", "film_list", {"public", "film_list"}, "CREATE VIEW ...", 0};
  view.reads = {kTable};
  view.needs = {{CloneNeed::Kind::kExtension, "citext", "it uses extension citext"}};
  view.schema = "public";
  kept.dump.before_data = {view};
  SchemaObject fk{"FK CONSTRAINT", "film_fk", kTable, "ALTER TABLE ...", 2};
  fk.references = {"public", "language"};
  kept.dump.after_data = {fk};
  kept.dump.not_carried = {{"publication p", "publications are not dumped"}};
  kept.request.tables = {kTable};
  kept.request.excluded = {{"public", "other"}};
  kept.request.routines = false;
  kept.unqualified = true;
  kept.default_schema = "public";
  kept.other_objects = {{"public", "view", "public.film_list"}};
  m.schema = kept;
  SequenceState seq;
  seq.name = {"public", "ticket_number_seq"};
  seq.last_value = "1235";
  seq.increment = 5;
  seq.owned = true;
  m.sequences = {seq};

  const Manifest back = ManifestFromJson(ManifestToJson(m), "stage/manifest.json");
  CHECK(back.source_identity == m.source_identity);
  REQUIRE(back.schema);
  CHECK(back.schema->dump.tool == "pg_dump 15.18");
  CHECK(back.schema->dump.session_setup == kept.dump.session_setup);
  REQUIRE(back.schema->dump.before_data.size() == 1);
  const SchemaObject& v = back.schema->dump.before_data[0];
  CHECK((v.kind == "VIEW" && v.name == "film_list" && v.sql == "CREATE VIEW ..."));
  CHECK(v.reads == view.reads);
  REQUIRE(v.needs.size() == 1);
  CHECK(v.needs[0] == view.needs[0]);
  CHECK(v.needs[0].why == "it uses extension citext");
  CHECK(v.schema == "public");
  REQUIRE(back.schema->dump.after_data.size() == 1);
  CHECK(back.schema->dump.after_data[0].references == fk.references);
  CHECK(back.schema->dump.after_data[0].wave == 2);
  CHECK(back.schema->dump.not_carried[0].why == "publications are not dumped");
  CHECK(back.schema->request.tables == kept.request.tables);
  CHECK(back.schema->request.excluded == kept.request.excluded);
  CHECK(!back.schema->request.routines);
  CHECK(back.schema->unqualified);
  CHECK(back.schema->other_objects == kept.other_objects);
  REQUIRE(back.sequences.size() == 1);
  CHECK(back.sequences[0].name == seq.name);
  CHECK(back.sequences[0].last_value == "1235");
  CHECK(back.sequences[0].increment == 5);
  CHECK(back.sequences[0].owned);
  // A manifest without them (an older ferry's) reads as none.
  const Manifest none = ManifestFromJson(ManifestToJson(Manifest{}), "stage/manifest.json");
  CHECK(!none.schema);
  CHECK(none.sequences.empty());
}
