#include <fmt/format.h>

#include <optional>

#include "scheduler/planning.hpp"
#include "scheduler/verify_state.hpp"

namespace ferry::verify {

namespace {

// Whether a key range on this column holds the same rows on both ends: numbers, dates and
// times order by value everywhere; text follows each column's collation, and UUIDs each
// engine's own byte order.
bool SameOrderOnBothEnds(const ColumnType& source, const ColumnType& destination) {
  auto by_value = [](const ColumnType& t) {
    switch (StorageOf(t)) {
      case Storage::kBool:
      case Storage::kInt64:
      case Storage::kUInt64:
      case Storage::kDecimal:
      case Storage::kFloat64:
      case Storage::kDate:
      case Storage::kTime:
      case Storage::kTimestamp:
        return true;
      default:
        return false;
    }
  };
  return by_value(source) && by_value(destination);
}

// Why the servers cannot hash this table's rows for the comparison, or "" when they can: both
// must hash rows alike (same engine, the same server_row_hash), and every compared column must
// have the same declared type at both ends, as for PostgreSQL's pass-through, since the servers
// hash their own forms of the values, not ferry's canonical form.
std::string ServerHashRefusal(const TableCopyPlan& copy, const EndpointInfo& source,
                              const EndpointInfo& destination) {
  if (source.server_row_hash.empty()) {
    return fmt::format("the source ({}) cannot hash rows itself", EngineName(source.engine));
  }
  if (destination.server_row_hash.empty()) {
    return fmt::format("the destination ({}) cannot hash rows itself",
                       EngineName(destination.engine));
  }
  if (source.engine != destination.engine) return "the two ends are different engines";
  if (source.server_row_hash != destination.server_row_hash) {
    return fmt::format("the servers hash rows differently ({}; {})", source.server_row_hash,
                       destination.server_row_hash);
  }
  for (size_t i = 0; i < copy.source_columns.size(); ++i) {
    const Column& s = copy.source.columns[size_t(copy.source_columns[i])];
    const Column& d = copy.destination.columns[size_t(copy.destination_columns[i])];
    if (s.type.native.empty() || s.type.native != d.type.native) {
      return fmt::format("column {} is {} at the source and {} at the destination", d.name,
                         s.type.native, d.type.native);
    }
  }
  return "";
}

}  // namespace

void Prepare(TableState& t, Endpoint& source, Endpoint& destination, const VerifyOptions& options) {
  const TablePlan& plan = *t.plan;
  const std::string shown = DisplayName(plan.source);
  std::optional<Table> table = source.DescribeTable(plan.source);
  if (!table) {
    throw Error(ErrorCode::kNotFound, "the source table does not exist",
                ErrorContext{shown, "", "", ""});
  }
  std::vector<std::string> drift = ShapeDrift(plan, *table);
  if (!drift.empty()) {
    std::string list;
    for (const std::string& d : drift) list += "\n    " + d;
    throw Error(ErrorCode::kSchema,
                fmt::format("the source table changed since the plan was made:{}", list),
                ErrorContext{shown, "", "", ""});
  }
  std::vector<ColumnChoice> choices;
  for (const PlannedColumn& c : plan.columns) {
    auto index = table->FindColumn(c.source);
    if (!index) {
      throw Error(ErrorCode::kSchema, "the plan names a column the source table lacks",
                  ErrorContext{shown, c.source, "", ""});
    }
    choices.push_back({*index, c.destination, c.destination_type});
  }
  t.copy = PlanTableCopy(*table, source.info().engine, destination, plan.destination, choices,
                         plan.primary_key);
  KeepValueTypes(t.copy, source.info(), destination.info());
  if (t.copy.create) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("destination table {} does not exist", DisplayName(plan.destination)),
                ErrorContext{shown, "", "", ""});
  }
  std::vector<CanonicalForm> forms;
  t.source_position.assign(t.copy.source.columns.size(), -1);
  std::vector<int> destination_of(t.copy.source.columns.size(), -1);
  for (size_t i = 0; i < t.copy.source_columns.size(); ++i) {
    const Column& s = t.copy.source.columns[size_t(t.copy.source_columns[i])];
    const Column& d = t.copy.destination.columns[size_t(t.copy.destination_columns[i])];
    forms.push_back(CanonicalFormFor(s.type, d.type));
    t.column_names.push_back(d.name);
    t.source_position[size_t(t.copy.source_columns[i])] = int(i);
    destination_of[size_t(t.copy.source_columns[i])] = t.copy.destination_columns[i];
  }
  t.hasher.emplace(std::move(forms));
  for (int p : t.copy.key_positions) {
    t.key_names.push_back(t.copy.source.columns[size_t(t.copy.source_columns[size_t(p)])].name);
  }

  std::string why;
  std::vector<WorkUnit> units = PlannedUnits(plan, t.copy.source, source, options.partitions, &why);
  auto translate = [&](const KeyRange& range) -> std::optional<KeyRange> {
    KeyRange out = range;
    for (int& c : out.key_columns) {
      if (destination_of[size_t(c)] < 0) return std::nullopt;
      c = destination_of[size_t(c)];
    }
    return out;
  };
  bool by_units = t.keyed();
  std::vector<RangePair> ranges;
  for (const WorkUnit& unit : units) {
    if (unit.range.by_location) by_units = false;
    std::optional<KeyRange> d = translate(unit.range);
    if (!d) by_units = false;
    for (size_t k = 0; d && k < unit.range.key_columns.size(); ++k) {
      if (!SameOrderOnBothEnds(t.copy.source.columns[size_t(unit.range.key_columns[k])].type,
                               t.copy.destination.columns[size_t(d->key_columns[k])].type)) {
        by_units = false;
      }
    }
    if (by_units) ranges.push_back({unit.range, *d});
  }
  if (!by_units || ranges.empty()) {
    // Heap pages mean nothing at the other end, and bounds on text or UUID keys select other
    // rows where the other end orders them otherwise (collations; MariaDB's UUID order), so
    // that ranges would overlap or leave gaps there: such tables are compared whole.
    ranges = {RangePair{}};
  }
  if (ranges.size() == 1 && ranges[0].source.IsWholeTable() && t.keyed() &&
      t.copy.key_positions.size() == 1) {
    // A whole table with a one-column key: name the key, so the range can be cut by it.
    const int k = t.copy.source_columns[size_t(t.copy.key_positions[0])];
    ranges[0].source.key_columns = {k};
    ranges[0].destination.key_columns = {destination_of[size_t(k)]};
  }
  t.ranges = std::move(ranges);

  TableVerification& r = *t.result;
  if (options.hash == HashPath::kClient) {
    r.hash_note = "--hash client";
  } else {
    r.hash_note = ServerHashRefusal(t.copy, source.info(), destination.info());
    if (r.hash_note.empty() && options.hash == HashPath::kAuto &&
        !(source.info().server_row_hash_faster && destination.info().server_row_hash_faster)) {
      r.hash_note = fmt::format("faster than {} hashing rows itself (--hash server asks for that)",
                                EngineName(source.info().engine));
    }
    t.server_hash = r.hash_note.empty();
  }
  r.hash = t.server_hash ? "server" : "client";
}

}  // namespace ferry::verify
