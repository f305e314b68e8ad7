// Archived files in a real mount over `thaw sim --time-scale 3600` (a 4-hour Standard restore
// takes 4 s): many openers share one RestoreObject (counted by restore_proxy.py in front of the
// sim), EAGAIN for O_NONBLOCK and --archived=fail, ETIMEDOUT, EINTR, xattrs, the DEEP_ARCHIVE
// tier fallback, unmount with opens waiting; and one mount against moto.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "integration/mount_env.h"
#include "integration/thaw_cli.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "abkt";

std::string ReadAllOf(const std::string& path, int flags, int* err) {
  int fd = open(path.c_str(), flags);
  if (fd < 0) {
    *err = errno;
    return "";
  }
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  if (n < 0) *err = errno;
  close(fd);
  return out;
}

std::string Xattr(const std::string& path, const std::string& name) {
  char buf[256];
  ssize_t n = getxattr(path.c_str(), name.c_str(), buf, sizeof(buf));
  return n < 0 ? "<errno " + std::to_string(errno) + ">" : std::string(buf, static_cast<size_t>(n));
}

// The counting proxy in front of the sim: every RestoreObject becomes one JSON line.
class Proxy {
 public:
  explicit Proxy(int upstream_port) {
    port_ = FreePort();
    log_ = dir_.path() + "/restores.jsonl";
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"python3", SourceDir() + "/tests/integration/restore_proxy.py",
                                 std::to_string(port_), std::to_string(upstream_port), log_},
        std::map<std::string, std::string>{}, dir_.path() + "/proxy.out");
    ok_ = WaitForPort(port_, 20000);
  }
  bool ok() const { return ok_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<nlohmann::json> Restores() const { return JsonLines(ReadAll(log_)); }

 private:
  TempDir dir_;
  int port_ = 0;
  bool ok_ = false;
  std::string log_;
  std::unique_ptr<ChildProcess> proc_;
};

class ArchivedMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket(kBucket).ok());
  }
  SimServer sim_{{"--time-scale", "3600"}};
  std::unique_ptr<s3::S3Client> client_;
};

TEST_F(ArchivedMountTest, TwoHundredOpenersShareOneRestoreAndAllReadTheData) {
  std::string data = RandomBytes(300000, 21);
  Put(*client_, kBucket, "cold/file", data, "GLACIER");
  Proxy proxy(sim_.port());
  ASSERT_TRUE(proxy.ok());
  MountProcess mount(proxy.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string path = mount.path() + "/cold/file";
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), data.size());  // real size without a restore
  EXPECT_EQ(Xattr(path, "user.thaw.storage_class"), "GLACIER");
  EXPECT_EQ(Xattr(path, "user.thaw.restore"), "none");

  std::atomic<int> good{0};
  std::vector<std::thread> openers;
  for (int i = 0; i < 200; ++i) {
    openers.emplace_back([&] {
      int err = 0;
      std::string got = ReadAllOf(path, O_RDONLY, &err);
      if (err == 0 && got == data) ++good;
    });
  }
  for (auto& t : openers) t.join();
  EXPECT_EQ(good.load(), 200);
  auto restores = proxy.Restores();
  EXPECT_EQ(restores.size(), 1u);
  EXPECT_EQ(restores.at(0)["status"], 202);
  EXPECT_EQ(restores.at(0)["tier"], "Standard");
  EXPECT_EQ(Xattr(path, "user.thaw.restore").rfind("restored until 20", 0), 0u);
  std::string log = mount.Log();
  EXPECT_NE(log.find("restore started: s3://abkt/cold/file"), std::string::npos) << log;
  EXPECT_NE(log.find("restore restored: s3://abkt/cold/file"), std::string::npos) << log;
}

TEST_F(ArchivedMountTest, NonBlockingOpenGetsEagainAndStartsTheRestore) {
  Put(*client_, kBucket, "nb", "nonblocking data", "GLACIER");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string path = mount.path() + "/nb";
  int err = 0;
  ReadAllOf(path, O_RDONLY | O_NONBLOCK, &err);
  EXPECT_EQ(err, EAGAIN);
  EXPECT_EQ(Xattr(path, "user.thaw.restore"), "ongoing");
  // The restore started by the failed open completes; a later non-blocking open succeeds.
  EXPECT_TRUE(PollFor(
      [&] { return Xattr(path, "user.thaw.restore").rfind("restored until", 0) == 0; }, 30000));
  err = 0;
  EXPECT_EQ(ReadAllOf(path, O_RDONLY | O_NONBLOCK, &err), "nonblocking data");
  EXPECT_EQ(err, 0);
}

TEST_F(ArchivedMountTest, ArchivedFailModeGetsEagain) {
  Put(*client_, kBucket, "f", "fail mode", "GLACIER");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket, {"--archived", "fail"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  int err = 0;
  ReadAllOf(mount.path() + "/f", O_RDONLY, &err);
  EXPECT_EQ(err, EAGAIN);
  EXPECT_EQ(Xattr(mount.path() + "/f", "user.thaw.restore"), "ongoing");
}

TEST_F(ArchivedMountTest, WaitingOpenTimesOut) {
  // DEEP_ARCHIVE Standard: 12 h, 12 s at this time scale; the open gives up after 1 s.
  Put(*client_, kBucket, "deep", "deep data", "DEEP_ARCHIVE");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket, {"--restore-timeout", "1s"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  int err = 0;
  ReadAllOf(mount.path() + "/deep", O_RDONLY, &err);
  EXPECT_EQ(err, ETIMEDOUT);
  EXPECT_EQ(Xattr(mount.path() + "/deep", "user.thaw.restore"), "ongoing");  // goes on
}

void OnAlarm(int) {}

TEST_F(ArchivedMountTest, InterruptedOpenGetsEintr) {
  Put(*client_, kBucket, "deep", "deep data", "DEEP_ARCHIVE");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string path = mount.path() + "/deep";
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  pid_t child = fork();
  if (child == 0) {
    // A handler without SA_RESTART: the blocked open() must come back with EINTR.
    struct sigaction sa {};
    sa.sa_handler = OnAlarm;
    sigaction(SIGALRM, &sa, nullptr);
    // Every second, not once: a signal that came before open() reached the mount would be
    // lost, and the open would then wait for the whole restore.
    struct itimerval every {
      {1, 0}, { 1, 0 }
    };
    setitimer(ITIMER_REAL, &every, nullptr);
    int fd = open(path.c_str(), O_RDONLY);
    _exit(fd < 0 && errno == EINTR ? 0 : (fd >= 0 ? 10 : 20 + errno % 50));
  }
  int status = 0;
  bool exited = PollFor([&] { return waitpid(child, &status, WNOHANG) == child; }, 20000);
  if (!exited) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  ASSERT_TRUE(exited);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Xattr(path, "user.thaw.restore"), "ongoing");  // the restore goes on
}

TEST_F(ArchivedMountTest, XattrsReadAndRequestARestore) {
  Put(*client_, kBucket, "x", "xattr data", "GLACIER");
  Put(*client_, kBucket, "hot", "hot data");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string path = mount.path() + "/x";
  char names[256];
  ssize_t n = listxattr(path.c_str(), names, sizeof(names));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(names, static_cast<size_t>(n)),
            std::string("user.thaw.storage_class\0user.thaw.restore\0user.thaw.etag\0", 57));
  s3::HeadObjectRequest head;
  head.bucket = kBucket;
  head.key = "x";
  auto info = client_->HeadObject(head);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(Xattr(path, "user.thaw.etag"), info->etag);
  EXPECT_EQ(Xattr(path, "user.thaw.restore"), "none");
  EXPECT_EQ(Xattr(mount.path() + "/hot", "user.thaw.storage_class"), "STANDARD");
  EXPECT_EQ(Xattr(mount.path() + "/hot", "user.thaw.restore"), "none");
  EXPECT_EQ(Xattr(path, "user.other"), "<errno " + std::to_string(ENODATA) + ">");
  // No SELinux labels or ACLs: "not supported", which ls -l remembers per file system.
  for (const char* other : {"security.selinux", "system.posix_acl_access", "trusted.x"}) {
    EXPECT_EQ(Xattr(path, other), "<errno " + std::to_string(EOPNOTSUPP) + ">") << other;
  }
  EXPECT_EQ(setxattr(path.c_str(), "user.thaw.restore", "bogus", 5, 0), -1);
  EXPECT_EQ(errno, EINVAL);
  ASSERT_EQ(setxattr(path.c_str(), "user.thaw.restore", "request", 7, 0), 0);
  EXPECT_TRUE(PollFor(
      [&] { return Xattr(path, "user.thaw.restore").rfind("restored until 20", 0) == 0; }, 30000))
      << Xattr(path, "user.thaw.restore");
  int err = 0;
  EXPECT_EQ(ReadAllOf(path, O_RDONLY | O_NONBLOCK, &err), "xattr data");
}

TEST_F(ArchivedMountTest, DeepArchiveNeverAsksExpedited) {
  Put(*client_, kBucket, "deep", "deep data", "DEEP_ARCHIVE");
  Put(*client_, kBucket, "glacier", "glacier data", "GLACIER");
  TempDir cfg;
  std::string config = cfg.WriteFile("config.toml", "[defaults]\ntier = \"Expedited\"\ndays = 2\n");
  Proxy proxy(sim_.port());
  ASSERT_TRUE(proxy.ok());
  MountProcess mount(proxy.endpoint(), std::string("s3://") + kBucket,
                     {"--config", config, "--archived", "fail"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  int err = 0;
  ReadAllOf(mount.path() + "/deep", O_RDONLY, &err);
  EXPECT_EQ(err, EAGAIN);
  ReadAllOf(mount.path() + "/glacier", O_RDONLY, &err);
  EXPECT_EQ(err, EAGAIN);
  ASSERT_TRUE(PollFor([&] { return proxy.Restores().size() >= 2; }, 20000));
  std::map<std::string, std::string> tiers;
  for (auto& r : proxy.Restores()) tiers[r["path"].get<std::string>()] = r["tier"];
  EXPECT_EQ(tiers["/abkt/deep?restore"], "Standard");
  EXPECT_EQ(tiers["/abkt/glacier?restore"], "Expedited");
}

TEST_F(ArchivedMountTest, UnmountFailsWaitingOpensWithEioAndKeepsTheJournal) {
  Put(*client_, kBucket, "deep", "deep data", "DEEP_ARCHIVE");
  TempDir state;
  auto mount = std::make_unique<MountProcess>(sim_.endpoint(), std::string("s3://") + kBucket,
                                              std::vector<std::string>{}, state.path());
  ASSERT_TRUE(mount->mounted()) << mount->Log();
  std::string path = mount->path() + "/deep";
  std::atomic<int> err{-1};
  std::thread opener([&] {
    int e = 0;
    ReadAllOf(path, O_RDONLY, &e);
    err = e;
  });
  // Visible in `thaw status` while it waits (the engine's journal is shared).
  std::string home = state.path() + "/home";
  EXPECT_TRUE(PollFor(
      [&] {
        ThawRun st = RunThaw("status --state-dir " + state.path(), "", home);
        return st.out.find("deep") != std::string::npos;
      },
      20000));
  mount->Signal(SIGTERM);
  opener.join();
  EXPECT_TRUE(err == EIO || err == ENOTCONN) << err;
  mount->Stop();
  std::string log = mount->Log();
  mount.reset();
  EXPECT_NE(log.find("waiting open(s) failed with EIO"), std::string::npos) << log;
  ThawRun st = RunThaw("status --state-dir " + state.path(), "", home);
  EXPECT_NE(st.out.find("deep"), std::string::npos) << st.out << st.err;
}

TEST(MountMotoTest, ListsReadsAndRestoresAgainstMoto) {
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  auto client = MakeTestClient(moto.endpoint());
  ASSERT_TRUE(client->CreateBucket("motobkt").ok());
  std::string data = RandomBytes(10 << 20, 31);
  Put(*client, "motobkt", "dir/big", data);
  Put(*client, "motobkt", "cold", "cold moto", "GLACIER");
  MountProcess mount(moto.endpoint(), "s3://motobkt");
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string out;
  ASSERT_EQ(RunCommand("ls " + mount.path() + " " + mount.path() + "/dir", &out), 0);
  EXPECT_NE(out.find("cold"), std::string::npos);
  EXPECT_NE(out.find("big"), std::string::npos);
  int err = 0;
  EXPECT_TRUE(ReadAllOf(mount.path() + "/dir/big", O_RDONLY, &err) == data);
  EXPECT_EQ(err, 0);
  // moto completes restores at once: the blocking open waits for the tracker's first check.
  EXPECT_EQ(ReadAllOf(mount.path() + "/cold", O_RDONLY, &err), "cold moto");
  EXPECT_EQ(err, 0);
}

}  // namespace
}  // namespace thaw::testing
