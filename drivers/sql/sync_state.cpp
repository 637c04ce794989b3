// Sync positions (SyncStateStore) in a table of the destination's run-state schema.
#include <fmt/format.h>

#include <random>

#include "copier/error.hpp"
#include "copier/run_state.hpp"
#include "drivers/run_state_tables.hpp"
#include "drivers/sql/change_log.hpp"

namespace ferry {

namespace {

class SqlSyncState final : public SyncStateStore {
 public:
  SqlSyncState(std::unique_ptr<SqlSession> session, const Dialect& dialect, std::string schema,
               std::string legacy_schema, std::string prefix)
      : session_(std::move(session)),
        dialect_(dialect),
        name_{std::move(schema), prefix + "sync_state"},
        legacy_{std::move(legacy_schema), prefix + "sync_state"} {}

  void Prepare() override {
    // Once the table is there with every column, one statement says so (HasColumns).
    if (!HasColumns(*session_, dialect_, {Shape(name_)})) Build();
    if (name_.schema != legacy_.schema) MoveLegacyState();
  }

  void Build() {
    if (name_.schema != legacy_.schema) {
      try {
        const std::string missing = dialect_.CreateMissingSchemaSql(name_.schema);
        session_->Execute(missing.empty() ? dialect_.CreateSchemaSql(name_.schema) : missing);
      } catch (Error& e) {
        e.WithAdvice(fmt::format(
            "ferry keeps its sync state with its run state in {} {} of the destination, apart "
            "from the application's tables: let ferry's user create it, create it for that "
            "user, or choose another place with --state-schema (FERRY_STATE_SCHEMA)",
            dialect_.engine() == Engine::kMariaDB ? "database" : "schema", name_.schema));
        throw;
      }
    }
    if (std::optional<Table> t = dialect_.DescribeTable(*session_, name_)) {
      AddShape(*t);
    } else {
      session_->Execute(dialect_.CreateTableSql(Shape(name_)));
    }
  }

  std::optional<SyncPosition> Get(const TableName& d) override {
    auto rows = session_->Query(
        fmt::format("SELECT mode, position, updated_at, shape FROM {} WHERE dest_schema = {} "
                    "AND dest_name = {}",
                    dialect_.QualifiedName(name_), dialect_.TextLiteral(d.schema),
                    dialect_.TextLiteral(d.name)));
    if (rows.empty()) return std::nullopt;
    return SyncPosition{rows[0][0].value_or(""), rows[0][1].value_or(""), rows[0][2].value_or(""),
                        rows[0][3].value_or("")};
  }

  void SetShape(const TableName& d, const std::string& shape) override {
    session_->Execute(
        fmt::format("UPDATE {} SET shape = {} WHERE dest_schema = {} AND dest_name "
                    "= {}",
                    dialect_.QualifiedName(name_), dialect_.TextLiteral(shape),
                    dialect_.TextLiteral(d.schema), dialect_.TextLiteral(d.name)));
  }

  void Set(const TableName& d, const SyncPosition& p) override {
    session_->Execute(dialect_.quirks().begin_sql);
    try {
      for (const std::string& s : SetSql(d, p)) session_->Execute(s);
      session_->Execute("COMMIT");
    } catch (...) {
      try {
        session_->Execute("ROLLBACK");
      } catch (const Error&) {
      }
      throw;
    }
  }

  // A row of the state table that names no table (dest_name is empty) holds the identity.
  std::string Identity() override {
    const TableName none{"", ""};
    if (std::optional<SyncPosition> at = Get(none); at && at->mode == "identity") {
      return at->position;
    }
    std::random_device random;
    std::string id;
    for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", uint32_t(random()));
    Set(none, SyncPosition{"identity", id, ""});
    return id;
  }

  void AddColumn(const Table& table, size_t column) override {
    // Nullable and without identity: the rows already there get their values afterwards.
    const Column& c = table.columns[column];
    session_->Execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}",
                                  dialect_.QualifiedName(table.name), dialect_.Quote(c.name),
                                  c.type.native));
  }

  void DropColumn(const TableName& table, const std::string& column) override {
    session_->Execute(fmt::format("ALTER TABLE {} DROP COLUMN {}", dialect_.QualifiedName(table),
                                  dialect_.Quote(column)));
  }

  std::vector<std::string> SetSql(const TableName& d, const SyncPosition& p) override {
    return {Delete(d),
            fmt::format("INSERT INTO {} (dest_schema, dest_name, mode, position, "
                        "updated_at, shape) VALUES ({}, {}, {}, {}, {}, {})",
                        dialect_.QualifiedName(name_), dialect_.TextLiteral(d.schema),
                        dialect_.TextLiteral(d.name), dialect_.TextLiteral(p.mode),
                        dialect_.TextLiteral(p.position), dialect_.TextLiteral(UtcTimestamp()),
                        p.shape.empty() ? "NULL" : dialect_.TextLiteral(p.shape))};
  }

  void Forget(const TableName& d) override { session_->Execute(Delete(d)); }

 private:
  std::string Delete(const TableName& d) const {
    return fmt::format("DELETE FROM {} WHERE dest_schema = {} AND dest_name = {}",
                       dialect_.QualifiedName(name_), dialect_.TextLiteral(d.schema),
                       dialect_.TextLiteral(d.name));
  }

  // The state table's columns, keyed by the destination table.
  Table Shape(const TableName& name) const {
    Table t;
    t.name = name;
    auto add = [&](const char* column, TypeKind kind, int64_t length, bool key) {
      Column c;
      c.name = column;
      c.type.kind = kind;
      c.type.length = length;
      c.type = dialect_.MapType(c.type, Engine::kOther);
      c.nullable = !key;
      if (key) t.primary_key.push_back(int(t.columns.size()));
      t.columns.push_back(c);
    };
    add("dest_schema", TypeKind::kVarchar, 255, true);
    add("dest_name", TypeKind::kVarchar, 255, true);
    add("mode", TypeKind::kVarchar, 16, false);
    add("position", TypeKind::kText, -1, false);
    add("updated_at", TypeKind::kVarchar, 32, false);
    add("shape", TypeKind::kText, -1, false);
    return t;
  }

  // A state table of an older ferry gains the shape column.
  void AddShape(const Table& found) {
    if (found.FindColumn("shape")) return;
    Column c;
    c.type.kind = TypeKind::kText;
    c.type.length = -1;
    c.type = dialect_.MapType(c.type, Engine::kOther);
    session_->Execute(fmt::format("ALTER TABLE {} ADD COLUMN shape {}",
                                  dialect_.QualifiedName(found.name), c.type.native));
  }

  // Sync state an older ferry kept among the application's tables joins the run state: its
  // rows are copied (those not there yet, so a move cut short is completed, and a position
  // recorded since is never overwritten), then its table dropped.
  void MoveLegacyState() {
    std::optional<Table> old = dialect_.DescribeTable(*session_, legacy_);
    if (!old) return;
    AddShape(*old);
    const std::string columns = "dest_schema, dest_name, mode, position, updated_at, shape";
    session_->Execute(
        fmt::format("INSERT INTO {} ({}) SELECT o.dest_schema, o.dest_name, o.mode, o.position, "
                    "o.updated_at, o.shape FROM {} o WHERE NOT EXISTS (SELECT 1 FROM {} n WHERE "
                    "n.dest_schema = o.dest_schema AND n.dest_name = o.dest_name)",
                    dialect_.QualifiedName(name_), columns, dialect_.QualifiedName(legacy_),
                    dialect_.QualifiedName(name_)));
    session_->Execute("DROP TABLE " + dialect_.QualifiedName(legacy_));
  }

  std::unique_ptr<SqlSession> session_;
  const Dialect& dialect_;
  TableName name_;
  TableName legacy_;  // where an older ferry kept it: the destination's default schema
};

}  // namespace

std::unique_ptr<SyncStateStore> MakeSqlSyncState(std::unique_ptr<SqlSession> session,
                                                 const Dialect& dialect, std::string schema,
                                                 std::string legacy_schema, std::string prefix) {
  return std::make_unique<SqlSyncState>(std::move(session), dialect, std::move(schema),
                                        std::move(legacy_schema), std::move(prefix));
}

}  // namespace ferry
