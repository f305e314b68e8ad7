// Restore state as extended attributes (user.thaw.*) and restore requests by setxattr:
//   user.thaw.storage_class  STANDARD, GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING, ...
//   user.thaw.restore        none | ongoing | restored until <ISO 8601 date>
//   user.thaw.etag           the object's ETag (with S3's quotes)
// `setfattr -n user.thaw.restore -v request FILE` submits a restore without opening the file.
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "common/time_format.h"
#include "fs/errno_map.h"
#include "fs/internal/thaw_fs.h"

namespace thaw::fs {
namespace {

constexpr char kStorageClass[] = "user.thaw.storage_class";
constexpr char kRestore[] = "user.thaw.restore";
constexpr char kEtag[] = "user.thaw.etag";

}  // namespace

Result<std::string> ThawFs::XattrValue(const Inode& inode, const std::string& name) {
  if (inode.attr.is_dir || (name != kStorageClass && name != kRestore && name != kEtag)) {
    return Status::NotFound(name);
  }
  THAW_ASSIGN_OR_RETURN(s3::ObjectInfo info, Head(inode.key));
  inodes_.Update(inode.ino, AttrFromInfo(info));
  if (name == kStorageClass) return info.storage_class;
  if (name == kEtag) return info.etag;
  switch (info.restore.state) {
    case s3::RestoreStatus::State::kRestored:
      if (info.restore.expiry)
        return "restored until " + FormatIso8601(*info.restore.expiry, false);
      return std::string("restored");
    case s3::RestoreStatus::State::kOngoing:
      return std::string("ongoing");
    case s3::RestoreStatus::State::kNone:
      break;
  }
  if (!info.archived()) return std::string("none");
  // S3 shows no restore yet, but the engine may be about to send one (pending, requested).
  auto record = engine_.Query(restore::ObjectRef{options_.bucket, inode.key, ""});
  if (record.ok() && !restore::IsTerminal(record->state)) return std::string("ongoing");
  return std::string("none");
}

void ThawFs::GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  // Only the user namespace exists here. Saying so (EOPNOTSUPP, not ENODATA) for security.*
  // and system.posix_acl_* lets `ls -l` remember it per file system: coreutils then stops asking
  // for SELinux labels and ACLs after the first file, instead of two round trips per file (half
  // the time of an `ls -lR` of a cached tree).
  if (std::strncmp(name, "user.", 5) != 0) return (void)fuse_reply_err(req, EOPNOTSUPP);
  auto inode = inodes_.Get(ino);
  if (!inode) return (void)fuse_reply_err(req, ENOENT);
  auto value = XattrValue(*inode, name);
  if (!value.ok()) {
    return (void)fuse_reply_err(req,
                                value.status().IsNotFound() ? ENODATA : ErrnoFor(value.status()));
  }
  if (size == 0) return (void)fuse_reply_xattr(req, value->size());
  if (size < value->size()) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, value->data(), value->size());
}

void ThawFs::ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto inode = inodes_.Get(ino);
  if (!inode) return (void)fuse_reply_err(req, ENOENT);
  std::string names;
  if (!inode->attr.is_dir) {
    for (const char* n : {kStorageClass, kRestore, kEtag}) {
      names.append(n);
      names.push_back('\0');
    }
  }
  if (size == 0) return (void)fuse_reply_xattr(req, names.size());
  if (size < names.size()) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, names.data(), names.size());
}

void ThawFs::SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                      size_t size) {
  auto inode = inodes_.Get(ino);
  if (!inode) return (void)fuse_reply_err(req, ENOENT);
  if (std::strcmp(name, kStorageClass) == 0 || std::strcmp(name, kEtag) == 0) {
    return (void)fuse_reply_err(req, EPERM);
  }
  if (std::strcmp(name, kRestore) != 0) return (void)fuse_reply_err(req, ENOTSUP);
  if (inode->attr.is_dir) return (void)fuse_reply_err(req, EISDIR);
  std::string v(value, size);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\0')) v.pop_back();
  if (v != "request") return (void)fuse_reply_err(req, EINVAL);
  restore::SubmitOptions so;
  so.source = restore::Source::kMount;
  auto handle = engine_.Submit(restore::ObjectRef{options_.bucket, inode->key, ""}, so);
  if (!handle.ok()) {
    spdlog::warn("mount: restore request for s3://{}/{}: {}", options_.bucket, inode->key,
                 handle.status().message());
    return (void)fuse_reply_err(req, EIO);
  }
  fuse_reply_err(req, 0);
}

}  // namespace thaw::fs
