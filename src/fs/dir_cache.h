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
// Pages arrive one after another (each needs the previous one's continuation token): Open()
// hands out the listing as a ListingStream whose first entries an open directory serves while
// a background thread fetches the next pages (at most kMaxBackgroundFetches at once; beyond
// that the caller fetches). The complete listing is cached as before.
//
// Thread safety: all methods may be called from any thread. Concurrent requests for the same
// stale prefix share one listing (one walk through the pages, not one per caller).
#pragma once

#include <condition_variable>
#include <functional>
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
#include "fs/listing_stream.h"
#include "s3/client.h"

namespace thaw::fs {

class DirCache {
 public:
  // Entries kept over all cached listings (about 120 bytes each: 12 MiB).
  static constexpr size_t kMaxCachedEntries = 100000;

  // Listings fetched by background threads at once; more are fetched by their caller.
  static constexpr int kMaxBackgroundFetches = 16;

  DirCache(s3::S3Client& client, std::string bucket, Clock& clock, std::chrono::milliseconds ttl,
           size_t max_cached_entries = kMaxCachedEntries);
  // Stops fetches after their current page and waits for them.
  ~DirCache();
  DirCache(const DirCache&) = delete;
  DirCache& operator=(const DirCache&) = delete;

  // The listing of `prefix` as it arrives: complete at once from the cache when fresh, else
  // the fetch already running for it, else a new fetch (in the background). Freshness as List.
  std::shared_ptr<ListingStream> Open(
      const std::string& prefix, std::optional<std::chrono::milliseconds> max_age = std::nullopt);
  // The listing of `prefix` ("" or ending in '/'), fetched when missing or older than the TTL
  // (or than `max_age`, when that is shorter: a negative lookup's own TTL).
  Result<std::shared_ptr<const DirListing>> List(
      const std::string& prefix, std::optional<std::chrono::milliseconds> max_age = std::nullopt);
  // Lists `prefix` in the background ahead of its first use (the mount's root, at mount time:
  // the first path opened after mounting then costs one round trip fewer). A listing of more
  // than one page is finished only when a lookup or readdir joined it meanwhile: a mount of a
  // huge flat bucket does not walk it unasked.
  // `on_first_page` (if any) sees the first page when it arrives, on the fetching thread, or an
  // empty one when there is none to see (the listing failed, or this fetches nothing).
  void Prime(const std::string& prefix,
             std::function<void(const s3::ListObjectsPage&)> on_first_page = {});
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
  // Fetches every page into `stream`, then caches the listing (unless invalidated meanwhile).
  // With `primed`, stops after the first page unless another caller holds the stream, and
  // shows that page to `on_first_page`.
  void Fetch(const std::shared_ptr<ListingStream>& stream, bool primed = false,
             const std::function<void(const s3::ListObjectsPage&)>& on_first_page = {});
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
  // The fetch running per prefix; Invalidate/Upsert/Remove take it out so that its (possibly
  // older) result is not cached.
  std::map<std::string, std::shared_ptr<ListingStream>> loading_;
  int lists_sent_ = 0;
  int background_fetches_ = 0;
  bool stopping_ = false;
  std::condition_variable fetch_done_;
};

}  // namespace thaw::fs
