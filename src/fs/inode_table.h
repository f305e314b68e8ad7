// InodeTable: every inode the kernel knows about, owned in one place (reached through the
// file system object, never a global). Inode numbers come from a counter (1 is the root, which
// is pinned); the same (parent, name) keeps its number while the kernel holds it.
//
// Lookup counts follow the FUSE contract: every reply that hands the kernel an entry (lookup,
// create, each READDIRPLUS entry) adds one through Lookup(); Forget() subtracts and erases the
// inode at zero. A count going below zero is a bug in the caller and aborts.
//
// Thread safety: all methods lock one mutex (mu_); no method calls out while holding it.
// Callers get copies (Inode values), never references into the table.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "fs/internal/fuse.h"
#include "s3/types.h"

namespace thaw::fs {

inline constexpr fuse_ino_t kRootIno = FUSE_ROOT_ID;

// What the file system knows about one object or directory.
struct Attributes {
  bool is_dir = false;
  uint64_t size = 0;
  Clock::TimePoint mtime{};
  std::optional<uint32_t> mode;  // full st_mode from FSx's file-permissions, if present
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::string etag;
  std::string storage_class;   // "" for directories
  std::string archive_status;  // x-amz-archive-status: only a HEAD shows it
  // From the listing's RestoreStatus or a HEAD's x-amz-restore; nullopt when the endpoint
  // did not say (a listing without x-amz-optional-object-attributes support, e.g. moto).
  std::optional<s3::RestoreStatus> restore;
  // When S3 last told us these (a listing or a HEAD): trusted for the metadata TTL.
  Clock::TimePoint fetched_at{};
  // When a HEAD last confirmed these (files; the epoch when they come from a listing only).
  Clock::TimePoint headed_at{};
  // Created through this mount and not uploaded yet: S3 does not know it, no HEAD may ask.
  bool pending_upload = false;
};

struct Inode {
  fuse_ino_t ino = 0;
  fuse_ino_t parent = 0;
  std::string name;
  // The S3 key: the object's key for files, the prefix ending in '/' for directories (the
  // root's is the mount prefix, possibly "").
  std::string key;
  Attributes attr;
  uint64_t nlookup = 0;
  // The ETag of the object version whose bytes the kernel may hold in its page cache for this
  // inode (set at each open): a later open of another version must drop them.
  std::string cached_etag;
};

class InodeTable {
 public:
  explicit InodeTable(std::string root_prefix);

  // Finds or creates the inode for `name` in `parent`, updates its attributes and adds one
  // lookup. Returns a copy.
  Inode Lookup(fuse_ino_t parent, const std::string& name, const std::string& key,
               const Attributes& attr);
  // Subtracts `n` lookups; erases the inode at zero. Unknown inodes are ignored (the root is
  // never erased).
  void Forget(fuse_ino_t ino, uint64_t n);
  std::optional<Inode> Get(fuse_ino_t ino) const;
  // The inode `name` in `parent` has while the kernel holds it (no lookup added).
  std::optional<Inode> Find(fuse_ino_t parent, const std::string& name) const;
  // Replaces the attributes of a known inode (after a HEAD or a write).
  void Update(fuse_ino_t ino, const Attributes& attr);
  // Records that the kernel may cache bytes of version `etag` of the inode; returns the version
  // it could hold before ("" if none).
  std::string SwapCachedEtag(fuse_ino_t ino, const std::string& etag);
  size_t size() const;

 private:
  mutable std::mutex mu_;  // guards everything below
  std::unordered_map<fuse_ino_t, Inode> inodes_;
  std::map<std::pair<fuse_ino_t, std::string>, fuse_ino_t> by_name_;
  fuse_ino_t next_ino_ = kRootIno + 1;
};

}  // namespace thaw::fs
