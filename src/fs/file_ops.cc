// Opening and reading files. An open trusts the attributes a listing or HEAD gave within the
// metadata TTL (size, the ETag to pin, storage class and restore state) when they say the
// object is readable; otherwise (an Intelligent-Tiering object, whose archive tier only a HEAD
// shows; an archived one whose restore state the listing did not give) it HEADs. A readable
// object gets a reader at once; an archived one goes to the restore engine
// and the open either fails with EAGAIN (O_NONBLOCK, --archived=fail) or waits in OpenWaiters
// without holding this FUSE thread.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "common/strings.h"
#include "common/time_format.h"
#include "fs/errno_map.h"
#include "fs/internal/thaw_fs.h"
#include "fs/restore_timeout.h"
#include "s3/error.h"

namespace thaw::fs {
namespace {

// The engine's final word on a waiting open -> errno (0: readable now).
int ErrnoForRecord(const restore::RestoreRecord& r) {
  switch (r.state) {
    case restore::State::kRestored:
      return 0;
    case restore::State::kSkipped:
      if (r.reason == restore::Reason::kNotArchived) return 0;
      if (r.reason == restore::Reason::kDenied) return EACCES;
      if (r.reason == restore::Reason::kOverBudget) return EAGAIN;
      return EIO;
    default:
      return EIO;
  }
}

// How old a HEAD an open may rely on instead of sending its own.
constexpr std::chrono::milliseconds kHeadReuse{1000};

// What a listing's or HEAD's attributes say of the object `key` (storage class, restore state).
s3::ObjectInfo InfoFromAttributes(const std::string& bucket, const std::string& key,
                                  const Attributes& a) {
  s3::ObjectInfo known;
  known.bucket = bucket;
  known.key = key;
  known.size = a.size;
  known.etag = a.etag;
  known.storage_class = a.storage_class;
  known.archive_status = a.archive_status;
  if (a.restore) known.restore = *a.restore;
  return known;
}

void OnInterrupt(fuse_req_t req, void* data) {
  auto* fs = static_cast<ThawFs*>(fuse_req_userdata(req));
  fs->waiters().Interrupt(reinterpret_cast<uint64_t>(data));
}

}  // namespace

FileHandle::~FileHandle() {
  if (temp_fd >= 0) close(temp_fd);
}

void ThawFs::Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto inode = inodes_.Get(ino);
  if (!inode) return (void)fuse_reply_err(req, ENOENT);
  if (inode->attr.is_dir) return (void)fuse_reply_err(req, EISDIR);
  // Bytes fetched while the lookup listed the directory, for a reader of this open only.
  std::shared_ptr<EarlyGet> early = early_gets_.Take(inode->key);
  if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
    return OpenForWrite(req, fi, *inode);
  }
  PrefillOnce();
  // The lookup or listing that led to this open gave the object's attributes a moment ago:
  // trusted like the kernel trusts them (the metadata TTL), they save a round trip before the
  // first byte (a small file costs one GET, not HEAD + GET). An object replaced since is caught
  // by the GET's If-Match (EIO), never mixed. Only for objects the attributes show readable.
  const Attributes& a = inode->attr;
  Clock::Duration age = clock_.Now() - a.fetched_at;
  bool tier_known = !EqualsIgnoreCase(a.storage_class, s3::kIntelligentTiering) ||
                    clock_.Now() - a.headed_at < options_.metadata_ttl;
  if (!a.pending_upload && !a.etag.empty() && tier_known &&
      (age < options_.metadata_ttl || clock_.Now() - a.headed_at < kHeadReuse)) {
    s3::ObjectInfo known = InfoFromAttributes(options_.bucket, inode->key, a);
    if (known.readable()) {
      ReplyOpen(req, fi, *inode, known, std::move(early));
      return NoteOpen(*inode);
    }
  }
  auto info = Head(inode->key);
  if (!info.ok()) {
    if (!info.status().IsNotFound()) {
      spdlog::warn("mount: open s3://{}/{}: {}", options_.bucket, inode->key,
                   info.status().message());
    }
    return (void)fuse_reply_err(req, ErrnoFor(info.status()));
  }
  inodes_.Update(ino, AttrFromInfo(*info));
  if (!info->readable()) return OpenArchived(req, fi, *inode, *info);
  ReplyOpen(req, fi, *inode, *info, std::move(early));
  NoteOpen(*inode);
}

void ThawFs::NoteOpen(const Inode& inode) {
  // Only a listing the cache holds: an open never lists a directory for this.
  std::string prefix = ParentPrefix(inode.key);
  if (!dirs_.Fresh(prefix)) return;
  auto listing = dirs_.List(prefix);
  if (!listing.ok()) return;
  const auto& entries = (*listing)->entries;
  auto it = std::lower_bound(entries.begin(), entries.end(), inode.name,
                             [](const DirEntry& e, const std::string& n) { return e.name < n; });
  if (it == entries.end() || it->name != inode.name) return;
  walks_.OnOpen(*listing, static_cast<size_t>(it - entries.begin()));
}

bool ThawFs::PrefetchForWalk(const std::string& key, const DirEntry& entry, uint64_t ahead) {
  const Attributes& a = entry.attr;
  // Only what an open would read without a HEAD (the listing shows it readable; an
  // Intelligent-Tiering object's archive tier only a HEAD shows).
  if (a.pending_upload || a.etag.empty() || a.size == 0 ||
      EqualsIgnoreCase(a.storage_class, s3::kIntelligentTiering) ||
      !InfoFromAttributes(options_.bucket, key, a).readable()) {
    return true;
  }
  // A file the disk cache holds is read from there, without a request to wait for. Its cache
  // file is not read ahead either: the readers keep as many disk reads in flight as they have
  // threads, and epoch after epoch the kernel still holds the file itself (no read reaches the
  // mount at all), where a readahead per open cost a third of the mount's CPU (open, fadvise
  // and close of the cache file, under the walk's lock).
  if (cache_ != nullptr && cache_->Covers(DiskCache::ObjectId(options_.bucket, key, a.etag), 0,
                                          std::min(a.size, options_.read.early_get_bytes))) {
    return true;
  }
  return early_gets_.Prefetch(key, a.etag, a.size, ahead);
}

void ThawFs::ReplyOpen(fuse_req_t req, fuse_file_info* fi, const Inode& inode,
                       const s3::ObjectInfo& info, std::shared_ptr<EarlyGet> early) {
  auto fh = std::make_unique<FileHandle>();
  fh->key = inode.key;
  fh->ino = inode.ino;
  fh->size = info.size;
  if (cache_ != nullptr)
    fh->cache_object = DiskCache::ObjectId(options_.bucket, inode.key, info.etag);
  fh->reader = std::make_unique<ObjectReader>(client_, pool_, budget_, options_.read,
                                              options_.bucket, inode.key, info.etag, info.size,
                                              cache_.get(), std::move(early));
  fi->fh = reinterpret_cast<uint64_t>(fh.get());
  // The page cache may keep data of an unchanged object across opens.
  fi->keep_cache = inodes_.SwapCachedEtag(inode.ino, info.etag) == info.etag ? 1 : 0;
  // A file opened for reading has nothing to flush: its close() then costs no round trip
  // through the mount (a loader opening thousands of small files waits for one per file).
  fi->noflush = 1;
  if (fuse_reply_open(req, fi) == 0) fh.release();
}

void ThawFs::OpenArchived(fuse_req_t req, fuse_file_info* fi, const Inode& inode,
                          const s3::ObjectInfo& info) {
  restore::SubmitOptions so;
  so.source = restore::Source::kMount;
  so.known_info = info;
  options_.metrics->archived_opens.fetch_add(1);
  restore::ObjectRef object{options_.bucket, inode.key, ""};
  auto handle = engine_.Submit(object, so);
  if (!handle.ok()) {
    spdlog::warn("mount: restore of {} not submitted: {}", object.ToString(),
                 handle.status().message());
    return (void)fuse_reply_err(req, EIO);
  }
  if ((fi->flags & O_NONBLOCK) || options_.archived == MountOptions::Archived::kFail) {
    spdlog::debug("mount: {} is archived ({}): EAGAIN, restore requested", object.ToString(),
                  info.storage_class);
    return (void)fuse_reply_err(req, EAGAIN);
  }
  uint64_t id = waiters_.Reserve();
  fuse_req_interrupt_func(req, OnInterrupt, reinterpret_cast<void*>(id));
  fuse_file_info saved = *fi;
  Inode inode_copy = inode;
  s3::ObjectInfo info_copy = info;
  auto finish = [this, req, saved, inode_copy, info_copy,
                 object](const Result<restore::RestoreRecord>& r) mutable {
    if (!r.ok()) {
      int err = ErrnoFor(r.status());
      if (r.status().code() == StatusCode::kAborted) err = EIO;
      spdlog::info("mount: open of {} gave up waiting: {}", object.ToString(),
                   r.status().message());
      fuse_reply_err(req, err);
      return;
    }
    int err = ErrnoForRecord(*r);
    if (err != 0) {
      spdlog::warn("mount: open of {}: restore {} ({})", object.ToString(),
                   restore::StateName(r->state), r->error);
      fuse_reply_err(req, err);
      return;
    }
    // The restore does not change the ETag: the one HEAD saw at open stays pinned.
    ReplyOpen(req, &saved, inode_copy, info_copy);
  };
  if (options_.restore_timeout) {
    waiters_.Wait(id, *handle, clock_.Now() + *options_.restore_timeout, std::move(finish));
    return;
  }
  // auto: the bound of the tier the engine chose (slowest of the class until it has chosen).
  Clock::TimePoint opened = clock_.Now();
  std::string storage_class = info.storage_class;
  std::string archive_status = info.archive_status;
  waiters_.Wait(
      id, *handle,
      [opened, storage_class, archive_status](const restore::RestoreRecord& r) {
        return opened + AutoRestoreTimeout(storage_class, archive_status, r.tier);
      },
      std::move(finish));
}

void ThawFs::Read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi) {
  auto* fh = reinterpret_cast<FileHandle*>(fi->fh);
  if (fh->reader == nullptr) {
    // A file opened for writing is read back from its buffer.
    std::lock_guard lock(fh->write_mu);
    std::string buf(size, '\0');
    ssize_t n = pread(fh->temp_fd, buf.data(), size, off);
    if (n < 0) return (void)fuse_reply_err(req, errno);
    return (void)fuse_reply_buf(req, buf.data(), static_cast<size_t>(n));
  }
  if (!fh->cache_object.empty() && ReplyFromCache(req, *fh, size, off)) return;
  auto data = fh->reader->ReadSlices(static_cast<uint64_t>(off), size);
  if (!data.ok()) {
    std::string code = s3::S3ErrorCode(data.status());
    std::string why = data.status().message();
    if (code == "PreconditionFailed") {
      why = "the object was replaced since it was opened (ETag changed)";
    } else if (code == "InvalidObjectState") {
      why = "the restored copy expired while the file was open";
    }
    spdlog::warn("mount: read of s3://{}/{} at {}: EIO: {}", options_.bucket, fh->key, off, why);
    return (void)fuse_reply_err(req, EIO);
  }
  if (data->pieces.empty()) return (void)fuse_reply_buf(req, nullptr, 0);  // end of file
  // The parts' bytes go to the kernel as they are (no copy into one buffer first).
  std::vector<iovec> iov;
  iov.reserve(data->pieces.size());
  for (auto p : data->pieces) iov.push_back(iovec{const_cast<char*>(p.data()), p.size()});
  options_.metrics->CountRead(data->pieces);
  fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
}

bool ThawFs::ReplyFromCache(fuse_req_t req, const FileHandle& fh, size_t size, off_t off) {
  uint64_t first = static_cast<uint64_t>(off);
  if (first >= fh.size || size == 0) return false;
  uint64_t n = std::min<uint64_t>(size, fh.size - first);
  std::vector<DiskCache::FileSlice> slices;
  if (!cache_->OpenSlices(fh.cache_object, first, n, &slices)) return false;
  // fuse_bufvec ends in a one-element array: room for the others after it.
  std::vector<char> room(sizeof(fuse_bufvec) + (slices.size() - 1) * sizeof(fuse_buf));
  auto* bufv = reinterpret_cast<fuse_bufvec*>(room.data());
  bufv->count = slices.size();
  bufv->idx = 0;
  bufv->off = 0;
  for (size_t i = 0; i < slices.size(); ++i) {
    fuse_buf& b = bufv->buf[i];
    b = fuse_buf{};
    b.size = slices[i].length;
    b.flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    b.fd = slices[i].fd;
    b.pos = static_cast<off_t>(slices[i].offset);
  }
  options_.metrics->reads.fetch_add(1, std::memory_order_relaxed);
  options_.metrics->read_bytes.fetch_add(n, std::memory_order_relaxed);
  fuse_reply_data(req, bufv, static_cast<fuse_buf_copy_flags>(0));
  for (const auto& s : slices) close(s.fd);
  return true;
}

void ThawFs::Release(fuse_req_t req, fuse_file_info* fi) {
  auto* fh = reinterpret_cast<FileHandle*>(fi->fh);
  if (fh->dirty) {
    Status s = Upload(*fh);
    if (!s.ok()) {
      spdlog::error("mount: upload of s3://{}/{} failed at close: {}", options_.bucket, fh->key,
                    s.message());
    }
  }
  delete fh;
  fuse_reply_err(req, 0);
}

}  // namespace thaw::fs
