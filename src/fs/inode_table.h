// InodeTable: every inode the kernel knows about, owned in one place (reached through the
// file system object, never a global). Inode numbers come from a counter (1 is the root, which
// is pinned); the same (parent, name) keeps its number while the kernel holds it.
//
// Lookup counts follow the FUSE contract: every reply that hands the kernel an entry (lookup,
// create, each READDIRPLUS entry) adds one through Lookup(); Forget() subtracts and erases the
// inode at zero. A count going below zero is a bug in the caller and aborts.
//
// Memory: `ls -l` of a million keys leaves a million inodes here until the kernel forgets them,
// so an inode stores only its parent, its name and compact Attributes (about 200 bytes with
// the indexes). Its S3 key is not stored: it is the parent directory's key plus the name (plus
// '/' for a directory), which holds because keys never move (rename is EXDEV). An inode keeps
// its parent alive (a count of children) so that the key can always be rebuilt.
//
// Thread safety: all methods lock one mutex (mu_); no method calls out while holding it.
// Callers get copies (Inode values), never references into the table.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.h"
#include "fs/attributes.h"
#include "fs/internal/fuse.h"

namespace thaw::fs {

inline constexpr fuse_ino_t kRootIno = FUSE_ROOT_ID;

// A copy of what the table knows about one inode.
struct Inode {
  fuse_ino_t ino = 0;
  fuse_ino_t parent = 0;
  std::string name;
  // The S3 key: the object's key for files, the prefix ending in '/' for directories (the
  // root's is the mount prefix, possibly "").
  std::string key;
  Attributes attr;
  uint64_t nlookup = 0;
};

class InodeTable {
 public:
  explicit InodeTable(std::string root_prefix);
  InodeTable(const InodeTable&) = delete;  // the name index points into nodes_
  InodeTable& operator=(const InodeTable&) = delete;

  // Finds or creates the inode for `name` in directory `parent` (whose key is the prefix of
  // the new inode's), updates its attributes and adds one lookup. Returns a copy.
  Inode Lookup(fuse_ino_t parent, const std::string& name, const Attributes& attr);
  // The same, returning only the number (readdirplus: no copy, no key built per entry).
  fuse_ino_t LookupIno(fuse_ino_t parent, const std::string& name, const Attributes& attr);
  // Subtracts `n` lookups; erases the inode at zero (once no inode below it is left). Unknown
  // inodes are ignored (the root is never erased).
  void Forget(fuse_ino_t ino, uint64_t n);
  std::optional<Inode> Get(fuse_ino_t ino) const;
  // The inode `name` in `parent` has while the kernel holds it (no lookup added).
  std::optional<Inode> Find(fuse_ino_t parent, const std::string& name) const;
  // Only the attributes of Find()'s inode (no key built: the per-entry check of a listing).
  std::optional<Attributes> FindAttributes(fuse_ino_t parent, std::string_view name) const;
  // Takes `name` in `parent` out of the table's names (the file was deleted through the mount):
  // its inode lives on until forgotten, and a new lookup of the name gets a new inode.
  void Detach(fuse_ino_t parent, const std::string& name);
  // Replaces the attributes of a known inode (after a HEAD or a write).
  void Update(fuse_ino_t ino, const Attributes& attr);
  // Records that the kernel may cache bytes of version `etag` of the inode; returns the version
  // it could hold before ("" if none).
  std::string SwapCachedEtag(fuse_ino_t ino, const std::string& etag);
  size_t size() const;

 private:
  struct Node {
    fuse_ino_t parent = 0;
    std::string name;
    Attributes attr;
    uint64_t nlookup = 0;
    uint32_t children = 0;  // nodes whose parent this is
  };
  // The by-name index holds inode numbers and hashes them by their node's (parent, name), so
  // that a name is stored once; lookups by (parent, name) go through NameRef.
  struct NameRef {
    fuse_ino_t parent;
    std::string_view name;
  };
  struct NameHash {
    using is_transparent = void;
    const std::unordered_map<fuse_ino_t, Node>* nodes;
    size_t operator()(const NameRef& r) const;
    size_t operator()(fuse_ino_t ino) const;
  };
  struct NameEq {
    using is_transparent = void;
    const std::unordered_map<fuse_ino_t, Node>* nodes;
    NameRef Ref(fuse_ino_t ino) const;
    bool operator()(fuse_ino_t a, fuse_ino_t b) const { return a == b; }
    bool operator()(const NameRef& a, fuse_ino_t b) const;
    bool operator()(fuse_ino_t a, const NameRef& b) const { return (*this)(b, a); }
  };

  std::string KeyOf(fuse_ino_t ino, const Node& node) const;  // mu_ held
  Inode Copy(fuse_ino_t ino, const Node& node) const;         // mu_ held
  fuse_ino_t LookupLocked(fuse_ino_t parent, const std::string& name, const Attributes& attr);
  // Erases `ino` and then each ancestor left with no lookup and no child (mu_ held).
  void EraseUnused(fuse_ino_t ino);

  mutable std::mutex mu_;  // guards everything below
  const std::string root_prefix_;
  std::unordered_map<fuse_ino_t, Node> nodes_;
  std::unordered_set<fuse_ino_t, NameHash, NameEq> by_name_;
  // The ETag of the object version whose bytes the kernel may hold in its page cache, per
  // inode opened (set at each open): a later open of another version must drop them. Apart
  // from the nodes because most inodes (listed, never opened) have none.
  std::unordered_map<fuse_ino_t, Etag> cached_etags_;
  fuse_ino_t next_ino_ = kRootIno + 1;
};

}  // namespace thaw::fs
