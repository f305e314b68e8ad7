// ThawFs: the file system object behind the FUSE callbacks (reached through the session's
// userdata). It owns the inode table, the directory cache, the read machinery and the waiting
// opens; the callbacks in fs_ops.cc, file_ops.cc, xattr_ops.cc, write_ops.cc and
// namespace_ops.cc are its methods, each replying exactly once (perhaps later, from
// OpenWaiters' thread).
#pragma once

#include <sys/stat.h>

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "fs/dir_cache.h"
#include "fs/dir_walk.h"
#include "fs/inode_table.h"
#include "fs/internal/fuse.h"
#include "fs/link_probe.h"
#include "fs/open_waiters.h"
#include "fs/options.h"
#include "fs/prefetch.h"
#include "restore/engine.h"
#include "s3/client.h"

namespace thaw::fs {

// What fi->fh points to for an open file.
struct FileHandle {
  std::string key;
  std::unique_ptr<ObjectReader> reader;  // reads
  // Writes: the whole new content is buffered in an unlinked temp file and uploaded on
  // flush/release when dirty.
  int temp_fd = -1;
  bool dirty = false;
  fuse_ino_t ino = 0;
  // Reads: the object's size and its id in the disk cache ("" without one).
  uint64_t size = 0;
  std::string cache_object;
  std::mutex write_mu;  // guards temp_fd contents, dirty
  ~FileHandle();
};

class ThawFs {
 public:
  // `cache` may be null (no disk cache).
  ThawFs(const MountOptions& options, s3::S3Client& client, restore::Engine& engine,
         std::unique_ptr<DiskCache> cache);

  // Stops the probe before the members its GET would use go away.
  ~ThawFs();
  ThawFs(const ThawFs&) = delete;
  ThawFs& operator=(const ThawFs&) = delete;

  // Lists the mount's root in the background (DirCache::Prime), once it is mounted; its first
  // page picks the probe's object (link_probe.h).
  void PrimeRoot();
  // Once mounted, opens read connections (connection_warmup.h) in the background, then probes.
  void WarmUp();
  // At the first open for reading: fills the chunk pool with a first window's memory
  // (ChunkPool::Prefill), in the background.
  void PrefillOnce();

  // fs_ops.cc
  void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Forget(fuse_ino_t ino, uint64_t n);
  void GetAttr(fuse_req_t req, fuse_ino_t ino);
  void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
  // With attributes (from the listing; HEADed in parallel with --posix-metadata fsx), so
  // `ls -l` needs no LOOKUP per entry.
  void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
  void ReleaseDir(fuse_req_t req, fuse_file_info* fi);
  void StatFs(fuse_req_t req);
  // file_ops.cc
  void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi);
  void Release(fuse_req_t req, fuse_file_info* fi);
  // xattr_ops.cc
  void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
  void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size);
  void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size);
  // write_ops.cc
  void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
  void Write(fuse_req_t req, const char* buf, size_t size, off_t off, fuse_file_info* fi);
  void Flush(fuse_req_t req, fuse_file_info* fi);
  void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi);
  void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  // namespace_ops.cc
  void Rmdir(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
              const char* new_name, unsigned int flags);

  OpenWaiters& waiters() { return waiters_; }
  const MountOptions& options() const { return options_; }

 private:
  struct stat ToStat(fuse_ino_t ino, const Attributes& attr) const;
  void ReplyEntry(fuse_req_t req, const Inode& inode);
  Result<s3::ObjectInfo> Head(const std::string& key);
  Attributes AttrFromInfo(const s3::ObjectInfo& info) const;
  // Whether files are HEADed for attributes (--posix-metadata fsx).
  bool HeadsFiles() const;
  // How long "no such file" is trusted (the negative cache TTL, at most the metadata TTL).
  std::chrono::milliseconds NegativeTtl() const;
  // A directory entry's attributes if known without a HEAD (a directory, a fresh inode, the
  // listing's unless files are HEADed).
  std::optional<Attributes> KnownAttributes(fuse_ino_t parent, const DirEntry& entry);
  // The entry's attributes: known ones while fresh, else from `headed` (a HEAD of the entry's
  // key sent earlier) or a new HEAD (NotFound if the object is gone; the listing's when the
  // HEAD fails otherwise).
  Result<Attributes> EntryAttributes(fuse_ino_t parent, const std::string& prefix,
                                     const DirEntry& entry,
                                     std::optional<Result<s3::ObjectInfo>> headed = std::nullopt);
  // Replies to an open of a readable object (pinning info's ETag).
  // `early`: the object's first bytes asked for at lookup (early_get.h), if any.
  void ReplyOpen(fuse_req_t req, fuse_file_info* fi, const Inode& inode, const s3::ObjectInfo& info,
                 std::shared_ptr<EarlyGet> early = nullptr);
  // Tells the directory walks (dir_walk.h) that `inode` was opened for reading.
  void NoteOpen(const Inode& inode);
  // Starts fetching a file a directory walk is about to open (DirWalks::Prefetch).
  bool PrefetchForWalk(const std::string& key, const DirEntry& entry, uint64_t ahead);
  void OpenArchived(fuse_req_t req, fuse_file_info* fi, const Inode& inode,
                    const s3::ObjectInfo& info);
  // Replies to a read with bytes the disk cache holds, spliced from its files (false: not all
  // of them are there, nothing was replied).
  bool ReplyFromCache(fuse_req_t req, const FileHandle& fh, size_t size, off_t off);
  void OpenForWrite(fuse_req_t req, fuse_file_info* fi, const Inode& inode);
  Status Upload(FileHandle& fh);
  Result<std::string> XattrValue(const Inode& inode, const std::string& name);
  // The directory prefix an inode's children live under.
  static std::string ParentPrefix(const std::string& key);

  const MountOptions options_;
  s3::S3Client& client_;
  restore::Engine& engine_;
  Clock& clock_;
  InodeTable inodes_;
  DirCache dirs_;
  FetchPool pool_;
  PrefetchBudget budget_;
  std::unique_ptr<DiskCache> cache_;
  EarlyGets early_gets_;  // after pool_: destroyed before the pool runs what is left
  DirWalks walks_;        // after early_gets_: its callbacks use it
  OpenWaiters waiters_;
  std::once_flag prefilled_;  // PrefillOnce
  // Shared with the root's listing thread and the warm-up's last task, which may outlive this.
  std::shared_ptr<LinkProbe> probe_;
};

}  // namespace thaw::fs
