// Writes. A file created or opened for writing is buffered whole in an unlinked temp file
// (under $TMPDIR) and uploaded when it is flushed or closed while dirty: with one PutObject
// below WriteOptions::multipart_threshold, as a multipart upload from there (parts streamed from
// the temp file a few at a time; a failed upload is aborted, so no parts stay behind). Opening
// an existing file for writing without O_TRUNC downloads it first. mkdir writes a `dir/` marker
// object; unlink deletes the object. Under --read-only the kernel refuses all of these (the
// mount is `ro`) and they answer EROFS here too.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/strings.h"
#include "fs/errno_map.h"
#include "fs/internal/thaw_fs.h"
#include "s3/multipart_upload.h"

namespace thaw::fs {
namespace {

Result<int> MakeTempFile() {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/thaw-write-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) return Status::Internal("temp file: " + std::string(std::strerror(errno)));
  unlink(tmpl.c_str());  // lives as long as the descriptor
  fchmod(fd, 0600);
  return fd;
}

}  // namespace

Status ThawFs::Upload(FileHandle& fh) {
  std::lock_guard lock(fh.write_mu);
  if (!fh.dirty) return Status::Ok();
  struct stat st;
  if (fstat(fh.temp_fd, &st) != 0) return Status::Internal(std::strerror(errno));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > s3::kMaxObjectSize) {
    return Status::OutOfRange("file of " + HumanBytes(size) + " is over S3's 5 TiB object limit");
  }
  int fd = fh.temp_fd;
  s3::PutObjectResult done;
  if (size >= options_.write.multipart_threshold && size > 0) {
    s3::MultipartUploadOptions mp;
    mp.target.bucket = options_.bucket;
    mp.target.key = fh.key;
    mp.size = size;
    THAW_ASSIGN_OR_RETURN(mp.part_size, s3::ChoosePartSize(size, options_.write.min_part_bytes));
    mp.concurrency = options_.write.parallel_parts;
    mp.read_at = [fd](uint64_t offset, char* buf, size_t len) -> int64_t {
      ssize_t n = pread(fd, buf, len, static_cast<off_t>(offset));
      return n < 0 ? -1 : n;
    };
    THAW_ASSIGN_OR_RETURN(done, s3::UploadMultipart(client_, mp));
    spdlog::info("mount: uploaded s3://{}/{} ({} in {} parts)", options_.bucket, fh.key,
                 HumanBytes(size), (size + mp.part_size - 1) / mp.part_size);
  } else {
    auto offset = std::make_shared<uint64_t>(0);
    s3::PutObjectRequest put;
    put.bucket = options_.bucket;
    put.key = fh.key;
    put.body.size = size;
    put.body.reader = [fd, offset](char* buf, size_t len) -> int64_t {
      ssize_t n = pread(fd, buf, len, static_cast<off_t>(*offset));
      if (n < 0) return -1;
      *offset += static_cast<uint64_t>(n);
      return n;
    };
    put.body.rewind = [offset] {
      *offset = 0;
      return true;
    };
    THAW_ASSIGN_OR_RETURN(done, client_.PutObject(put));
    spdlog::debug("mount: uploaded s3://{}/{} ({} bytes)", options_.bucket, fh.key, size);
  }
  fh.dirty = false;
  Attributes attr;
  attr.size = size;
  attr.mtime = clock_.Now();
  attr.etag = done.etag;
  attr.storage_class = "STANDARD";
  attr.fetched_at = clock_.Now();  // the upload's answer is as good as a listing's
  inodes_.Update(fh.ino, attr);
  auto inode = inodes_.Get(fh.ino);
  if (inode) dirs_.Upsert(ParentPrefix(fh.key), DirEntry{inode->name, attr});
  return Status::Ok();
}

void ThawFs::Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t,
                    fuse_file_info* fi) {
  if (options_.read_only) return (void)fuse_reply_err(req, EROFS);
  auto dir = inodes_.Get(parent);
  if (!dir) return (void)fuse_reply_err(req, ENOENT);
  if (!dir->attr.is_dir) return (void)fuse_reply_err(req, ENOTDIR);
  auto fd = MakeTempFile();
  if (!fd.ok()) return (void)fuse_reply_err(req, EIO);
  auto fh = std::make_unique<FileHandle>();
  fh->key = dir->key + name;
  fh->temp_fd = *fd;
  fh->dirty = true;  // an empty new file is uploaded too
  Attributes attr;
  attr.mtime = clock_.Now();
  attr.storage_class = "STANDARD";
  attr.pending_upload = true;
  Inode inode = inodes_.Lookup(parent, name, attr);
  fh->ino = inode.ino;
  dirs_.Upsert(dir->key, DirEntry{name, attr});
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.ino = inode.ino;
  e.attr = ToStat(inode.ino, attr);
  e.attr_timeout = 0;  // the size changes as it is written
  e.entry_timeout = ToSeconds(options_.metadata_ttl);
  fi->fh = reinterpret_cast<uint64_t>(fh.get());
  if (fuse_reply_create(req, &e, fi) == 0) {
    fh.release();
  } else {
    inodes_.Forget(inode.ino, 1);
  }
}

void ThawFs::OpenForWrite(fuse_req_t req, fuse_file_info* fi, const Inode& inode) {
  if (options_.read_only) return (void)fuse_reply_err(req, EROFS);
  auto fd = MakeTempFile();
  if (!fd.ok()) return (void)fuse_reply_err(req, EIO);
  auto fh = std::make_unique<FileHandle>();
  fh->key = inode.key;
  fh->ino = inode.ino;
  fh->temp_fd = *fd;
  if (fi->flags & O_TRUNC) {
    fh->dirty = true;
  } else {
    // Read-modify-write: the current content first.
    s3::GetObjectRequest get;
    get.bucket = options_.bucket;
    get.key = inode.key;
    int tfd = *fd;
    get.sink = [tfd](std::string_view chunk) -> Status {
      if (write(tfd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
        return Status::Internal("temp file write failed");
      }
      return Status::Ok();
    };
    auto got = client_.GetObject(get);
    if (!got.ok()) {
      spdlog::warn("mount: open for writing s3://{}/{}: {}", options_.bucket, inode.key,
                   got.status().message());
      return (void)fuse_reply_err(req, ErrnoFor(got.status()) == ENOENT ? ENOENT : EIO);
    }
  }
  fi->fh = reinterpret_cast<uint64_t>(fh.get());
  fi->direct_io = 1;  // the page cache would hide writes of other handles' buffers
  if (fuse_reply_open(req, fi) == 0) fh.release();
}

void ThawFs::Write(fuse_req_t req, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  auto* fh = reinterpret_cast<FileHandle*>(fi->fh);
  if (fh->temp_fd < 0) return (void)fuse_reply_err(req, EBADF);
  std::lock_guard lock(fh->write_mu);
  ssize_t n = pwrite(fh->temp_fd, buf, size, off);
  if (n < 0) return (void)fuse_reply_err(req, errno);
  fh->dirty = true;
  fuse_reply_write(req, static_cast<size_t>(n));
}

void ThawFs::Flush(fuse_req_t req, fuse_file_info* fi) {
  options_.metrics->flushes.fetch_add(1, std::memory_order_relaxed);
  auto* fh = reinterpret_cast<FileHandle*>(fi->fh);
  if (fh->temp_fd < 0) return (void)fuse_reply_err(req, 0);
  Status s = Upload(*fh);
  if (!s.ok()) {
    int err = s.code() == StatusCode::kOutOfRange ? EFBIG : EIO;
    spdlog::error("mount: upload of s3://{}/{}: {}: {}", options_.bucket, fh->key,
                  err == EFBIG ? "EFBIG" : "EIO", s.message());
    return (void)fuse_reply_err(req, err);
  }
  fuse_reply_err(req, 0);
}

void ThawFs::SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                     fuse_file_info* fi) {
  auto inode = inodes_.Get(ino);
  if (!inode) return (void)fuse_reply_err(req, ENOENT);
  Attributes a = inode->attr;
  if (to_set & FUSE_SET_ATTR_SIZE) {
    if (options_.read_only) return (void)fuse_reply_err(req, EROFS);
    auto* fh = fi ? reinterpret_cast<FileHandle*>(fi->fh) : nullptr;
    if (fh != nullptr && fh->temp_fd >= 0) {
      std::lock_guard lock(fh->write_mu);
      if (ftruncate(fh->temp_fd, attr->st_size) != 0) return (void)fuse_reply_err(req, errno);
      fh->dirty = true;
    } else if (attr->st_size == 0 && !a.is_dir) {
      s3::PutObjectRequest put;
      put.bucket = options_.bucket;
      put.key = inode->key;
      put.body = s3::HttpBody::FromString("");
      auto done = client_.PutObject(put);
      if (!done.ok()) return (void)fuse_reply_err(req, EIO);
      a.etag = done->etag;
      a.storage_class = "STANDARD";
    } else {
      return (void)fuse_reply_err(req, EOPNOTSUPP);
    }
    a.size = static_cast<uint64_t>(attr->st_size);
    a.mtime = clock_.Now();
    inodes_.Update(ino, a);
  }
  // Mode, owner and times are not stored in S3 by this mount: accepted and not kept, so that
  // `cp -p` and `touch` work.
  struct stat st = ToStat(ino, a);
  fuse_reply_attr(req, &st, 0);
}

void ThawFs::Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (options_.read_only) return (void)fuse_reply_err(req, EROFS);
  auto dir = inodes_.Get(parent);
  if (!dir) return (void)fuse_reply_err(req, ENOENT);
  std::string key = dir->key + name;
  Status s = client_.DeleteObject(options_.bucket, key, "");
  if (!s.ok() && !s.IsNotFound()) return (void)fuse_reply_err(req, ErrnoFor(s));
  dirs_.Remove(dir->key, name);
  inodes_.Detach(parent, name);
  fuse_reply_err(req, 0);
}

void ThawFs::Mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
  if (options_.read_only) return (void)fuse_reply_err(req, EROFS);
  auto dir = inodes_.Get(parent);
  if (!dir) return (void)fuse_reply_err(req, ENOENT);
  std::string key = dir->key + name + "/";
  s3::PutObjectRequest put;
  put.bucket = options_.bucket;
  put.key = key;
  put.body = s3::HttpBody::FromString("");
  auto done = client_.PutObject(put);
  if (!done.ok()) return (void)fuse_reply_err(req, ErrnoFor(done.status()));
  Attributes attr;
  attr.is_dir = true;
  attr.mtime = clock_.Now();
  dirs_.Upsert(dir->key, DirEntry{name, attr});
  ReplyEntry(req, inodes_.Lookup(parent, name, attr));
}

}  // namespace thaw::fs
