// DiskCache: an optional size-bounded cache of fetched parts on local disk (`--cache-dir`,
// `--cache-size`), so that reading a file again does not fetch it again. Off by default.
//
// An entry is one ranged GET's bytes, identified by bucket, key, ETag and byte range (a new
// version of an object never hits an old entry). Files are mode 0600 in a 0700 directory, named
// by a hash of the id; each starts with the id, checked on read, so a hash collision is a miss.
// Least recently used entries are removed when the total passes the capacity. The index lives
// in memory: entries of an earlier run are removed at open.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace thaw::fs {

class DiskCache {
 public:
  static Result<std::unique_ptr<DiskCache>> Open(const std::string& dir, uint64_t capacity_bytes);

  static std::string PartId(const std::string& bucket, const std::string& key,
                            const std::string& etag, uint64_t first, uint64_t length);

  std::optional<std::string> Get(const std::string& id);
  void Put(const std::string& id, std::string_view data);
  uint64_t used_bytes() const;

 private:
  DiskCache(std::string dir, uint64_t capacity) : dir_(std::move(dir)), capacity_(capacity) {}
  std::string PathFor(const std::string& id) const;
  void EvictLocked();

  const std::string dir_;
  const uint64_t capacity_;
  mutable std::mutex mu_;       // guards lru_, index_, used_ (file I/O happens outside it)
  std::list<std::string> lru_;  // ids, most recent first
  struct Entry {
    std::list<std::string>::iterator pos;
    uint64_t size;
  };
  std::map<std::string, Entry> index_;
  uint64_t used_ = 0;
};

}  // namespace thaw::fs
