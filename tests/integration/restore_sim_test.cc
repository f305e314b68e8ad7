// `thaw restore --recursive` against `thaw sim`, which answers listings as AWS does: RestoreStatus
// only on objects that have a restore, and 400 InvalidArgument for an attribute name S3 does not
// know. A prefix where nothing was ever restored must then cost no HEAD per object (with
// --check-restored: one listing probe instead), while an object already restored still gets no
// second request.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "integration/thaw_cli.h"
#include "sim/sim_harness.h"
#include "support/boto3.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

// Operation -> count over the sim's S3 server access logs (field 8: REST.HEAD.OBJECT, ...).
std::map<std::string, int> AccessLogOperations(const std::string& events_dir) {
  std::map<std::string, int> ops;
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(events_dir, ec)) {
    if (!f.is_regular_file() || f.path().string().find("access-logs") == std::string::npos) {
      continue;
    }
    std::ifstream in(f.path());
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string w;
      for (int i = 0; i < 8 && words >> w; ++i) {
      }
      // Field 3 is a bracketed time with a space inside: the operation is the 8th word.
      if (!w.empty()) ++ops[w];
    }
  }
  return ops;
}

TEST(RestoreSimTest, FreshPrefixCostsNoHeadAndRestoredObjectsNoRequest) {
  TempDir dir;
  std::string events = dir.path() + "/events";
  Sim sim(dir.path() + "/data", {"--events-dir", events});
  ASSERT_FALSE(sim.endpoint().empty());
  int rc = 0;
  std::string out = RunBoto3(sim.endpoint(),
                             "s3.create_bucket(Bucket='fresh')\n"
                             "for p in ['d', 'e']:\n"
                             "    for i in range(30):\n"
                             "        s3.put_object(Bucket='fresh', Key='%s/%02d' % (p, i),\n"
                             "                      Body=b'x', StorageClass='GLACIER')\n"
                             "s3.put_object(Bucket='fresh', Key='d/hot', Body=b'x')\n",
                             &rc);
  ASSERT_EQ(rc, 0) << out;

  ThawRun first = RunThaw(
      "restore s3://fresh/d/ --recursive --quiet --json --state-dir " + dir.path() + "/state",
      sim.endpoint(), dir.path());
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(first.Json()["requested"], 30) << first.out;

  auto ops = [&] { return AccessLogOperations(events); };
  auto settled = [&](int restores) {
    for (int i = 0; i < 100; ++i) {
      if (ops()["REST.POST.RESTORE"] >= restores) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(settled(30)) << "access logs never showed the restores";
  std::map<std::string, int> seen = ops();
  EXPECT_EQ(seen["REST.POST.RESTORE"], 30);
  EXPECT_EQ(seen["REST.HEAD.OBJECT"], 0) << "a fresh prefix was HEADed object by object";
  EXPECT_EQ(seen["REST.GET.BUCKET"], 1);  // the listing: no probe needed by default

  // A second run with a fresh journal: every entry now carries RestoreStatus (ongoing), so no
  // probe, no HEAD and no RestoreObject.
  ThawRun second = RunThaw(
      "restore s3://fresh/d/ --recursive --quiet --json --state-dir " + dir.path() + "/state2",
      sim.endpoint(), dir.path());
  ASSERT_EQ(second.rc, 0) << second.err;
  EXPECT_EQ(second.Json()["requested"], 0) << second.out;
  EXPECT_EQ(second.Json()["already_in_progress"], 30) << second.out;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  seen = ops();
  EXPECT_EQ(seen["REST.POST.RESTORE"], 30);
  EXPECT_EQ(seen["REST.HEAD.OBJECT"], 0);

  // --check-restored on a fresh prefix: the probe shows the listing is to be trusted, so still
  // no HEAD per object.
  ThawRun checked = RunThaw(
      "restore s3://fresh/e/ --recursive --check-restored --quiet --json "
      "--state-dir " +
          dir.path() + "/state3",
      sim.endpoint(), dir.path());
  ASSERT_EQ(checked.rc, 0) << checked.err;
  EXPECT_EQ(checked.Json()["requested"], 30) << checked.out;
  ASSERT_TRUE(settled(60)) << "access logs never showed the restores";
  seen = ops();
  EXPECT_EQ(seen["REST.HEAD.OBJECT"], 0) << "--check-restored HEADed a prefix the listing covers";
  EXPECT_EQ(seen["REST.GET.BUCKET"], 4);  // two listings before, now the listing and the probe
}

}  // namespace
}  // namespace thaw::testing
