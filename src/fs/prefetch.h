// The read path of one open file: a prefetch window that grows on sequential reads and
// shrinks on random ones (PrefetchWindow, pure logic), ranged GETs of at most part_bytes run in
// parallel on a shared pool of fetch threads (FetchPool), and the bytes fetched ahead of the
// reader counted against a budget shared by every open file (PrefetchBudget).
//
// The first part of a file is small (ReadOptions::first_part_bytes) so that the first byte comes
// quickly; the first read of a file from its start plans a whole first window at once
// (first_window_bytes, or the file), in parts sized to it and fetched in parallel; parts then
// grow with the window, and are never smaller than what the mount's GETs so far show a GET is
// worth (an endpoint that works long on each GET before its first byte gets few large ones:
// LinkEstimate::LeastPartBytes). What a read waits for is fetched first (on the reading thread, the
// rest at the head of the pool's queue), read-ahead nearest first. Parts are filled in place, in
// reused chunks (chunk_pool.h), as the body arrives and handed to FUSE without copying.
//
// Once a sequential run has lasted a couple of GETs, its window is cut to what the reader's
// measured rate needs while a part arrives (link_estimate.h), never below the run's first
// window: on a link next door (loopback) that is tens of MiB, not 256, and the far GETs no longer
// compete for the CPUs with the near ones the reader waits for, nor fill memory that has to be
// faulted in. Against S3 (a part takes 100 ms or more) a reader at GB/s keeps the whole
// window; only a slow one gets less.
//
// Every GET carries If-Match with the ETag pinned at open: an object replaced while open makes
// reads fail (kFailedPrecondition -> EIO) instead of mixing bytes of two versions. A part that
// comes back shorter than asked is an error too.
//
// A part within the bytes of an EarlyGet (sent while the lookup listed the directory) is taken
// from it when it read the pinned version, instead of a GET of its own.
//
// With a DiskCache, parts are looked up there before a GET (served when cached entries cover
// them, however those were split) and stored after one.
//
// Thread safety: FetchPool and PrefetchBudget are shared and thread-safe. An ObjectReader may be
// called from several FUSE threads; planning is serialised, waiting for parts is not.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "fs/chunk_pool.h"
#include "fs/disk_cache.h"
#include "fs/early_get.h"
#include "fs/link_estimate.h"
#include "fs/options.h"
#include "s3/client.h"

namespace thaw::fs {

// How far ahead to read. A read starting where the previous one ended (give or take the
// kernel's reordering: up to a window behind, 2 MiB ahead) is sequential; the window of a
// sequential run is its start (first_bytes for the run that begins at the file's start, min_bytes
// after a random read) plus four times the bytes the run has consumed, up to max_bytes: it follows
// what the reader has shown it reads, not the number of requests. Any other read resets it.
//
// A first read at the file's start of at least kBulkReadBytes starts the run at bulk_first_bytes
// instead (when larger): the kernel sends a read that big only for a reader that asked for
// that much at once (dd bs=1M, cp, a whole-file read()), while a header probe (`head`, `file`,
// an HDF5 superblock) arrives as a read of 32-128 KiB and keeps the smaller start.
class PrefetchWindow {
 public:
  // A first read this large marks a bulk reader (the kernel's readahead turns a read() of
  // 128 KiB into a FUSE read of 256 KiB, one of 8 KiB into 32 KiB).
  static constexpr uint64_t kBulkReadBytes = 256 << 10;

  PrefetchWindow(uint64_t min_bytes, uint64_t max_bytes, uint64_t first_bytes = 0,
                 uint64_t bulk_first_bytes = 0)
      : min_(min_bytes),
        max_(max_bytes),
        start_(std::min(max_bytes, std::max(min_bytes, first_bytes))),
        bulk_start_(std::min(max_bytes, std::max(start_, bulk_first_bytes))),
        window_(start_) {}
  // Records a read and returns the window (bytes to have fetched beyond the read's end).
  uint64_t OnRead(uint64_t offset, uint64_t size);
  bool last_sequential() const { return last_sequential_; }
  uint64_t window() const { return window_; }
  // The window the current sequential run started with.
  uint64_t run_start_window() const { return start_; }
  // Bytes the current sequential run has consumed.
  uint64_t consumed() const { return next_offset_ - std::min(next_offset_, run_start_); }

 private:
  static constexpr uint64_t kGrowth = 4;
  // How far ahead of the expected offset a read may start and still be sequential (the kernel
  // has at most a couple of 1 MiB readahead requests in flight per file).
  static constexpr uint64_t kReorderBytes = 2 << 20;
  uint64_t min_, max_, start_, bulk_start_, window_;
  bool first_read_ = true;
  uint64_t run_start_ = 0;    // where the current sequential run began
  uint64_t next_offset_ = 0;  // where a sequential read would start (0 at open)
  bool last_sequential_ = true;
};

// Fixed threads running fetch tasks, nearest first: a task's priority is how far ahead of its
// reader its bytes are (0: a read waits for them), so the part a reader needs next never
// queues behind another file's far read-ahead. Equal priorities run in submission order.
// It also keeps what the GETs it runs show about the endpoint (one per mount), timed by `clock`.
class FetchPool {
 public:
  explicit FetchPool(int threads, Clock& clock = Clock::Real());
  ~FetchPool();  // runs what is queued, then joins
  void Submit(std::function<void()> task, uint64_t priority = 0);
  LinkEstimate& link() { return link_; }
  Clock& clock() { return clock_; }
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  struct Task {
    uint64_t priority;
    uint64_t seq;
    std::function<void()> run;
    bool operator<(const Task& o) const {  // std::priority_queue pops the largest
      return priority != o.priority ? priority > o.priority : seq > o.seq;
    }
  };
  void Run();
  std::mutex mu_;  // guards queue_, seq_, stop_
  std::condition_variable cv_;
  std::priority_queue<Task> queue_;
  uint64_t seq_ = 0;
  bool stop_ = false;
  Clock& clock_;
  LinkEstimate link_;
  std::vector<std::thread> threads_;
};

// Bytes of read-ahead in memory across all open files, and the memory the parts' bytes live in
// (a ChunkPool: freed chunks are reused for the next parts, within the budget's limit).
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

  // Up to idle_limit_bytes of freed chunks are kept, and never more than the limit minus the
  // chunks in use: the parts' memory stays within the budget (plus what reads wait for).
  explicit PrefetchBudget(uint64_t limit_bytes, uint64_t idle_limit_bytes = 64ull << 20)
      : limit_(limit_bytes), chunks_(limit_bytes, idle_limit_bytes) {}
  bool TryAcquire(uint64_t n, Share* share = nullptr);
  void ForceAcquire(uint64_t n);  // bytes a reader waits for: never refused
  void Release(uint64_t n, Share* share = nullptr);
  uint64_t used() const;
  ChunkPool& chunks() { return chunks_; }

 private:
  mutable std::mutex mu_;  // guards used_, active_shares_
  const uint64_t limit_;
  uint64_t used_ = 0;
  int active_shares_ = 0;  // shares holding read-ahead now
  ChunkPool chunks_;
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
               uint64_t size, DiskCache* cache = nullptr,
               std::shared_ptr<EarlyGet> early = nullptr);
  ~ObjectReader();  // waits for its fetches still running
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  // Reads up to `size` bytes at `offset` (fewer only at the end of the object). Reads may come
  // from several threads at once: a read waits for its parts without blocking the others.
  Result<ReadData> ReadSlices(uint64_t offset, uint64_t size);
  Result<std::string> Read(uint64_t offset, uint64_t size);  // ReadSlices, copied

  int gets_started() const;  // ranged GETs issued so far (tests)
  // Waits until none of its GETs runs or waits to start (tests: a fake clock advanced only
  // then times no GET, so the link estimate holds what the test put there).
  void WaitIdle();

 private:
  struct Part;
  // A fetch task's last step. Takes the task's reference, and drops it before the reader can
  // count the task as done: the part's budget is then released as soon as the reader drops it.
  void Finish(std::shared_ptr<Part> part, Status status);
  // Fills the part's data from the disk cache or a ranged GET, publishing bytes as they come.
  void Fetch(const std::shared_ptr<Part>& part, Status* status);
  // Fetch's work; the part's length when its bytes came whole from a GET, 0 otherwise.
  uint64_t FetchBytes(const std::shared_ptr<Part>& part, Status* status);
  // Makes the part's bytes so far readable and wakes a reader waiting for them.
  static void Publish(Part& part);
  void DropBefore(uint64_t offset);
  // Adds parts so that [offset, target_end) is covered: what a read waits for (up to
  // required_end) in parts of required_part bytes, read-ahead in parts of ahead_part. New ones
  // are appended to *started, to be launched once the reader's lock is released.
  void Plan(uint64_t offset, uint64_t required_end, uint64_t target_end, uint64_t required_part,
            uint64_t ahead_part, std::vector<std::shared_ptr<Part>>* started);
  // The read-ahead part size for a window.
  uint64_t PartFor(uint64_t window) const;
  // The window cut to what the link needs for the reader's rate (link_estimate.h), never below
  // the window the run started with, and *ahead_part cut so that the cut window still holds
  // two parts; unchanged until both the link and the rate are known, or when the link needs
  // more, and while the run is younger than kRampGets GETs (its rate is still the ramp's).
  // The floor: the first window is what was chosen for a reader of that kind before anything
  // was measured, and a ramp that is cut short would be slower than that.
  uint64_t FitToLink(uint64_t window, uint64_t* ahead_part);
  // Raises the part sizes to the least part worth a GET on this endpoint
  // (LinkEstimate::LeastPartBytes, at most a quarter of the largest window) where that is
  // more than options_.min_part_bytes: only where each GET costs far more than its bytes.
  // Before the mount has timed enough GETs, the first read of a file at the start the early
  // GET covers asks that GET instead (EarlyGet::LeastPartBytes), and its parts the read
  // waits for stay small: the early GET's bytes serve them. True when this read's first part
  // is to be the GET that judges the link for a new mount (LinkEstimate::TakeFirstGet): it
  // goes out alone, of at least kRateMinBytes (*required_part), with no read-ahead, and this
  // reader's next read waits for the verdict.
  bool FitToGetCost(uint64_t offset, uint64_t* ahead_part, uint64_t* required_part);
  // A part counted against the budget and as running (nullptr: read-ahead over the budget).
  std::shared_ptr<Part> NewPart(uint64_t first, uint64_t length, bool required);
  // Starts the parts a read waits for (`need`; the first on this thread) and queues newly
  // planned read-ahead, of which at most options_.parallel_gets run at once (`offset`: where the
  // read starts, for the nearest-first order).
  void Launch(const std::vector<std::shared_ptr<Part>>& planned,
              const std::vector<std::shared_ptr<Part>>& need, uint64_t offset);
  // Moves read-ahead from pending_ to *out, nearest first, while fewer than the limit run.
  void StartAheadLocked(std::vector<std::shared_ptr<Part>>* out);
  // Drops a part that is no longer wanted from pending_ (it is never fetched).
  void Unplan(const std::shared_ptr<Part>& part);
  void Submit(std::shared_ptr<Part> part, uint64_t priority);
  void Run(std::shared_ptr<Part> part);

  s3::S3Client& client_;
  FetchPool& pool_;
  PrefetchBudget& budget_;
  const ReadOptions options_;
  const std::string bucket_, key_, etag_;
  const uint64_t size_;
  DiskCache* const cache_;  // may be null
  // The early GET's bytes a part may take (null: none, or none left to take).
  std::shared_ptr<EarlyGet> TakeEarly(const Part& part);
  // Counts bytes taken from the early GET (or, with served == 0, gives up on it): its memory is
  // freed once every byte it covers was taken, not held while the file stays open.
  void DoneWithEarly(uint64_t served);
  // This file's read-ahead in the budget; parts may outlive the reader (ReadData keeps them).
  const std::shared_ptr<PrefetchBudget::Share> share_ = std::make_shared<PrefetchBudget::Share>();
  const std::string cache_object_;

  std::mutex read_mu_;  // guards window_, rate_, parts_, planned_any_, early_least_,
                        // judging_link_, judge_; before mu_
  PrefetchWindow window_;
  ReadRate rate_;                                    // of the current sequential run
  std::map<uint64_t, std::shared_ptr<Part>> parts_;  // by first byte
  bool planned_any_ = false;
  // The least part worth a GET as the early GET showed it, for a mount that had timed too few
  // GETs to say (FitToGetCost).
  std::optional<uint64_t> early_least_;
  // This reader's first GET judges the link: its next read waits for the verdict.
  bool judging_link_ = false;
  std::shared_ptr<LinkEstimate::FirstGet> judge_;  // from FitToGetCost to its part
  std::mutex mu_;  // guards what follows and Part::started/ahead (fetch threads touch them)
  std::condition_variable idle_cv_;
  int running_ = 0;
  int gets_started_ = 0;
  // Read-ahead planned but not started, by first byte: on a link the GETs share (a busy CPU, a
  // full pipe) every running GET slows the others, so the part the reader needs next would
  // finish no sooner than one far ahead; only parallel_gets of them run at once.
  std::map<uint64_t, std::shared_ptr<Part>> pending_;
  int running_ahead_ = 0;
  uint64_t reader_at_ = 0;  // where the last read started (the pool's priority for read-ahead)
  // The object's first bytes, asked for at lookup (early_get.h); may be null.
  std::shared_ptr<EarlyGet> early_;
  uint64_t early_served_ = 0;  // bytes parts took from it
};

}  // namespace thaw::fs
