// The event-driven pipeline end to end on `thaw sim`'s own event output, no human step: a GET
// of an archived object fails in a client we did not write (boto3), the sim emits what AWS
// would (EventBridge events to an SQS queue on moto; CloudTrail log files), and `thaw serve` /
// `thaw scan` restore exactly that object; the sim's "Object Restore Completed" event then
// completes the journal's record.
#include <gtest/gtest.h>

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

bool WaitUntil(const std::function<bool()>& pred, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

s3::RestoreStatus::State RestoreState(s3::S3Client& client, const std::string& key) {
  s3::HeadObjectRequest h{"lab", key, ""};
  auto info = client.HeadObject(h);
  return info.ok() ? info->restore.state : s3::RestoreStatus::State::kNone;
}

// A GET of the archived key through boto3; returns the error code it got.
std::string FailedGet(const std::string& endpoint, const std::string& key) {
  int rc = 0;
  std::string out = RunBoto3(endpoint,
                             "try:\n"
                             "    s3.get_object(Bucket='lab', Key='" +
                                 key +
                                 "')\n"
                                 "    print('READ')\n"
                                 "except s3.exceptions.ClientError as e:\n"
                                 "    print(e.response['Error']['Code'])\n",
                             &rc);
  return rc == 0 ? out : "boto3 failed: " + out;
}

class SimPipelineTest : public ::testing::Test {
 protected:
  void Fill(s3::S3Client& sim) {
    ASSERT_TRUE(sim.CreateBucket("lab").ok());
    Put(sim, "lab", "runs/cold.h5", RandomBytes(4096, 1), "GLACIER");
    Put(sim, "lab", "runs/other.h5", RandomBytes(4096, 2), "GLACIER");
    Put(sim, "lab", "hot.txt", "hot");
  }

  std::map<std::string, std::string> Env() const {
    return {{"AWS_ACCESS_KEY_ID", "testing"},
            {"AWS_SECRET_ACCESS_KEY", "testing"},
            {"AWS_CONFIG_FILE", "/nonexistent"},
            {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"HOME", home_.path()},
            {"AWS_REGION", "us-east-1"}};
  }

  std::vector<nlohmann::json> Journal(const std::string& endpoint) {
    ThawRun st =
        RunThaw("status --json --state-dir " + home_.path() + "/state", endpoint, home_.path());
    return st.rc == 0 ? JsonLines(st.out) : std::vector<nlohmann::json>{};
  }

  TempDir home_;
};

TEST_F(SimPipelineTest, FailedGetReachesServeThroughSqsAndIsRestored) {
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  s3::SqsConfig config;
  config.endpoint_url = moto.endpoint();
  auto sqs = s3::MakeSqsClient(config, s3::MakeStaticProvider({"testing", "testing", "", {}, "t"}));
  auto queue = sqs->CreateQueue("sim-events");
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();

  SimServer sim({"--time-scale", "3600", "--events-sqs", *queue});
  ASSERT_FALSE(sim.endpoint().empty());
  auto client = MakeTestClient(sim.endpoint());
  Fill(*client);
  ASSERT_EQ(FailedGet(sim.endpoint(), "runs/cold.h5"), "InvalidObjectState\n");

  ChildProcess serve({ThawBinary(), "serve", "--queue-url", *queue, "--sqs-endpoint-url",
                      moto.endpoint(), "--endpoint-url", sim.endpoint(), "--state-dir",
                      home_.path() + "/state", "--wait-time", "1", "--log-level", "info"},
                     Env(), home_.path() + "/serve.log");

  // Restored with no human step: the sim shows the restore, then the completed copy.
  ASSERT_TRUE(WaitUntil(
      [&] { return RestoreState(*client, "runs/cold.h5") != s3::RestoreStatus::State::kNone; }, 60))
      << ReadAll(home_.path() + "/serve.log");
  // The completion event from the sim completes the journal's record.
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& row : Journal(sim.endpoint())) {
          if (row["key"] == "runs/cold.h5" && row["state"] == "restored") return true;
        }
        return false;
      },
      60))
      << ReadAll(home_.path() + "/serve.log");
  EXPECT_EQ(FailedGet(sim.endpoint(), "runs/cold.h5"), "READ\n");
  // Only what a failed read named: the other archived object and the hot one are untouched.
  EXPECT_EQ(RestoreState(*client, "runs/other.h5"), s3::RestoreStatus::State::kNone);
  auto rows = Journal(sim.endpoint());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["source"], "event");
  int status = serve.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(SimPipelineTest, FailedGetInTheSimsCloudTrailFilesIsRestoredByScan) {
  std::string events = home_.path() + "/events";
  SimServer sim({"--time-scale", "3600", "--events-dir", events});
  ASSERT_FALSE(sim.endpoint().empty());
  auto client = MakeTestClient(sim.endpoint());
  Fill(*client);
  ASSERT_EQ(FailedGet(sim.endpoint(), "runs/cold.h5"), "InvalidObjectState\n");

  // The sim cuts its CloudTrail files every second; wait for the one with the failure.
  std::string trail = events + "/AWSLogs";
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string out;
        RunCommand("zcat $(find " + trail +
                       " -name '*.json.gz' 2>/dev/null) 2>/dev/null | grep -c InvalidObjectState",
                   &out);
        return !out.empty() && out != "0\n";
      },
      30));

  ThawRun scan = RunThaw(
      "scan " + trail + " --format cloudtrail --json --state-dir " + home_.path() + "/state",
      sim.endpoint(), home_.path());
  ASSERT_EQ(scan.rc, 0) << scan.out << scan.err;
  EXPECT_NE(RestoreState(*client, "runs/cold.h5"), s3::RestoreStatus::State::kNone);
  EXPECT_EQ(RestoreState(*client, "runs/other.h5"), s3::RestoreStatus::State::kNone);

  // A rerun reads nothing again (checkpoint) and asks for nothing.
  ThawRun again = RunThaw(
      "scan " + trail + " --format cloudtrail --json --state-dir " + home_.path() + "/state",
      sim.endpoint(), home_.path());
  ASSERT_EQ(again.rc, 0) << again.out << again.err;
  auto j = again.Json();
  EXPECT_EQ(j.value("restores_submitted", -1), 0) << again.out;
}

TEST_F(SimPipelineTest, ScanOfTheWholeEventsDirRestoresExactlyWhatWasRead) {
  // Every file the sim writes: CloudTrail gzip files, access logs, eventbridge.jsonl and
  // s3-notifications.jsonl (JSON lines, once "trailing content after the document": exit 4).
  std::string events = home_.path() + "/events";
  SimServer sim({"--time-scale", "3600", "--events-dir", events});
  ASSERT_FALSE(sim.endpoint().empty());
  auto client = MakeTestClient(sim.endpoint());
  Fill(*client);
  ASSERT_EQ(FailedGet(sim.endpoint(), "runs/cold.h5"), "InvalidObjectState\n");
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string out;
        RunCommand("grep -c InvalidObjectState " + events + "/eventbridge.jsonl", &out);
        return !out.empty() && out != "0\n";
      },
      30));

  std::string state = home_.path() + "/state";
  ThawRun scan =
      RunThaw("scan " + events + " --json --state-dir " + state, sim.endpoint(), home_.path());
  ASSERT_EQ(scan.rc, 0) << scan.out << scan.err;
  auto j = scan.Json();
  EXPECT_EQ(j.value("files_failed", -1), 0) << scan.out;
  EXPECT_EQ(j.value("files_malformed", -1), 0) << scan.out;
  EXPECT_NE(RestoreState(*client, "runs/cold.h5"), s3::RestoreStatus::State::kNone);
  EXPECT_EQ(RestoreState(*client, "runs/other.h5"), s3::RestoreStatus::State::kNone);
  std::vector<nlohmann::json> journal = Journal(sim.endpoint());
  ASSERT_EQ(journal.size(), 1u) << scan.out;
  EXPECT_EQ(journal[0]["key"], "runs/cold.h5");

  // A second scan finds nothing new to restore (files the sim rewrote meanwhile are read again,
  // and name only what is already in flight).
  ThawRun again =
      RunThaw("scan " + events + " --json --state-dir " + state, sim.endpoint(), home_.path());
  ASSERT_EQ(again.rc, 0) << again.out << again.err;
  EXPECT_EQ(again.Json().value("files_failed", -1), 0) << again.out;
  EXPECT_EQ(Journal(sim.endpoint()).size(), 1u);
  EXPECT_EQ(RestoreState(*client, "runs/other.h5"), s3::RestoreStatus::State::kNone);
}

}  // namespace
}  // namespace thaw::testing
