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
// Thread safety: all methods may be called from any thread. Concurrent requests for the same
// stale prefix share one listing (one walk through the pages, not one per caller).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "fs/inode_table.h"
#include "s3/client.h"

namespace thaw::fs {

struct DirEntry {
  std::string name;
  std::string key;  // object key, or the prefix with its trailing '/' for directories
  Attributes attr;
};

struct DirListing {
  std::vector<DirEntry> entries;  // sorted by name, unique names
  Clock::TimePoint fetched_at{};
  const DirEntry* Find(const std::string& name) const;
};

// The file name `key` (an object key or a common prefix) gets inside directory `prefix`, or
// nullopt when it cannot be one (see above).
std::optional<std::string> EntryName(const std::string& prefix, const std::string& key);

class DirCache {
 public:
  DirCache(s3::S3Client& client, std::string bucket, Clock& clock, std::chrono::milliseconds ttl);

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

  int lists_sent() const;  // ListObjectsV2 calls so far (tests)

 private:
  Result<std::shared_ptr<const DirListing>> Fetch(const std::string& prefix);

  s3::S3Client& client_;
  const std::string bucket_;
  Clock& clock_;
  const std::chrono::milliseconds ttl_;

  mutable std::mutex mu_;  // guards listings_, loading_, lists_sent_; never held across S3 calls
  std::map<std::string, std::shared_ptr<const DirListing>> listings_;
  // One mutex per prefix being fetched: the loader holds it, others wait and then reuse.
  std::map<std::string, std::shared_ptr<std::mutex>> loading_;
  int lists_sent_ = 0;
};

}  // namespace thaw::fs
