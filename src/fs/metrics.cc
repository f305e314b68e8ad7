// FsMetrics (see metrics.h) and the counting wrapper of libfuse's fuse_reply_err.
#include "fs/metrics.h"

#include <cstring>

#include "common/metrics.h"
#include "fs/disk_cache.h"
#include "fs/internal/thaw_fs.h"
#include "fs/open_waiters.h"

namespace thaw::fs {

void FsMetrics::CountError(int err) {
  if (err <= 0) return;
  errors_[err > kMaxErrno ? kMaxErrno : err].fetch_add(1, std::memory_order_relaxed);
}

void FsMetrics::Attach(const OpenWaiters* waiters, const DiskCache* cache) {
  std::lock_guard lock(mu_);
  waiters_ = waiters;
  cache_ = cache;
}

void FsMetrics::AppendTo(std::string& out) const {
  AppendMetric(out, "thaw_fs_read_bytes_total", "counter", "bytes returned to read() calls",
               static_cast<double>(read_bytes.load()));
  AppendMetric(out, "thaw_fs_reads_total", "counter", "read() calls answered with data",
               static_cast<double>(reads.load()));
  AppendMetric(out, "thaw_fs_archived_opens_total", "counter",
               "opens of archived files (each submits or joins a restore)",
               static_cast<double>(archived_opens.load()));
  AppendMetric(out, "thaw_fs_flushes_total", "counter",
               "close() calls that waited for the mount (files opened for reading send none)",
               static_cast<double>(flushes.load()));
  size_t waiting = 0;
  uint64_t hits = 0, misses = 0;
  {
    std::lock_guard lock(mu_);
    if (waiters_ != nullptr) waiting = waiters_->waiting();
    if (cache_ != nullptr) {
      hits = cache_->hits();
      misses = cache_->misses();
    }
  }
  AppendMetric(out, "thaw_fs_opens_waiting", "gauge",
               "opens of archived files waiting for their restore now",
               static_cast<double>(waiting));
  AppendMetric(out, "thaw_fs_cache_hits_total", "counter",
               "parts served from the disk cache (--cache-dir) instead of a GET",
               static_cast<double>(hits));
  AppendMetric(out, "thaw_fs_cache_misses_total", "counter",
               "parts looked up in the disk cache and not found", static_cast<double>(misses));
  AppendMetricHeader(out, "thaw_fs_errors_total", "counter",
                     "FUSE requests answered with an error, by errno (ENOENT includes lookups "
                     "of names that do not exist)");
  for (int e = 1; e <= kMaxErrno; ++e) {
    uint64_t n = errors_[e].load();
    if (n == 0) continue;
    const char* name = e == kMaxErrno ? "other" : strerrorname_np(e);
    AppendSample(out, "thaw_fs_errors_total",
                 std::string("errno=\"") + (name ? name : std::to_string(e).c_str()) + "\"",
                 static_cast<double>(n));
  }
}

}  // namespace thaw::fs

// Every error reply of every callback passes here: the thaw_fs library is linked with
// -Wl,--wrap=fuse_reply_err (CMakeLists.txt), which points its calls of fuse_reply_err at this
// function. Counting in the ~70 places that reply with an errno would be easy to forget in the
// next one.
extern "C" int __real_fuse_reply_err(fuse_req_t req, int err);
extern "C" int __wrap_fuse_reply_err(fuse_req_t req, int err) {
  if (err != 0) {
    if (auto* fs = static_cast<thaw::fs::ThawFs*>(fuse_req_userdata(req))) {
      fs->options().metrics->CountError(err);
    }
  }
  return __real_fuse_reply_err(req, err);
}
