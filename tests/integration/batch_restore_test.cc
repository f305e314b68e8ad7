// `thaw restore --via batch-operations` end to end against `thaw sim` (which plays S3 Control
// and STS): policy before the manifest, one job, the report's outcomes in the journal, `thaw
// status` showing the job, a rerun that selects nothing new; a job AWS refuses (a role of
// another account) leaves the journal without rows and a rerun with the right role continues
// from the uploaded manifest. boto3 (a client we did not write) sets up and checks the objects.
#include <gtest/gtest.h>

#include "integration/thaw_cli.h"
#include "sim/sim_harness.h"
#include "support/boto3.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

constexpr char kRole[] = "arn:aws:iam::123456789012:role/thaw-batch";

class BatchRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Ten minutes of sim time per second: the job prepares in 17 ms and runs its tasks at once;
    // the Bulk restores it starts take 30 s or more, so they are still running when we look.
    sim_ = std::make_unique<Sim>(dir_.path() + "/data",
                                 std::vector<std::string>{"--time-scale", "600"});
    ASSERT_FALSE(sim_->endpoint().empty()) << sim_->Log();
    Boto(
        "s3.create_bucket(Bucket='data')\n"
        "s3.create_bucket(Bucket='ops')\n"
        "for i in range(30):\n"
        "    s3.put_object(Bucket='data', Key='p/%02d k+y.dat' % i, Body=b'x' * (i + 1),\n"
        "                  StorageClass='GLACIER')\n"
        "s3.put_object(Bucket='data', Key='p/deep', Body=b'd', StorageClass='DEEP_ARCHIVE')\n"
        "s3.put_object(Bucket='data', Key='p/hot1', Body=b'h')\n"
        "s3.put_object(Bucket='data', Key='p/hot2', Body=b'h', StorageClass='STANDARD_IA')\n");
  }
  void Boto(const std::string& body) {
    int rc = 0;
    std::string out = RunBoto3(sim_->endpoint(), body, &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  ThawRun Thaw(const std::string& args) {
    return RunThaw(args + " --state-dir " + home_.path() + "/state", sim_->endpoint(),
                   home_.path());
  }
  std::string Restore(const std::string& role) {
    return "restore s3://data/p/ --recursive --via batch-operations --role-arn " + role +
           " --report s3://ops/tb --tier Bulk --days 3 --poll-interval 1s --json";
  }

  TempDir dir_;
  TempDir home_;
  std::unique_ptr<Sim> sim_;
};

TEST_F(BatchRestoreTest, OneJobRestoresWhatThePolicyAllowsAndJournalFollowsIt) {
  ThawRun run = Thaw(Restore(kRole));
  ASSERT_EQ(run.rc, 0) << run.out << run.err << sim_->Log();
  nlohmann::json j = run.Json();
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["via"], "batch-operations");
  EXPECT_EQ(j["jobs"].size(), 1u) << j;
  EXPECT_EQ(j["objects"], 31) << j;
  EXPECT_EQ(j["skipped"]["not_archived"], 2) << j;
  EXPECT_EQ(j["tasks_succeeded"], 31) << j;
  EXPECT_EQ(j["in_progress"], 31) << j;
  EXPECT_EQ(j["failed"], 0) << j;
  std::string job_id = j["jobs"][0];

  // S3 has a restore running for every archived object, none for the readable ones.
  Boto(
      "for o in s3.list_objects_v2(Bucket='data', Prefix='p/')['Contents']:\n"
      "    h = s3.head_object(Bucket='data', Key=o['Key'])\n"
      "    assert ('Restore' in h) == ('hot' not in o['Key']), (o['Key'], h.get('Restore'))\n"
      // The report as AWS writes it, under the --report prefix.
      "m = json.loads(s3.get_object(Bucket='ops', Key='tb/job-" +
      job_id +
      "/manifest.json')['Body'].read())\n"
      "assert m['Format'] == 'Report_CSV_20180820' and len(m['Results']) == 1, m\n"
      "man = s3.list_objects_v2(Bucket='ops', Prefix='tb/manifests/')['Contents']\n"
      "assert len(man) == 1, man\n"
      "body = s3.get_object(Bucket='ops', Key=man[0]['Key'])['Body'].read().decode()\n"
      "assert 'data,p/00%20k%2By.dat\\n' in body and 'hot' not in body, body\n");

  // The journal: a row per object in progress, noting the job; the job in `thaw status`.
  ThawRun status = Thaw("status --json");
  ASSERT_EQ(status.rc, 0) << status.err;
  auto rows = JsonLines(status.out);
  ASSERT_EQ(rows.size(), 31u) << status.out;
  for (const auto& r : rows) {
    EXPECT_EQ(r["state"], "in_progress") << r;
    EXPECT_NE(r.dump().find(job_id), std::string::npos) << r;
  }
  ThawRun jobs = Thaw("status --jobs --json");
  ASSERT_EQ(jobs.rc, 0) << jobs.err;
  auto job_rows = JsonLines(jobs.out);
  ASSERT_EQ(job_rows.size(), 1u) << jobs.out;
  EXPECT_EQ(job_rows[0]["job_id"], job_id);
  EXPECT_EQ(job_rows[0]["status"], "Complete");
  EXPECT_EQ(job_rows[0]["step"], "finished");
  EXPECT_EQ(job_rows[0]["objects"], 31);
  ThawRun text = Thaw("status");
  EXPECT_NE(text.out.find("S3 Batch Operations jobs:"), std::string::npos) << text.out;

  // Again: everything is in progress, nothing new to put in a job.
  ThawRun again = Thaw(Restore(kRole));
  ASSERT_EQ(again.rc, 0) << again.out << again.err;
  nlohmann::json a = again.Json();
  EXPECT_EQ(a["jobs"].size(), 0u) << a;
  EXPECT_EQ(a["skipped"]["in_progress"], 31) << a;
}

// The selectors choose the job's objects as they choose direct calls' (one selection feeds both).
TEST_F(BatchRestoreTest, SelectorsChooseTheJobsObjects) {
  ThawRun run = Thaw(
      "restore s3://data/p/ --recursive --exclude 'p/0*' --storage-class GLACIER "
      "--via batch-operations --role-arn " +
      std::string(kRole) +
      " --report s3://ops/sel --tier Bulk --poll-interval 1s "
      "--json");
  ASSERT_EQ(run.rc, 0) << run.out << run.err << sim_->Log();
  nlohmann::json j = run.Json();
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["objects"], 20) << j;  // p/10..p/29: not p/00..p/09, not DEEP_ARCHIVE p/deep
  Boto(
      "man = s3.list_objects_v2(Bucket='ops', Prefix='sel/manifests/')['Contents']\n"
      "assert len(man) == 1, man\n"
      "body = s3.get_object(Bucket='ops', Key=man[0]['Key'])['Body'].read().decode()\n"
      "assert 'p/05' not in body and 'deep' not in body and 'p/15' in body, body\n"
      "assert len(body.strip().splitlines()) == 20, body\n");
}

TEST_F(BatchRestoreTest, RefusedJobLeavesNoRowsAndRerunContinues) {
  ThawRun bad = Thaw(Restore("arn:aws:iam::999999999999:role/elsewhere"));
  EXPECT_EQ(bad.rc, 1) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("AccessDenied"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("iam:PassRole"), std::string::npos) << bad.err;
  ThawRun rows = Thaw("status --json");
  EXPECT_EQ(rows.out, "") << "no restore rows for a refused job";
  ThawRun jobs = Thaw("status --jobs --json");
  auto job_rows = JsonLines(jobs.out);
  ASSERT_EQ(job_rows.size(), 1u) << jobs.out;
  EXPECT_EQ(job_rows[0]["step"], "uploaded");
  EXPECT_EQ(job_rows[0]["job_id"], "");

  ThawRun bad_arn = Thaw(Restore("not-a-role"));
  EXPECT_EQ(bad_arn.rc, 1) << bad_arn.err;  // AWS answered 400 InvalidRequest
  EXPECT_NE(bad_arn.err.find("RoleArn"), std::string::npos) << bad_arn.err;

  ThawRun good = Thaw(Restore(kRole));
  ASSERT_EQ(good.rc, 0) << good.out << good.err;
  EXPECT_NE(good.err.find("resuming 1"), std::string::npos) << good.err;
  nlohmann::json j = good.Json();
  EXPECT_EQ(j["jobs"].size(), 1u) << j;
  EXPECT_EQ(j["objects"], 31) << j;
  EXPECT_EQ(j["in_progress"], 31) << j;
  Boto("assert len(s3.list_objects_v2(Bucket='ops', Prefix='tb/manifests/')['Contents']) == 1\n");
}

TEST_F(BatchRestoreTest, MissingRoleIsAUsageErrorAndDryRunProposes) {
  ThawRun none = Thaw("restore s3://data/p/ --recursive --via batch-operations");
  EXPECT_EQ(none.rc, 2) << none.err;
  EXPECT_NE(none.err.find("--role-arn"), std::string::npos) << none.err;
  ThawRun dry = Thaw("restore s3://data/p/ --recursive --dry-run --batch-threshold 10");
  EXPECT_EQ(dry.rc, 0) << dry.err;
  EXPECT_NE(dry.out.find("proposed S3 Batch Operations (31 objects"), std::string::npos) << dry.out;
  ThawRun below = Thaw("restore s3://data/p/ --recursive --dry-run");
  EXPECT_NE(below.out.find("via: direct RestoreObject calls (31 objects"), std::string::npos)
      << below.out;
}

}  // namespace
}  // namespace thaw::testing
