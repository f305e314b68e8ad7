// DiskCache: an optional size-bounded cache of fetched parts on local disk (`--cache-dir`,
// `--cache-size`), so that reading a file again does not fetch it again. Off by default.
//
// An entry is one ranged GET's bytes of one object version (bucket, key and ETag: a new version
// never hits an old entry). A lookup asks for a byte range and is served when the entries of
// that object cover it, whatever ranges they were stored with: a second read of a file hits
// even when its reads arrive in another order and its parts are split differently. Bytes
// already covered are not stored again.
//
// Files are mode 0600 in a 0700 directory, named by a hash of the object and the range; each
// starts with its id (object and range), checked on read, so a hash collision is a miss. Least
// recently used entries are removed when the total passes the capacity. The index lives in
// memory: entries of an earlier run are removed at open.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "fs/chunk_pool.h"

namespace thaw::fs {

class DiskCache {
 public:
  static Result<std::unique_ptr<DiskCache>> Open(const std::string& dir, uint64_t capacity_bytes);

  // Identifies one version of one object.
  static std::string ObjectId(const std::string& bucket, const std::string& key,
                              const std::string& etag);

  // Appends bytes [first, first + length) of `object` to *out when cached entries cover all of
  // them; otherwise leaves *out as it was and returns false.
  bool Read(const std::string& object, uint64_t first, uint64_t length, std::string* out);
  // The same into an empty ChunkBuffer (left empty on a miss).
  bool Read(const std::string& object, uint64_t first, uint64_t length, ChunkBuffer* out);
  // Bytes [first, first + length) of `object` as open entry files when cached entries cover
  // all of them (counted as a hit), for a reply that moves them to the kernel without a copy
  // through this process (splice). The caller closes the fds (an entry evicted meanwhile stays
  // readable through them). False (nothing open, not counted) otherwise.
  struct FileSlice {
    int fd;
    uint64_t offset, length;
  };
  bool OpenSlices(const std::string& object, uint64_t first, uint64_t length,
                  std::vector<FileSlice>* out);
  // Whether cached entries cover bytes [first, first + length) of `object` (not counted as a
  // hit or miss; the entries count as used for the LRU).
  bool Covers(const std::string& object, uint64_t first, uint64_t length);
  // Stores `data` (the concatenation of `pieces`) as the object's bytes from `first` on (nothing
  // when already covered, or when larger than the whole cache).
  void Put(const std::string& object, uint64_t first, std::string_view data);
  void Put(const std::string& object, uint64_t first, const std::vector<std::string_view>& pieces);
  uint64_t used_bytes() const;
  size_t entries() const;
  // Read calls that were served, and that were not (for /metrics).
  uint64_t hits() const { return hits_.load(); }
  uint64_t misses() const { return misses_.load(); }

 private:
  using Range = std::pair<uint64_t, uint64_t>;  // first, length
  using LruList = std::list<std::pair<std::string, Range>>;
  struct Entry {
    LruList::iterator pos;
  };
  // One piece of a covered read: an entry's file and the slice of it to read.
  struct Piece {
    std::string path, id;
    uint64_t entry_first, from, n;
  };

  DiskCache(std::string dir, uint64_t capacity) : dir_(std::move(dir)), capacity_(capacity) {}
  static std::string EntryId(const std::string& object, Range r);
  std::string PathFor(const std::string& object, Range r) const;
  // Entries covering [first, end) in order, or false; touches them in the LRU. Needs mu_.
  bool CoverLocked(const std::string& object, uint64_t first, uint64_t end,
                   std::vector<Piece>* pieces);
  void EvictLocked();
  // Opens a piece's entry file and checks its id (-1: evicted meanwhile, or a hash collision).
  static int OpenPiece(const Piece& p);
  // Reads `n` bytes at `offset` of an open entry file into the caller's destination.
  using ReadInto = std::function<bool(int fd, uint64_t offset, uint64_t n)>;
  bool ReadCounted(const std::string& object, uint64_t first, uint64_t length,
                   const ReadInto& into);

  const std::string dir_;
  const uint64_t capacity_;
  mutable std::mutex mu_;  // guards everything below (file I/O happens outside it)
  LruList lru_;            // most recent first
  std::map<std::string, std::map<Range, Entry>> index_;  // object -> entries by range
  uint64_t used_ = 0;
  uint64_t tmp_counter_ = 0;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  uint64_t max_length_ = 0;  // of any entry ever stored: bounds the search for a covering one
};

}  // namespace thaw::fs
