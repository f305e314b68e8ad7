// BatchRestore: restores many objects through S3 Batch Operations instead of one RestoreObject
// call each. thaw stays in charge of what is restored and what it costs:
//
//  1. Add(): each object goes through the policy (Engine::Plan: a listing's entry saves the HEAD)
//     and the day's budget before it may enter a job, so a job never holds an object the policy
//     denies or the budget cannot pay for. Objects are grouped by what one job can express (one
//     tier, BULK or STANDARD, since Batch Operations has no Expedited; one ExpirationInDays;
//     Intelligent-Tiering archive tiers without Days in a job of their own) and written to a
//     local CSV per group (state_dir/batch/TOKEN.csv).
//  2. Run(), per job, each step recorded in the journal's jobs table (batch_journal.h) before the
//     next starts: upload the manifest (bucket,key with URL-encoded keys); CreateJob with the
//     ClientRequestToken chosen in step 1 (a crash and rerun sends the same token, so AWS answers
//     with the job it already has, never a second one); charge the budget; follow the job with
//     DescribeJob; read the completion report (AllTasks) and write one journal row per object:
//     in_progress for every task that succeeded (the tracker follows them like any other
//     restore), failed with AWS's code and message for the others (RestoreAlreadyInProgress is
//     in_progress: someone else's restore runs).
//
// A rerun of the same selection (same URI, flags) resumes the unfinished jobs of the earlier
// run from their last step instead of selecting again. A CreateJob that AWS refuses (no such
// role, a role that cannot be passed) leaves no restore rows and no budget charge, returns the
// error, and a rerun (with a corrected --role-arn) continues from the uploaded manifest.
//
// Thread safety: one thread drives a BatchRestore.
#pragma once

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "restore/batch_journal.h"
#include "restore/engine.h"
#include "restore/journal.h"
#include "s3/client.h"
#include "s3/s3control_client.h"

namespace thaw::restore {

struct BatchRequest {
  std::string selection;  // what was asked, canonical: a rerun with the same one resumes
  std::string account_id;
  std::string role_arn;
  // Where the manifest and the completion report go (bucket, key prefix). Empty bucket: the
  // bucket of the first object selected, under "thaw-batch/".
  std::string report_bucket;
  std::string report_prefix;
  SubmitOptions submit;                           // tier/days overrides (policy otherwise)
  Limits limits;                                  // daily byte and cost budgets
  std::chrono::milliseconds poll_interval{5000};  // between DescribeJob calls
};

struct BatchProgress {
  std::string job_id;
  std::string status;  // AWS's job status
  uint64_t total = 0, succeeded = 0, failed = 0;
};

struct BatchCounts {
  uint64_t selected = 0;                    // objects put in jobs (this run or resumed)
  std::map<std::string, uint64_t> skipped;  // by reason: not_archived, denied, over_budget...
  uint64_t plan_failed = 0;                 // HEAD failed while deciding
  int jobs = 0;                             // jobs created or followed
  uint64_t succeeded = 0, failed = 0;       // tasks, from DescribeJob
  uint64_t rows_in_progress = 0, rows_failed = 0;  // journal rows written from the report
  uint64_t bytes = 0;
  double cost_usd = 0;  // estimated: restores plus Batch Operations' fees
  std::vector<std::string> job_ids;
};

class BatchRestore {
 public:
  // `planner` decides (Plan only: an observer engine is enough); `journal` takes the budget
  // charge and the per-object rows; `jobs` the jobs table.
  BatchRestore(Engine& planner, Journal& journal, BatchJobStore& jobs, s3::S3Client& s3,
               s3::S3ControlClient& control, Clock& clock, std::string state_dir,
               BatchRequest request);
  ~BatchRestore();

  // Jobs an earlier run of the same selection left unfinished (Run() resumes them; feeding
  // objects again is then unnecessary).
  Result<int> Resumable();
  // One object of a new selection.
  void Add(const ObjectRef& object, std::optional<s3::ObjectInfo> known);
  // Creates and follows the jobs (resumed ones first) until every one has ended and its results
  // are in the journal.
  Status Run(const std::function<void(const BatchProgress&)>& on_progress);

  const BatchCounts& counts() const { return counts_; }

 private:
  struct Group {
    BatchJobRecord record;
    std::unique_ptr<std::ofstream> out;
  };
  Status Upload(BatchJobRecord& r);
  Status Create(BatchJobRecord& r);
  Status Follow(BatchJobRecord& r, const std::function<void(const BatchProgress&)>& on_progress);
  Status Ingest(BatchJobRecord& r, const s3::JobDescription& job);
  Status Save(BatchJobRecord& r);

  Engine& planner_;
  Journal& journal_;
  BatchJobStore& jobs_;
  s3::S3Client& s3_;
  s3::S3ControlClient& control_;
  Clock& clock_;
  const std::string state_dir_;
  BatchRequest request_;
  std::string run_id_;                    // random, names this run's new tokens
  std::map<std::string, Group> groups_;   // by (tier, days)
  std::optional<BudgetUse> budget_used_;  // the day's use when selection started
  BatchCounts counts_;
};

}  // namespace thaw::restore
