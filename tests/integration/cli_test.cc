// `thaw ls` and `thaw stat` as a user runs them: the real binary against moto_server, output
// parsed as JSON, exit codes and error messages checked.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "integration/moto_client.h"
#include "integration/thaw_cli.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

class CliTest : public MotoTest {
 protected:
  ThawRun Thaw(const std::string& args, const std::string& endpoint = "") {
    return RunThaw(args, endpoint.empty() ? moto_->endpoint() : endpoint, home_.path());
  }

  static std::vector<nlohmann::json> Lines(const std::string& out) { return JsonLines(out); }

  void MakeMixedBucket() {
    int rc = 0;
    std::string out = RunBoto3(
        moto_->endpoint(),
        "s3.create_bucket(Bucket='mixed')\n"
        "for key, cls in [('hot.txt', 'STANDARD'), ('ia.txt', 'STANDARD_IA'),\n"
        "                 ('cold/a.dat', 'GLACIER'), ('cold/b.dat', 'GLACIER'),\n"
        "                 ('cold/deep.dat', 'DEEP_ARCHIVE'), ('cold/sub/x', 'GLACIER_IR')]:\n"
        "    s3.put_object(Bucket='mixed', Key=key, Body=b'12345', StorageClass=cls)\n"
        "s3.restore_object(Bucket='mixed', Key='cold/b.dat',\n"
        "    RestoreRequest={'Days': 2, 'GlacierJobParameters': {'Tier': 'Standard'}})\n"
        "print('ok')",
        &rc);
    ASSERT_EQ(rc, 0) << out;
  }

  TempDir home_;
};

TEST_F(CliTest, LsJsonShowsClassAndRestoreState) {
  MakeMixedBucket();
  ThawRun r = Thaw("ls s3://mixed --recursive --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  std::map<std::string, nlohmann::json> by_key;
  for (auto& j : lines) by_key[j["key"]] = j;
  EXPECT_EQ(by_key["hot.txt"]["storage_class"], "STANDARD");
  EXPECT_TRUE(by_key["hot.txt"]["restore"].is_null());
  EXPECT_EQ(by_key["hot.txt"]["size"], 5);
  EXPECT_EQ(by_key["ia.txt"]["storage_class"], "STANDARD_IA");
  EXPECT_EQ(by_key["cold/a.dat"]["storage_class"], "GLACIER");
  EXPECT_EQ(by_key["cold/a.dat"]["restore"], "none");
  EXPECT_TRUE(by_key["cold/a.dat"]["restore_expiry"].is_null());
  EXPECT_EQ(by_key["cold/b.dat"]["restore"], "restored");
  EXPECT_TRUE(by_key["cold/b.dat"]["restore_expiry"].is_string());
  EXPECT_EQ(by_key["cold/deep.dat"]["storage_class"], "DEEP_ARCHIVE");
  EXPECT_EQ(by_key["cold/deep.dat"]["restore"], "none");
  EXPECT_EQ(by_key["cold/sub/x"]["storage_class"], "GLACIER_IR");
  EXPECT_TRUE(by_key["cold/sub/x"]["restore"].is_null());
}

TEST_F(CliTest, LsWithoutRecursiveShowsOneLevel) {
  MakeMixedBucket();
  ThawRun r = Thaw("ls s3://mixed/cold");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("PRE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cold/sub/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cold/a.dat"), std::string::npos);
  EXPECT_NE(r.out.find("restored until"), std::string::npos);
  EXPECT_EQ(r.out.find("cold/sub/x"), std::string::npos);
  EXPECT_EQ(r.out.find("hot.txt"), std::string::npos);
}

TEST_F(CliTest, StatJsonHasEveryField) {
  MakeMixedBucket();
  ThawRun r = Thaw("stat s3://mixed/cold/b.dat --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["key"], "cold/b.dat");
  EXPECT_EQ(j["size"], 5);
  EXPECT_EQ(j["storage_class"], "GLACIER");
  EXPECT_EQ(j["restore"], "restored");
  EXPECT_TRUE(j["restore_expiry"].is_string());
  EXPECT_EQ(j["etag"], "\"827ccb0eea8a706c4c34a16891f84e7b\"");  // MD5 of "12345"
  EXPECT_TRUE(j["last_modified"].is_string());
  EXPECT_TRUE(j.contains("archive_status"));
  EXPECT_TRUE(j.contains("version_id"));
  EXPECT_TRUE(j["metadata"].is_object());
}

TEST_F(CliTest, StatOfMissingKeySaysNotFound) {
  MakeMixedBucket();
  ThawRun r = Thaw("stat s3://mixed/nope");
  EXPECT_EQ(r.rc, 3);
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
}

TEST_F(CliTest, BadUsageIsExitCodeTwo) {
  ThawRun r = Thaw("ls not-a-uri");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("not an S3 URI"), std::string::npos) << r.err;
  r = Thaw("stat s3://bucket-only");
  EXPECT_EQ(r.rc, 2);
  r = Thaw("ls s3://b --log-level loud");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("log level"), std::string::npos) << r.err;
}

TEST_F(CliTest, MissingBucketIsAnS3Error) {
  ThawRun r = Thaw("ls s3://no-such-bucket");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("NoSuchBucket"), std::string::npos) << r.err;
}

TEST_F(CliTest, DeadEndpointFailsQuickly) {
  int port = FreePort();  // nothing listens there
  auto start = std::chrono::steady_clock::now();
  ThawRun r = Thaw("ls s3://b", "http://127.0.0.1:" + std::to_string(port));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.rc, 1);
  EXPECT_LT(took, std::chrono::seconds(30));
  EXPECT_NE(r.err.find("ListObjectsV2"), std::string::npos) << r.err;
}

TEST_F(CliTest, SecretsNeverAppearInOutput) {
  ThawRun r = Thaw("ls s3://no-such-bucket --log-level trace");
  EXPECT_EQ(r.err.find("AWS_SECRET"), std::string::npos);
  // The secret "testing" is also the key id here, so use a distinct one.
  TempDir dir;
  std::string cmd =
      "env AWS_ACCESS_KEY_ID=AKIDTHAW AWS_SECRET_ACCESS_KEY=s3cr3tV4lu3 "
      "AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent " +
      ThawBinary() + " ls s3://nope --log-level trace --endpoint-url " + moto_->endpoint() +
      " 2>&1";
  std::string all;
  RunCommand(cmd, &all);
  EXPECT_EQ(all.find("s3cr3tV4lu3"), std::string::npos) << all;
}

}  // namespace
}  // namespace thaw::testing
