#include "copier/foreign_keys.hpp"

namespace ferry {

void AddForeignKeys(Table& table, const std::vector<ForeignKeyColumnRow>& rows) {
  for (size_t r = 0; r < rows.size();) {
    ForeignKey fk;
    fk.name = rows[r].constraint;
    fk.references = rows[r].references;
    fk.on_delete = rows[r].on_delete;
    fk.on_update = rows[r].on_update;
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
