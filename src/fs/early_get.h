// Early GETs: the first bytes of a file fetched while its lookup is still listing the directory.
//
// A cold `cat dir/file` costs a LIST (the lookup: is `file` there, what are its size and ETag?)
// and then a GET (the first read): two round trips in a row, 20-30 ms each against S3. When a
// lookup has to list its directory anyway, the mount sends, at the same moment, a GET of the
// object's first bytes (ReadOptions::early_get_bytes) under the looked-up name. If the listing
// shows a file and it is opened soon after (kMaxAge), the reader takes those bytes instead of
// sending its own GETs for them: a small file costs one round trip, not two. Otherwise the
// bytes are dropped (a directory or a missing name costs one 404, no body).
//
// The early GET cannot carry If-Match (the ETag is not known yet): its bytes are used only when
// its ETag and object size are the ones the open pinned; any failure, a short body or another
// version makes the reader fetch those bytes itself, as without it.
//
// Prefetch() holds the same for a file a directory walk is about to open (dir_walk.h): its
// listing gave the ETag and size, so the GET carries If-Match and asks for no more than the
// file. Those are capped by bytes (kMaxPrefetchBytes), not by count, live longer (kPrefetchMaxAge:
// a walk may run ahead of a slow reader) and are cancelled when the walk drops them: one not
// sent yet never is. A GET still queued on the fetch pool when its reader wants the bytes is
// sent by the reader itself, not waited for behind other files' read-ahead.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "fs/link_estimate.h"
#include "s3/client.h"

namespace thaw::fs {

class FetchPool;

// One GET of bytes [0, bytes) of a key, sent before the object's ETag is known.
class EarlyGet {
 public:
  explicit EarlyGet(uint64_t bytes) : bytes_(bytes) {}
  // One that sends `req` on `client` when Run() first runs (the client outlives it), timed by
  // `clock`; a GET that worked is reported to `link` (may be null).
  EarlyGet(uint64_t bytes, s3::S3Client& client, s3::GetObjectRequest req,
           Clock& clock = Clock::Real(), LinkEstimate* link = nullptr)
      : bytes_(bytes), client_(&client), req_(std::move(req)), clock_(&clock), link_(link) {}
  // Sends the GET unless it was sent already or cancelled (then it fails), and Finish()es.
  void Run();
  // A GET not sent yet never will be.
  void Cancel();
  void Finish(Result<s3::GetObjectResult> result);
  // Waits for the answer (sending the GET on this thread when no one has yet). The object's
  // first min(bytes, size) bytes when the GET read the version `etag` of `size` bytes; nullopt
  // otherwise. Views stay valid while this lives.
  std::optional<std::string_view> Bytes(const std::string& etag, uint64_t size);
  // Bytes [0, covered) an object of `size` bytes gets from this GET, if it worked.
  uint64_t Covers(uint64_t size) const { return std::min(bytes_, size); }

  // For the first read of a mount that has timed no GETs yet (which would otherwise fan out
  // into parallel GETs knowing nothing of the endpoint): the least part worth a GET by
  // LinkEstimate::LeastPartBytes's rule, from this GET alone. That rule raises parts above
  // this GET's size only when its body took less than LinkEstimate::kLeastPartShare of its
  // time to first byte, so this waits for the first byte and then at most that long: against
  // S3 the first byte has mostly come by the first read (the GET went out with the lookup's
  // LIST) and the body takes longer, so the reader goes on within a few milliseconds with
  // nullopt. nullopt too when the GET was not sent (the reader sends it), failed, brought
  // less than LinkEstimate::kRateMinBytes or took no time.
  std::optional<uint64_t> LeastPartBytes();

 private:
  const uint64_t bytes_;
  s3::S3Client* const client_ = nullptr;  // null: Finish() is called from outside
  const s3::GetObjectRequest req_;
  Clock* const clock_ = nullptr;
  LinkEstimate* const link_ = nullptr;
  std::mutex mu_;  // guards what follows
  std::condition_variable cv_;
  bool claimed_ = false;  // Run() sent it, or it was cancelled
  bool done_ = false;
  std::optional<Result<s3::GetObjectResult>> result_;
  Clock::TimePoint sent_, first_byte_, last_byte_;
  bool timed_ = false;  // first_byte_ is set
};

// The early GETs of a mount, by key, until an open takes them or they age out.
class EarlyGets {
 public:
  // An early GET not taken by an open this soon after it was sent is dropped.
  static constexpr std::chrono::milliseconds kMaxAge{2000};
  // Early GETs held at once (each up to `bytes` of memory): a burst of lookups beyond this
  // sends no more of them.
  static constexpr size_t kMaxHeld = 16;
  // Prefetched bytes held at once (sent or queued, not yet taken by an open), and how long one
  // waits for its open.
  static constexpr uint64_t kMaxPrefetchBytes = 32ull << 20;
  static constexpr std::chrono::milliseconds kPrefetchMaxAge{10000};

  // bytes == 0: disabled.
  EarlyGets(s3::S3Client& client, FetchPool& pool, std::string bucket, uint64_t bytes,
            Clock& clock);
  // Sends the GET of `key`'s first bytes on the fetch pool (unless disabled, one is already
  // held for the key, or kMaxHeld are).
  void Start(const std::string& key);
  // Sends (on the fetch pool, at `priority`) a GET of the first bytes of `key`, whose listing
  // said `etag` and `size`, for an open expected soon. False when kMaxPrefetchBytes are held
  // (or it is disabled); true when sent or already held.
  bool Prefetch(const std::string& key, const std::string& etag, uint64_t size, uint64_t priority);
  // The early GET of `key` (removed), or nullptr when there is none or it is too old.
  std::shared_ptr<EarlyGet> Take(const std::string& key);
  void Drop(const std::string& key);
  int started() const;     // early GETs sent so far (tests)
  int prefetched() const;  // prefetches sent so far (tests)

 private:
  struct Held {
    std::shared_ptr<EarlyGet> get;
    Clock::TimePoint sent;
    uint64_t prefetch_bytes = 0;  // 0: a lookup's early GET
  };
  void PruneLocked(Clock::TimePoint now);
  // Removes a held entry, cancelling its GET when `cancel`, and updates the counts.
  std::map<std::string, Held>::iterator EraseLocked(std::map<std::string, Held>::iterator it,
                                                    bool cancel);

  s3::S3Client& client_;
  FetchPool& pool_;
  const std::string bucket_;
  const uint64_t bytes_;
  Clock& clock_;
  mutable std::mutex mu_;  // guards what follows
  std::map<std::string, Held> held_;
  size_t lookups_held_ = 0;      // entries of held_ sent by lookups
  uint64_t prefetch_bytes_ = 0;  // bytes of the prefetches in held_
  int started_ = 0;
  int prefetched_ = 0;
};

}  // namespace thaw::fs
