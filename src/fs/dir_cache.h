// DirCache: directory contents as ListObjectsV2 with delimiter '/' shows them, cached per
// prefix for the metadata TTL. Common prefixes become (implicit) directories; objects become
// files with the listing's size, LastModified, ETag, storage class and restore state (asked for
// with `x-amz-optional-object-attributes: RestoreStatus`): everything `ls -l`, `find`, `du` and
// an open of a readable object need, without a HEAD per file.
//
// Keys that cannot be file names are left out, never crash: an empty segment (`a//b`), `.`,
// `..`, names longer than NAME_MAX, and the directory's own marker object (`a/` listed under
// `a/`). When a file and a directory share a name (`x` and `x/...`), the directory wins.
//
// Memory: an entry stores its name and compact Attributes, not its key (the listing's prefix
// plus the name). The cache keeps at most kMaxCachedEntries entries over all listings, dropping
// the least recently used listing first; a listing larger than that is handed to its caller
// (an open directory keeps it until closed) and not kept, so a walk over a huge bucket does not
// keep it all in memory. A lookup in a dropped listing is answered from the inode table while
// the inode's attributes are fresh, so only a later change of the directory lists it again.
//
// Thread safety: all methods may be called from any thread. Concurrent requests for the same
// stale prefix share one listing (one walk through the pages, not one per caller).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "fs/inode_table.h"
#include "s3/client.h"

namespace thaw::fs {

struct DirEntry {
  std::string name;
  Attributes attr;
};

struct DirListing {
  std::string prefix;             // "" or ending in '/'
  std::vector<DirEntry> entries;  // sorted by name, unique names
  Clock::TimePoint fetched_at{};
  const DirEntry* Find(std::string_view name) const;
  // The entry's S3 key: the object's key, or the prefix with its trailing '/' for directories.
  std::string KeyOf(const DirEntry& e) const;
};

// The file name `key` (an object key or a common prefix) gets inside directory `prefix`, or
// nullopt when it cannot be one (see above).
std::optional<std::string> EntryName(const std::string& prefix, const std::string& key);

class DirCache {
 public:
  // Entries kept over all cached listings (about 120 bytes each: 12 MiB).
  static constexpr size_t kMaxCachedEntries = 100000;

  DirCache(s3::S3Client& client, std::string bucket, Clock& clock, std::chrono::milliseconds ttl,
           size_t max_cached_entries = kMaxCachedEntries);

  // The listing of `prefix` ("" or ending in '/'), fetched when missing or older than the TTL
  // (or than `max_age`, when that is shorter: a negative lookup's own TTL).
  Result<std::shared_ptr<const DirListing>> List(
      const std::string& prefix, std::optional<std::chrono::milliseconds> max_age = std::nullopt);
  // Whether List(prefix) would answer from the cache now.
  bool Fresh(const std::string& prefix) const;
  // Drops the cached listing of `prefix` (after a write or delete in it).
  void Invalidate(const std::string& prefix);
  // Adds or replaces one entry of a cached listing (a file created through the mount), so
  // that it is visible before S3's listing shows it.
  void Upsert(const std::string& prefix, const DirEntry& entry);
  void Remove(const std::string& prefix, const std::string& name);

  int lists_sent() const;         // ListObjectsV2 calls so far (tests)
  size_t cached_entries() const;  // entries held by cached listings (tests)

 private:
  struct Cached {
    std::shared_ptr<const DirListing> listing;
    uint64_t last_used = 0;  // use_counter_ at the last List() that returned it
  };
  Result<std::shared_ptr<const DirListing>> Fetch(const std::string& prefix);
  // Keeps `listing` if it fits the entry budget, dropping least recently used ones (mu_ held).
  void Store(const std::string& prefix, std::shared_ptr<const DirListing> listing);
  void Drop(std::map<std::string, Cached>::iterator it);  // mu_ held

  s3::S3Client& client_;
  const std::string bucket_;
  Clock& clock_;
  const std::chrono::milliseconds ttl_;
  const size_t max_cached_entries_;

  // Guards everything below; never held across S3 calls.
  mutable std::mutex mu_;
  std::map<std::string, Cached> listings_;
  size_t cached_entries_ = 0;
  uint64_t use_counter_ = 0;
  // One mutex per prefix being fetched: the loader holds it, others wait and then reuse.
  std::map<std::string, std::shared_ptr<std::mutex>> loading_;
  int lists_sent_ = 0;
};

}  // namespace thaw::fs
