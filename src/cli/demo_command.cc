// `thaw demo`: the README's first command. Starts `thaw sim` (temporary dir, time-scaled),
// fills a bucket with hot files and files in GLACIER and DEEP_ARCHIVE, mounts it with `thaw
// mount`, and narrates real commands with their real output: a listing, a hot read, EAGAIN for
// a non-blocking open of an archived file, a blocking read that waits for the restore (with a
// progress line from the journal) and returns checksum-verified data, `thaw status`. Cleans up
// on the way out, also on Ctrl-C. Exit code 0 only when every step behaved as narrated.
#include <openssl/evp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/engine_setup.h"
#include "cli/subprocess.h"
#include "common/log.h"
#include "common/time_format.h"
#include "restore/engine.h"
#include "s3/sigv4.h"

namespace thaw::cli {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted = true; }
bool Interrupted() { return g_interrupted.load(); }

struct DemoFlags {
  int time_scale = 1800;
  bool keep = false;
};

constexpr const char* kBucket = "demo";
constexpr const char* kHotKey = "README.txt";
constexpr const char* kColdKey = "runs/2023/run-042.h5";
constexpr const char* kDeepKey = "runs/2021/raw-2021.tar";
constexpr size_t kColdSize = 3 * 1024 * 1024;

std::string Bold(const std::string& s) {
  return isatty(STDOUT_FILENO) ? "\033[1m" + s + "\033[0m" : s;
}

// Deterministic bytes (not compressible text) for the archived files.
std::string PseudoRandom(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

bool IsMountPoint(const std::string& dir) {
  struct stat self {};
  struct stat parent {};
  if (stat(dir.c_str(), &self) != 0) return false;
  if (stat((dir + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

bool HasCommand(const std::string& name) {
  auto r = RunProcess({"sh", "-c", "command -v " + name}, 5s);
  return r.ok() && r->exit_code == 0;
}

class Demo {
 public:
  Demo(GlobalFlags globals, DemoFlags flags) : globals_(std::move(globals)), flags_(flags) {}
  ~Demo() { Cleanup(); }

  int Run() {
    if (Status s = Preflight(); !s.ok()) return ReportError(s, "demo");
    bool ok = Setup() && Listing() && HotRead() && ColdNonBlocking() && ColdBlocking() &&
              StatusStep();
    Cleanup();
    if (Interrupted()) {
      std::cout << "\ninterrupted: cleaned up\n";
      return 130;
    }
    std::cout << "\n"
              << (ok ? Bold("demo finished: every step behaved as shown")
                     : Bold("demo FAILED: a step did not behave as shown (see above)"))
              << "\n";
    return ok ? kExitOk : kExitFailure;
  }

 private:
  thaw::Status Preflight() {
    if (access("/dev/fuse", R_OK | W_OK) != 0) {
      return ::thaw::Status::FailedPrecondition(
          "/dev/fuse is not available: load the fuse module (modprobe fuse) or run the container "
          "with --device /dev/fuse --cap-add SYS_ADMIN");
    }
    if (!HasCommand("fusermount3")) {
      return ::thaw::Status::FailedPrecondition(
          "fusermount3 not found: apt-get install fuse3");
    }
    return ::thaw::Status::Ok();
  }

  void Say(const std::string& text) { std::cout << "\n" << Bold("==> " + text) << "\n"; }

  // Runs `argv` as the narration's shell would and prints the command and its output.
  Result<ProcessResult> Shell(const std::vector<std::string>& argv, const std::string& shown,
                              std::chrono::seconds timeout = 30s) {
    std::cout << "$ " << shown << "\n" << std::flush;
    auto r = RunProcess(argv, timeout, Interrupted);
    if (r.ok()) std::cout << r->output << std::flush;
    return r;
  }

  bool Fail(const std::string& why) {
    std::cout << "demo: " << why << "\n";
    return false;
  }

  std::string Mnt(const std::string& key) const { return mnt_ + "/" + key; }
  std::string Shown(const std::string& key) const { return "mnt/" + key; }

  bool Setup() {
    char tmpl[] = "/tmp/thaw-demo-XXXXXX";
    if (!mkdtemp(tmpl)) return Fail("cannot create a temporary directory");
    dir_ = tmpl;
    mnt_ = dir_ + "/mnt";
    std::filesystem::create_directories(mnt_);

    Say("starting thaw sim (S3 with archive tiers; time runs " + std::to_string(flags_.time_scale) +
        "x faster, so a 3-5 hour Glacier restore takes seconds)");
    auto sim = Subprocess::Start({SelfExecutable(), "sim", "--listen", "127.0.0.1:0", "--data-dir",
                                  dir_ + "/sim", "--time-scale",
                                  std::to_string(flags_.time_scale)});
    if (!sim.ok()) return Fail(sim.status().ToString());
    sim_ = std::move(*sim);
    auto banner = sim_->ReadLine(Steady::now() + 20s, Interrupted);
    const std::string prefix = "thaw sim listening on ";
    if (!banner || banner->rfind(prefix, 0) != 0) {
      return Fail("thaw sim did not start: " + sim_->output());
    }
    endpoint_ = banner->substr(prefix.size());
    if (auto sp = endpoint_.find(' '); sp != std::string::npos) endpoint_.resize(sp);
    std::cout << *banner << "\n";

    // The sim's credentials, for us and for the mount we start (never a user's real ones).
    setenv("AWS_ACCESS_KEY_ID", "thawsim", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "thawsimsecret", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    globals_.s3.endpoint_url = endpoint_;
    if (globals_.s3.region.empty()) globals_.s3.region = "us-east-1";
    globals_.state_dir = dir_ + "/state";
    globals_.config_path.clear();

    auto client = MakeClient(globals_);
    if (!client.ok()) return Fail(client.status().ToString());
    client_ = std::move(*client);
    Say("creating bucket '" + std::string(kBucket) + "': hot files, one in GLACIER, one in DEEP_ARCHIVE");
    if (auto s = client_->CreateBucket(kBucket); !s.ok()) return Fail(s.ToString());
    hot_text_ = "Hello from S3 Standard: this file reads at once.\n";
    cold_data_ = PseudoRandom(kColdSize, 42);
    cold_sha_ = s3::Sha256Hex(cold_data_);
    struct Obj {
      std::string key, body, cls;
    };
    const Obj objects[] = {{kHotKey, hot_text_, ""},
                           {"results/summary.csv", "run,loss\n41,0.31\n42,0.27\n", ""},
                           {kColdKey, cold_data_, "GLACIER"},
                           {kDeepKey, PseudoRandom(512 * 1024, 7), "DEEP_ARCHIVE"}};
    for (const auto& o : objects) {
      s3::PutObjectRequest put;
      put.bucket = kBucket;
      put.key = o.key;
      put.body = s3::HttpBody::FromString(o.body);
      put.storage_class = o.cls;
      if (auto r = client_->PutObject(put); !r.ok()) return Fail(o.key + ": " + r.status().ToString());
      std::cout << "  s3://" << kBucket << "/" << o.key << "  " << o.body.size() << " bytes  "
                << (o.cls.empty() ? "STANDARD" : o.cls) << "\n";
    }

    Say("mounting s3://" + std::string(kBucket) + " with thaw mount");
    auto mount = Shell({SelfExecutable(), "mount", std::string("s3://") + kBucket, mnt_,
                        "--endpoint-url", endpoint_, "--region", globals_.s3.region, "--state-dir",
                        globals_.state_dir, "--read-only", "--poll-interval", "1s",
                        "--log-level", "info"},
                       "thaw mount s3://" + std::string(kBucket) + " mnt --read-only", 60s);
    if (!mount.ok()) return Fail(mount.status().ToString());
    if (mount->exit_code != 0 || !IsMountPoint(mnt_)) return Fail("the mount did not come up");
    mounted_ = true;
    return !Interrupted();
  }

  bool Listing() {
    Say("every file shows up, archived ones with their real size (no restore needed for ls)");
    auto r = Shell({"ls", "-lR", mnt_}, "ls -lR mnt");
    if (!r.ok() || r->exit_code != 0) return Fail("ls failed");
    for (const char* name : {"README.txt", "summary.csv", "run-042.h5", "raw-2021.tar"}) {
      if (r->output.find(name) == std::string::npos) return Fail(std::string(name) + " not listed");
    }
    if (r->output.find(std::to_string(kColdSize)) == std::string::npos) {
      return Fail("the archived file does not show its size");
    }
    return !Interrupted();
  }

  bool HotRead() {
    Say("a hot file reads at once");
    auto r = Shell({"cat", Mnt(kHotKey)}, "cat " + Shown(kHotKey));
    if (!r.ok() || r->exit_code != 0 || r->output != hot_text_) return Fail("wrong content");
    return !Interrupted();
  }

  bool ColdNonBlocking() {
    Say("archived files say so: storage class and restore state as extended attributes");
    if (!HasCommand("getfattr")) {
      std::cout << "(getfattr not installed: apt-get install attr)\n";
    } else {
      auto x = Shell({"getfattr", "--absolute-names", "-d", "-m", "user.thaw", Mnt(kColdKey)},
                     "getfattr -d -m user.thaw " + Shown(kColdKey));
      if (!x.ok() || x->output.find("GLACIER") == std::string::npos) {
        return Fail("xattrs do not show GLACIER");
      }
    }
    Say("a non-blocking open of an archived file fails at once with EAGAIN; the restore starts");
    auto r = Shell({"dd", "if=" + Mnt(kColdKey), "of=/dev/null", "iflag=nonblock", "count=1",
                    "status=none"},
                   "dd if=" + Shown(kColdKey) + " of=/dev/null iflag=nonblock count=1");
    if (!r.ok()) return Fail(r.status().ToString());
    if (r->exit_code == 0 || r->output.find("Resource temporarily unavailable") == std::string::npos) {
      return Fail("expected EAGAIN (Resource temporarily unavailable)");
    }
    std::cout << "(EAGAIN: the object is in GLACIER; thaw has asked S3 to restore it)\n";
    return !Interrupted();
  }

  bool ColdBlocking() {
    Say("a blocking read waits for the restore, then returns the data");
    std::cout << "$ sha256sum " << Shown(kColdKey) << "\n" << std::flush;
    auto reader = Subprocess::Start({"sha256sum", Mnt(kColdKey)});
    if (!reader.ok()) return Fail(reader.status().ToString());

    restore::EngineOptions eo;
    eo.mode = restore::EngineOptions::Mode::kObserver;
    auto config = LoadConfig(globals_);
    if (!config.ok()) return Fail(config.status().ToString());
    auto journal = OpenEngineFor(globals_, *config, eo);
    if (!journal.ok()) return Fail(journal.status().ToString());

    auto start = Steady::now();
    Result<int> code = ::thaw::Status::DeadlineExceeded("");
    bool tty = isatty(STDOUT_FILENO);
    std::string last;
    while (true) {
      code = reader->Wait(Steady::now() + 250ms, Interrupted);
      if (code.ok() || code.status().code() != StatusCode::kDeadlineExceeded) break;
      if (Steady::now() - start > 90s) break;
      auto rec = journal->engine->Query({kBucket, kColdKey, ""});
      if (!rec.ok()) continue;
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - start);
      std::string line = "  restore " + std::string(StateName(rec->state)) + ", tier " +
                         std::string(s3::RestoreTierName(rec->tier.value_or(s3::RestoreTier::kStandard))) + ", " +
                         std::to_string(rec->days.value_or(0)) + " days";
      if (rec->eta) line += ", AWS would finish by " + FormatIso8601(*rec->eta, false);
      line += " (the sim is " + std::to_string(flags_.time_scale) + "x faster), waited " +
              std::to_string(secs.count()) + " s";
      if (tty) {
        std::cout << "\r\033[K" << line << std::flush;
      } else if (line.substr(0, line.find(", waited")) != last.substr(0, last.find(", waited"))) {
        std::cout << line << "\n" << std::flush;
      }
      last = line;
    }
    if (tty) std::cout << "\n";
    if (!code.ok()) {
      reader->Kill(SIGTERM);
      return Fail("the blocking read did not finish: " + code.status().ToString());
    }
    std::cout << reader->output();
    if (*code != 0) return Fail("sha256sum failed");
    if (reader->output().rfind(cold_sha_, 0) != 0) {
      return Fail("checksum mismatch: expected " + cold_sha_);
    }
    std::cout << "(checksum matches what was uploaded: " << cold_sha_.substr(0, 16) << "...)\n";
    return !Interrupted();
  }

  bool StatusStep() {
    Say("the journal keeps the history: thaw status");
    auto r = Shell({SelfExecutable(), "status", "--state-dir", globals_.state_dir, "--endpoint-url",
                    endpoint_},
                   "thaw status");
    if (!r.ok() || r->exit_code != 0) return Fail("thaw status failed");
    if (r->output.find(kColdKey) == std::string::npos) return Fail("status misses the restore");
    return true;
  }

  void Cleanup() {
    if (cleaned_) return;
    cleaned_ = true;
    if (mounted_) {
      std::cout << "\n" << Bold("==> unmounting and cleaning up") << "\n";
      (void)RunProcess({SelfExecutable(), "unmount", mnt_}, 30s);
      if (IsMountPoint(mnt_)) (void)RunProcess({"fusermount3", "-uz", mnt_}, 10s);
    }
    if (sim_) sim_->Kill(SIGTERM);
    if (dir_.empty()) return;
    if (IsMountPoint(mnt_)) {
      std::cout << "demo: " << mnt_ << " is still mounted; leaving " << dir_ << " in place\n";
      return;
    }
    if (flags_.keep) {
      std::cout << "kept " << dir_ << "\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  GlobalFlags globals_;
  DemoFlags flags_;
  std::string dir_, mnt_, endpoint_;
  std::optional<Subprocess> sim_;
  std::unique_ptr<s3::S3Client> client_;
  std::string hot_text_, cold_data_, cold_sha_;
  bool mounted_ = false;
  bool cleaned_ = false;
};

}  // namespace

void RegisterDemo(CLI::App& app, GlobalFlags& globals) {
  auto f = std::make_shared<DemoFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "show thaw at work on a local sim: mount a bucket, read an archived file");
  cmd->add_option("--time-scale", f->time_scale, "sim time runs N times faster")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--keep", f->keep, "keep the temporary directory (sim data, journal)");
  cmd->final_callback([&globals, f] {
    if (Status s = SetupLogging(globals.log_level); !s.ok()) {
      throw CLI::RuntimeError(ReportError(s));
    }
    std::signal(SIGINT, OnInterrupt);
    std::signal(SIGTERM, OnInterrupt);
    Demo demo(globals, *f);
    throw CLI::RuntimeError(demo.Run());
  });
}

}  // namespace thaw::cli
