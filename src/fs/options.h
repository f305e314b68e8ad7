// What a mount is configured with (`thaw mount` flags map onto these fields one to one) and the
// read path's sizing, which is also the mount's memory budget (README: "Memory").
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "fs/metrics.h"

namespace thaw::fs {

struct ReadOptions {
  // How far ahead of a sequential reader bytes are fetched (the window). A file read from its
  // start gets first_window_bytes at once (the whole file when smaller), fetched as parallel
  // ranged GETs sized to it, so every size is fast from the first byte; the window then grows
  // with what the reader has consumed (start + 4x the bytes read in the run), up to
  // max_window_bytes, instead of a slow start that doubles per read. After a random read it
  // starts again at min_window_bytes. 256 MiB lets one reader keep 32 parts in flight over
  // S3's 85-90 MB/s connections; readers share the budget fairly (PrefetchBudget), so four get
  // 64 MiB each. Measured with 20 ms and 90 MB/s per GET in the sim (bench/mount-seq --faults
  // s3): one reader 376 MiB/s with 64 MiB, 936 with 128, 1,265 with 256 and the share.
  // Where GETs arrive quickly (loopback) the window is cut to what the reader's rate needs
  // (prefetch.h, link_estimate.h).
  uint64_t min_window_bytes = 1 << 20;
  uint64_t max_window_bytes = 256ull << 20;
  // 32 MiB: a whole 1-32 MiB file (images, shards, chunks) arrives in one round of parallel
  // GETs; a larger file starts with all of this when its first read is a bulk one (1 MiB from
  // dd bs=1M, cp, read(); PrefetchWindow), a quarter of it otherwise (a header probe), and
  // grows with what is read.
  uint64_t first_window_bytes = 32ull << 20;
  // Each ranged GET fetches at most this much; a window is split into parts fetched in parallel.
  uint64_t part_bytes = 8ull << 20;
  // Read-ahead parts are a window_parts-th of the window, at least this big (and at most
  // part_bytes): a 16 MiB file still goes out as 16 GETs at once, a large window in few large
  // GETs, and a small window after a random read in one GET (not a burst of tiny ones).
  uint64_t min_part_bytes = 1 << 20;
  // Parts per window: as many as parallel_gets lets run at once by default, so a first window of
  // 32 MiB goes out as 24 GETs of 1.3 MiB in one round trip (not 16 of 2 MiB).
  int window_parts = 24;
  // The first GET of an open file: small, so the first byte arrives quickly (time to first
  // byte); the rest of what the first read waits for goes out in parallel GETs of this size.
  uint64_t first_part_bytes = 256 << 10;
  // A lookup that has to list its directory also sends a GET of the name's first bytes, so that
  // opening and reading a small file right after costs one round trip instead of two
  // (early_get.h). 1 MiB: the kernel's largest read, and ~11 ms of one S3 connection. 0: off.
  uint64_t early_get_bytes = 1 << 20;
  // A random read fetches what it asks for, rounded up to this, and nothing ahead: read-ahead
  // after a random read is thrown away by the next one (a 4 KiB read would move megabytes).
  uint64_t random_fetch_bytes = 128 << 10;
  // Prefetched (not yet read) bytes of all open files together. Bytes a read waits for are
  // always fetched; only read-ahead beyond them is cut when the budget is used up.
  uint64_t prefetch_budget_bytes = 256ull << 20;
  // Freed read-ahead chunks kept for reuse (chunk_pool.h: fresh memory costs a page fault per
  // 4 KiB filled), within prefetch_budget_bytes together with the chunks in use.
  uint64_t idle_buffer_bytes = 64ull << 20;
  // The kernel's readahead for the mount (kernel_readahead.h): sequential reads arrive as FUSE
  // requests of up to this size (at most 1 MiB, the kernel's largest request). 0 leaves the
  // kernel's 128 KiB. Raising it needs root; without, the mount logs it and goes on.
  uint64_t kernel_readahead_bytes = 1 << 20;
  // Threads issuing ranged GETs for all open files (each holds one pooled connection). With
  // S3-like connections (20 ms, 90 MB/s each) four readers read 794 MiB/s with 16 and
  // 1,063 MiB/s with 32; on loopback the two are alike.
  int fetch_threads = 32;
  // Read-ahead GETs of one open file running at once (what a read waits for always starts at
  // once), nearest first. S3 serves each connection at about 90 MB/s, so a reader needs many;
  // but GETs running together share whatever limits them (the CPU, a full link), and then the
  // part the reader needs next finishes no sooner than one far ahead. Measured on 2 busy CPUs,
  // 1 GiB read (MiB/s, two runs): S3-like 20 ms + 90 MB/s per GET: 4: 247/255, 8: 459/503,
  // 16: 545/717, 32: 458/531; loopback: 4: 798/509, 8: 859/567, 16: 484/492, 32: 506/552.
  // 16 keeps an S3 link full; a CPU-bound local endpoint does better with 4-8. 24 (with parts
  // of a 24th of the window) read whole 128 and 512 MiB files and the first 64 MiB of a big one
  // 10-20% faster than 16 S3-like (bench/mount `sizes`, A/B in one run on 2 busy CPUs; 32 was
  // erratic for the first 64 MiB, its far read-ahead competing with the near parts); loopback
  // unchanged within the noise.
  int parallel_gets = 24;
  // Connections opened (with one tiny request each) as soon as the mount is up, so that the
  // first large read's parallel GETs do not each start on a new one (connection_warmup.h);
  // the chunk pool gets a first window's memory at the first open for reading
  // (ChunkPool::Prefill). 0: neither.
  int warm_connections = 24;
};

// Uploads of written files (on close or flush).
struct WriteOptions {
  // Files of at least this size go up as a multipart upload, smaller ones with one PutObject.
  uint64_t multipart_threshold = 64ull << 20;
  // Parts are at least this big, and bigger when 10,000 of them would not cover the file.
  uint64_t min_part_bytes = 8ull << 20;
  // Parts sent at once; each streams from the temp file, so memory does not grow with it.
  int parallel_parts = 4;
};

struct MountOptions {
  std::string bucket;
  std::string prefix;  // "" or ending in '/': the key prefix shown as the mount's root
  std::string mountpoint;
  // Directory listings and attributes are trusted this long (kernel entry/attr timeouts too).
  std::chrono::milliseconds metadata_ttl{60000};
  // "No such file" answered from a listing is trusted this long (and the kernel caches the
  // negative entry as long): tools probing for missing files (`.git`, `__pycache__`, `*.so`
  // searches) then cost no request each. nullopt: the metadata TTL. Never longer than it.
  std::optional<std::chrono::milliseconds> negative_cache_ttl;
  // Where a file's mode, owner and mtime come from. kOff: the mount's options and the
  // listing's LastModified, so `ls -l`, `find` and `du` need nothing but ListObjectsV2 pages.
  // kFsx: FSx for Lustre's POSIX metadata (x-amz-meta-file-*), which only a HEAD of each object
  // shows: one request per file listed with attributes.
  enum class PosixMetadata { kOff, kFsx };
  PosixMetadata posix_metadata = PosixMetadata::kOff;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t file_mode = 0644;  // unless the object carries FSx's file-permissions
  mode_t dir_mode = 0755;
  bool allow_other = false;
  bool read_only = false;
  // kWait: a blocking open of an archived file waits for its restore; kFail: EAGAIN at once.
  enum class Archived { kWait, kFail };
  Archived archived = Archived::kWait;
  // A waiting open gives up (ETIMEDOUT) after this; the restore goes on. nullopt (`auto`): the
  // published upper bound of the object's class and the tier chosen, plus a margin
  // (restore_timeout.h).
  std::optional<std::chrono::milliseconds> restore_timeout;
  int fuse_threads = 16;  // FUSE worker threads at most
  // Disk cache of fetched parts (disk_cache.h); off when cache_dir is empty.
  std::string cache_dir;
  uint64_t cache_size_bytes = 10ull << 30;
  ReadOptions read;
  WriteOptions write;
  // Where the mount counts (shared with whoever renders /metrics); never null.
  std::shared_ptr<FsMetrics> metrics = std::make_shared<FsMetrics>();
};

}  // namespace thaw::fs
