// The destination's foreign keys set aside for a load (copier/held_foreign_key.hpp): found in
// pg_constraint, dropped, and added back with their own names and definitions.
#include <fmt/format.h>

#include "copier/error.hpp"
#include "copier/secrets.hpp"
#include "drivers/postgres/postgres_catalog.hpp"
#include "drivers/postgres/postgres_endpoint.hpp"

namespace ferry {

namespace {

constexpr const char* kNotValid = " NOT VALID";

}  // namespace

std::vector<HeldForeignKey> PostgresEndpoint::ForeignKeysOn(const std::vector<TableName>& tables) {
  std::vector<HeldForeignKey> out;
  if (tables.empty()) return out;
  std::string oids;
  for (const TableName& t : tables) {
    oids += fmt::format("{}to_regclass({})", oids.empty() ? "" : ", ",
                        dialect().TextLiteral(dialect().QualifiedName(t)));
  }
  // With only pg_catalog on the search path, pg_get_constraintdef qualifies every table it
  // names: the definition means the same on any later session, whatever its search_path.
  std::unique_ptr<SqlSession> session = OpenSqlSession();
  session->Execute("SET search_path = pg_catalog");
  // conparentid: a partition's copy of its parent's key goes and comes with the parent's.
  auto rows = session->Query(fmt::format(
      "SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid), rn.nspname, "
      "r.relname, con.convalidated, pg_get_userbyid(c.relowner), pg_has_role(c.relowner, "
      "'USAGE'), has_table_privilege(con.confrelid, 'REFERENCES') FROM pg_constraint con JOIN "
      "pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN "
      "pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace "
      "WHERE con.contype = 'f' AND con.conparentid = 0 AND (con.conrelid IN ({0}) OR "
      "con.confrelid IN ({0})) ORDER BY 1, 2, 3",
      oids));
  for (const auto& row : rows) {
    HeldForeignKey k;
    k.table = {row[0].value_or(""), row[1].value_or("")};
    k.name = row[2].value_or("");
    k.definition = row[3].value_or("");
    const std::string suffix = kNotValid;
    if (k.definition.size() > suffix.size() &&
        k.definition.compare(k.definition.size() - suffix.size(), suffix.size(), suffix) == 0) {
      k.definition.resize(k.definition.size() - suffix.size());
    }
    k.references = {row[4].value_or(""), row[5].value_or("")};
    k.validated = pg::IsTrue(row[6]);
    k.owner = row[7].value_or("");
    k.owned = pg::IsTrue(row[8]);
    k.may_reference = pg::IsTrue(row[9]);
    out.push_back(std::move(k));
  }
  return out;
}

void PostgresEndpoint::DropForeignKey(const HeldForeignKey& key) {
  WithLockWaits(
      {key.table, key.references}, "drop foreign key " + key.name + " of",
      [&](SqlSession& session) {
        session.Execute(fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                                    dialect().QualifiedName(key.table), dialect().Quote(key.name)));
      });
}

void PostgresEndpoint::RestoreForeignKey(const HeldForeignKey& key) {
  const std::string table = dialect().QualifiedName(key.table);
  const std::string add = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", table,
                                      dialect().Quote(key.name), key.definition);
  WithLockWaits({key.table, key.references}, "add foreign key " + key.name + " back to",
                [&](SqlSession& session) {
                  // Back already (a run killed after adding it, before forgetting its record).
                  const auto there = session.Query(fmt::format(
                      "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass({}) "
                      "AND conname = {}",
                      dialect().TextLiteral(table), dialect().TextLiteral(key.name)));
                  if (!there.empty()) return;
                  try {
                    session.Execute(add + (key.validated ? "" : kNotValid));
                    return;
                  } catch (const Error& e) {
                    if (!key.validated || e.reason() != ErrorReason::kForeignKey) throw;
                  }
                  // Never left dropped: back NOT VALID (new rows are checked), and said.
                  session.Execute(add + kNotValid);
                  throw ForeignKeyViolation(session, key);
                });
}

// Names a row of `key.table` whose key has no match, for the error about it.
Error PostgresEndpoint::ForeignKeyViolation(SqlSession& session, const HeldForeignKey& key) {
  const std::string table = dialect().QualifiedName(key.table);
  auto pairs = session.Query(fmt::format(
      "SELECT a.attname, fa.attname FROM pg_catalog.pg_constraint con CROSS JOIN LATERAL "
      "unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(c, f, i) JOIN "
      "pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.c JOIN "
      "pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.f WHERE "
      "con.conrelid = to_regclass({}) AND con.conname = {} ORDER BY k.i",
      dialect().TextLiteral(table), dialect().TextLiteral(key.name)));
  std::string names, selected, present, match;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const std::string c = "c." + dialect().Quote(pairs[i][0].value_or(""));
    const std::string p = "p." + dialect().Quote(pairs[i][1].value_or(""));
    const char* sep = i > 0 ? ", " : "";
    names += sep + pairs[i][0].value_or("");
    selected += std::string(sep) + c + "::text";
    present += std::string(i > 0 ? " AND " : "") + c + " IS NOT NULL";
    match += std::string(i > 0 ? " AND " : "") + p + " = " + c;
  }
  std::string example = "(" + names + ")";
  if (!pairs.empty()) {
    auto rows = session.Query(fmt::format(
        "SELECT {} FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {}) LIMIT 1",
        selected, table, present, dialect().QualifiedName(key.references), match));
    if (!rows.empty()) {
      std::string values;
      for (size_t i = 0; i < rows[0].size(); ++i) {
        values += (i > 0 ? ", " : "") + ShownText(rows[0][i].value_or(""));
      }
      example += "=(" + values + ")";
    }
  }
  const std::string shown = DisplayName(key.table);
  return Error(ErrorCode::kData,
               fmt::format("foreign key {} of {} no longer holds after the load: a row of {} "
                           "references {} that {} does not have; it was added back NOT VALID "
                           "(new rows are checked, the existing ones are not): correct the rows, "
                           "then ALTER TABLE {} VALIDATE CONSTRAINT {}",
                           key.name, shown, shown, example, DisplayName(key.references), table,
                           dialect().Quote(key.name)),
               ErrorContext{shown, "", example, ""});
}

}  // namespace ferry
