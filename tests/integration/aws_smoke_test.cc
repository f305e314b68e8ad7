// scripts/aws-smoke, the maintainer's opt-in test against real AWS: its skip path and its usage
// errors, and the whole script run end to end against `thaw sim` (AWS_ENDPOINT_URL sends the aws
// CLI and thaw there; --time-scale makes the Expedited restore take a moment), which is what
// proves the script itself works where no AWS account is at hand: it puts an object in GLACIER,
// lists, estimates, restores, reads through a mount, cleans up and prints what it cost.
#include <gtest/gtest.h>

#include "integration/mount_env.h"
#include "integration/thaw_cli.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

struct ScriptRun {
  int rc = -1;
  std::string out;  // stdout and stderr
};

// scripts/aws-smoke ARGS with `env` ("NAME=value ...") after a clean AWS environment.
ScriptRun Smoke(const std::string& env, const std::string& args = "") {
  ScriptRun r;
  r.rc = RunCommand(
      "env -u THAW_AWS_SMOKE_BUCKET -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
      "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_CONFIG_FILE=/nonexistent "
      "AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true " +
          env + " bash " + SourceDir() + "/scripts/aws-smoke " + args + " 2>&1",
      &r.out);
  return r;
}

TEST(AwsSmoke, SkippedWithoutABucket) {
  ScriptRun r = Smoke("");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("aws-smoke: skipped"), std::string::npos) << r.out;
}

TEST(AwsSmoke, UsageErrorsExitNonZeroBeforeTouchingAnything) {
  ScriptRun help = Smoke("", "--help");
  EXPECT_EQ(help.rc, 0) << help.out;
  EXPECT_NE(help.out.find("THAW_AWS_SMOKE_BUCKET=my-bucket"), std::string::npos) << help.out;
  ScriptRun extra = Smoke("THAW_AWS_SMOKE_BUCKET=b-1", "my-bucket");
  EXPECT_EQ(extra.rc, 2) << extra.out;
  EXPECT_NE(extra.out.find("unexpected argument 'my-bucket'"), std::string::npos) << extra.out;
  ScriptRun uri = Smoke("THAW_AWS_SMOKE_BUCKET=s3://my-bucket/");
  EXPECT_EQ(uri.rc, 2) << uri.out;
  EXPECT_NE(uri.out.find("is not a bucket name"), std::string::npos) << uri.out;
  ScriptRun no_thaw = Smoke("THAW_AWS_SMOKE_BUCKET=my-bucket THAW=/nonexistent/thaw");
  EXPECT_EQ(no_thaw.rc, 1) << no_thaw.out;
  EXPECT_NE(no_thaw.out.find("no thaw binary"), std::string::npos) << no_thaw.out;
}

TEST(AwsSmoke, RunsEndToEndAgainstTheSim) {
  SimServer sim({"--time-scale", "600"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  auto client = MakeTestClient(sim.endpoint());
  ASSERT_TRUE(client->CreateBucket("smoke").ok());
  TempDir home;
  ScriptRun r =
      Smoke("HOME=" + home.path() + " AWS_REGION=us-east-1 AWS_ENDPOINT_URL=" + sim.endpoint() +
            " THAW=" + ThawBinary() + " THAW_AWS_SMOKE_BUCKET=smoke THAW_AWS_SMOKE_PREFIX=run/" +
            " THAW_AWS_SMOKE_TIMEOUT=2m");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("identical"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aws-smoke: ok"), std::string::npos) << r.out;
  // The cost line quotes thaw's estimate and the restore's own figure: $0.01 per Expedited
  // request, the retrieval of a few bytes rounding to nothing.
  EXPECT_NE(r.out.find("cost of this run: estimated cost: $0.01 before, estimated cost of the "
                       "requests: $0.01 after"),
            std::string::npos)
      << r.out;
  // Cleaned up: the object is gone.
  auto left = client->HeadObject({"smoke", "run/hello.txt", ""});
  EXPECT_FALSE(left.ok());
}

}  // namespace
}  // namespace thaw::testing
