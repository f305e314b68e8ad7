// The read path of one open file: a prefetch window that grows on sequential reads and
// shrinks on random ones (PrefetchWindow, pure logic), ranged GETs of at most part_bytes run in
// parallel on a shared pool of fetch threads (FetchPool), and the bytes fetched ahead of the
// reader counted against a budget shared by every open file (PrefetchBudget).
//
// The first part of a file is small (ReadOptions::first_part_bytes) so that the first byte comes
// quickly; parts then grow with the window. Part buffers are filled in place as the body
// arrives and handed to FUSE without copying (ReadSlices).
//
// Every GET carries If-Match with the ETag pinned at open: an object replaced while open makes
// reads fail (kFailedPrecondition -> EIO) instead of mixing bytes of two versions. A part that
// comes back shorter than asked is an error too.
//
// With a DiskCache, parts are looked up there before a GET (served when cached entries cover
// them, however those were split) and stored after one.
//
// Thread safety: FetchPool and PrefetchBudget are shared and thread-safe. An ObjectReader may be
// called from several FUSE threads; planning is serialised, waiting for parts is not.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "fs/disk_cache.h"
#include "fs/options.h"
#include "s3/client.h"

namespace thaw::fs {

// How far ahead to read. A read starting where the previous one ended (give or take one
// window: the kernel's readahead reorders) is sequential and doubles the window (up to the
// maximum); any other read resets it to the minimum.
class PrefetchWindow {
 public:
  PrefetchWindow(uint64_t min_bytes, uint64_t max_bytes)
      : min_(min_bytes), max_(max_bytes), window_(min_bytes) {}
  // Records a read and returns the window (bytes to have fetched beyond the read's end).
  uint64_t OnRead(uint64_t offset, uint64_t size);
  bool last_sequential() const { return last_sequential_; }
  uint64_t window() const { return window_; }

 private:
  uint64_t min_, max_, window_;
  uint64_t next_offset_ = 0;  // where a sequential read would start (0 at open)
  bool last_sequential_ = true;
};

// Fixed threads running fetch tasks in submission order.
class FetchPool {
 public:
  explicit FetchPool(int threads);
  ~FetchPool();  // runs what is queued, then joins
  void Submit(std::function<void()> task);

 private:
  void Run();
  std::mutex mu_;  // guards queue_, stop_
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// Bytes of read-ahead in memory across all open files, and the part buffers themselves: a
// freed buffer is kept for the next part (up to idle_limit bytes of them) instead of going back
// to the system, since a fresh multi-megabyte buffer costs a page fault per 4 KiB when filled.
//
// Read-ahead taken through a Share is split fairly: while k shares hold read-ahead, none may grow
// past limit/k (one part always passes), so one reader alone can use the whole budget and four
// readers a quarter each, instead of the first one starving the others.
class PrefetchBudget {
 public:
  // One reader's read-ahead; guarded by the budget's lock.
  struct Share {
    uint64_t held = 0;
  };

  explicit PrefetchBudget(uint64_t limit_bytes, uint64_t idle_limit_bytes = 64ull << 20)
      : limit_(limit_bytes), idle_limit_(idle_limit_bytes) {}
  bool TryAcquire(uint64_t n, Share* share = nullptr);
  void ForceAcquire(uint64_t n);  // bytes a reader waits for: never refused
  void Release(uint64_t n, Share* share = nullptr);
  uint64_t used() const;

  // An empty buffer with room for n bytes (a kept one when one is large enough).
  std::string TakeBuffer(uint64_t n);
  void GiveBuffer(std::string buffer);
  uint64_t idle_bytes() const;

 private:
  mutable std::mutex mu_;  // guards used_, idle_, idle_bytes_
  const uint64_t limit_;
  const uint64_t idle_limit_;
  uint64_t used_ = 0;
  int active_shares_ = 0;  // shares holding read-ahead now
  std::vector<std::string> idle_;
  uint64_t idle_bytes_ = 0;
};

// The bytes of one read: slices of fetched parts, kept alive as long as this object lives (so
// they can be handed to the kernel without another copy).
struct ReadData {
  std::vector<std::string_view> pieces;
  std::vector<std::shared_ptr<const void>> keep;
  uint64_t size() const;
  std::string ToString() const;
};

class ObjectReader {
 public:
  ObjectReader(s3::S3Client& client, FetchPool& pool, PrefetchBudget& budget,
               const ReadOptions& options, std::string bucket, std::string key, std::string etag,
               uint64_t size, DiskCache* cache = nullptr);
  ~ObjectReader();  // waits for its fetches still running
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  // Reads up to `size` bytes at `offset` (fewer only at the end of the object). Reads may come
  // from several threads at once: a read waits for its parts without blocking the others.
  Result<ReadData> ReadSlices(uint64_t offset, uint64_t size);
  Result<std::string> Read(uint64_t offset, uint64_t size);  // ReadSlices, copied

  int gets_started() const;  // ranged GETs issued so far (tests)

 private:
  struct Part;
  // A fetch task's last step. Takes the task's reference, and drops it before the reader can
  // count the task as done: the part's budget is then released as soon as the reader drops it.
  void Finish(std::shared_ptr<Part> part, Status status, std::string data);
  void Fetch(const std::shared_ptr<Part>& part, Status* status, std::string* data);
  void DropBefore(uint64_t offset);
  void DropAll();
  // Adds parts so that [offset, target_end) is covered; new ones are appended to *started, to be
  // launched once the reader's lock is released.
  void Plan(uint64_t offset, uint64_t required_end, uint64_t target_end, uint64_t window,
            std::vector<std::shared_ptr<Part>>* started);
  // A part counted against the budget and as running (nullptr: read-ahead over the budget).
  std::shared_ptr<Part> NewPart(uint64_t first, uint64_t length, bool required);
  void Launch(const std::vector<std::shared_ptr<Part>>& parts);
  void Submit(std::shared_ptr<Part> part);
  void Run(std::shared_ptr<Part> part);

  s3::S3Client& client_;
  FetchPool& pool_;
  PrefetchBudget& budget_;
  const ReadOptions options_;
  const std::string bucket_, key_, etag_;
  const uint64_t size_;
  DiskCache* const cache_;  // may be null
  // This file's read-ahead in the budget; parts may outlive the reader (ReadData keeps them).
  const std::shared_ptr<PrefetchBudget::Share> share_ = std::make_shared<PrefetchBudget::Share>();
  const std::string cache_object_;

  std::mutex read_mu_;  // guards window_, parts_, planned_any_; taken before mu_
  PrefetchWindow window_;
  std::map<uint64_t, std::shared_ptr<Part>> parts_;  // by first byte
  bool planned_any_ = false;
  std::mutex mu_;  // guards running_, gets_started_ (fetch threads touch them)
  std::condition_variable idle_cv_;
  int running_ = 0;
  int gets_started_ = 0;
};

}  // namespace thaw::fs
