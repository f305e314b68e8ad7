// ListingStream: a directory listing while its ListObjectsV2 pages still arrive, so that an open
// directory serves the entries of the first pages while the next ones are fetched (a 100,000-file
// directory is 100 pages in sequence; `ls` no longer waits for the last before the first).
//
// Entries are appended page by page and never move or change once appended, so an offset into
// the stream (a readdir offset) names the same entry for the stream's whole life: rewinddir,
// seekdir and a readdir restarted at an offset see no duplicate and miss nothing. The order is
// the listing's key order except that a file is held back until the listing has passed
// `name/`, the key where a directory of the same name would sort (`a` < `a-b` < `a/`): the
// directory wins over a file of the same name, and a file handed out is never taken back.
//
// When the last page has arrived, `Complete()` builds the same entries sorted by name as a
// DirListing (for lookups by name and the cache). A failed page ends the stream with its error:
// the entries before it stay readable.
//
// Thread safety: one writer (the fetcher) and any number of readers.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "fs/attributes.h"
#include "s3/types.h"

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

// The S3 key of entry `e` of directory `prefix` (see DirListing::KeyOf).
std::string EntryKey(const std::string& prefix, const DirEntry& e);

// The file name `key` (an object key or a common prefix) gets inside directory `prefix`, or
// nullopt when it cannot be one (see dir_cache.h).
std::optional<std::string> EntryName(const std::string& prefix, const std::string& key);

class ListingStream {
 public:
  ListingStream(std::string prefix, Clock::TimePoint started);
  // A stream that is complete from the start: the entries of a cached listing.
  explicit ListingStream(std::shared_ptr<const DirListing> complete);

  const std::string& prefix() const { return prefix_; }
  Clock::TimePoint started() const { return started_; }

  // --- the fetcher
  // Adds one page (in the listing's key order); `last` when no page follows (every file held
  // back is then handed out).
  void AddPage(const s3::ListObjectsPage& page, bool last);
  // After the last page: the entries sorted by name, directories winning over files.
  std::shared_ptr<const DirListing> BuildListing() const;
  // Marks the stream complete with `listing` (BuildListing's), waking every reader.
  void Complete(std::shared_ptr<const DirListing> listing);
  // Ends the stream with an error (the entries added so far stay readable).
  void Fail(Status error);

  // --- readers
  // Pointers to up to `max` entries from index `from` on, waiting while there is none yet and
  // the listing is still arriving. Empty at the end of a complete listing; the listing's error
  // when it failed before reaching `from`. The pointers stay valid while the stream lives.
  Result<std::vector<const DirEntry*>> Read(size_t from, size_t max);
  // Waits until the first page arrived (or the listing failed).
  Status WaitFirstPage();
  // Waits for the whole listing: sorted by name, or the error that ended it.
  Result<std::shared_ptr<const DirListing>> WaitComplete();
  bool done() const;

 private:
  static constexpr size_t kChunk = 1024;  // entries per chunk (chunks never reallocate)
  void Append(DirEntry e);                // mu_ held
  const DirEntry& At(size_t i) const;     // mu_ held

  const std::string prefix_;
  const Clock::TimePoint started_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<std::vector<DirEntry>>> chunks_;
  size_t size_ = 0;
  // Files not handed out yet (the listing has not passed `name/`), in key order.
  std::vector<DirEntry> held_;
  bool first_page_ = false;
  bool done_ = false;
  Status error_;
  // The sorted listing once complete; a stream made from a cached listing reads its entries.
  std::shared_ptr<const DirListing> complete_;
  bool from_cache_ = false;
};

}  // namespace thaw::fs
