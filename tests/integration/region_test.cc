// A bucket in another region than the one thaw is configured for, on `thaw sim` (which answers
// as S3 does: 301 PermanentRedirect to path-style requests signed for us-east-1): every path
// that talks to S3 finds the bucket's region by itself and works: ls, stat, restore, status, a
// mount's reads and its restore on open, and `thaw serve` restoring what an event names. Also
// --request-payer on the wire, and requests through an HTTP proxy
// (tests/integration/recording_proxy.py) with NO_PROXY bypassing it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <functional>
#include <thread>

#include "integration/mount_env.h"
#include "integration/thaw_cli.h"
#include "s3/credentials.h"
#include "s3/sqs_client.h"
#include "support/boto3.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

// Our client, configured for eu-west-1: creates the bucket there (LocationConstraint) and fills
// it without any redirect.
std::unique_ptr<s3::S3Client> EuClient(const std::string& endpoint,
                                       const std::string& region = "eu-west-1") {
  s3::ClientConfig config;
  config.region = region;
  config.endpoint_url = endpoint;
  config.force_path_style = true;
  return s3::MakeHttpClient(config, s3::MakeStaticProvider({"testing", "testing", "", {}, "t"}));
}

bool WaitUntil(const std::function<bool()>& pred, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

s3::RestoreStatus::State RestoreState(s3::S3Client& client, const std::string& bucket,
                                      const std::string& key) {
  auto info = client.HeadObject({bucket, key, ""});
  return info.ok() ? info->restore.state : s3::RestoreStatus::State::kNone;
}

// A tests/integration/recording_proxy.py server; port() once it printed "listening on".
class PyServer {
 public:
  explicit PyServer(const std::vector<std::string>& args) {
    log_ = dir_.path() + "/server.log";
    std::vector<std::string> argv = {"python3",
                                     SourceDir() + "/tests/integration/recording_proxy.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{}, log_);
    PollFor(
        [&] {
          std::string text = ReadAll(log_);
          size_t at = text.find("listening on ");
          if (at == std::string::npos) return false;
          port_ = std::stoi(text.substr(at + 13));
          return true;
        },
        60000);  // python3 may take seconds to start on a loaded machine
  }
  int port() const { return port_; }
  std::string Log() const { return ReadAll(log_); }

 private:
  TempDir dir_;
  std::string log_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

// `thaw ARGS` with the test environment plus `extra_env` ("NAME=value ..."); stderr in out.
ThawRun RunThawWith(const std::string& extra_env, const std::string& args,
                    const std::string& home) {
  ThawRun r;
  r.rc = RunCommand(ThawEnv(home) + extra_env + " " + ThawBinary() + " " + args + " 2>&1", &r.out);
  return r;
}

class RegionTest : public ::testing::Test {
 protected:
  void Fill(s3::S3Client& eu) {
    ASSERT_TRUE(eu.CreateBucket("euro").ok());
    Put(eu, "euro", "hot.txt", "hello from eu-west-1\n");
    Put(eu, "euro", "data/cold.bin", RandomBytes(8192, 3), "GLACIER");
    Put(eu, "euro", "data/other.bin", RandomBytes(4096, 4), "GLACIER");
  }
  TempDir home_;
};

TEST_F(RegionTest, SimRedirectsAClientWithoutDiscovery) {
  SimServer sim;
  ASSERT_FALSE(sim.endpoint().empty());
  auto eu = EuClient(sim.endpoint());
  Fill(*eu);
  // The sim really answers as S3 does: our client signs for us-east-1 and gets a 301 first.
  std::string out;
  RunCommand(
      "curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 "
      "--user testing:testing " +
          sim.endpoint() + "/euro/hot.txt",
      &out);
  EXPECT_EQ(out, "301");
}

TEST_F(RegionTest, LsStatRestoreStatusFindTheBucketsRegion) {
  SimServer sim({"--time-scale", "3600"});
  ASSERT_FALSE(sim.endpoint().empty());
  auto eu = EuClient(sim.endpoint());
  Fill(*eu);
  std::string state = home_.path() + "/state";

  ThawRun ls = RunThaw("ls s3://euro/ --recursive", sim.endpoint(), home_.path());
  ASSERT_EQ(ls.rc, 0) << ls.err;
  EXPECT_NE(ls.out.find("hot.txt"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("data/cold.bin"), std::string::npos) << ls.out;

  ThawRun stat = RunThaw("stat s3://euro/data/cold.bin", sim.endpoint(), home_.path());
  ASSERT_EQ(stat.rc, 0) << stat.err;
  EXPECT_NE(stat.out.find("GLACIER"), std::string::npos) << stat.out;

  ThawRun restore = RunThaw("restore s3://euro/data/cold.bin --tier Standard --state-dir " + state,
                            sim.endpoint(), home_.path());
  ASSERT_EQ(restore.rc, 0) << restore.out << restore.err;
  EXPECT_NE(RestoreState(*eu, "euro", "data/cold.bin"), s3::RestoreStatus::State::kNone);
  EXPECT_EQ(RestoreState(*eu, "euro", "data/other.bin"), s3::RestoreStatus::State::kNone);

  ThawRun status = RunThaw("status --json --state-dir " + state, sim.endpoint(), home_.path());
  ASSERT_EQ(status.rc, 0) << status.err;
  EXPECT_NE(status.out.find("data/cold.bin"), std::string::npos) << status.out;

  // A requester-pays bucket: refused without --request-payer, read with it (the header is on
  // the redirected calls too).
  int rc = 0;
  std::string set = RunBoto3(sim.endpoint(),
                             "s3.put_bucket_request_payment(Bucket='euro',\n"
                             "    RequestPaymentConfiguration={'Payer': 'Requester'})\n",
                             &rc);
  ASSERT_EQ(rc, 0) << set;
  ThawRun unpaid = RunThaw("ls s3://euro/", sim.endpoint(), home_.path());
  EXPECT_NE(unpaid.rc, 0);
  EXPECT_NE(unpaid.err.find("AccessDenied"), std::string::npos) << unpaid.err;
  for (const char* cmd : {"ls s3://euro/ --request-payer requester",
                          "stat s3://euro/hot.txt --request-payer requester"}) {
    ThawRun paid = RunThaw(cmd, sim.endpoint(), home_.path());
    EXPECT_EQ(paid.rc, 0) << cmd << ": " << paid.err;
  }
  ThawRun bad = RunThaw("ls s3://euro/ --request-payer owner", sim.endpoint(), home_.path());
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.err.find("requester"), std::string::npos) << bad.err;
}

TEST_F(RegionTest, MountReadsFromABucketOfAnotherRegion) {
  SimServer sim({"--time-scale", "3600"});  // a Standard restore takes seconds
  ASSERT_FALSE(sim.endpoint().empty());
  auto eu = EuClient(sim.endpoint());
  Fill(*eu);
  MountProcess mount(sim.endpoint(), "s3://euro/");
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  EXPECT_EQ(ReadAll(mount.path() + "/hot.txt"), "hello from eu-west-1\n") << mount.Log();
  std::string listing;
  RunCommand("ls " + mount.path() + "/data", &listing);
  EXPECT_NE(listing.find("cold.bin"), std::string::npos) << listing;
  // Opening an archived file restores it (RestoreObject, the HEADs that follow it, then the
  // GET), all redirected to eu-west-1; the read waits for the restore and gets the bytes.
  EXPECT_EQ(ReadAll(mount.path() + "/data/cold.bin"), RandomBytes(8192, 3)) << mount.Log();
  EXPECT_NE(RestoreState(*eu, "euro", "data/cold.bin"), s3::RestoreStatus::State::kNone);
  EXPECT_NE(mount.Log().find("restore restored: s3://euro/data/cold.bin"), std::string::npos)
      << mount.Log();
}

TEST_F(RegionTest, ServeRestoresWhatAnEventNamesInAnotherRegion) {
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  s3::SqsConfig config;
  config.endpoint_url = moto.endpoint();
  auto sqs = s3::MakeSqsClient(config, s3::MakeStaticProvider({"testing", "testing", "", {}, "t"}));
  auto queue = sqs->CreateQueue("region-events");
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  SimServer sim({"--time-scale", "3600", "--events-sqs", *queue});
  ASSERT_FALSE(sim.endpoint().empty());
  auto eu = EuClient(sim.endpoint());
  Fill(*eu);
  // A read that fails on the archived object, by boto3 configured for us-east-1 (botocore's
  // redirector finds eu-west-1): the sim sends the EventBridge event to the queue.
  int rc = 0;
  std::string got = RunBoto3(sim.endpoint(),
                             "try:\n"
                             "    s3.get_object(Bucket='euro', Key='data/cold.bin')\n"
                             "    print('READ')\n"
                             "except s3.exceptions.ClientError as e:\n"
                             "    print(e.response['Error']['Code'])\n",
                             &rc);
  ASSERT_EQ(got, "InvalidObjectState\n");

  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "testing"},
                                            {"AWS_SECRET_ACCESS_KEY", "testing"},
                                            {"AWS_CONFIG_FILE", "/nonexistent"},
                                            {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
                                            {"AWS_EC2_METADATA_DISABLED", "true"},
                                            {"HOME", home_.path()},
                                            {"AWS_REGION", "us-east-1"},
                                            // SQS's own endpoint variable, as the aws CLI reads it
                                            {"AWS_ENDPOINT_URL_SQS", moto.endpoint()}};
  ChildProcess serve(
      {ThawBinary(), "serve", "--queue-url", *queue, "--endpoint-url", sim.endpoint(),
       "--state-dir", home_.path() + "/state", "--wait-time", "1", "--log-level", "info"},
      env, home_.path() + "/serve.log");
  ASSERT_TRUE(WaitUntil(
      [&] { return RestoreState(*eu, "euro", "data/cold.bin") != s3::RestoreStatus::State::kNone; },
      60))
      << ReadAll(home_.path() + "/serve.log");
  EXPECT_EQ(RestoreState(*eu, "euro", "data/other.bin"), s3::RestoreStatus::State::kNone);
  int status = serve.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// An organisation trail: the log bucket in eu-west-1, the objects its records name in eu-west-1
// and us-west-2, thaw configured for us-east-1. `thaw scan` reads the logs and restores both.
TEST_F(RegionTest, ScanOfATrailRestoresInEveryBucketsRegion) {
  SimServer sim({"--time-scale", "3600"});
  ASSERT_FALSE(sim.endpoint().empty());
  auto eu = EuClient(sim.endpoint());
  Fill(*eu);
  auto west = EuClient(sim.endpoint(), "us-west-2");
  ASSERT_TRUE(west->CreateBucket("west").ok());
  Put(*west, "west", "w.bin", RandomBytes(1024, 5), "DEEP_ARCHIVE");
  ASSERT_TRUE(eu->CreateBucket("trail-logs").ok());
  int rc = 0;
  std::string put = RunBoto3(
      sim.endpoint(),
      "import gzip\n"
      "def rec(bucket, key):\n"
      "    return {'eventVersion': '1.09', 'eventSource': 's3.amazonaws.com',\n"
      "        'eventName': 'GetObject', 'errorCode': 'InvalidObjectState', 'eventID': key,\n"
      "        'awsRegion': 'eu-west-1', 'eventTime': '2026-01-01T00:00:00Z',\n"
      "        'requestParameters': {'bucketName': bucket, 'key': key}}\n"
      "body = {'Records': [rec('euro', 'data/cold.bin'), rec('west', 'w.bin')]}\n"
      "s3.put_object(Bucket='trail-logs',\n"
      "    Key='AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2026/01/01/a.json.gz',\n"
      "    Body=gzip.compress(json.dumps(body).encode()))\n",
      &rc);
  ASSERT_EQ(rc, 0) << put;
  ThawRun scan = RunThaw("scan s3://trail-logs/AWSLogs/ --format cloudtrail --json --state-dir " +
                             home_.path() + "/state",
                         sim.endpoint(), home_.path());
  ASSERT_EQ(scan.rc, 0) << scan.err << scan.out;
  EXPECT_NE(RestoreState(*eu, "euro", "data/cold.bin"), s3::RestoreStatus::State::kNone);
  EXPECT_NE(RestoreState(*west, "west", "w.bin"), s3::RestoreStatus::State::kNone);
  EXPECT_EQ(RestoreState(*eu, "euro", "data/other.bin"), s3::RestoreStatus::State::kNone);
}

TEST_F(RegionTest, RequestsGoThroughTheProxyUnlessNoProxy) {
  SimServer sim;
  ASSERT_FALSE(sim.endpoint().empty());
  auto eu = EuClient(sim.endpoint());
  Fill(*eu);
  std::string log = home_.path() + "/proxy.log";
  PyServer proxy({"proxy", log});
  ASSERT_GT(proxy.port(), 0) << proxy.Log();
  std::string via = "http://127.0.0.1:" + std::to_string(proxy.port());
  // Upper-case HTTP_PROXY: botocore honours it, curl alone would not.
  ThawRun r = RunThawWith("HTTP_PROXY=" + via + " NO_PROXY= no_proxy=",
                          "ls s3://euro/ --endpoint-url " + sim.endpoint(), home_.path());
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("hot.txt"), std::string::npos) << r.out;
  std::string seen = ReadAll(log);
  // The redirected listing went through the proxy, both attempts (301, then eu-west-1).
  EXPECT_NE(seen.find("GET " + sim.endpoint() + "/euro?list-type=2"), std::string::npos) << seen;
  size_t lines = std::count(seen.begin(), seen.end(), '\n');
  EXPECT_GE(lines, 2u) << seen;
  // NO_PROXY names the host: straight to the sim.
  r = RunThawWith("HTTP_PROXY=" + via + " NO_PROXY=127.0.0.1 no_proxy=",
                  "ls s3://euro/ --endpoint-url " + sim.endpoint(), home_.path());
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(ReadAll(log), seen);
}

TEST_F(RegionTest, CaBundleVerifiesATestServersCertificate) {
  std::string cert = home_.path() + "/cert.pem", key = home_.path() + "/key.pem";
  ASSERT_EQ(RunCommand("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                       "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                       key + " -out " + cert + " 2>/dev/null"),
            0);
  PyServer tls({"tls", cert, key});
  ASSERT_GT(tls.port(), 0) << tls.Log();
  std::string endpoint = "https://127.0.0.1:" + std::to_string(tls.port());
  // Not trusted by the system: refused.
  // (AWS_CA_BUNDLE= : the environment of a test run may name the system bundle; it wins.)
  ThawRun r = RunThawWith(
      "AWS_CA_BUNDLE=", "ls s3://b/ --max-attempts 1 --endpoint-url " + endpoint, home_.path());
  EXPECT_NE(r.rc, 0) << r.out;
  // AWS_CA_BUNDLE, then the profile's ca_bundle, make it trusted.
  r = RunThawWith("AWS_CA_BUNDLE=" + cert, "ls s3://b/ --endpoint-url " + endpoint, home_.path());
  EXPECT_EQ(r.rc, 0) << r.out;
  std::string config = home_.WriteFile("aws-config", "[default]\nca_bundle = " + cert + "\n");
  r = RunThawWith("AWS_CA_BUNDLE= AWS_CONFIG_FILE=" + config,
                  "ls s3://b/ --endpoint-url " + endpoint, home_.path());
  EXPECT_EQ(r.rc, 0) << r.out;
}

}  // namespace
}  // namespace thaw::testing
