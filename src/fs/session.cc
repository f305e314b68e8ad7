// The FUSE session: preflight checks with hints, the operation table, the multithreaded loop
// and an orderly end (waiting opens fail with EIO, then the kernel mount goes away).
#include <fcntl.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <set>

#include "fs/internal/thaw_fs.h"
#include "fs/kernel_readahead.h"
#include "fs/mount.h"
#include "s3/error.h"

namespace thaw::fs {
namespace {

ThawFs* Fs(fuse_req_t req) {
  return static_cast<ThawFs*>(fuse_req_userdata(req));
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops;
  std::memset(&ops, 0, sizeof(ops));
  ops.init = [](void* fs, fuse_conn_info* conn) {
    // Larger kernel readahead means fewer, larger reads per round trip into the mount (the
    // kernel uses the smaller of this and the mount's read_ahead_kb).
    uint64_t readahead = static_cast<ThawFs*>(fs)->options().read.kernel_readahead_bytes;
    if (readahead > 0) conn->max_readahead = static_cast<unsigned>(readahead);
    if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
    // Reads the disk cache holds are spliced from its files to the kernel (fuse_reply_data),
    // not copied through this process; replies from memory are unaffected.
    if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
    // READDIRPLUS on every getdents, not only the first (libfuse's default, "auto", switches
    // to plain READDIR until the reader stats an entry): `ls -l` reads the whole directory
    // before it stats anything, so in auto mode every entry past the first batch cost a LOOKUP
    // round trip (50,000 of them for a 50,000-file directory). The listing has the attributes
    // anyway; the price is an inode per entry for a reader that never stats (`find` without
    // -size/-newer), which the kernel forgets under memory pressure.
    conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
  };
  ops.lookup = [](fuse_req_t r, fuse_ino_t p, const char* n) { Fs(r)->Lookup(r, p, n); };
  ops.forget = [](fuse_req_t r, fuse_ino_t i, uint64_t n) {
    Fs(r)->Forget(i, n);
    fuse_reply_none(r);
  };
  ops.forget_multi = [](fuse_req_t r, size_t count, fuse_forget_data* f) {
    for (size_t i = 0; i < count; ++i) Fs(r)->Forget(f[i].ino, f[i].nlookup);
    fuse_reply_none(r);
  };
  ops.getattr = [](fuse_req_t r, fuse_ino_t i, fuse_file_info*) { Fs(r)->GetAttr(r, i); };
  ops.setattr = [](fuse_req_t r, fuse_ino_t i, struct stat* a, int s, fuse_file_info* fi) {
    Fs(r)->SetAttr(r, i, a, s, fi);
  };
  ops.opendir = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) { Fs(r)->OpenDir(r, i, fi); };
  ops.readdir = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t o, fuse_file_info* fi) {
    Fs(r)->ReadDir(r, i, s, o, fi);
  };
  ops.readdirplus = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t o, fuse_file_info* fi) {
    Fs(r)->ReadDirPlus(r, i, s, o, fi);
  };
  ops.releasedir = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { Fs(r)->ReleaseDir(r, fi); };
  ops.statfs = [](fuse_req_t r, fuse_ino_t) { Fs(r)->StatFs(r); };
  ops.open = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) { Fs(r)->Open(r, i, fi); };
  ops.read = [](fuse_req_t r, fuse_ino_t, size_t s, off_t o, fuse_file_info* fi) {
    Fs(r)->Read(r, s, o, fi);
  };
  ops.release = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { Fs(r)->Release(r, fi); };
  ops.getxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, size_t s) {
    Fs(r)->GetXattr(r, i, n, s);
  };
  ops.listxattr = [](fuse_req_t r, fuse_ino_t i, size_t s) { Fs(r)->ListXattr(r, i, s); };
  ops.setxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, const char* v, size_t s, int) {
    Fs(r)->SetXattr(r, i, n, v, s);
  };
  ops.create = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, fuse_file_info* fi) {
    Fs(r)->Create(r, p, n, m, fi);
  };
  ops.write = [](fuse_req_t r, fuse_ino_t, const char* b, size_t s, off_t o, fuse_file_info* fi) {
    Fs(r)->Write(r, b, s, o, fi);
  };
  ops.flush = [](fuse_req_t r, fuse_ino_t, fuse_file_info* fi) { Fs(r)->Flush(r, fi); };
  ops.unlink = [](fuse_req_t r, fuse_ino_t p, const char* n) { Fs(r)->Unlink(r, p, n); };
  ops.rmdir = [](fuse_req_t r, fuse_ino_t p, const char* n) { Fs(r)->Rmdir(r, p, n); };
  ops.rename = [](fuse_req_t r, fuse_ino_t p, const char* n, fuse_ino_t np, const char* nn,
                  unsigned int f) { Fs(r)->Rename(r, p, n, np, nn, f); };
  ops.mkdir = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m) { Fs(r)->Mkdir(r, p, n, m); };
  return ops;
}

std::string Hint(const std::string& message, const std::string& hint) {
  return message + " (hint: " + hint + ")";
}

}  // namespace

Status Preflight(const MountOptions& options, s3::S3Client& client) {
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Status::FailedPrecondition(
        Hint("cannot open /dev/fuse: " + std::string(std::strerror(errno)),
             "load the fuse module (modprobe fuse); in a container pass --device /dev/fuse and "
             "--cap-add SYS_ADMIN"));
  }
  close(fd);
  struct stat st;
  if (stat(options.mountpoint.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOTCONN) {
      return Status::FailedPrecondition(Hint(options.mountpoint + ": a dead mount is still there",
                                             "thaw unmount " + options.mountpoint));
    }
    return Status::InvalidArgument(
        Hint(options.mountpoint + ": " + std::strerror(err),
             "create the directory first: mkdir -p " + options.mountpoint));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(options.mountpoint + ": not a directory");
  }
  struct stat parent;
  std::string up = options.mountpoint + "/..";
  if (stat(up.c_str(), &parent) == 0 &&
      (parent.st_dev != st.st_dev || parent.st_ino == st.st_ino)) {
    return Status::FailedPrecondition(
        Hint(options.mountpoint + ": already a mount point (busy)",
             "thaw unmount " + options.mountpoint + " or choose another directory"));
  }
  s3::ListObjectsRequest list;
  list.bucket = options.bucket;
  list.prefix = options.prefix;
  list.delimiter = "/";
  list.max_keys = 1;
  list.optional_attributes.clear();
  auto page = client.ListObjectsV2(list);
  if (!page.ok()) {
    std::string code = s3::S3ErrorCode(page.status());
    std::string what =
        "s3://" + options.bucket + "/" + options.prefix + ": " + page.status().message();
    if (code == "NoSuchBucket") {
      return Status::NotFound(Hint(what, "check the bucket name and --endpoint-url/--region"));
    }
    if (code == "AccessDenied" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
        page.status().code() == StatusCode::kUnauthenticated ||
        page.status().code() == StatusCode::kPermissionDenied) {
      return Status::PermissionDenied(
          Hint(what,
               "check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, --profile) and "
               "that they may list the bucket"));
    }
    return Status(page.status().code(), Hint(what, "check --endpoint-url and the network"));
  }
  return Status::Ok();
}

namespace {

// libfuse's own messages ("fuse: mountpoint is not empty", ...) go to the process's stderr by
// default; through the logger they take its format (--log-format json) and --log-file.
void ForwardFuseLog(enum fuse_log_level level, const char* fmt, va_list ap) {
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  if (n < 0) return;
  std::string msg(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  auto lvl = level <= FUSE_LOG_ERR       ? spdlog::level::err
             : level == FUSE_LOG_WARNING ? spdlog::level::warn
             : level <= FUSE_LOG_INFO    ? spdlog::level::info
                                         : spdlog::level::debug;
  spdlog::log(lvl, "libfuse: {}", msg);
}

}  // namespace

Status RunMount(const MountOptions& options, s3::S3Client& client, restore::Engine& engine,
                const std::function<void()>& on_mounted) {
  fuse_set_log_func(ForwardFuseLog);
  // Read-ahead lives in its own chunks (chunk_pool.h); other buffers of a megabyte or more
  // (listings, upload parts) go back to the system when freed with a fixed mmap threshold
  // (glibc would otherwise raise the threshold and keep them in arenas).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // And up to 2 MiB freed at the top of an arena stays for reuse (the default, 128 KiB, handed
  // back each listing page's body, XML tree and entries after every page and faulted them in
  // again for the next: a third of the CPU of a 100,000-file listing, and a page's parse took
  // four times as long).
  mallopt(M_TRIM_THRESHOLD, 2 << 20);
  std::unique_ptr<DiskCache> cache;
  if (!options.cache_dir.empty()) {
    THAW_ASSIGN_OR_RETURN(cache, DiskCache::Open(options.cache_dir, options.cache_size_bytes));
  }
  const DiskCache* cache_ptr = cache.get();
  ThawFs fs(options, client, engine, std::move(cache));
  options.metrics->Attach(&fs.waiters(), cache_ptr);
  struct DetachMetrics {
    FsMetrics& m;
    ~DetachMetrics() { m.Detach(); }
  } detach_metrics{*options.metrics};
  std::vector<std::string> argv = {"thaw"};
  std::string opts = "fsname=thaw:" + options.bucket + ",subtype=thaw,default_permissions";
  if (options.allow_other) opts += ",allow_other";
  if (options.read_only) opts += ",ro";
  argv.push_back("-o");
  argv.push_back(opts);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargv.size()), cargv.data());
  fuse_lowlevel_ops ops = MakeOps();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), &fs);
  if (se == nullptr) return Status::Internal("fuse_session_new failed (bad mount options?)");
  if (fuse_set_signal_handlers(se) != 0) {
    fuse_session_destroy(se);
    return Status::Internal("cannot install signal handlers");
  }
  if (fuse_session_mount(se, options.mountpoint.c_str()) != 0) {
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return Status::FailedPrecondition(
        Hint("cannot mount at " + options.mountpoint,
             "is it busy or already mounted? try thaw unmount " + options.mountpoint));
  }
  spdlog::info("mount: s3://{}/{} mounted at {}", options.bucket, options.prefix,
               options.mountpoint);
  if (options.read.kernel_readahead_bytes > 0) {
    Status s = SetKernelReadahead(options.mountpoint, options.read.kernel_readahead_bytes);
    if (!s.ok()) {
      spdlog::info(
          "mount: kernel readahead stays at its default ({}); sequential reads are "
          "slower (needs root)",
          s.message());
    }
  }
  // Most sessions start with a path under the root: its listing is on its way before that.
  fs.PrimeRoot();
  fs.WarmUp();
  if (on_mounted) on_mounted();
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(config, static_cast<unsigned>(options.fuse_threads));
  // Idle workers stay (up to the maximum): with fewer kept, a burst of many readers' small
  // requests (a loader's LOOKUP/OPEN/READ/RELEASE per file) made libfuse end and start threads
  // all the time, a thread creation per few requests.
  fuse_loop_cfg_set_idle_threads(config, static_cast<unsigned>(options.fuse_threads));
  int rc = fuse_session_loop_mt(se, config);
  fuse_loop_cfg_destroy(config);
  // Opens still waiting for a restore get EIO while the session can still answer them.
  size_t waiting = fs.waiters().waiting();
  fs.waiters().Shutdown();
  if (waiting > 0) {
    spdlog::info("mount: {} waiting open(s) failed with EIO; their restores stay in the journal",
                 waiting);
  }
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  spdlog::info("mount: {} unmounted", options.mountpoint);
  if (rc != 0 && rc != SIGTERM && rc != SIGINT && rc != SIGHUP) {
    return Status::Internal("FUSE loop ended with error " + std::to_string(rc));
  }
  return Status::Ok();
}

std::function<void(const restore::RestoreRecord&)> RestoreLogger() {
  // One line per transition into in_progress and into a terminal state, per object.
  auto seen = std::make_shared<std::pair<std::mutex, std::set<std::string>>>();
  return [seen](const restore::RestoreRecord& r) {
    std::string id = r.object.ToString();
    std::lock_guard lock(seen->first);
    if (r.state == restore::State::kInProgress) {
      if (!seen->second.insert(id).second) return;
      spdlog::info("restore started: {} ({}, tier {}, days {}){}", id, r.storage_class,
                   r.tier ? s3::RestoreTierName(*r.tier) : "-",
                   r.days ? std::to_string(*r.days) : "-", r.note.empty() ? "" : "; " + r.note);
    } else if (restore::IsTerminal(r.state)) {
      seen->second.erase(id);
      if (r.state == restore::State::kSkipped && r.reason == restore::Reason::kNotArchived) return;
      spdlog::info("restore {}: {}{}", restore::StateName(r.state), id,
                   r.error.empty() ? "" : " (" + r.error + ")");
    }
  };
}

Status Unmount(const std::string& mountpoint, bool lazy) {
  if (geteuid() == 0) {
    if (umount2(mountpoint.c_str(), lazy ? MNT_DETACH : 0) == 0) return Status::Ok();
    int err = errno;
    if (err == EBUSY) {
      return Status::FailedPrecondition(Hint(mountpoint + ": busy (files open or a shell in it)",
                                             "close them, or thaw unmount --lazy " + mountpoint));
    }
    if (err == EINVAL) return Status::InvalidArgument(mountpoint + ": not a mount point");
    return Status::Internal(mountpoint + ": " + std::strerror(err));
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (lazy) {
      execlp("fusermount3", "fusermount3", "-u", "-z", mountpoint.c_str(), nullptr);
    } else {
      execlp("fusermount3", "fusermount3", "-u", mountpoint.c_str(), nullptr);
    }
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return Status::Internal("cannot run fusermount3");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  return Status::FailedPrecondition(mountpoint + ": fusermount3 -u failed (see its message)");
}

}  // namespace thaw::fs
