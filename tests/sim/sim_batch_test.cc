// S3 Batch Operations on thaw sim, driven by boto3's s3control and sts clients (a client we did
// not write): tests/sim/py/batch_jobs.py holds the scenario (jobs, report, errors).
#include <gtest/gtest.h>

#include "sim/sim_harness.h"

namespace thaw::testing {
namespace {

TEST(SimBatchOperations, Boto3JobsRestoreAndReportAsAws) {
  TempDir dir;
  // Ten minutes of sim time per real second: the job's 10 s of preparation and its tasks at
  // 1,000 per second pass at once; the Bulk restores it starts (5-12 h) run for 30 s or more.
  Sim sim(dir.path() + "/data", {"--time-scale", "600"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(RunPy(sim, "batch_jobs.py").find("ok"), std::string::npos) << sim.Log();
  EXPECT_EQ(sim.Stop(), 0) << sim.Log();
}

}  // namespace
}  // namespace thaw::testing
