// thaw sim driven by the aws CLI, both major versions, each as a user has it: v1 from pip (the
// `aws` on PATH, else `python3 -m awscli`) and v2 from Debian's awscli package (2.9 on Debian 12,
// run through tests/sim/py/aws_v2.py so a pip v1 cannot shadow it). Every test runs once per
// version: multipart copies with checksums compared, sync of odd names, the restore cycle on a
// scaled clock, additional checksums, presigned URLs fetched with curl, wrong credentials.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "sim/sim_harness.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

// The shell command that runs the aws CLI of `major` version, or "" when it is not installed.
std::string AwsCliCommand(int major) {
  std::vector<std::string> candidates;
  if (major == 1) {
    candidates = {"aws", "python3 -m awscli"};
  } else {
    candidates = {"/usr/bin/python3 -I " + SourceDir() + "/tests/sim/py/aws_v2.py"};
  }
  for (const std::string& c : candidates) {
    std::string version;
    RunCommand(c + " --version 2>&1", &version);
    if (version.rfind("aws-cli/" + std::to_string(major) + ".", 0) == 0) return c;
  }
  return "";
}

class SimAwsCli : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    cli_ = AwsCliCommand(GetParam());
    // Not a skip: CI installs both (scripts/install-deps; pip's awscli for v1).
    ASSERT_FALSE(cli_.empty()) << "aws CLI v" << GetParam()
                               << " not found (v1: pip install awscli; v2: apt-get install awscli)";
  }
  // The CLI with the test credentials (`env_override` after them wins) against `sim`.
  std::string Aws(const Sim& sim, const std::string& env_override = "") const {
    return AwsEnv() + env_override + cli_ + " --endpoint-url " + sim.endpoint() + " ";
  }
  std::string cli_;
};

TEST_P(SimAwsCli, Copies100MiBMultipartAndSyncsOddNames) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string aws = Aws(sim);
  std::string big = dir.path() + "/big.bin";
  ASSERT_EQ(RunCommand("head -c 104857600 /dev/urandom > " + big), 0);
  ASSERT_EQ(RunCommand(aws + "s3 mb s3://cli"), 0);
  ASSERT_EQ(RunCommand(aws + "s3 cp --only-show-errors " + big + " s3://cli/big.bin"), 0);
  ASSERT_EQ(
      RunCommand(aws + "s3 cp --only-show-errors s3://cli/big.bin " + dir.path() + "/back.bin"), 0);
  std::string a, b, etag;
  RunCommand("sha256sum < " + big, &a);
  RunCommand("sha256sum < " + dir.path() + "/back.bin", &b);
  EXPECT_EQ(a, b);
  RunCommand(aws + "s3api head-object --bucket cli --key big.bin --query ETag --output text",
             &etag);
  EXPECT_NE(etag.find("-"), std::string::npos) << etag;  // multipart ETag "<md5>-N"

  std::string tree = dir.path() + "/tree";
  ASSERT_EQ(RunCommand("mkdir -p '" + tree + "/sub dir/ü' && echo 1 > '" + tree +
                       "/a b.txt' && "
                       "echo 2 > '" +
                       tree + "/sub dir/ü/100%+plus&amp.txt' && echo 3 > '" + tree +
                       "/sub dir/tilde~#hash'"),
            0);
  ASSERT_EQ(RunCommand(aws + "s3 sync --only-show-errors " + tree + " s3://cli/tree"), 0);
  ASSERT_EQ(RunCommand(aws + "s3 sync --only-show-errors s3://cli/tree " + dir.path() + "/tree2"),
            0);
  EXPECT_EQ(RunCommand("diff -r " + tree + " " + dir.path() + "/tree2"), 0);
  std::string second;
  RunCommand(aws + "s3 sync " + tree + " s3://cli/tree --dryrun", &second);
  EXPECT_EQ(second, "");  // nothing left to upload
}

TEST_P(SimAwsCli, RestoreCycleWithScaledClockThenExpiry) {
  TempDir dir;
  // 7200x: a Standard restore (3-5 h) takes 1.5-2.5 s, a 1-day copy lives 12-24 s.
  Sim sim(dir.path() + "/data", {"--time-scale", "7200"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string aws = Aws(sim);
  ASSERT_EQ(RunCommand(aws + "s3 mb s3://cold"), 0);
  ASSERT_EQ(RunCommand("echo data > " + dir.path() + "/f && " + aws + "s3 cp " + dir.path() +
                       "/f s3://cold/f --storage-class GLACIER --only-show-errors"),
            0);
  std::string out;
  // (aws s3 cp refuses GLACIER objects itself; s3api sends the GET.)
  EXPECT_NE(
      RunCommand(aws + "s3api get-object --bucket cold --key f " + dir.path() + "/g 2>&1", &out),
      0);
  EXPECT_NE(out.find("InvalidObjectState"), std::string::npos) << out;
  RunCommand(aws + "s3api head-object --bucket cold --key f --output json", &out);
  EXPECT_NE(out.find("\"StorageClass\": \"GLACIER\""), std::string::npos) << out;
  EXPECT_EQ(out.find("Restore"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(aws + "s3api restore-object --bucket cold --key f --restore-request "
                             "'{\"Days\":1,\"GlacierJobParameters\":{\"Tier\":\"Standard\"}}'"),
            0);
  RunCommand(aws +
                 "s3api restore-object --bucket cold --key f --restore-request "
                 "'{\"Days\":1,\"GlacierJobParameters\":{\"Tier\":\"Standard\"}}' 2>&1",
             &out);
  // Either still running (409) or, on a slow machine, already done (200).
  RunCommand(aws + "s3api head-object --bucket cold --key f --query Restore --output text", &out);
  EXPECT_NE(out.find("ongoing-request"), std::string::npos) << out;
  bool restored = false;
  for (int i = 0; i < 100 && !restored; ++i) {
    RunCommand(aws + "s3api head-object --bucket cold --key f --query Restore --output text", &out);
    restored = out.find("ongoing-request=\"false\"") != std::string::npos;
    if (!restored) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(restored) << out;
  EXPECT_NE(out.find("expiry-date=\""), std::string::npos);
  EXPECT_NE(out.find("00:00:00 GMT"), std::string::npos) << out;
  ASSERT_EQ(
      RunCommand(aws + "s3api get-object --bucket cold --key f " + dir.path() + "/g > /dev/null"),
      0);
  // Expiry: the copy goes away and the object is archived again.
  bool archived_again = false;
  for (int i = 0; i < 120 && !archived_again; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    RunCommand(aws + "s3api head-object --bucket cold --key f --output json", &out);
    archived_again = out.find("Restore") == std::string::npos;
  }
  EXPECT_TRUE(archived_again) << out;
  EXPECT_NE(
      RunCommand(aws + "s3api get-object --bucket cold --key f " + dir.path() + "/h 2>/dev/null"),
      0);
}

TEST_P(SimAwsCli, AdditionalChecksumsPresignedUrlsAndWrongCredentials) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string aws = Aws(sim);
  std::string file = dir.path() + "/f.bin";
  ASSERT_EQ(RunCommand("head -c 3000000 /dev/urandom > " + file), 0);
  ASSERT_EQ(RunCommand(aws + "s3 mb s3://sums"), 0);
  // The CLI computes the checksum and sends it; the sim verifies it, stores it and returns it.
  for (const char* algo : {"CRC32", "SHA256"}) {
    std::string out;
    ASSERT_EQ(RunCommand(aws + "s3api put-object --bucket sums --key " + algo + " --body " + file +
                             " --checksum-algorithm " + algo + " --output json 2>&1",
                         &out),
              0)
        << out;
    std::string stored;
    RunCommand(aws + "s3api head-object --bucket sums --key " + algo +
                   " --checksum-mode ENABLED --output json",
               &stored);
    std::string field = std::string("\"Checksum") + algo + "\": ";
    size_t at = out.find(field);
    ASSERT_NE(at, std::string::npos) << out;
    std::string value = out.substr(at, out.find('\n', at) - at);
    if (value.back() == ',') value.pop_back();
    EXPECT_NE(stored.find(value), std::string::npos) << value << " vs " << stored;
  }
  std::string back;
  ASSERT_EQ(RunCommand(aws + "s3api get-object --bucket sums --key CRC32 --checksum-mode ENABLED " +
                       dir.path() + "/back.bin > /dev/null"),
            0);
  EXPECT_EQ(RunCommand("cmp " + file + " " + dir.path() + "/back.bin"), 0);

  std::string url;
  ASSERT_EQ(RunCommand(aws + "s3 presign s3://sums/CRC32 --expires-in 60", &url), 0);
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  ASSERT_EQ(RunCommand("curl -sf -o " + dir.path() + "/presigned.bin '" + url + "'"), 0) << url;
  EXPECT_EQ(RunCommand("cmp " + file + " " + dir.path() + "/presigned.bin"), 0);
  std::string tampered = url;
  tampered.replace(tampered.find("/CRC32"), 6, "/SHA256");
  std::string out;
  RunCommand("curl -s '" + tampered + "'", &out);
  EXPECT_NE(out.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos) << out;

  std::string wrong_secret = Aws(sim, "AWS_SECRET_ACCESS_KEY=wrong ");
  EXPECT_NE(RunCommand(wrong_secret + "s3 ls s3://sums 2>&1", &out), 0);
  EXPECT_NE(out.find("SignatureDoesNotMatch"), std::string::npos) << out;
  std::string unknown_key = Aws(sim, "AWS_ACCESS_KEY_ID=nobody ");
  EXPECT_NE(RunCommand(unknown_key + "s3 ls s3://sums 2>&1", &out), 0);
  EXPECT_NE(out.find("InvalidAccessKeyId"), std::string::npos) << out;
}

// The CLI configured for us-east-1 reaches a bucket made in eu-west-1: the sim answers the
// us-east-1 signature as S3 does and the CLI's redirect handling (botocore's, v1 and v2) learns
// the region by itself.
TEST_P(SimAwsCli, FindsABucketOfAnotherRegion) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string aws = Aws(sim);
  std::string out;
  ASSERT_EQ(RunCommand(aws + "s3api create-bucket --bucket euro --region eu-west-1 "
                             "--create-bucket-configuration LocationConstraint=eu-west-1 2>&1",
                       &out),
            0)
      << out;
  ASSERT_EQ(RunCommand(aws + "s3api get-bucket-location --bucket euro --output text", &out), 0);
  EXPECT_EQ(out, "eu-west-1\n");
  std::string file = dir.path() + "/f.txt";
  ASSERT_EQ(RunCommand("echo hello-eu > " + file), 0);
  ASSERT_EQ(RunCommand(aws + "s3 cp --only-show-errors " + file + " s3://euro/f.txt 2>&1", &out), 0)
      << out;
  ASSERT_EQ(RunCommand(aws + "s3 ls s3://euro/ 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("f.txt"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(aws + "s3 cp s3://euro/f.txt - 2>&1", &out), 0) << out;
  EXPECT_EQ(out, "hello-eu\n");
  // No LocationConstraint from eu-west-1: S3's IllegalLocationConstraintException.
  EXPECT_NE(RunCommand(aws + "s3api create-bucket --bucket euro2 --region eu-west-1 2>&1", &out),
            0);
  EXPECT_NE(out.find("IllegalLocationConstraintException"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Versions, SimAwsCli, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "v" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace thaw::testing
