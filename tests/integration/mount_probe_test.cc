// The mount's link probe (src/fs/link_probe.h) with real mounts: read right after mounting, a
// large file in the root (listed when the mount starts, so no early GET tells the read what a
// GET costs) goes out in a few GETs where every GET costs much (moto, which copies the whole
// object for each GET and serves one at a time; the sim with 200 ms of work per GET), and as
// before where GETs are cheap. Every read is compared with the source bytes.
#include <gtest/gtest.h>

#include <string>

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

TEST(MountProbeTest, OnMotoARootFileReadRightAfterMountingGoesOutInAFewGets) {
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  auto client = MakeTestClient(moto.endpoint());
  ASSERT_TRUE(client->CreateBucket("probebkt").ok());
  std::string data = RandomBytes(64 * kMiB, 41);
  Put(*client, "probebkt", "root.bin", data);
  MountProcess mount(moto.endpoint(), "s3://probebkt", {"--read-only"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  EXPECT_TRUE(ReadAll(mount.path() + "/root.bin") == data);
  // The probe's two GETs of a MiB, then the read's own: one or two where GETs go one at a
  // time (25 without the probe: the first window's fan-out, each GET 0.2 s of moto's time).
  int gets = CountIn(ReadAll(moto.log_path()), "\"GET /probebkt/root.bin ");
  EXPECT_GE(gets, 3);
  EXPECT_LE(gets, 2 + 3);
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
  // GETs of root.bin, probe included, for one read of it right after mounting.
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
