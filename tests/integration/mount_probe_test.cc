// The mount's link probe (src/fs/link_probe.h) with real mounts: a large file in the root
// (listed when the mount starts, so no early GET tells the read what a GET costs), read right
// after mounting (its first GET stands in for the probe) or once the probe has gone out, goes
// out in a few GETs where every GET costs much (moto, which copies the whole object for each GET
// and serves one at a time; the sim with 200 ms of work per GET), and as before where GETs are
// cheap. Every read is compared with the source bytes.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "integration/mount_env.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// Lines of `log` from `from` on that contain `needle`.
int CountIn(const std::string& log, const std::string& needle, size_t from = 0) {
  int n = 0;
  for (size_t at = log.find(needle, from); at != std::string::npos; at = log.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class MountProbeMotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(moto_.ok());
    auto client = MakeTestClient(moto_.endpoint());
    ASSERT_TRUE(client->CreateBucket("probebkt").ok());
    data_ = RandomBytes(64 * kMiB, 41);
    Put(*client, "probebkt", "root.bin", data_);
  }
  // GETs of root.bin for one read of it, `after` mounting; the mount's log in *log.
  int GetsForARootFile(std::chrono::milliseconds after, std::string* log) {
    size_t mark = ReadAll(moto_.log_path()).size();
    MountProcess mount(moto_.endpoint(), "s3://probebkt", {"--read-only", "--log-level", "debug"});
    EXPECT_TRUE(mount.mounted()) << mount.Log();
    std::this_thread::sleep_for(after);
    EXPECT_TRUE(ReadAll(mount.path() + "/root.bin") == data_);
    *log = mount.Log();
    return CountIn(ReadAll(moto_.log_path()), "\"GET /probebkt/root.bin ", mark);
  }
  MotoServer moto_;
  std::string data_;
};

TEST_F(MountProbeMotoTest, ARootFileReadRightAfterMountingGoesOutInAFewGets) {
  // The read comes before the probe went out: the file's first GET (a MiB: the read's, or its
  // lookup's early GET when the root listing was not in yet) stands in for it, and the rest
  // goes out in a few GETs (25 without the probe: the first window's fan-out,
  // each GET 0.2 s of moto's time; 4 with the probe's two ahead of the read).
  std::string log;
  int gets = GetsForARootFile(std::chrono::milliseconds(0), &log);
  EXPECT_NE(log.find("link probe (a file's first GET)"), std::string::npos) << log;
  EXPECT_EQ(log.find("link probe: two GETs"), std::string::npos) << log;
  // How many depends on how fast the stand-in's body came (parts of 8x what it was worth):
  // two here when idle, four on a loaded CI machine.
  EXPECT_GE(gets, 2);
  EXPECT_LE(gets, 6) << log;
}

TEST_F(MountProbeMotoTest, ARootFileReadOnceTheProbeHasGoneOutGoesOutInAFewGets) {
  // The probe's two GETs of a MiB a second after the warm-up, then the read's own: one or two
  // where GETs go one at a time.
  std::string log;
  int gets = GetsForARootFile(std::chrono::milliseconds(2500), &log);
  EXPECT_NE(log.find("link probe: two GETs"), std::string::npos) << log;
  EXPECT_GE(gets, 3);
  EXPECT_LE(gets, 2 + 2) << log;
}

class MountProbeSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket("probes").ok());
    data_ = RandomBytes(64 * kMiB, 43);
    Put(*client_, "probes", "root.bin", data_);
  }
  void SetFaults(const std::string& spec) {
    ASSERT_EQ(RunCommand(SimAdminCurl() + "-X PUT --data-binary '" + spec + "' " + sim_.endpoint() +
                         "/_thaw/faults"),
              0);
  }
  // GETs of root.bin (the probe's included, if it went out) for one read of it right after
  // mounting.
  int GetsForARootFile() {
    size_t mark = sim_.Log().size();
    MountProcess mount(sim_.endpoint(), "s3://probes", {"--read-only"});
    EXPECT_TRUE(mount.mounted()) << mount.Log();
    EXPECT_TRUE(ReadAll(mount.path() + "/root.bin") == data_);
    return CountIn(sim_.Log(), " GetObject probes/root.bin ", mark);
  }
  SimServer sim_{{"--log-level", "debug"}};
  std::unique_ptr<s3::S3Client> client_;
  std::string data_;
};

TEST_F(MountProbeSimTest, WhereEveryGetWorksLongTheFirstReadSendsFewerLargerGets) {
  // 200 ms before every GET's first byte, GETs served side by side: a part is worth a GET
  // when it is at least an eighth of what a body's rate brings in 200 ms, several MiB here.
  SetFaults("op=GetObject,latency=200ms");
  int costly = GetsForARootFile();
  // Without faults the first read fans out into the first window's parts as before.
  SetFaults("");
  int cheap = GetsForARootFile();
  EXPECT_LE(costly, 2 + 16) << "cheap: " << cheap;
  EXPECT_GE(cheap, 2 + 24) << "costly: " << costly;
}

}  // namespace
}  // namespace thaw::testing
