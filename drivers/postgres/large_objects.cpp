#include "drivers/postgres/large_objects.hpp"

#include <fmt/format.h>
#include <libpq/libpq-fs.h>

#include <map>
#include <set>

namespace ferry::pg {

namespace {

// A piece read or written at a time: pgcopydb's and pg_dump's size class, few round trips.
constexpr size_t kPiece = 1 << 20;

std::string Quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class PqLargeObjects final : public LargeObjectStore {
 public:
  explicit PqLargeObjects(std::unique_ptr<pq::Connection> connection)
      : connection_(std::move(connection)) {}
  ~PqLargeObjects() override { Rollback(); }

  std::vector<LargeObject> List() override {
    std::vector<LargeObject> out;
    std::map<uint32_t, size_t> at;
    for (auto& r : connection_->Query("SELECT m.oid, pg_catalog.pg_get_userbyid(m.lomowner) FROM "
                                      "pg_catalog.pg_largeobject_metadata m ORDER BY m.oid")) {
      at[uint32_t(std::stoul(*r[0]))] = out.size();
      out.push_back({uint32_t(std::stoul(*r[0])), r[1].value_or(""), {}});
    }
    // The owner's own privileges are the owner's by default: only the others' are grants.
    for (auto& r : connection_->Query(
             "SELECT m.oid, CASE WHEN a.grantee = 0 THEN '' ELSE "
             "pg_catalog.pg_get_userbyid(a.grantee) END, a.privilege_type, CASE WHEN "
             "a.is_grantable THEN 't' ELSE 'f' END FROM pg_catalog.pg_largeobject_metadata m "
             "CROSS JOIN LATERAL pg_catalog.aclexplode(m.lomacl) a WHERE a.grantee <> "
             "m.lomowner ORDER BY 1, 2, 3")) {
      auto found = at.find(uint32_t(std::stoul(*r[0])));
      if (found == at.end()) continue;
      out[found->second].grants.push_back({r[1].value_or(""), *r[2], r[3] == "t"});
    }
    return out;
  }

  std::vector<LargeObjectDigest> Digests() override {
    std::vector<LargeObjectDigest> out;
    for (auto& r : connection_->Query(
             "SELECT m.oid, pg_catalog.octet_length(x.b), pg_catalog.encode(pg_catalog.sha256("
             "x.b), 'hex') FROM pg_catalog.pg_largeobject_metadata m CROSS JOIN LATERAL (SELECT "
             "pg_catalog.lo_get(m.oid) AS b) x ORDER BY m.oid")) {
      out.push_back({uint32_t(std::stoul(*r[0])), std::stoll(*r[1]), *r[2]});
    }
    return out;
  }

  void Read(uint32_t oid, const std::function<void(std::string_view)>& piece) override {
    PGconn* conn = connection_->get();
    connection_->Execute("BEGIN READ ONLY");
    try {
      const int fd = lo_open(conn, oid, INV_READ);
      if (fd < 0) throw Fail(fmt::format("could not open large object {}", oid), "lo_open");
      std::string buffer(kPiece, '\0');
      for (;;) {
        const int n = lo_read(conn, fd, buffer.data(), buffer.size());
        if (n < 0) throw Fail(fmt::format("could not read large object {}", oid), "lo_read");
        if (n == 0) break;
        piece(std::string_view(buffer.data(), size_t(n)));
      }
      lo_close(conn, fd);
      connection_->Execute("COMMIT");
    } catch (...) {
      Abandon();
      throw;
    }
  }

  void Begin() override {
    connection_->Execute("BEGIN");
    open_ = true;
  }

  void Create(const LargeObject& object) override {
    PGconn* conn = connection_->get();
    CloseWritten();
    if (lo_create(conn, object.oid) != object.oid) {
      throw Fail(fmt::format("could not create large object {}", object.oid), "lo_create");
    }
    // Grants first, made by this user as the owner; a new owner then takes them over as their
    // grantor, as pg_dump's ALTER ... OWNER TO after its grants does.
    for (const LargeObjectGrant& g : object.grants) {
      if (!g.grantee.empty() && !Exists(g.grantee)) {
        Note(fmt::format("grants to role {} (it does not exist at the destination)", g.grantee));
        continue;
      }
      connection_->Execute(fmt::format("GRANT {} ON LARGE OBJECT {} TO {}{}", g.privilege,
                                       object.oid, g.grantee.empty() ? "PUBLIC" : Quoted(g.grantee),
                                       g.grantable ? " WITH GRANT OPTION" : ""));
    }
    if (!object.owner.empty() && object.owner != User()) {
      if (!MayActAs(object.owner)) {
        Note(fmt::format("ownership by role {} (the objects are owned by {}: {})", object.owner,
                         User(),
                         Exists(object.owner) ? "it may not act as that role"
                                              : "the role does not exist at the destination"));
      } else {
        connection_->Execute(
            fmt::format("ALTER LARGE OBJECT {} OWNER TO {}", object.oid, Quoted(object.owner)));
      }
    }
    fd_ = lo_open(conn, object.oid, INV_WRITE);
    if (fd_ < 0) throw Fail(fmt::format("could not open large object {}", object.oid), "lo_open");
    writing_ = object.oid;
  }

  void Append(std::string_view bytes) override {
    while (!bytes.empty()) {
      const size_t n = std::min(bytes.size(), kPiece);
      if (lo_write(connection_->get(), fd_, bytes.data(), n) != int(n)) {
        throw Fail(fmt::format("could not write large object {}", writing_), "lo_write");
      }
      bytes.remove_prefix(n);
    }
  }

  void Commit() override {
    CloseWritten();
    connection_->Execute("COMMIT");
    open_ = false;
  }

  void Rollback() noexcept override {
    if (!open_) return;
    open_ = false;
    fd_ = -1;
    Abandon();
  }

  bool Unlink(uint32_t oid) override {
    CloseWritten();
    if (lo_unlink(connection_->get(), oid) < 0) {
      throw Fail(fmt::format("could not remove large object {}", oid), "lo_unlink");
    }
    return true;
  }

  std::vector<std::string> TakeNotes() override { return std::move(notes_); }

 private:
  Error Fail(const std::string& message, const char* call) const {
    return connection_->Named(pq::MakeError(message, connection_->get(), nullptr, call));
  }
  void CloseWritten() {
    if (fd_ >= 0 && lo_close(connection_->get(), fd_) < 0) {
      throw Fail(fmt::format("could not close large object {}", writing_), "lo_close");
    }
    fd_ = -1;
  }
  void Abandon() noexcept {
    try {
      connection_->Execute("ROLLBACK");
    } catch (...) {
      // The connection is gone: so is its transaction.
    }
  }
  void Note(const std::string& text) {
    if (noted_.insert(text).second) notes_.push_back(text);
  }
  const std::string& User() {
    LoadRoles();
    return user_;
  }
  bool Exists(const std::string& role) {
    LoadRoles();
    return roles_.count(role) > 0;
  }
  bool MayActAs(const std::string& role) {
    LoadRoles();
    auto found = roles_.find(role);
    return found != roles_.end() && found->second;
  }
  // The roles here, and which of them this user may act as (a superuser: all).
  void LoadRoles() {
    if (!user_.empty()) return;
    for (auto& r : connection_->Query(
             "SELECT r.rolname, CASE WHEN (SELECT rolsuper FROM pg_catalog.pg_roles WHERE "
             "rolname = current_user) OR pg_catalog.pg_has_role(r.oid, 'USAGE') THEN 't' ELSE "
             "'f' END, current_user FROM pg_catalog.pg_roles r")) {
      roles_[*r[0]] = r[1] == "t";
      user_ = *r[2];
    }
  }

  std::unique_ptr<pq::Connection> connection_;
  bool open_ = false;
  int fd_ = -1;
  uint32_t writing_ = 0;
  std::string user_;
  std::map<std::string, bool> roles_;
  std::set<std::string> noted_;
  std::vector<std::string> notes_;
};

}  // namespace

std::unique_ptr<LargeObjectStore> MakeLargeObjectStore(std::unique_ptr<pq::Connection> connection) {
  return std::make_unique<PqLargeObjects>(std::move(connection));
}

}  // namespace ferry::pg
