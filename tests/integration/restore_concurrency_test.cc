// `thaw restore --recursive` finds how many RestoreObject calls to keep in flight from the
// endpoint's answers (src/restore/concurrency_limit.h): against a busy endpoint (the sim's
// `capacity=` fault: calls served one after another, 300 per second) it comes down from 64,
// since fewer answer as fast; against one whose calls take long but run side by side (S3: here
// 200 ms each) it keeps all 64; `adaptive_concurrency = false` keeps 64 everywhere. Every object
// is requested exactly once either way.
#include <gtest/gtest.h>

#include <fstream>

#include "integration/thaw_cli.h"
#include "sim/sim_harness.h"
#include "support/boto3.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

constexpr int kObjects = 1500;

void PutArchived(const std::string& endpoint, const std::string& bucket) {
  int rc = 0;
  std::string out = RunBoto3(endpoint,
                             "import concurrent.futures as cf\n"
                             "s3.create_bucket(Bucket='" +
                                 bucket +
                                 "')\n"
                                 "def put(i):\n"
                                 "    s3.put_object(Bucket='" +
                                 bucket +
                                 "', Key='d/%05d' % i,\n"
                                 "                  Body=b'x', StorageClass='GLACIER')\n"
                                 "with cf.ThreadPoolExecutor(16) as ex:\n"
                                 "    list(ex.map(put, range(" +
                                 std::to_string(kObjects) + ")))\n",
                             &rc);
  ASSERT_EQ(rc, 0) << out;
}

ThawRun Restore(const Sim& sim, const TempDir& dir, const std::string& bucket,
                const std::string& extra = "") {
  return RunThaw(extra + " restore s3://" + bucket + "/d/ --recursive --quiet --json --state-dir " +
                     dir.path() + "/state-" + bucket,
                 sim.endpoint(), dir.path());
}

TEST(RestoreConcurrencyTest, ComesDownAtABusyEndpointAndStaysWhereCallsRunSideBySide) {
  TempDir dir;
  {
    Sim busy(dir.path() + "/busy", {"--faults", "op=RestoreObject,capacity=300/s"});
    ASSERT_FALSE(busy.endpoint().empty());
    PutArchived(busy.endpoint(), "busy");
    PutArchived(busy.endpoint(), "fixed");
    ThawRun r = Restore(busy, dir, "busy");
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.Json()["requested"], kObjects) << r.out;
    EXPECT_LE(r.Json()["restore_concurrency"].get<int>(), 32) << r.out;

    // Switched off in the config file: the ceiling throughout.
    std::string config = dir.path() + "/config.toml";
    std::ofstream(config) << "[limits]\nconcurrency = 64\nadaptive_concurrency = false\n";
    ThawRun fixed = Restore(busy, dir, "fixed", "--config " + config);
    ASSERT_EQ(fixed.rc, 0) << fixed.err;
    EXPECT_EQ(fixed.Json()["requested"], kObjects) << fixed.out;
    EXPECT_EQ(fixed.Json()["restore_concurrency"], 64) << fixed.out;
  }
  Sim slow(dir.path() + "/slow", {"--faults", "op=RestoreObject,latency=200ms"});
  ASSERT_FALSE(slow.endpoint().empty());
  PutArchived(slow.endpoint(), "slow");
  ThawRun r = Restore(slow, dir, "slow");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.Json()["requested"], kObjects) << r.out;
  EXPECT_EQ(r.Json()["restore_concurrency"], 64) << r.out;
}

TEST(RestoreConcurrencyTest, ABadSettingIsRefusedWithItsLine) {
  TempDir dir;
  std::string config = dir.path() + "/config.toml";
  std::ofstream(config) << "[limits]\nadaptive_concurrency = \"sometimes\"\n";
  ThawRun r = RunThaw(
      "--config " + config + " restore s3://b/d/ --recursive --state-dir " + dir.path() + "/state",
      "http://127.0.0.1:9", dir.path());
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("config.toml:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("adaptive_concurrency"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace thaw::testing
