// `thaw demo`, the README's first command, run as a user runs it: a real thaw sim, a real FUSE
// mount, real commands. It must succeed and narrate each step, and leave nothing behind
// (no mount, no temporary directory, no sim process).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_env.h"

namespace thaw::testing {
namespace {

std::string DemoDirs() {
  std::string out;
  RunCommand("ls -d /tmp/thaw-demo-* 2>/dev/null", &out);
  return out;
}

TEST(DemoTest, RunsEveryStepAndCleansUp) {
  std::string before = DemoDirs();
  std::string out;
  int rc = RunCommand("timeout 300 env HOME=/nonexistent " + ThawBinary() + " demo 2>&1", &out);
  ASSERT_EQ(rc, 0) << out;
  for (const char* step : {"thaw sim listening on", "ls -lR mnt", "run-042.h5",
                           "Resource temporarily unavailable", "sha256sum mnt/runs/2023/run-042.h5",
                           "checksum matches", "thaw status", "demo finished"}) {
    EXPECT_NE(out.find(step), std::string::npos) << step << "\n" << out;
  }
  EXPECT_EQ(DemoDirs(), before);
  std::string mounts;
  RunCommand("grep thaw-demo /proc/mounts", &mounts);
  EXPECT_EQ(mounts, "");
}

}  // namespace
}  // namespace thaw::testing
