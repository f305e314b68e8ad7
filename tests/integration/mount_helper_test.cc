// thaw as a system tool, with the real programs that drive it: mount(8) with `-t fuse.thaw` and
// with an fstab line (a temporary fstab through `mount -T`), umount(8), the mount helper's option
// translation (`-f -v` prints what it would run), systemd's fstab generator on the packaged
// example line, and `systemd-analyze verify` on the packaged units.
//
// mount(8) looks for its helper in /sbin only (and runs it with a PATH of its own): when the
// package is not installed, the mount tests link /sbin/mount.fuse.thaw to this tree's thaw for
// their duration and remove the link afterwards; with the package installed they use its helper.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "integration/mount_env.h"
#include "integration/thaw_cli.h"

namespace thaw::testing {
namespace {

// Runs a shell command, stdout and stderr together.
int Sh(const std::string& cmd, std::string* out = nullptr) {
  return RunCommand("(" + cmd + ") 2>&1", out);
}

bool IsMounted(const std::string& path) {
  return ReadAll("/proc/self/mounts").find(" " + path + " ") != std::string::npos;
}

// A process other than us whose command line names `path` (the mount daemon).
bool DaemonFor(const std::string& path) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoi(name) == getpid()) continue;
    std::string cmd = ReadAll(e.path().string() + "/cmdline");
    if (cmd.find("thaw") != std::string::npos && cmd.find(path) != std::string::npos) return true;
  }
  return false;
}

class MountHelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = dir_.path() + "/bin";
    mnt_ = dir_.path() + "/mnt";
    std::filesystem::create_directories(bin_);
    std::filesystem::create_directories(mnt_);
    std::filesystem::create_symlink(ThawBinary(), bin_ + "/thaw");
    std::filesystem::create_symlink(ThawBinary(), bin_ + "/mount.fuse.thaw");
  }
  void TearDown() override {
    if (IsMounted(mnt_)) umount2(mnt_.c_str(), MNT_DETACH);
  }

  // The environment mount(8) and the helper run in: test credentials, this tree's thaw first.
  std::string Env() const {
    return ThawEnv(dir_.path()) + "PATH=" + bin_ + ":" + getenv("PATH") + " ";
  }

  TempDir dir_;
  std::string bin_, mnt_;
};

TEST_F(MountHelperTest, OptionsBecomeLongOptionsOfThawMount) {
  std::string out;
  // The form fuse3's mount.fuse uses, and mount(8)'s with its -f (fake) and -v flags.
  int rc = Sh(Env() + "thaw s3://lab/raw " + mnt_ +
                  " -f -v -o 'rw,nodev,nosuid,_netdev,nofail,noauto,x-systemd.automount,"
                  "endpoint_url=http://127.0.0.1:1,Metadata_TTL=5s,read-only,cache_dir=/tmp/c,"
                  "uid=1000,allow_other,profile=lab,\"log_file=/tmp/a,b\"'",
              &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("thaw mount s3://lab/raw " + mnt_ +
                     " --endpoint-url=http://127.0.0.1:1 --metadata-ttl=5s --read-only "
                     "--cache-dir=/tmp/c --uid=1000 --allow-other --profile=lab "
                     "--log-file=/tmp/a,b"),
            std::string::npos)
      << out;
  EXPECT_FALSE(IsMounted(mnt_));

  rc = Sh(Env() + bin_ + "/mount.fuse.thaw s3://lab " + mnt_ + " -fv -o ro -t fuse.thaw", &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("thaw mount s3://lab " + mnt_ + " --read-only"), std::string::npos) << out;
}

TEST_F(MountHelperTest, BadOptionsAreNamedAndNothingIsMounted) {
  std::string out;
  int rc = Sh(Env() + "thaw s3://lab " + mnt_ + " -o rw,no_such_option=1", &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("unknown mount option 'no_such_option'"), std::string::npos) << out;

  rc = Sh(Env() + "thaw s3://lab " + mnt_ + " -o cache_dir", &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("'cache_dir' needs a value"), std::string::npos) << out;

  rc = Sh(Env() + bin_ + "/mount.fuse.thaw s3://lab " + mnt_ + " --bogus", &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("--bogus"), std::string::npos) << out;
  EXPECT_FALSE(IsMounted(mnt_));
}

class MountHelperSimTest : public MountHelperTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || access("/dev/fuse", F_OK) != 0) GTEST_SKIP() << "needs root and FUSE";
    MountHelperTest::SetUp();
    // ctest runs these tests in parallel processes: each holds a shared lock while it uses the
    // link, and only the last one out (an exclusive lock granted) removes it.
    lock_fd_ = open("/tmp/thaw-mount-helper-test.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    ASSERT_GE(lock_fd_, 0);
    ASSERT_EQ(flock(lock_fd_, LOCK_SH), 0);
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(kHelper))) {
      std::filesystem::create_symlink(ThawBinary(), kHelper, ec);
    }
    linked_helper_ = std::filesystem::is_symlink(std::filesystem::symlink_status(kHelper)) &&
                     std::filesystem::read_symlink(kHelper, ec) == ThawBinary();
    auto client = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client->CreateBucket("helper").ok());
    Put(*client, "helper", "data/hello.txt", "hello from the sim\n");
  }

  // Options every mount below needs: the sim, a journal of the test's own.
  std::string SimOptions() const {
    return "endpoint_url=" + sim_.endpoint() + ",state_dir=" + dir_.path() + "/state";
  }

  // Reads through the mount, unmounts with umount(8), and checks that the daemon went away.
  void ReadAndUnmount() {
    ASSERT_TRUE(IsMounted(mnt_));
    EXPECT_EQ(ReadAll(mnt_ + "/hello.txt"), "hello from the sim\n");
    std::string out;
    EXPECT_EQ(Sh("umount " + mnt_, &out), 0) << out;
    EXPECT_FALSE(IsMounted(mnt_));
    EXPECT_TRUE(PollFor([&] { return !DaemonFor(mnt_); }, 10000)) << "daemon still running";
  }

  void TearDown() override {
    MountHelperTest::TearDown();
    if (lock_fd_ < 0) return;
    if (linked_helper_ && flock(lock_fd_, LOCK_EX | LOCK_NB) == 0) {
      std::error_code ec;
      std::filesystem::remove(kHelper, ec);
    }
    close(lock_fd_);
  }

  static constexpr const char* kHelper = "/sbin/mount.fuse.thaw";
  bool linked_helper_ = false;  // the helper is our link to this tree's thaw
  int lock_fd_ = -1;
  SimServer sim_;
};

TEST_F(MountHelperSimTest, MountDashTFuseThawMountsAndUmountUnmounts) {
  std::string out;
  int rc = Sh(Env() + "mount -t fuse.thaw s3://helper/data " + mnt_ + " -o " + SimOptions() +
                  ",_netdev,nodev,metadata_ttl=1s",
              &out);
  ASSERT_EQ(rc, 0) << out;
  ReadAndUnmount();
}

TEST_F(MountHelperSimTest, FstabLineMountsByMountPoint) {
  std::string fstab = dir_.path() + "/fstab";
  std::ofstream(fstab) << "# test fstab\ns3://helper/data " << mnt_ << " fuse.thaw " << SimOptions()
                       << ",_netdev,nofail,noauto,ro,allow_other 0 0\n";
  std::string out;
  ASSERT_EQ(Sh(Env() + "mount -T " + fstab + " " + mnt_, &out), 0) << out;
  ReadAndUnmount();
}

TEST_F(MountHelperSimTest, BadFstabLinesFailWithTheReasonAndMountNothing) {
  std::string fstab = dir_.path() + "/fstab";
  std::ofstream(fstab) << "s3:// " << mnt_ << " fuse.thaw " << SimOptions() << " 0 0\n";
  std::string out;
  EXPECT_NE(Sh(Env() + "mount -T " + fstab + " " + mnt_, &out), 0);
  EXPECT_NE(out.find("names no bucket"), std::string::npos) << out;
  EXPECT_FALSE(IsMounted(mnt_));

  // A bucket the endpoint does not have: mount(8) passes on thaw's exit code and message.
  std::ofstream(fstab, std::ios::trunc)
      << "s3://no-such-bucket " << mnt_ << " fuse.thaw " << SimOptions() << ",_netdev 0 0\n";
  EXPECT_NE(Sh(Env() + "mount -T " + fstab + " " + mnt_, &out), 0);
  EXPECT_NE(out.find("no-such-bucket"), std::string::npos) << out;
  EXPECT_FALSE(IsMounted(mnt_));
  EXPECT_FALSE(DaemonFor(mnt_));

  EXPECT_NE(Sh(Env() + "mount -t fuse.thaw s3://helper " + mnt_ + " -o " + SimOptions() +
                   ",cache_size=lots",
               &out),
            0);
  EXPECT_NE(out.find("cache-size"), std::string::npos) << out;
  EXPECT_FALSE(IsMounted(mnt_));
  EXPECT_FALSE(DaemonFor(mnt_));
}

// The packaged example line becomes a mount unit pulled in by remote-fs.target (_netdev).
TEST(SystemdTest, FstabGeneratorMakesAUnitForTheExampleLine) {
  const std::string generator = "/lib/systemd/system-generators/systemd-fstab-generator";
  ASSERT_EQ(access(generator.c_str(), X_OK), 0)
      << "no systemd-fstab-generator: scripts/install-deps installs systemd";
  TempDir dir;
  std::string example = SourceDir() + "/deploy/debian/fstab.example";
  std::string out;
  ASSERT_EQ(Sh("SYSTEMD_FSTAB=" + example + " SYSTEMD_PROC_CMDLINE= " + generator + " " +
                   dir.path() + " " + dir.path() + " " + dir.path(),
               &out),
            0)
      << out;
  std::string unit = ReadAll(dir.path() + "/mnt-lab\\x2darchive.mount");
  EXPECT_NE(unit.find("What=s3://lab-archive/raw"), std::string::npos) << unit;
  EXPECT_NE(unit.find("Type=fuse.thaw"), std::string::npos) << unit;
  EXPECT_TRUE(std::filesystem::is_symlink(dir.path() +
                                          "/remote-fs.target.wants/mnt-lab\\x2darchive.mount"));
}

// Every packaged unit passes systemd-analyze verify (with ExecStart pointing at this tree's
// binary, as /usr/bin/thaw exists only once the package is installed).
TEST(SystemdTest, UnitsPassSystemdAnalyzeVerify) {
  ASSERT_EQ(Sh("command -v systemd-analyze >/dev/null"), 0)
      << "no systemd-analyze: scripts/install-deps installs systemd";
  TempDir dir;
  for (const std::string name : {"thaw-serve@", "thaw-mount@"}) {
    std::string text = ReadAll(SourceDir() + "/deploy/systemd/" + name + ".service");
    ASSERT_FALSE(text.empty()) << name;
    for (size_t at = text.find("/usr/bin/thaw"); at != std::string::npos;
         at = text.find("/usr/bin/thaw", at + 1)) {
      text.replace(at, 13, ThawBinary());
    }
    std::ofstream(dir.path() + "/" + name + "test.service") << text;
  }
  std::string out;
  int rc = Sh("cd " + dir.path() +
                  " && systemd-analyze verify ./thaw-serve@test.service ./thaw-mount@test.service",
              &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out.find("thaw-"), std::string::npos) << out;
}

// A unit started without its env file fails with a message naming the file (the journal gets
// ExecStartPre's stderr). Runs the unit's own ExecStartPre line, with %i filled in, as systemd
// would (its quoting is the shell's here).
TEST(SystemdTest, MissingEnvFileIsNamedInTheError) {
  for (const std::string name : {"thaw-serve@", "thaw-mount@"}) {
    std::string text = ReadAll(SourceDir() + "/deploy/systemd/" + name + ".service");
    size_t at = text.find("\nExecStartPre=");
    ASSERT_NE(at, std::string::npos) << name;
    const size_t skip = std::string("\nExecStartPre=").size();
    std::string line = text.substr(at + skip, text.find('\n', at + 1) - at - skip);
    for (size_t i = line.find("%i"); i != std::string::npos; i = line.find("%i", i)) {
      line.replace(i, 2, "no-such-instance");
    }
    std::string out;
    EXPECT_NE(Sh(line, &out), 0) << name;
    std::string kind = name.substr(5, name.size() - 6);  // serve, mount
    EXPECT_NE(out.find("/etc/thaw/" + kind + "-no-such-instance.env is missing"), std::string::npos)
        << out;
  }
}

}  // namespace
}  // namespace thaw::testing
