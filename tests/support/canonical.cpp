#include "tests/support/canonical.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "copier/text.hpp"

namespace ferry::test {

namespace {

Family ClassifyPostgres(const std::string& data_type) {
  const std::string t = Lower(data_type);
  if (t == "smallint" || t == "integer" || t == "bigint") return Family::kInteger;
  if (t == "numeric") return Family::kDecimal;
  if (t == "real") return Family::kFloat4;
  if (t == "double precision") return Family::kFloat8;
  if (t == "boolean") return Family::kBoolean;
  if (t == "character") return Family::kChar;
  if (t == "bytea") return Family::kBytes;
  if (t == "date") return Family::kDate;
  if (t.rfind("time without", 0) == 0) return Family::kTime;
  if (t.rfind("timestamp without", 0) == 0) return Family::kTimestamp;
  if (t.rfind("timestamp with", 0) == 0) return Family::kTimestampTz;
  if (t == "uuid") return Family::kUuid;
  if (t == "json" || t == "jsonb") return Family::kJson;
  return Family::kText;
}

Family ClassifyMariaDb(const std::string& data_type, const std::string& column_type, bool json) {
  const std::string t = Lower(data_type);
  if (json) return Family::kJson;
  if (t == "tinyint" && Lower(column_type) == "tinyint(1)") return Family::kBoolean;
  if (t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "bigint" ||
      t == "year") {
    return Family::kInteger;
  }
  if (t == "decimal") return Family::kDecimal;
  if (t == "float") return Family::kFloat4;
  if (t == "double") return Family::kFloat8;
  if (t == "char") return Family::kChar;
  if (t == "binary" || t == "varbinary" || t.find("blob") != std::string::npos) {
    return Family::kBytes;
  }
  if (t == "date") return Family::kDate;
  if (t == "time") return Family::kTime;
  if (t == "datetime") return Family::kTimestamp;
  if (t == "timestamp") return Family::kTimestampTz;
  if (t == "uuid") return Family::kUuid;
  return Family::kText;
}

Family ClassifySqlite(const std::string& declared) {
  std::string t = Lower(declared);
  t = t.substr(0, t.find('('));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (t == "boolean" || t == "bool") return Family::kBoolean;
  if (t == "float4") return Family::kFloat4;
  if (t == "real" || t == "double" || t == "float" || t == "double precision") {
    return Family::kFloat8;
  }
  if (t == "numeric" || t == "decimal" || t == "decimal_text") return Family::kDecimal;
  if (t == "char" || t == "character" || t == "nchar") return Family::kChar;
  if (t == "blob") return Family::kBytes;
  if (t == "date") return Family::kDate;
  if (t == "time") return Family::kTime;
  if (t == "datetime" || t == "timestamp") return Family::kTimestamp;
  if (t == "timestamptz") return Family::kTimestampTz;
  if (t == "uuid") return Family::kUuid;
  if (t == "json" || t == "json_text" || t == "jsonb" || t == "jsonb_text") return Family::kJson;
  if (t.find("int") != std::string::npos) return Family::kInteger;
  return Family::kText;
}

std::string QuoteIdent(Db db, const std::string& name) {
  char q = db == Db::kMariaDB ? '`' : '"';
  std::string out(1, q);
  for (char c : name) {
    out += c;
    if (c == q) out += c;
  }
  return out + q;
}

std::string Render(Db db, const ColumnInfo& c) {
  const std::string q = QuoteIdent(db, c.name);
  switch (db) {
    case Db::kPostgres:
      switch (c.family) {
        case Family::kTimestamp:
          return "to_char(" + q + ", 'YYYY-MM-DD HH24:MI:SS.US')";
        case Family::kTimestampTz:
          return "to_char(" + q + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
        case Family::kDate:
          return "to_char(" + q + ", 'YYYY-MM-DD')";
        case Family::kTime:
          return "to_char(DATE '2000-01-01' + " + q + ", 'HH24:MI:SS.US')";
        case Family::kBytes:
          return "encode(" + q + ", 'hex')";
        default:
          return q + "::text";
      }
    case Db::kMariaDB:
      switch (c.family) {
        case Family::kTimestamp:
        case Family::kTimestampTz:
          return "DATE_FORMAT(" + q + ", '%Y-%m-%d %H:%i:%s.%f')";
        case Family::kDate:
          return "DATE_FORMAT(" + q + ", '%Y-%m-%d')";
        case Family::kTime:
          return "TIME_FORMAT(" + q + ", '%H:%i:%s.%f')";
        case Family::kBytes:
          return "LOWER(HEX(" + q + "))";
        // MariaDB prints FLOAT with 6 digits; widened to DOUBLE it prints exactly.
        case Family::kFloat4:
          return "CAST(CAST(" + q + " AS DOUBLE) AS CHAR)";
        default:
          return "CAST(" + q + " AS CHAR)";
      }
    case Db::kSQLite:
      switch (c.family) {
        // hex(NULL) is '' in SQLite.
        case Family::kBytes:
          return "CASE WHEN " + q + " IS NULL THEN NULL ELSE lower(hex(" + q + ")) END";
        // Reals come back as doubles and are printed exactly by the test's own reader.
        case Family::kFloat4:
        case Family::kFloat8:
          return q;
        // A NUMERIC column's decimals are stored as reals that keep 15 digits.
        case Family::kDecimal:
          return "CASE WHEN typeof(" + q + ") = 'real' THEN printf('%.15g', " + q + ") ELSE CAST(" +
                 q + " AS TEXT) END";
        default:
          return "CAST(" + q + " AS TEXT)";
      }
  }
  return q;
}

std::string TrimFraction(std::string s) {
  // "12:00:00.500000" -> "12:00:00.5"; "12:00:00.000000" -> "12:00:00"
  size_t dot = s.rfind('.');
  if (dot == std::string::npos || s.find(':', dot) != std::string::npos) return s;
  while (s.size() > dot + 1 && s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string NormaliseTimestamp(std::string s, bool with_zone) {
  if (s.size() > 10 && s[10] == 'T') s[10] = ' ';
  if (s.size() == 10) s += " 00:00:00";
  if (!with_zone) return TrimFraction(s);
  // Apply a trailing zone (Z, +HH, +HH:MM, +HHMM) so the result is UTC.
  size_t zone = s.find_first_of("+-Z", 19);
  int offset_minutes = 0;
  if (zone != std::string::npos) {
    std::string z = s.substr(zone);
    if (z != "Z") {
      int sign = z[0] == '-' ? -1 : 1;
      std::string digits;
      for (char c : z.substr(1)) {
        if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
      }
      int hours = std::stoi(digits.substr(0, 2));
      int minutes = digits.size() >= 4 ? std::stoi(digits.substr(2, 2)) : 0;
      offset_minutes = sign * (hours * 60 + minutes);
    }
    s = s.substr(0, zone);
    while (!s.empty() && s.back() == ' ') s.pop_back();
  }
  if (offset_minutes != 0) {
    std::tm tm{};
    tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(s.substr(5, 2)) - 1;
    tm.tm_mday = std::stoi(s.substr(8, 2));
    tm.tm_hour = std::stoi(s.substr(11, 2));
    tm.tm_min = std::stoi(s.substr(14, 2));
    tm.tm_sec = std::stoi(s.substr(17, 2));
    time_t t = timegm(&tm) - offset_minutes * 60;
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    s = buf + s.substr(19);
  }
  return TrimFraction(s);
}

std::string NormaliseDecimal(std::string s) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative || (!s.empty() && s[0] == '+')) s = s.substr(1);
  if (s.find_first_of("eE") != std::string::npos) {
    // Exponent form (SQLite REAL): go through long double, exact for 15 digits.
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15Lg", std::strtold(s.c_str(), nullptr));
    s = buf;
    if (s.find_first_of("eE") != std::string::npos) {
      std::snprintf(buf, sizeof buf, "%.10Lf", std::strtold(s.c_str(), nullptr));
      s = buf;
    }
  }
  size_t dot = s.find('.');
  if (dot != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  size_t first = s.find_first_not_of('0');
  s = first == std::string::npos ? "0" : s.substr(first);
  if (s.empty() || s[0] == '.') s = "0" + s;
  if (s == "0") return "0";
  return negative ? "-" + s : s;
}

std::string NormaliseFloat(const std::string& s, bool single) {
  std::string t = Lower(s);
  if (t == "nan") return "NaN";
  if (t == "infinity" || t == "inf") return "Infinity";
  if (t == "-infinity" || t == "-inf") return "-Infinity";
  double d = std::strtod(s.c_str(), nullptr);
  char buf[64];
  if (single) {
    std::snprintf(buf, sizeof buf, "%.9g", double(float(d)));
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", d);
  }
  return buf;
}

}  // namespace

std::optional<std::string> Normalise(Family family, const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  const std::string& s = *text;
  switch (family) {
    case Family::kInteger:
      return NormaliseDecimal(s);
    case Family::kDecimal:
      return NormaliseDecimal(s);
    case Family::kFloat4:
      return NormaliseFloat(s, true);
    case Family::kFloat8:
      return NormaliseFloat(s, false);
    case Family::kBoolean: {
      std::string t = Lower(s);
      return (t == "1" || t == "t" || t == "true") ? "true" : "false";
    }
    case Family::kChar: {
      std::string t = s;
      while (!t.empty() && t.back() == ' ') t.pop_back();
      return t;
    }
    case Family::kText:
    case Family::kBytes:
      return s;
    case Family::kDate:
      return s.substr(0, 10);
    case Family::kTime:
      return TrimFraction(s);
    case Family::kTimestamp:
      return NormaliseTimestamp(s, false);
    case Family::kTimestampTz:
      return NormaliseTimestamp(s, true);
    case Family::kUuid:
      return Lower(s);
    case Family::kJson:
      return nlohmann::json::parse(s).dump();
  }
  return s;
}

std::vector<std::string> ListTables(TestDatabase& db) {
  std::string sql;
  switch (db.db()) {
    case Db::kPostgres:
      sql =
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
          "AND table_type = 'BASE TABLE' ORDER BY 1";
      break;
    case Db::kMariaDB:
      sql =
          "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
          "AND table_type = 'BASE TABLE' ORDER BY 1";
      break;
    case Db::kSQLite:
      sql =
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
          "ORDER BY 1";
      break;
  }
  std::vector<std::string> out;
  for (auto& r : db.Query(sql)) {
    // ferry's own run state (ferry_runs, ferry_tables, ferry_units) is not user data.
    if (r[0]->rfind("ferry_", 0) == 0) continue;
    out.push_back(*r[0]);
  }
  return out;
}

std::vector<ColumnInfo> DescribeColumns(TestDatabase& db, const std::string& table) {
  std::vector<ColumnInfo> out;
  std::string escaped;
  for (char c : table) {
    escaped += c;
    if (c == '\'') escaped += '\'';
  }
  switch (db.db()) {
    case Db::kPostgres:
      for (auto& r : db.Query("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_schema = 'public' AND table_name = '" +
                              escaped + "' ORDER BY ordinal_position")) {
        out.push_back({*r[0], *r[1], ClassifyPostgres(*r[1])});
      }
      break;
    case Db::kMariaDB: {
      auto checks = db.Query(
          "SELECT check_clause FROM information_schema.check_constraints WHERE "
          "constraint_schema = DATABASE() AND table_name = '" +
          escaped + "'");
      for (auto& r : db.Query("SELECT column_name, data_type, column_type FROM "
                              "information_schema.columns WHERE table_schema = DATABASE() AND "
                              "table_name = '" +
                              escaped + "' ORDER BY ordinal_position")) {
        bool json = false;
        for (auto& c : checks) {
          json = json || (c[0] && c[0]->find("json_valid(`" + *r[0] + "`)") != std::string::npos);
        }
        out.push_back({*r[0], *r[2], ClassifyMariaDb(*r[1], *r[2], json)});
      }
      break;
    }
    case Db::kSQLite:
      for (auto& r : db.Query("SELECT name, type FROM pragma_table_xinfo('" + escaped +
                              "') WHERE hidden IN (0, 2, 3) ORDER BY cid")) {
        out.push_back({*r[0], r[1].value_or(""), ClassifySqlite(r[1].value_or(""))});
      }
      break;
  }
  if (out.empty()) throw std::runtime_error("test comparator: no table " + table);
  return out;
}

TableContents ReadCanonical(TestDatabase& db, const std::string& table) {
  TableContents contents;
  contents.columns = DescribeColumns(db, table);
  std::string sql = "SELECT ";
  for (size_t i = 0; i < contents.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += Render(db.db(), contents.columns[i]);
  }
  // A PostgreSQL table's own rows: an inheritance parent's children are tables of their own
  // (a partitioned table's rows are its partitions', so it is read whole).
  const bool only =
      db.db() == Db::kPostgres &&
      db.QueryValue("SELECT relkind FROM pg_class WHERE oid = to_regclass(" +
                    std::string("'public.") + QuoteIdent(db.db(), table) + "')") == "r";
  sql += std::string(" FROM ") + (only ? "ONLY " : "") + QuoteIdent(db.db(), table);
  for (Row& row : db.Query(sql)) {
    for (size_t i = 0; i < row.size(); ++i) row[i] = Normalise(contents.columns[i].family, row[i]);
    contents.rows.push_back(std::move(row));
  }
  std::sort(contents.rows.begin(), contents.rows.end());
  return contents;
}

namespace {

// `value` quoted for a failure message: control characters escaped, cut on a character boundary.
std::string Shown(const std::string& value) {
  constexpr size_t kMostBytes = 240;
  size_t keep = std::min(value.size(), kMostBytes);
  while (keep > 0 && keep < value.size() &&
         (static_cast<unsigned char>(value[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  std::string out = "'";
  for (size_t i = 0; i < keep; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += char(c);
    }
  }
  out += "'";
  if (keep < value.size()) out += fmt::format("... ({} bytes)", value.size());
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::string LinesDifference(const std::vector<std::string>& expected,
                            const std::vector<std::string>& actual) {
  const size_t common = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < common; ++i) {
    if (expected[i] == actual[i]) continue;
    return fmt::format("line {} ({} lines expected, {} found): expected {}, found {}", i + 1,
                       expected.size(), actual.size(), Shown(expected[i]), Shown(actual[i]));
  }
  if (expected.size() == actual.size()) return "";
  const bool missing = expected.size() > actual.size();
  return fmt::format("{} lines expected, {} found; the first {}: {}", expected.size(),
                     actual.size(), missing ? "missing" : "extra",
                     Shown(missing ? expected[common] : actual[common]));
}

std::string LinesDifference(const std::string& expected, const std::string& actual) {
  return LinesDifference(SplitLines(expected), SplitLines(actual));
}

std::string FirstDifference(const TableContents& expected, const TableContents& actual) {
  if (expected.columns.size() != actual.columns.size()) {
    return fmt::format("{} columns expected, {} found", expected.columns.size(),
                       actual.columns.size());
  }
  for (size_t i = 0; i < expected.columns.size(); ++i) {
    if (Lower(expected.columns[i].name) != Lower(actual.columns[i].name)) {
      return fmt::format("column {} is named {} instead of {}", i + 1, actual.columns[i].name,
                         expected.columns[i].name);
    }
  }
  if (expected.rows.size() != actual.rows.size()) {
    return fmt::format("{} rows expected, {} found", expected.rows.size(), actual.rows.size());
  }
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    for (size_t c = 0; c < expected.columns.size(); ++c) {
      const auto& e = expected.rows[r][c];
      const auto& a = actual.rows[r][c];
      if (e != a) {
        auto show = [](const std::optional<std::string>& v) {
          return v ? Shown(*v) : std::string("NULL");
        };
        return fmt::format("row {} (sorted) column {} ({} -> {}): expected {}, found {}", r + 1,
                           expected.columns[c].name, expected.columns[c].type,
                           actual.columns[c].type, show(e), show(a));
      }
    }
  }
  return "";
}

void LoadScript(TestDatabase& db, const std::string& path, const std::string& skip_through) {
  std::string source = skip_through.empty() ? "cat " + ShellQuote(path)
                                            : "sed -e " + ShellQuote("1," + skip_through + "d") +
                                                  " " + ShellQuote(path);
  std::string command;
  const char* pg_port = std::getenv("FERRY_TEST_PG_PORT");
  const char* my_port = std::getenv("FERRY_TEST_MARIADB_PORT");
  switch (db.db()) {
    case Db::kPostgres:
      // Without JIT, as the test's own sessions (test_database.cpp Connect).
      command = source + " | PGOPTIONS='-c jit=off' PGPASSWORD=" + ShellQuote(TestPassword()) +
                " psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + (pg_port ? pg_port : "54329") +
                " -U ferry -d " + db.name() + " >/dev/null";
      break;
    case Db::kMariaDB:
      command = source + " | MYSQL_PWD=" + ShellQuote(TestPassword()) +
                " mariadb -h 127.0.0.1 -P " + (my_port ? my_port : "33069") + " -u ferry " +
                db.name();
      break;
    case Db::kSQLite: {
      std::string file = db.Url().substr(7);
      command = source + " | sqlite3 " + ShellQuote(file);
      break;
    }
  }
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("loading " + path + " into " + DbName(db.db()) + " failed");
  }
}

}  // namespace ferry::test
