// Removing directories and renaming. S3 has no directories and no rename: a directory is a
// prefix (perhaps with a `dir/` marker object), and moving an object means copying it. rmdir
// deletes the marker of an empty directory (ENOTEMPTY while any key lives under the prefix).
// rename answers EXDEV, the answer of a move across file systems: `mv` then copies the data
// through the mount and unlinks the source itself, which works for files and whole trees (and
// restores an archived source on the way), where a server-side copy would have to refuse
// archived objects and could not move a directory atomically anyway.
#include <spdlog/spdlog.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "fs/errno_map.h"
#include "fs/internal/thaw_fs.h"

namespace thaw::fs {

void ThawFs::Rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (options_.read_only) return (void)fuse_reply_err(req, EROFS);
  auto dir = inodes_.Get(parent);
  if (!dir) return (void)fuse_reply_err(req, ENOENT);
  if (std::strlen(name) > NAME_MAX) return (void)fuse_reply_err(req, ENAMETOOLONG);
  auto listing = dirs_.List(dir->key);
  if (!listing.ok()) return (void)fuse_reply_err(req, ErrnoFor(listing.status()));
  const DirEntry* entry = (*listing)->Find(name);
  if (entry == nullptr) return (void)fuse_reply_err(req, ENOENT);
  if (!entry->attr.is_dir) return (void)fuse_reply_err(req, ENOTDIR);
  const std::string key = (*listing)->KeyOf(*entry);
  // Ask S3, not the cache: anything under the prefix (a key the listing left out included)
  // makes the directory non-empty. Two keys are enough to tell the marker from the rest.
  s3::ListObjectsRequest list;
  list.bucket = options_.bucket;
  list.prefix = key;
  list.max_keys = 2;
  list.optional_attributes.clear();
  auto page = client_.ListObjectsV2(list);
  if (!page.ok()) return (void)fuse_reply_err(req, ErrnoFor(page.status()));
  bool has_marker = false;
  for (const s3::ObjectSummary& o : page->objects) {
    if (o.key != key) return (void)fuse_reply_err(req, ENOTEMPTY);
    has_marker = true;
  }
  if (!page->common_prefixes.empty() || page->is_truncated) {
    return (void)fuse_reply_err(req, ENOTEMPTY);
  }
  if (has_marker) {
    Status s = client_.DeleteObject(options_.bucket, key, "");
    if (!s.ok() && !s.IsNotFound()) {
      spdlog::warn("mount: rmdir s3://{}/{}: {}", options_.bucket, key, s.message());
      return (void)fuse_reply_err(req, ErrnoFor(s));
    }
  }
  dirs_.Remove(dir->key, name);
  dirs_.Invalidate(key);
  inodes_.Detach(parent, name);
  fuse_reply_err(req, 0);
}

void ThawFs::Rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*,
                    unsigned int) {
  if (options_.read_only) return (void)fuse_reply_err(req, EROFS);
  fuse_reply_err(req, EXDEV);
}

}  // namespace thaw::fs
