// DirWalks: notices a reader walking through the files of a directory in listing order (a data
// loader reading shards one after another, `cat dir/*`, `grep -r`) and names the next files to
// fetch before they are opened.
//
// Why: a small file costs one GET when it is opened, a round trip (20-30 ms against S3) that
// the reader waits for. Readers with 16 threads keep 16 GETs in flight at most; fetching the
// files a walk is about to open in parallel (EarlyGets::Prefetch) hides the round trip, so
// opening them costs no request at all.
//
// A walk: opens of entries of one cached listing whose index grows, each at most kReorder
// entries past the furthest one opened so far (several threads of one reader open neighbours
// slightly out of order; an open up to kReorder entries behind it keeps the walk too). After
// kMinRun such steps the next files, up to kDepth entries or kDepthBytes past the furthest
// open, are handed to `prefetch` (stopping at the first it refuses: a memory cap). Any other
// open restarts the count and drops what the walk prefetched and was not opened (a wrong
// guess); a file the walk has passed by more than kReorder entries unopened is dropped too.
//
// Only the listing's identity is kept per directory (a new listing restarts the walk: indexes
// of an older one mean nothing), at most kMaxWalks directories (the least recently used go).
//
// Thread safety: all methods may be called from any thread; the callbacks run under its lock
// (they must not call back into it).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "fs/listing_stream.h"

namespace thaw::fs {

class DirWalks {
 public:
  static constexpr size_t kReorder = 32;
  static constexpr int kMinRun = 3;
  static constexpr size_t kDepth = 32;
  static constexpr uint64_t kDepthBytes = 16ull << 20;
  static constexpr size_t kMaxWalks = 256;

  // Starts fetching `entry` (key `key`), `ahead` bytes of files past the open one; false when
  // it cannot now (the walk tries again at the next open).
  using Prefetch =
      std::function<bool(const std::string& key, const DirEntry& entry, uint64_t ahead)>;
  // Lets go of a prefetched file that will not be opened (a no-op when it was).
  using Drop = std::function<void(const std::string& key)>;

  DirWalks(Prefetch prefetch, Drop drop) : prefetch_(std::move(prefetch)), drop_(std::move(drop)) {}

  // An open of entry `index` of `listing` (a file).
  void OnOpen(const std::shared_ptr<const DirListing>& listing, size_t index);
  // Directories with a walk state (tests).
  size_t walks() const;

 private:
  struct Walk {
    const DirListing* listing = nullptr;  // identity only (never dereferenced)
    size_t furthest = 0;                  // the furthest index opened
    int run = 0;                          // forward steps of the walk so far
    size_t ahead_to = 0;                  // entries below this were considered for prefetch
    std::deque<std::pair<size_t, std::string>> fetched;  // (index, key) prefetched, by index
    uint64_t last_used = 0;
  };
  void DropAllLocked(Walk& w);

  const Prefetch prefetch_;
  const Drop drop_;
  mutable std::mutex mu_;              // guards walks_, uses_
  std::map<std::string, Walk> walks_;  // by directory prefix
  uint64_t uses_ = 0;
};

}  // namespace thaw::fs
