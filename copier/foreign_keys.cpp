#include "copier/foreign_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace ferry {

void AddForeignKeys(Table& table, const std::vector<ForeignKeyColumnRow>& rows) {
  for (size_t r = 0; r < rows.size();) {
    ForeignKey fk;
    fk.name = rows[r].constraint;
    fk.references = rows[r].references;
    fk.on_delete = rows[r].on_delete;
    fk.on_update = rows[r].on_update;
    fk.deferrable = rows[r].deferrable;
    bool unknown_column = false;
    for (; r < rows.size() && rows[r].constraint == fk.name; ++r) {
      auto column = table.FindColumn(rows[r].column);
      if (!column) unknown_column = true;
      if (column) fk.columns.push_back(*column);
      fk.referenced_columns.push_back(rows[r].referenced_column);
    }
    if (!unknown_column) table.foreign_keys.push_back(std::move(fk));
  }
}

}  // namespace ferry

namespace ferry {

namespace {

using ColumnId = std::pair<TableName, std::string>;

// The groups of columns that foreign keys join, each column with its table's type: a column
// referenced by two keys, or referencing one column and referenced by another, joins them.
std::vector<std::vector<std::pair<ColumnId, const ColumnType*>>> KeyGroups(
    const std::vector<Table>& tables) {
  std::map<ColumnId, ColumnId> parent;
  std::map<ColumnId, const ColumnType*> types;
  auto find = [&](ColumnId id) {
    while (parent.at(id) != id) id = parent.at(id);
    return id;
  };
  auto node = [&](const Table& table, int column) {
    ColumnId id{table.name, table.columns[size_t(column)].name};
    parent.emplace(id, id);
    types.emplace(id, &table.columns[size_t(column)].type);
    return id;
  };
  for (const Table& table : tables) {
    for (const ForeignKey& fk : table.foreign_keys) {
      auto referenced = std::find_if(tables.begin(), tables.end(),
                                     [&](const Table& t) { return t.name == fk.references; });
      if (referenced == tables.end()) continue;
      for (size_t i = 0; i < fk.columns.size() && i < fk.referenced_columns.size(); ++i) {
        std::optional<int> to = referenced->FindColumn(fk.referenced_columns[i]);
        if (!to) continue;
        ColumnId a = find(node(table, fk.columns[i]));
        ColumnId b = find(node(*referenced, *to));
        if (a != b) parent[a] = b;
      }
    }
  }
  std::map<ColumnId, std::vector<std::pair<ColumnId, const ColumnType*>>> groups;
  for (const auto& [id, type] : types) groups[find(id)].emplace_back(id, type);
  std::vector<std::vector<std::pair<ColumnId, const ColumnType*>>> out;
  for (auto& [root, members] : groups) {
    if (members.size() > 1) out.push_back(std::move(members));
  }
  return out;
}

// The next integer width that holds every value of an unsigned one as signed (0: none does).
int SignedWidthHolding(int unsigned_bits) {
  return unsigned_bits < 16   ? 16
         : unsigned_bits < 24 ? 24
         : unsigned_bits < 32 ? 32
         : unsigned_bits < 64 ? 64
                              : 0;
}

// One integer type for every member, or nothing when none holds them all (a BIGINT UNSIGNED
// and a signed column).
std::optional<ColumnType> JoinIntegers(
    const std::vector<std::pair<ColumnId, const ColumnType*>>& members) {
  int widest_signed = 0, widest_unsigned = 0;
  for (const auto& [id, type] : members) {
    if (type->kind != TypeKind::kInteger) return std::nullopt;
    int& widest = type->is_unsigned ? widest_unsigned : widest_signed;
    widest = std::max(widest, type->width_bits);
  }
  ColumnType out = *members.front().second;
  out.is_unsigned = widest_signed == 0;
  out.width_bits = out.is_unsigned ? widest_unsigned : widest_signed;
  if (!out.is_unsigned && widest_unsigned > 0) {
    const int holding = SignedWidthHolding(widest_unsigned);
    if (holding == 0) return std::nullopt;
    out.width_bits = std::max(out.width_bits, holding);
  }
  return out;
}

bool IsText(TypeKind kind) {
  return kind == TypeKind::kChar || kind == TypeKind::kVarchar || kind == TypeKind::kText;
}
bool IsBytes(TypeKind kind) {
  return kind == TypeKind::kBinary || kind == TypeKind::kVarbinary || kind == TypeKind::kBlob;
}

// Text or bytes the destination cannot index whole, given `longest` (the bounded kind to use).
bool TooLongToKey(const ColumnType& type, int64_t longest) {
  if (type.kind == TypeKind::kText || type.kind == TypeKind::kBlob) return true;
  return type.length > longest;
}

// Where `type` stands in a foreign key. kSame: MariaDB's classes (a boolean is a TINYINT there);
// else the families whose values compare with each other (PostgreSQL compares an integer with
// a numeric, a date with a timestamp, but a text with neither).
int KeyClass(const ColumnType& type, KeyTypeMatch match) {
  const bool same = match == KeyTypeMatch::kSame;
  switch (type.kind) {
    case TypeKind::kBoolean:
      return same ? 1 : 0;
    case TypeKind::kInteger:
      return 1;
    case TypeKind::kDecimal:
      return same ? 2 : 1;
    case TypeKind::kReal:
      return same ? 3 : 1;
    case TypeKind::kDouble:
      return same ? 4 : 1;
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kText:
      return 5;
    case TypeKind::kBinary:
    case TypeKind::kVarbinary:
    case TypeKind::kBlob:
      return 6;
    case TypeKind::kDate:
      return same ? 7 : 8;
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return 8;
    case TypeKind::kTime:
      return 9;
    case TypeKind::kUuid:
      return 10;
    case TypeKind::kJson:
      return 11;
    case TypeKind::kAny:
    case TypeKind::kUnsupported:
      return 12;
  }
  return 12;
}

}  // namespace

KeyColumnTypes UnifyForeignKeyTypes(const std::vector<Table>& tables,
                                    const EngineTraits& destination) {
  KeyColumnTypes out;
  if (destination.foreign_key_types != KeyTypeMatch::kSame) return out;
  const int64_t longest_text = destination.longest_key_text;
  for (const auto& members : KeyGroups(tables)) {
    auto all = [&](bool (*is)(TypeKind)) {
      return std::all_of(members.begin(), members.end(),
                         [&](const auto& m) { return is(m.second->kind); });
    };
    if (std::optional<ColumnType> joined = JoinIntegers(members)) {
      for (const auto& [id, type] : members) {
        if (type->width_bits != joined->width_bits || type->is_unsigned != joined->is_unsigned) {
          ColumnType widened = *type;
          widened.width_bits = joined->width_bits;
          widened.is_unsigned = joined->is_unsigned;
          out.emplace(id, widened);
        }
      }
    } else if (longest_text > 0 && (all(IsText) || all(IsBytes))) {
      const bool text = IsText(members.front().second->kind);
      const int64_t longest = text ? longest_text : longest_text * 4;
      for (const auto& [id, type] : members) {
        if (!TooLongToKey(*type, longest)) continue;
        ColumnType bounded = *type;
        bounded.kind = text ? TypeKind::kVarchar : TypeKind::kVarbinary;
        bounded.length = longest;
        out.emplace(id, bounded);
      }
    }
  }
  return out;
}

std::string ForeignKeyTypeProblem(const std::vector<const Column*>& referencing,
                                  const std::vector<const Column*>& referenced,
                                  const EngineTraits& destination) {
  const KeyTypeMatch match = destination.foreign_key_types;
  if (match == KeyTypeMatch::kAny) return "";
  for (size_t i = 0; i < referencing.size() && i < referenced.size(); ++i) {
    const Column& a = *referencing[i];
    const Column& b = *referenced[i];
    auto problem = [&](const std::string& why) {
      return fmt::format("column {} ({}) cannot reference {} ({}): {}", a.name, a.type.native,
                         b.name, b.type.native, why);
    };
    const int ca = KeyClass(a.type, match), cb = KeyClass(b.type, match);
    if (ca != cb || (ca == 12 && a.type.native != b.type.native)) {
      return problem("the destination does not compare these types in a key");
    }
    if (match != KeyTypeMatch::kSame) continue;
    auto width = [](const ColumnType& t) {
      return t.kind == TypeKind::kBoolean ? 8 : t.width_bits;
    };
    if (ca == 1 && (width(a.type) != width(b.type) || a.type.is_unsigned != b.type.is_unsigned)) {
      return problem("the destination keys integers of one width and signedness only");
    }
    const int64_t longest = destination.longest_key_text;
    if (longest > 0 && (ca == 5 || ca == 6)) {
      const int64_t limit = ca == 5 ? longest : longest * 4;
      for (const Column* c : {&a, &b}) {
        if (TooLongToKey(c->type, limit)) {
          return problem(fmt::format("the destination indexes at most {} {} of {} whole", limit,
                                     ca == 5 ? "characters" : "bytes", c->name));
        }
      }
    }
  }
  return "";
}

void FollowReferencedKeyOrder(ForeignKey& fk, const Table& referenced) {
  std::vector<std::vector<int>> keys{referenced.primary_key};
  for (const Index& index : referenced.unique_indexes) keys.push_back(index.columns);
  for (const std::vector<int>& key : keys) {
    if (key.size() != fk.referenced_columns.size() || key.size() != fk.columns.size()) continue;
    std::vector<size_t> order;  // for each column of the key, its position in fk
    for (int c : key) {
      const std::string& name = referenced.columns[size_t(c)].name;
      auto at = std::find(fk.referenced_columns.begin(), fk.referenced_columns.end(), name);
      if (at == fk.referenced_columns.end()) break;
      order.push_back(size_t(at - fk.referenced_columns.begin()));
    }
    if (order.size() != key.size()) continue;
    ForeignKey ordered = fk;
    for (size_t i = 0; i < order.size(); ++i) {
      ordered.columns[i] = fk.columns[order[i]];
      ordered.referenced_columns[i] = fk.referenced_columns[order[i]];
    }
    fk = std::move(ordered);
    return;
  }
}

}  // namespace ferry
