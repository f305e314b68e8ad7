// Metadata callbacks: lookup, forget, getattr, directory reading, statfs. Names and attributes
// come from the directory cache (ListObjectsV2 pages carry size, mtime, ETag, storage class and
// restore state), so `ls -lR`, `find` and `du` send no request per file. A HEAD is sent only
// for what a listing cannot say: FSx POSIX metadata when the mount asks for it
// (--posix-metadata fsx), the archive tier of an Intelligent-Tiering object and the restore
// state of an archived one where the listing lacks it (both at open, file_ops.cc).
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <future>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "fs/connection_warmup.h"
#include "fs/errno_map.h"
#include "fs/internal/thaw_fs.h"

namespace thaw::fs {
namespace {

timespec ToTimespec(Clock::TimePoint t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  return ts;
}

// The inode number a plain directory entry shows: informational only (no lookup is handed out
// with it), stable for a key.
fuse_ino_t DirentIno(const std::string& key) {
  return (std::hash<std::string>{}(key) | 1) & 0x7fffffffffffffffull;
}

// HEADs in flight at once while answering one READDIRPLUS.
constexpr size_t kMetadataThreads = 32;

// The listing a directory handle reads from, possibly still arriving: offsets stay valid
// across readdir calls, rewinddir and seekdir (see listing_stream.h).
struct DirHandle {
  std::shared_ptr<ListingStream> stream;
};

// Entries a reply of `size` bytes can hold at most (a dirent is at least 24 bytes).
size_t MaxEntries(size_t size) {
  return size / 24 + 1;
}

}  // namespace

ThawFs::ThawFs(const MountOptions& options, s3::S3Client& client, restore::Engine& engine,
               std::unique_ptr<DiskCache> cache)
    : options_(options),
      client_(client),
      engine_(engine),
      clock_(Clock::Real()),
      inodes_(options.prefix),
      dirs_(client, options.bucket, Clock::Real(), options.metadata_ttl),
      pool_(options.read.fetch_threads),
      budget_(options.read.prefetch_budget_bytes, options.read.idle_buffer_bytes),
      cache_(std::move(cache)),
      early_gets_(client, pool_, options.bucket, options.read.early_get_bytes, Clock::Real()),
      walks_([this](const std::string& key, const DirEntry& e,
                    uint64_t ahead) { return PrefetchForWalk(key, e, ahead); },
             [this](const std::string& key) { early_gets_.Drop(key); }),
      waiters_(Clock::Real()),
      probe_(std::make_shared<LinkProbe>(client, pool_, options.bucket)) {
  pool_.link().SetPrior(probe_);
}

ThawFs::~ThawFs() {
  probe_->Close();
}

void ThawFs::PrimeRoot() {
  dirs_.Prime(options_.prefix,
              [probe = probe_](const s3::ListObjectsPage& page) { probe->OnListing(page); });
}

void ThawFs::WarmUp() {
  fs::WarmConnections(client_, pool_, options_.bucket, options_.read.warm_connections,
                      [probe = probe_] { probe->OnWarm(); });
}

void ThawFs::PrefillOnce() {
  if (options_.read.warm_connections <= 0) return;
  // At the first open for reading, not at mount: a mount that only lists (a million keys)
  // should not hold a window of idle memory. The first GETs' round trip hides the filling.
  std::call_once(prefilled_, [this] {
    pool_.Submit([this] { budget_.chunks().Prefill(options_.read.first_window_bytes); });
  });
}

std::string ThawFs::ParentPrefix(const std::string& key) {
  std::string k = key;
  if (!k.empty() && k.back() == '/') k.pop_back();
  size_t slash = k.rfind('/');
  return slash == std::string::npos ? std::string() : k.substr(0, slash + 1);
}

struct stat ThawFs::ToStat(fuse_ino_t ino, const Attributes& attr) const {
  struct stat st;
  std::memset(&st, 0, sizeof(st));
  st.st_ino = ino;
  if (attr.is_dir) {
    st.st_mode = S_IFDIR | (options_.dir_mode & 07777);
    st.st_nlink = 2;
  } else {
    mode_t perm = attr.mode ? (*attr.mode & 07777) : (options_.file_mode & 07777);
    st.st_mode = S_IFREG | perm;
    st.st_nlink = 1;
  }
  st.st_uid = attr.uid.value_or(options_.uid);
  st.st_gid = attr.gid.value_or(options_.gid);
  st.st_size = static_cast<off_t>(attr.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((attr.size + 511) / 512);
  st.st_mtim = st.st_ctim = st.st_atim = ToTimespec(attr.mtime);
  return st;
}

Attributes ThawFs::AttrFromInfo(const s3::ObjectInfo& info) const {
  Attributes a;
  a.size = info.size;
  a.etag = info.etag;
  a.storage_class = info.storage_class;
  a.archive_status = info.archive_status;
  a.restore = info.restore;
  a.mtime = info.last_modified;
  // POSIX metadata only when asked for: otherwise a file would show other permissions once
  // something (an open, an xattr) happened to HEAD it than `ls -l` showed from the listing.
  if (options_.posix_metadata == MountOptions::PosixMetadata::kFsx) {
    s3::PosixMetadata posix = s3::ParsePosixMetadata(info.metadata);
    a.mtime = posix.mtime.value_or(info.last_modified);
    // Only a regular file's permission bits are taken; a key cannot become a device or a link.
    if (posix.mode && (*posix.mode & S_IFMT) == S_IFREG) a.mode = *posix.mode;
    if (posix.mode && (*posix.mode & S_IFMT) == 0) a.mode = S_IFREG | *posix.mode;
    a.uid = posix.uid;
    a.gid = posix.gid;
  }
  a.fetched_at = a.headed_at = clock_.Now();
  return a;
}

bool ThawFs::HeadsFiles() const {
  return options_.posix_metadata == MountOptions::PosixMetadata::kFsx;
}

std::chrono::milliseconds ThawFs::NegativeTtl() const {
  return std::min(options_.negative_cache_ttl.value_or(options_.metadata_ttl),
                  options_.metadata_ttl);
}

Result<s3::ObjectInfo> ThawFs::Head(const std::string& key) {
  s3::HeadObjectRequest req;
  req.bucket = options_.bucket;
  req.key = key;
  return client_.HeadObject(req);
}

void ThawFs::ReplyEntry(fuse_req_t req, const Inode& inode) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.ino = inode.ino;
  e.attr = ToStat(inode.ino, inode.attr);
  e.attr_timeout = ToSeconds(options_.metadata_ttl);
  e.entry_timeout = ToSeconds(options_.metadata_ttl);
  // The kernel did not take the entry (the request was interrupted): undo its lookup.
  if (fuse_reply_entry(req, &e) != 0) inodes_.Forget(inode.ino, 1);
}

void ThawFs::Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto dir = inodes_.Get(parent);
  if (!dir) return (void)fuse_reply_err(req, ENOENT);
  if (!dir->attr.is_dir) return (void)fuse_reply_err(req, ENOTDIR);
  if (std::strlen(name) > NAME_MAX) return (void)fuse_reply_err(req, ENAMETOOLONG);
  // A directory not listed yet costs a LIST before the name's HEAD: send both at once, one
  // round trip instead of two (the HEAD is wasted when the name is a directory or missing).
  std::string key = dir->key + name;
  // A name the kernel was given a moment ago (readdirplus, an earlier lookup) is answered from
  // the inode table while fresh: the directory's listing may have been dropped (a huge one is
  // not cached) and must not be fetched again for it.
  if (auto known = inodes_.FindAttributes(parent, name);
      known &&
      (known->pending_upload || clock_.Now() - known->fetched_at < options_.metadata_ttl) &&
      (known->is_dir || !HeadsFiles() || clock_.Now() - known->headed_at < options_.metadata_ttl)) {
    return ReplyEntry(req, inodes_.Lookup(parent, name, *known));
  }
  std::future<Result<s3::ObjectInfo>> early_head;
  // The listing costs a round trip: the first bytes of the name, should it be a file about to
  // be read, come back in the same one (early_get.h).
  if (!dirs_.Fresh(dir->key)) early_gets_.Start(key);
  if (HeadsFiles() && !dirs_.Fresh(dir->key)) {
    try {
      early_head = std::async(std::launch::async, [this, key] { return Head(key); });
    } catch (const std::system_error&) {
      // No thread to spare: the HEAD follows the listing instead.
    }
  }
  auto listing = dirs_.List(dir->key);
  if (!listing.ok()) {
    early_gets_.Drop(key);
    spdlog::warn("mount: listing s3://{}/{}: {}", options_.bucket, dir->key,
                 listing.status().message());
    return (void)fuse_reply_err(req, ErrnoFor(listing.status()));
  }
  const DirEntry* entry = (*listing)->Find(name);
  // Not a file of that key (missing, a directory, or a key hidden by one): nothing to read.
  if (entry == nullptr || entry->attr.is_dir) early_gets_.Drop(key);
  if (entry == nullptr && NegativeTtl() < options_.metadata_ttl) {
    // "Missing" is trusted for a shorter time than the rest of the listing: ask again.
    listing = dirs_.List(dir->key, NegativeTtl());
    if (!listing.ok()) return (void)fuse_reply_err(req, ErrnoFor(listing.status()));
    entry = (*listing)->Find(name);
  }
  if (entry == nullptr) {
    // Negative entry, cached by the kernel for the negative TTL (and answered from the cached
    // listing until then when the kernel asks again).
    fuse_entry_param e;
    std::memset(&e, 0, sizeof(e));
    e.entry_timeout = ToSeconds(NegativeTtl());
    return (void)fuse_reply_entry(req, &e);
  }
  std::optional<Result<s3::ObjectInfo>> headed;
  if (early_head.valid()) headed = early_head.get();
  Result<Attributes> attr = EntryAttributes(parent, (*listing)->prefix, *entry,
                                            entry->attr.is_dir ? std::nullopt : std::move(headed));
  if (!attr.ok()) {
    dirs_.Invalidate(dir->key);
    return (void)fuse_reply_err(req, ENOENT);
  }
  ReplyEntry(req, inodes_.Lookup(parent, name, *attr));
}

std::optional<Attributes> ThawFs::KnownAttributes(fuse_ino_t parent, const DirEntry& entry) {
  if (entry.attr.is_dir) return entry.attr;
  // The inode's own attributes, while fresh and of the same version, may say more than the
  // listing (a HEAD's archive tier and POSIX metadata) or be newer (a file being written).
  auto known = inodes_.FindAttributes(parent, entry.name);
  bool fresh = known && !known->is_dir &&
               (known->pending_upload || (known->etag == entry.attr.etag &&
                                          clock_.Now() - known->headed_at < options_.metadata_ttl));
  if (fresh) return known;
  if (!HeadsFiles()) return entry.attr;  // the listing says all there is to show
  return std::nullopt;
}

Result<Attributes> ThawFs::EntryAttributes(fuse_ino_t parent, const std::string& prefix,
                                           const DirEntry& entry,
                                           std::optional<Result<s3::ObjectInfo>> headed) {
  if (auto known = KnownAttributes(parent, entry)) return *known;
  // A HEAD sent alongside the listing counts unless the object changed between the two.
  if (entry.attr.is_dir || (headed && headed->ok() && (*headed)->etag != entry.attr.etag)) {
    headed.reset();
  }
  const std::string key = EntryKey(prefix, entry);
  auto info = headed ? std::move(*headed) : Head(key);
  if (info.ok()) return AttrFromInfo(*info);
  if (info.status().IsNotFound()) return info.status();
  spdlog::warn("mount: HEAD s3://{}/{}: {} (using the listing's attributes)", options_.bucket, key,
               info.status().message());
  return entry.attr;
}

void ThawFs::Forget(fuse_ino_t ino, uint64_t n) {
  inodes_.Forget(ino, n);
}

void ThawFs::GetAttr(fuse_req_t req, fuse_ino_t ino) {
  auto inode = inodes_.Get(ino);
  if (!inode) return (void)fuse_reply_err(req, ENOENT);
  Attributes attr = inode->attr;
  if (!attr.is_dir && !attr.pending_upload &&
      clock_.Now() - attr.fetched_at >= options_.metadata_ttl) {
    // Stale: the parent's listing (one LIST for every file of the directory) unless a HEAD is
    // wanted anyway; a key the listing leaves out (hidden by a directory) is HEADed.
    std::optional<Attributes> listed;
    if (!HeadsFiles()) {
      auto listing = dirs_.List(ParentPrefix(inode->key));
      const DirEntry* e = listing.ok() ? (*listing)->Find(inode->name) : nullptr;
      if (e != nullptr && !e->attr.is_dir && (*listing)->KeyOf(*e) == inode->key) listed = e->attr;
    }
    if (listed) {
      attr = *listed;
      inodes_.Update(ino, attr);
    } else {
      auto info = Head(inode->key);
      if (info.ok()) {
        attr = AttrFromInfo(*info);
        inodes_.Update(ino, attr);
      } else if (info.status().IsNotFound()) {
        return (void)fuse_reply_err(req, ENOENT);
      }
    }
  }
  struct stat st = ToStat(ino, attr);
  fuse_reply_attr(req, &st, ToSeconds(options_.metadata_ttl));
}

void ThawFs::OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto inode = inodes_.Get(ino);
  if (!inode) return (void)fuse_reply_err(req, ENOENT);
  if (!inode->attr.is_dir) return (void)fuse_reply_err(req, ENOTDIR);
  // Open as soon as the first page is there (its failure fails the open); later pages arrive
  // while the reader consumes the first ones.
  std::shared_ptr<ListingStream> stream = dirs_.Open(inode->key);
  if (Status first = stream->WaitFirstPage(); !first.ok()) {
    spdlog::warn("mount: listing s3://{}/{}: {}", options_.bucket, inode->key, first.message());
    return (void)fuse_reply_err(req, ErrnoFor(first));
  }
  auto* handle = new DirHandle{std::move(stream)};
  fi->fh = reinterpret_cast<uint64_t>(handle);
  fi->cache_readdir = 0;
  if (fuse_reply_open(req, fi) != 0) delete handle;
}

// Offsets: 1 and 2 are "." and "..", entry i is i + 3 (the offset of the *next* entry). A
// reply holds what has arrived; it waits only when nothing past `off` has arrived yet (an empty
// reply is the end of the directory).
void ThawFs::ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  auto* handle = reinterpret_cast<DirHandle*>(fi->fh);
  const size_t begin = static_cast<size_t>(off);
  const size_t first = std::max<size_t>(begin, 2) - 2;
  auto got = handle->stream->Read(first, MaxEntries(size));
  if (!got.ok()) {
    spdlog::warn("mount: listing s3://{}/{}: {}", options_.bucket, handle->stream->prefix(),
                 got.status().message());
    return (void)fuse_reply_err(req, ErrnoFor(got.status()));
  }
  const std::vector<const DirEntry*>& entries = *got;
  std::string buf(size, '\0');
  size_t used = 0;
  const size_t end = first + 2 + entries.size();
  for (size_t i = begin; i < end; ++i) {
    struct stat st;
    std::memset(&st, 0, sizeof(st));
    const char* name;
    if (i == 0) {
      name = ".";
      st.st_ino = ino;
      st.st_mode = S_IFDIR;
    } else if (i == 1) {
      name = "..";
      st.st_ino = FUSE_ROOT_ID;
      st.st_mode = S_IFDIR;
    } else {
      const DirEntry& e = *entries[i - 2 - first];
      name = e.name.c_str();
      st.st_ino = DirentIno(EntryKey(handle->stream->prefix(), e));
      st.st_mode = e.attr.is_dir ? S_IFDIR : S_IFREG;
    }
    size_t n = fuse_add_direntry(req, buf.data() + used, size - used, name, &st,
                                 static_cast<off_t>(i + 1));
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void ThawFs::ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                         fuse_file_info* fi) {
  auto* handle = reinterpret_cast<DirHandle*>(fi->fh);
  const std::string& prefix = handle->stream->prefix();
  // Offsets and waiting as in ReadDir.
  const size_t begin = static_cast<size_t>(off);
  const size_t first = std::max<size_t>(begin, 2) - 2;
  auto got = handle->stream->Read(first, MaxEntries(size));
  if (!got.ok()) {
    spdlog::warn("mount: listing s3://{}/{}: {}", options_.bucket, prefix, got.status().message());
    return (void)fuse_reply_err(req, ErrnoFor(got.status()));
  }
  const std::vector<const DirEntry*>& entries = *got;
  auto entry = [&](size_t i) -> const DirEntry& { return *entries[i - 2 - first]; };
  // First decide which entries fit, so that no lookup is handed out for an entry the buffer
  // cannot take.
  const size_t total = first + 2 + entries.size();
  size_t end = begin;
  for (size_t room = size; end < total; ++end) {
    const char* name = end == 0 ? "." : end == 1 ? ".." : entry(end).name.c_str();
    size_t n = fuse_add_direntry_plus(req, nullptr, 0, name, nullptr, 0);
    if (n > room) break;
    room -= n;
  }
  // `ls -l`, `du` and `find -size` want every entry's attributes: the listing has them. With
  // --posix-metadata fsx the files of the batch are HEADed, in parallel, instead of one LOOKUP
  // round trip after another.
  std::vector<std::optional<Attributes>> attrs(end - begin);
  std::vector<size_t> to_head;
  for (size_t i = std::max<size_t>(begin, 2); i < end; ++i) {
    attrs[i - begin] = KnownAttributes(ino, entry(i));
    if (!attrs[i - begin]) to_head.push_back(i);
  }
  std::vector<bool> gone_entries(end - begin, false);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < to_head.size();) {
      size_t i = to_head[k];
      Result<Attributes> a = EntryAttributes(ino, prefix, entry(i));
      if (a.ok()) {
        attrs[i - begin] = *a;
      } else {
        gone_entries[i - begin] = true;  // deleted since the listing: left out
      }
    }
  };
  size_t threads = std::min<size_t>(kMetadataThreads, to_head.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  std::string buf(size, '\0');
  size_t used = 0;
  std::vector<fuse_ino_t> handed_out;
  for (size_t i = begin; i < end; ++i) {
    fuse_entry_param e;
    std::memset(&e, 0, sizeof(e));
    const char* name;
    if (i < 2) {
      // The kernel links no inode for "." and "..": no lookup is counted for them.
      name = i == 0 ? "." : "..";
      e.attr.st_ino = i == 0 ? ino : FUSE_ROOT_ID;
      e.attr.st_mode = S_IFDIR;
    } else {
      const DirEntry& d = entry(i);
      name = d.name.c_str();
      if (gone_entries[i - begin]) continue;  // left out; offsets need not be contiguous
      fuse_ino_t child = inodes_.LookupIno(ino, d.name, *attrs[i - begin]);
      handed_out.push_back(child);
      e.ino = child;
      e.attr = ToStat(child, *attrs[i - begin]);
      e.attr_timeout = ToSeconds(options_.metadata_ttl);
      e.entry_timeout = ToSeconds(options_.metadata_ttl);
    }
    used += fuse_add_direntry_plus(req, buf.data() + used, size - used, name, &e,
                                   static_cast<off_t>(i + 1));
  }
  if (std::find(gone_entries.begin(), gone_entries.end(), true) != gone_entries.end()) {
    dirs_.Invalidate(prefix);
  }
  // The kernel did not take the entries (interrupted): undo their lookups.
  if (fuse_reply_buf(req, buf.data(), used) != 0) {
    for (fuse_ino_t handed : handed_out) inodes_.Forget(handed, 1);
  }
}

void ThawFs::ReleaseDir(fuse_req_t req, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

void ThawFs::StatFs(fuse_req_t req) {
  struct statvfs s;
  std::memset(&s, 0, sizeof(s));
  s.f_bsize = s.f_frsize = 4096;
  s.f_blocks = s.f_bfree = s.f_bavail = 1ull << 40;  // S3 has no capacity to report
  s.f_files = s.f_ffree = s.f_favail = 1ull << 32;
  s.f_namemax = NAME_MAX;
  fuse_reply_statfs(req, &s);
}

}  // namespace thaw::fs
