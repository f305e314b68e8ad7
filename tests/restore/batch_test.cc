// BatchRestore on the mock S3 client and a scripted S3 Control (FakeControl below, which reads
// the manifest from the mock and writes an AWS-style completion report into it): policy and
// budget before the manifest, report outcomes as journal rows, one job across a crash after
// CreateJob, and a refused job that leaves the journal without rows or charges.
#include "restore/batch.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "engine_test_util.h"
#include "restore/batch_journal.h"
#include "restore/journal.h"
#include "s3/s3control_client.h"

namespace thaw::restore::testing {
namespace {

// Plays S3 Control: a job per token; DescribeJob runs every task at once (RestoreObject on the
// mock), writes the report under the job's prefix and answers Complete.
class FakeControl : public s3::S3ControlClient {
 public:
  explicit FakeControl(s3::MockS3Client& s3) : s3_(s3) {}

  Result<std::string> CreateRestoreJob(const s3::CreateRestoreJobRequest& r) override {
    ++create_calls;
    tokens_seen.push_back(r.client_request_token);
    if (!refuse.ok()) return refuse;
    auto it = jobs_.find(r.client_request_token);
    if (it == jobs_.end()) {
      it = jobs_.emplace(r.client_request_token, Job{"job-" + std::to_string(jobs_.size()), r})
               .first;
    }
    if (lose_next_answer) {  // AWS created the job; the answer never arrived
      lose_next_answer = false;
      return Status::Unavailable("connection reset");
    }
    return it->second.id;
  }

  Result<s3::JobDescription> DescribeJob(const std::string&, const std::string& id) override {
    for (auto& [token, job] : jobs_) {
      if (job.id != id) continue;
      if (!job.ran) Execute(job);
      s3::JobDescription d;
      d.job_id = id;
      d.status = "Complete";
      d.total_tasks = job.succeeded + job.failed;
      d.succeeded_tasks = job.succeeded;
      d.failed_tasks = job.failed;
      return d;
    }
    return Status::NotFound("no job " + id);
  }
  Result<std::vector<s3::JobDescription>> ListJobs(const std::string&,
                                                   const std::vector<std::string>&) override {
    return std::vector<s3::JobDescription>{};
  }
  Result<std::string> UpdateJobStatus(const std::string&, const std::string&, const std::string&,
                                      const std::string&) override {
    return std::string("Cancelling");
  }

  size_t job_count() const { return jobs_.size(); }
  std::vector<std::string> manifest_keys;  // keys of the last job's manifest

  int create_calls = 0;
  std::vector<std::string> tokens_seen;
  Status refuse;
  bool lose_next_answer = false;
  // key -> (HTTP status, code) for tasks that fail as S3 refuses them.
  std::map<std::string, std::pair<int, std::string>> fail;

 private:
  struct Job {
    std::string id;
    s3::CreateRestoreJobRequest req;
    bool ran = false;
    uint64_t succeeded = 0, failed = 0;
  };

  void Execute(Job& job) {
    job.ran = true;
    std::string arn = job.req.manifest_arn.substr(std::string("arn:aws:s3:::").size());
    s3::GetObjectRequest get;
    get.bucket = arn.substr(0, arn.find('/'));
    get.key = arn.substr(arn.find('/') + 1);
    auto manifest = s3_.GetObject(get);
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    EXPECT_EQ(manifest->info.etag, job.req.manifest_etag);
    std::istringstream lines(manifest->body);
    std::string line, csv;
    manifest_keys.clear();
    while (std::getline(lines, line)) {
      std::string bucket = line.substr(0, line.find(','));
      std::string key = *UriDecode(line.substr(line.find(',') + 1));
      manifest_keys.push_back(key);
      auto f = fail.find(key);
      if (f == fail.end()) {
        s3::RestoreObjectRequest rr;
        rr.bucket = bucket;
        rr.key = key;
        rr.days = job.req.expiration_days;
        rr.tier = s3::RestoreTier::kBulk;
        EXPECT_TRUE(s3_.RestoreObject(rr).ok());
        csv += bucket + "," + UriEncode(key, true) + ",,succeeded,200,,Successful\n";
        ++job.succeeded;
      } else {
        csv += bucket + "," + UriEncode(key, true) + ",,failed," + std::to_string(f->second.first) +
               "," + f->second.second + ",\"no, really\"\n";
        ++job.failed;
      }
    }
    std::string base = job.req.report_prefix + "/job-" + job.id;
    Put(base + "/results/abc.csv", csv);
    Put(base + "/manifest.json",
        "{\"Format\":\"Report_CSV_20180820\",\"Results\":[{\"TaskExecutionStatus\":\"mixed\","
        "\"Bucket\":\"ops\",\"Key\":\"" +
            base + "/results/abc.csv\"}]}");
  }
  void Put(const std::string& key, const std::string& body) {
    s3::PutObjectRequest put;
    put.bucket = "ops";
    put.key = key;
    put.body = s3::HttpBody::FromString(body);
    ASSERT_TRUE(s3_.PutObject(put).ok());
  }

  s3::MockS3Client& s3_;
  std::map<std::string, Job> jobs_;
};

class BatchRestoreTest : public EngineFixture {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i)
      s3_.AddObject("data", "p/k" + std::to_string(i), "0123456789", "GLACIER");
    s3_.AddObject("data", "p/hot", "0123456789");
    s3_.AddObject("ops", "placeholder", "");
    EngineOptions o = Options();
    o.mode = EngineOptions::Mode::kObserver;
    engine_ = Open(o, PolicyWithDefaults(s3::RestoreTier::kBulk, 3));
    journal_ = std::move(*Journal::Open(o.state_dir));
    jobs_ = std::move(*BatchJobStore::Open(o.state_dir));
  }

  BatchRequest Request() {
    BatchRequest r;
    r.selection = "s3://data/p/ --recursive";
    r.account_id = "123456789012";
    r.role_arn = "arn:aws:iam::123456789012:role/r";
    r.report_bucket = "ops";
    r.report_prefix = "tb";
    r.poll_interval = std::chrono::milliseconds(10);
    return r;
  }
  std::unique_ptr<BatchRestore> Make(const BatchRequest& r) {
    return std::make_unique<BatchRestore>(*engine_, *journal_, *jobs_, s3_, control_, clock_,
                                          dir_.path() + "/state", r);
  }
  void AddAll(BatchRestore& b) {
    for (const char* k : {"p/k0", "p/k1", "p/k2", "p/hot"}) b.Add({"data", k, ""}, std::nullopt);
  }
  std::map<std::string, RestoreRecord> Rows() {
    std::map<std::string, RestoreRecord> m;
    auto rows = journal_->List("", "");
    EXPECT_TRUE(rows.ok());
    for (auto& r : *rows) m[r.object.key] = r;
    return m;
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<BatchJobStore> jobs_;
  FakeControl control_{s3_};
};

TEST_F(BatchRestoreTest, PolicyAndBudgetDecideBeforeTheManifest) {
  BatchRequest req = Request();
  req.limits.daily_byte_budget = 25;  // two objects of 10 bytes
  auto batch = Make(req);
  AddAll(*batch);
  ASSERT_TRUE(batch->Run(nullptr).ok());
  EXPECT_EQ(control_.manifest_keys, (std::vector<std::string>{"p/k0", "p/k1"}));
  const BatchCounts& c = batch->counts();
  EXPECT_EQ(c.selected, 2u);
  EXPECT_EQ(c.skipped.at("over_budget"), 1u);
  EXPECT_EQ(c.skipped.at("not_archived"), 1u);
  EXPECT_EQ(c.rows_in_progress, 2u);
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows["p/k0"].state, State::kInProgress);
  EXPECT_EQ(rows["p/k0"].days, 3);
  EXPECT_TRUE(rows["p/k0"].next_check_at.has_value());
  auto used = journal_->BudgetUsed(UtcDay(clock_.Now()));
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(used->bytes, 20u);
  EXPECT_GT(used->cost_usd, kBatchOperationsPerJobUsd - 1e-9);  // the job's fee is charged
}

TEST_F(BatchRestoreTest, ReportFailuresBecomeFailedRowsWithAwsReason) {
  control_.fail["p/k1"] = {404, "NoSuchKey"};
  control_.fail["p/k2"] = {409, "RestoreAlreadyInProgress"};
  auto batch = Make(Request());
  AddAll(*batch);
  ASSERT_TRUE(batch->Run(nullptr).ok());
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["p/k0"].state, State::kInProgress);
  EXPECT_EQ(rows["p/k1"].state, State::kFailed);
  EXPECT_EQ(rows["p/k1"].reason, Reason::kNotFound);
  EXPECT_NE(rows["p/k1"].error.find("NoSuchKey (HTTP 404): no, really"), std::string::npos)
      << rows["p/k1"].error;
  EXPECT_EQ(rows["p/k2"].state, State::kInProgress) << "someone else's restore runs";
  EXPECT_EQ(batch->counts().rows_failed, 1u);
  // S3 restores nothing for the failed task: its bytes and cost go back to the day's budget.
  auto used = journal_->BudgetUsed(UtcDay(clock_.Now()));
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(used->bytes, 20u);
  EXPECT_NEAR(
      used->cost_usd,
      rows["p/k0"].estimated_cost_usd + rows["p/k2"].estimated_cost_usd + kBatchOperationsPerJobUsd,
      1e-6);
  auto jobs = jobs_->List();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].step, BatchStep::kFinished);
  EXPECT_EQ((*jobs)[0].aws_status, "Complete");
}

TEST_F(BatchRestoreTest, LostCreateJobAnswerRerunGetsTheSameJob) {
  control_.lose_next_answer = true;
  {
    auto first = Make(Request());
    AddAll(*first);
    EXPECT_EQ(first->Run(nullptr).code(), StatusCode::kUnavailable);
  }
  EXPECT_TRUE(Rows().empty());
  auto again = Make(Request());
  ASSERT_EQ(*again->Resumable(), 1);
  ASSERT_TRUE(again->Run(nullptr).ok());  // nothing added: the earlier selection resumes
  EXPECT_EQ(control_.job_count(), 1u);
  ASSERT_EQ(control_.tokens_seen.size(), 2u);
  EXPECT_EQ(control_.tokens_seen[0], control_.tokens_seen[1]);
  EXPECT_EQ(Rows().size(), 3u);
  EXPECT_EQ(again->counts().selected, 3u);
}

TEST_F(BatchRestoreTest, RefusedJobChargesNothingAndRerunContinues) {
  control_.refuse = Status::PermissionDenied("AccessDenied: iam:PassRole");
  {
    auto first = Make(Request());
    AddAll(*first);
    EXPECT_EQ(first->Run(nullptr).code(), StatusCode::kPermissionDenied);
  }
  EXPECT_TRUE(Rows().empty());
  EXPECT_EQ(journal_->BudgetUsed(UtcDay(clock_.Now()))->cost_usd, 0);
  auto stored = jobs_->List();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].step, BatchStep::kUploaded);
  EXPECT_NE((*stored)[0].error.find("iam:PassRole"), std::string::npos);

  control_.refuse = Status::Ok();
  BatchRequest fixed = Request();
  fixed.role_arn = "arn:aws:iam::123456789012:role/fixed";
  auto again = Make(fixed);
  ASSERT_EQ(*again->Resumable(), 1);
  int puts_before = s3_.Count(s3::Operation::kPut);
  ASSERT_TRUE(again->Run(nullptr).ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kPut) - puts_before, 2)
      << "the manifest is not uploaded again (the 2 puts are the fake's report)";
  EXPECT_EQ(Rows().size(), 3u);
}

}  // namespace
}  // namespace thaw::restore::testing
