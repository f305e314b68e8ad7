// `thaw mount s3://BUCKET[/PREFIX] MOUNTPOINT` and `thaw unmount MOUNTPOINT`. The mount runs the
// file system in src/fs with a restore engine (journal in --state-dir, policy from --config).
//
// By default the command daemonizes and returns only once the mount is live (exit 0, prints
// "mounted s3://... at MOUNTPOINT (pid N)"), or with the error and a hint when it cannot start:
// the child reports over a pipe. With --foreground it prints the same line and serves until
// unmounted or signalled.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/engine_setup.h"
#include "common/log.h"
#include "common/metrics_server.h"
#include "common/s3_uri.h"
#include "common/strings.h"
#include "common/terminal_escape.h"
#include "fs/mount.h"
#include "restore/metrics.h"
#include "restore/policy.h"
#include "s3/metered_client.h"

namespace thaw::cli {
namespace {

struct MountFlags {
  std::string uri;
  std::string mountpoint;
  bool foreground = false;
  std::string metadata_ttl = "60s";
  std::string negative_cache_ttl;  // "": the metadata TTL
  std::string posix_metadata = "off";
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::string file_mode = "0644";
  std::string dir_mode = "0755";
  bool allow_other = false;
  bool read_only = false;
  std::string archived = "wait";
  std::string restore_timeout = "auto";
  std::string multipart_threshold = "64MiB";
  std::string poll_interval;
  std::string log_file;
  std::string cache_dir;
  std::string cache_size = "10GiB";
  std::string read_ahead = "1MiB";
  int fetch_threads = 32;
  int parallel_gets = 24;
  std::string metrics_listen;
};

// "500ms", "90", "90s", "15m", "2h", "1d" -> milliseconds.
std::optional<std::chrono::milliseconds> ParseDurationMs(std::string s) {
  if (s.empty()) return std::nullopt;
  int64_t unit = 1000;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    unit = 1;
    s.resize(s.size() - 2);
  } else if (std::string("smhd").find(s.back()) != std::string::npos) {
    unit = s.back() == 's' ? 1000 : s.back() == 'm' ? 60000 : s.back() == 'h' ? 3600000 : 86400000;
    s.pop_back();
  }
  auto n = ParseInt64(s);
  if (!n || *n < 0) return std::nullopt;
  return std::chrono::milliseconds(*n * unit);
}

std::optional<mode_t> ParseMode(const std::string& s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  mode_t m = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    m = m * 8 + static_cast<mode_t>(c - '0');
  }
  return m & 07777;
}

Result<fs::MountOptions> BuildOptions(const MountFlags& f) {
  fs::MountOptions o;
  THAW_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(f.uri));
  o.bucket = uri.bucket;
  o.prefix = uri.key;
  if (!o.prefix.empty() && o.prefix.back() != '/') o.prefix += '/';
  char resolved[PATH_MAX];
  if (realpath(f.mountpoint.c_str(), resolved) == nullptr) {
    return Status::InvalidArgument(f.mountpoint + ": " + std::strerror(errno) +
                                   " (hint: create the directory first: mkdir -p " + f.mountpoint +
                                   ")");
  }
  o.mountpoint = resolved;
  auto ttl = ParseDurationMs(f.metadata_ttl);
  if (!ttl) return Status::InvalidArgument("--metadata-ttl '" + f.metadata_ttl + "': e.g. 60s");
  o.metadata_ttl = *ttl;
  if (!f.negative_cache_ttl.empty()) {
    auto negative = ParseDurationMs(f.negative_cache_ttl);
    if (!negative) {
      return Status::InvalidArgument("--negative-cache-ttl '" + f.negative_cache_ttl +
                                     "': a duration such as 0, 10s, 5m");
    }
    o.negative_cache_ttl = *negative;
  }
  if (f.posix_metadata == "off") {
    o.posix_metadata = fs::MountOptions::PosixMetadata::kOff;
  } else if (f.posix_metadata == "fsx") {
    o.posix_metadata = fs::MountOptions::PosixMetadata::kFsx;
  } else {
    return Status::InvalidArgument("--posix-metadata '" + f.posix_metadata + "': off or fsx");
  }
  if (f.restore_timeout != "auto") {
    auto timeout = ParseDurationMs(f.restore_timeout);
    if (!timeout || timeout->count() == 0) {
      return Status::InvalidArgument("--restore-timeout '" + f.restore_timeout +
                                     "': auto, or a duration such as 90s, 12h");
    }
    o.restore_timeout = *timeout;
  }
  auto threshold = restore::ParseSize(f.multipart_threshold);
  // Below the threshold a file goes up in one PUT, which S3 caps at 5 GiB.
  if (!threshold || *threshold == 0 || *threshold > (5ull << 30)) {
    return Status::InvalidArgument("--multipart-threshold '" + f.multipart_threshold +
                                   "': a size from 1B to 5GiB, e.g. 64MiB");
  }
  o.write.multipart_threshold = *threshold;
  auto fm = ParseMode(f.file_mode);
  auto dm = ParseMode(f.dir_mode);
  if (!fm) return Status::InvalidArgument("--file-mode '" + f.file_mode + "': octal, e.g. 0644");
  if (!dm) return Status::InvalidArgument("--dir-mode '" + f.dir_mode + "': octal, e.g. 0755");
  o.file_mode = *fm;
  o.dir_mode = *dm;
  o.uid = f.uid.value_or(getuid());
  o.gid = f.gid.value_or(getgid());
  o.allow_other = f.allow_other;
  o.read_only = f.read_only;
  if (f.archived == "wait") {
    o.archived = fs::MountOptions::Archived::kWait;
  } else if (f.archived == "fail") {
    o.archived = fs::MountOptions::Archived::kFail;
  } else {
    return Status::InvalidArgument("--archived '" + f.archived + "': wait or fail");
  }
  o.cache_dir = f.cache_dir;
  auto cache_size = restore::ParseSize(f.cache_size);
  if (!cache_size || *cache_size == 0) {
    return Status::InvalidArgument("--cache-size '" + f.cache_size + "': e.g. 10GiB");
  }
  o.cache_size_bytes = *cache_size;
  auto read_ahead = restore::ParseSize(f.read_ahead);
  // The kernel sends FUSE reads of at most 1 MiB; more readahead only queues more of them.
  if (!read_ahead || *read_ahead > (64ull << 20)) {
    return Status::InvalidArgument("--read-ahead '" + f.read_ahead +
                                   "': a size from 0 (kernel default) to 64MiB, e.g. 1MiB");
  }
  o.read.kernel_readahead_bytes = *read_ahead;
  if (f.fetch_threads < 1 || f.fetch_threads > 256) {
    return Status::InvalidArgument("--fetch-threads " + std::to_string(f.fetch_threads) +
                                   ": from 1 to 256");
  }
  o.read.fetch_threads = f.fetch_threads;
  if (f.parallel_gets < 1 || f.parallel_gets > 256) {
    return Status::InvalidArgument("--parallel-gets " + std::to_string(f.parallel_gets) +
                                   ": from 1 to 256");
  }
  o.read.parallel_gets = f.parallel_gets;
  if (!f.poll_interval.empty()) {
    auto p = ParseDurationMs(f.poll_interval);
    if (!p || p->count() < 1000) {
      return Status::InvalidArgument("--poll-interval '" + f.poll_interval + "': at least 1s");
    }
  }
  return o;
}

// Everything after the options are checked: engine, preflight, the mount itself.
// `on_mounted` gets the metrics address ("http://127.0.0.1:9465"), or "" without
// --metrics-listen.
Status Serve(const GlobalFlags& globals, const MountFlags& f, const fs::MountOptions& options,
             const std::function<void(const std::string&)>& on_mounted) {
  THAW_ASSIGN_OR_RETURN(restore::PolicyConfig config, LoadConfig(globals));
  restore::EngineOptions eo;
  eo.limits = config.limits;
  // Counted for /metrics; declared before the engine, which reports to them until shut down.
  restore::RestoreMetrics restore_metrics;
  s3::ClientMetrics client_metrics;
  eo.on_change = [log = fs::RestoreLogger(), &restore_metrics](const restore::RestoreRecord& r) {
    log(r);
    restore_metrics.Observe(r);
  };
  if (auto p = ParseDurationMs(f.poll_interval)) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(*p);
    eo.max_poll_interval = secs;
    eo.min_poll_interval = std::min(eo.min_poll_interval, secs);
  }
  THAW_ASSIGN_OR_RETURN(EngineSetup setup, OpenEngineFor(globals, config, eo, &client_metrics));
  THAW_RETURN_IF_ERROR(fs::Preflight(options, *setup.client));
  // Started before the mount, so a port in use stops it before anything is mounted.
  std::unique_ptr<MetricsServer> metrics;
  std::string metrics_url;
  if (!f.metrics_listen.empty()) {
    restore::Engine& engine = *setup.engine;
    std::shared_ptr<fs::FsMetrics> fs_metrics = options.metrics;
    metrics = std::make_unique<MetricsServer>(
        [&, fs_metrics] {
          std::string out;
          fs_metrics->AppendTo(out);
          restore_metrics.AppendTo(out, engine.Stats());
          client_metrics.AppendTo(out);
          return out;
        },
        [] { return std::string(); });
    // The message names --metrics-listen and the address.
    THAW_RETURN_IF_ERROR(metrics->Start(f.metrics_listen));
    metrics_url = "http://" + metrics->host() + ":" + std::to_string(metrics->port());
  }
  Status s = fs::RunMount(options, *setup.client, *setup.engine, [&] { on_mounted(metrics_url); });
  if (metrics) metrics->Stop();
  setup.engine->Shutdown();
  return s;
}

std::string MountedLine(const fs::MountOptions& o, pid_t pid, const std::string& metrics_url) {
  return "mounted s3://" + o.bucket + "/" + o.prefix + " at " + o.mountpoint + " (pid " +
         std::to_string(pid) + ")" + (metrics_url.empty() ? "" : "; metrics on " + metrics_url);
}

int RunForeground(const GlobalFlags& globals, const MountFlags& f, const fs::MountOptions& o) {
  Status s = Serve(globals, f, o, [&](const std::string& metrics_url) {
    std::cout << LogLine("info", MountedLine(o, getpid(), metrics_url)) << std::flush;
  });
  if (!s.ok()) return ReportError(s, "mount");
  return kExitOk;
}

// The parent waits on a pipe for "OK" or "ERR <code> <message>" from the daemon.
int RunDaemon(const GlobalFlags& globals, const MountFlags& f, const fs::MountOptions& o) {
  int fds[2];
  if (pipe(fds) != 0) return ReportError(Status::Internal("pipe failed"), "mount");
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) return ReportError(Status::Internal("fork failed"), "mount");
  if (pid > 0) {
    close(fds[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0) msg.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    if (msg.rfind("OK", 0) == 0) {
      // "OK [METRICS_URL]\n"
      std::string metrics_url = msg.size() > 3 ? msg.substr(3) : "";
      if (EndsWith(metrics_url, "\n")) metrics_url.pop_back();
      std::cout << LogLine("info", MountedLine(o, pid, metrics_url)) << std::flush;
      return kExitOk;
    }
    // The mount failed: the daemon is on its way out; it is gone when this command returns, so
    // that a failed `mount` leaves no thaw process behind (a script may retry at once).
    waitpid(pid, nullptr, 0);
    if (msg.rfind("ERR ", 0) == 0) {
      size_t sp = msg.find(' ', 4);
      int code = std::atoi(msg.substr(4, sp - 4).c_str());
      std::string why = msg.substr(sp + 1);
      if (EndsWith(why, "\n")) why.pop_back();
      std::cerr << LogLine("error", "thaw: mount: " + EscapeForTerminal(why));
      return code == 0 ? kExitFailure : code;
    }
    std::cerr << LogLine("error",
                         "thaw: mount: the mount process exited before the mount was live" +
                             std::string(f.log_file.empty() ? " (run with --foreground to see why)"
                                                            : " (see " + f.log_file + ")"));
    return kExitFailure;
  }
  // Child: a session of its own, no terminal, logs to --log-file (or nowhere).
  close(fds[0]);
  setsid();
  // No working directory kept busy (paths were made absolute before the fork).
  if (chdir("/") != 0) std::cerr << LogLine("error", "thaw: mount: cannot chdir to /");
  int devnull = open("/dev/null", O_RDWR);
  int log =
      f.log_file.empty() ? devnull : open(f.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log < 0) log = devnull;
  dup2(devnull, 0);
  dup2(log, 1);
  dup2(log, 2);
  int report = fds[1];
  Status s = Serve(globals, f, o, [&](const std::string& metrics_url) {
    std::string ok = "OK " + metrics_url + "\n";
    (void)!write(report, ok.data(), ok.size());
    close(report);
    report = -1;
  });
  if (report >= 0) {
    std::string msg = "ERR " + std::to_string(s.ok() ? 1 : ExitCodeFor(s)) + " " +
                      (s.ok() ? "the mount ended before it was live" : s.message()) + "\n";
    (void)!write(report, msg.data(), msg.size());
    close(report);
  }
  if (!s.ok()) std::cerr << LogLine("error", "thaw: mount: " + EscapeForTerminal(s.message()));
  std::_Exit(s.ok() ? kExitOk : ExitCodeFor(s));
}

}  // namespace

void RegisterMount(CLI::App& app, GlobalFlags& globals) {
  auto f = std::make_shared<MountFlags>();
  CLI::App* cmd = app.add_subcommand(
      "mount", "mount s3://BUCKET[/PREFIX] at MOUNTPOINT; archived files restore on open");
  cmd->add_option("uri", f->uri, "s3://BUCKET[/PREFIX]")->required();
  cmd->add_option("mountpoint", f->mountpoint, "an existing empty directory")->required();
  cmd->add_flag("-f,--foreground", f->foreground, "stay in the foreground, log to stderr");
  cmd->add_option("--metadata-ttl", f->metadata_ttl,
                  "trust listings and attributes this long (e.g. 60s, 5m; also the kernel's "
                  "cache times)")
      ->type_name("DURATION")
      ->capture_default_str();
  cmd->add_option("--negative-cache-ttl", f->negative_cache_ttl,
                  "how long a missing name is trusted to stay missing (default: the metadata TTL; "
                  "0: ask S3 at every lookup of a missing name)")
      ->type_name("DURATION");
  cmd->add_option("--posix-metadata", f->posix_metadata,
                  "off: modes, owners and mtimes from the options and listings (no HEAD per "
                  "file); fsx: FSx for Lustre's x-amz-meta-file-* (a HEAD per file listed)")
      ->capture_default_str();
  cmd->add_option("--uid", f->uid, "owner of files and directories (default: the caller)")
      ->type_name("N");
  cmd->add_option("--gid", f->gid, "group of files and directories (default: the caller's)")
      ->type_name("N");
  cmd->add_option("--file-mode", f->file_mode, "permissions of files (octal)")
      ->type_name("OCTAL")
      ->capture_default_str();
  cmd->add_option("--dir-mode", f->dir_mode, "permissions of directories (octal)")
      ->type_name("OCTAL")
      ->capture_default_str();
  cmd->add_flag("--allow-other", f->allow_other,
                "let other users in (non-root needs user_allow_other in /etc/fuse.conf)");
  cmd->add_flag("--read-only", f->read_only, "mount ro; writes fail with EROFS");
  cmd->add_option("--archived", f->archived,
                  "opening an archived file waits for its restore (wait), or fails with EAGAIN "
                  "at once (fail)")
      ->type_name("wait|fail")
      ->capture_default_str();
  cmd->add_option("--restore-timeout", f->restore_timeout,
                  "a waiting open gives up with ETIMEDOUT after this (e.g. 90s, 12h, 3d; the "
                  "restore goes on); auto: S3's published upper bound for the object's class "
                  "and the tier the engine chose, plus a quarter (at least 15 minutes)")
      ->type_name("DURATION|auto")
      ->capture_default_str();
  // Hidden (tests use small files); documented in docs/mount.md.
  cmd->add_option("--multipart-threshold", f->multipart_threshold,
                  "files of at least this size are uploaded in parts")
      ->capture_default_str()
      ->group("");
  cmd->add_option("--poll-interval", f->poll_interval,
                  "check restores in progress at least this often (e.g. 30s; for fast "
                  "endpoints such as thaw sim)")
      ->type_name("DURATION");
  cmd->add_option("--log-file", f->log_file, "where the daemon logs (default: nowhere)")
      ->type_name("PATH");
  cmd->add_option("--cache-dir", f->cache_dir,
                  "keep fetched data on local disk in this directory (mode 0700, files 0600; "
                  "default: no disk cache)")
      ->type_name("DIR");
  cmd->add_option("--cache-size", f->cache_size,
                  "disk cache capacity; least recently used parts are removed first")
      ->type_name("SIZE")
      ->capture_default_str();
  cmd->add_option("--fetch-threads", f->fetch_threads,
                  "ranged GETs in flight for read-ahead, all open files together (at most 256)")
      ->type_name("N")
      ->capture_default_str();
  cmd->add_option("--parallel-gets", f->parallel_gets,
                  "read-ahead GETs of one open file running at once, within --fetch-threads "
                  "(more for a fast link with high latency, fewer when the CPU is the limit)")
      ->type_name("N")
      ->capture_default_str();
  cmd->add_option("--read-ahead", f->read_ahead,
                  "the kernel's readahead for the mount (at most 64MiB; 0 leaves the kernel's "
                  "128KiB); needs root, else the mount logs that it keeps the default")
      ->type_name("SIZE")
      ->capture_default_str();
  cmd->add_option("--metrics-listen", f->metrics_listen,
                  "serve Prometheus metrics on /metrics at HOST:PORT (e.g. 127.0.0.1:9465; "
                  ":PORT is 127.0.0.1; port 0: any free port, shown in the mounted line)")
      ->type_name("HOST:PORT");
  cmd->callback([f, &globals, &app] {
    if (app.get_option("--log-level")->count() == 0) globals.log_level = "info";
    // The daemon leaves the working directory: relative paths must not depend on it.
    for (std::string* p : {&globals.config_path, &globals.state_dir, &f->log_file, &f->cache_dir}) {
      if (!p->empty()) *p = std::filesystem::absolute(*p).string();
    }
    auto options = BuildOptions(*f);
    if (!options.ok()) throw CLI::RuntimeError(ReportError(options.status(), "mount"));
    if (access("/dev/fuse", F_OK) != 0) {
      throw CLI::RuntimeError(ReportError(
          Status::FailedPrecondition("no /dev/fuse (hint: modprobe fuse; in a container pass "
                                     "--device /dev/fuse --cap-add SYS_ADMIN)"),
          "mount"));
    }
    int rc =
        f->foreground ? RunForeground(globals, *f, *options) : RunDaemon(globals, *f, *options);
    throw CLI::RuntimeError(rc);
  });

  auto mp = std::make_shared<std::string>();
  auto lazy = std::make_shared<bool>(false);
  CLI::App* un = app.add_subcommand("unmount", "unmount a thaw mount");
  un->add_option("mountpoint", *mp, "where it is mounted")->required();
  un->add_flag("--lazy", *lazy, "detach now even if busy; the mount ends when no longer used");
  un->callback([mp, lazy] {
    Status s = fs::Unmount(*mp, *lazy);
    throw CLI::RuntimeError(s.ok() ? kExitOk : ReportError(s, "unmount"));
  });
}

}  // namespace thaw::cli
