// What a mount counts for /metrics (`thaw mount --metrics-listen`): bytes read, reads, opens of
// archived files and how many wait right now, disk cache hits, and FUSE error replies by errno.
// The S3 calls behind them are counted by s3::ClientMetrics, restores by restore::
// RestoreMetrics; the three render side by side with the same names `thaw serve` uses.
//
// The counters are bumped with one line where things happen (file_ops.cc, disk_cache.cc);
// error replies are counted in one place for every callback: the link wraps libfuse's
// fuse_reply_err (metrics.cc). Thread safety: everything may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace thaw::fs {

class OpenWaiters;
class DiskCache;

class FsMetrics {
 public:
  std::atomic<uint64_t> read_bytes{0};      // bytes replied to read()
  std::atomic<uint64_t> reads{0};           // read() calls answered with data
  std::atomic<uint64_t> archived_opens{0};  // opens of archived objects (a restore submitted)
  std::atomic<uint64_t> flushes{0};         // FLUSH requests (a close() of a file open to write)

  template <typename Pieces>
  void CountRead(const Pieces& pieces) {
    uint64_t n = 0;
    for (const auto& p : pieces) n += p.size();
    read_bytes.fetch_add(n, std::memory_order_relaxed);
    reads.fetch_add(1, std::memory_order_relaxed);
  }
  void CountError(int err);

  // The mount's live parts, for the gauges; RunMount attaches them for the session's lifetime
  // (null: none). Detach waits for a render in progress.
  void Attach(const OpenWaiters* waiters, const DiskCache* cache);
  void Detach() { Attach(nullptr, nullptr); }

  void AppendTo(std::string& out) const;

 private:
  static constexpr int kMaxErrno = 134;  // above EHWPOISON (133), Linux's largest
  std::array<std::atomic<uint64_t>, kMaxErrno + 1> errors_{};
  mutable std::mutex mu_;  // guards the pointers below against Detach during a render
  const OpenWaiters* waiters_ = nullptr;
  const DiskCache* cache_ = nullptr;
};

}  // namespace thaw::fs
