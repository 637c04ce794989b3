// PostgreSQL's large objects (pg_largeobject): values that live outside every table, each with
// its OID, its owner and its grants, which oid (and contrib lo) columns point at. A copy between
// two PostgreSQL databases carries them after the tables' data, with the same OIDs so the
// columns stay valid (as pgcopydb's `copy blobs` does); engines without them have none.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

struct LargeObjectGrant {
  std::string grantee;    // "" for PUBLIC
  std::string privilege;  // SELECT or UPDATE
  bool grantable = false;
};

struct LargeObject {
  uint32_t oid = 0;
  std::string owner;
  std::vector<LargeObjectGrant> grants;  // besides the owner's own
};

// One object's size and the SHA-256 of its bytes (lower-case hex), as its server computes it.
struct LargeObjectDigest {
  uint32_t oid = 0;
  int64_t bytes = 0;
  std::string sha256;

  bool operator==(const LargeObjectDigest&) const = default;
};

// A database's large objects on a session of their own (Endpoint::OpenLargeObjects). Reading
// and writing are separate transactions: an object is written whole within Begin..Commit (a
// process killed before Commit leaves none of the batch behind), and many objects may go into
// one transaction.
class LargeObjectStore {
 public:
  virtual ~LargeObjectStore() = default;
  // Every large object, by OID.
  virtual std::vector<LargeObject> List() = 0;
  // Every object's size and hash, by OID.
  virtual std::vector<LargeObjectDigest> Digests() = 0;
  // The object's bytes, in pieces of at most a MiB, in order, in a read transaction of its own.
  virtual void Read(uint32_t oid, const std::function<void(std::string_view)>& piece) = 0;

  virtual void Begin() = 0;
  // Creates the object with its OID, owned by its owner and granted as it is where those roles
  // exist here and this user may act for them (else it stays this user's: said in the notes).
  // Its bytes follow with Append.
  virtual void Create(const LargeObject& object) = 0;
  virtual void Append(std::string_view bytes) = 0;
  virtual void Commit() = 0;
  virtual void Rollback() noexcept = 0;
  // Removes the object, within Begin..Commit (a sync drops one the source no longer has, or
  // one it writes again whole). False where this end does not remove objects (files).
  virtual bool Unlink(uint32_t /*oid*/) { return false; }
  // What Create could not carry (an owner or grantee role missing here), each said once.
  virtual std::vector<std::string> TakeNotes() = 0;
  // These objects, read from this store, are committed at the destination (or were there
  // already): a store that drains (a staging directory an import reads with
  // --remove-imported) takes their files away.
  virtual void Delivered(const std::vector<uint32_t>& /*oids*/) {}
};

// What a run did with the source's large objects.
struct LargeObjectCopy {
  int64_t source = 0;   // objects at the source
  int64_t copied = 0;   // written by this attempt
  int64_t present = 0;  // already at the destination (an earlier attempt's), left alone
  int64_t bytes = 0;    // written by this attempt
  std::vector<std::string> notes;
  std::string error;  // why the copy of the objects stopped ("" when it did not)
};

}  // namespace ferry

namespace ferry {

// Two databases' large objects compared by OID, size and hash (ferry verify).
struct LargeObjectComparison {
  int64_t source = 0;  // objects at each end
  int64_t destination = 0;
  int64_t missing = 0;    // at the source only
  int64_t extra = 0;      // at the destination only
  int64_t different = 0;  // at both, with other bytes
  std::vector<uint32_t> listed_missing, listed_extra, listed_different;  // the first few each
  std::string error;  // why they could not be compared

  bool identical() const { return error.empty() && missing + extra + different == 0; }
};

}  // namespace ferry
