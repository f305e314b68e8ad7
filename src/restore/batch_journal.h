// BatchJobStore: the journal's table of S3 Batch Operations jobs (`batch_jobs` in
// state_dir/journal.db, beside the per-object `requests` rows). One row per job thaw prepared:
// its ClientRequestToken (the key, chosen and stored before CreateJob so that a crash and rerun
// sends the same token and AWS answers with the same job), what was asked (the selection a
// rerun is matched by), the manifest written, the object count, AWS's job id and status, and
// thaw's own step (BatchStep).
//
// A connection of its own on the same database file: SQLite's locks and busy timeout serialise
// it with the Journal's writers; rows are small and written a few times per job.
//
// Thread safety: all methods may be called from any thread (one mutex).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

struct sqlite3;

namespace thaw::restore {

// thaw's steps for one job, in order. A rerun resumes at the step after the last one stored.
enum class BatchStep {
  kPrepared,  // objects chosen (policy, budget), local manifest written
  kUploaded,  // manifest in S3 (ETag known)
  kCreated,   // CreateJob answered: job_id known, budget charged
  kFinished,  // the job ended (AWS status Complete/Failed/Cancelled), results in the journal
};
std::string_view BatchStepName(BatchStep s);  // "prepared", "uploaded", "created", "finished"
std::optional<BatchStep> ParseBatchStep(std::string_view s);

struct BatchJobRecord {
  std::string token;      // ClientRequestToken
  std::string selection;  // what was asked, e.g. "s3://b/p/ --recursive tier=Bulk days=7 #0"
  BatchStep step = BatchStep::kPrepared;
  std::string job_id;  // "" until CreateJob answered
  std::string account_id;
  std::string role_arn;
  std::string local_manifest;  // the CSV as uploaded (state_dir/batch/TOKEN.csv)
  std::string manifest_bucket, manifest_key, manifest_etag;
  std::string report_bucket, report_prefix;
  std::string tier;  // BULK | STANDARD
  std::optional<int> days;
  uint64_t objects = 0;
  uint64_t bytes = 0;
  double cost_usd = 0;  // restores (requests + retrieval) plus Batch Operations' fees
  std::string budget_day;
  // Last seen from DescribeJob.
  std::string aws_status;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  std::string error;  // why the last attempt stopped (CreateJob refused, job failed)
  Clock::TimePoint created_at{};
  Clock::TimePoint updated_at{};
};

class BatchJobStore {
 public:
  static Result<std::unique_ptr<BatchJobStore>> Open(const std::string& state_dir);
  ~BatchJobStore();
  BatchJobStore(const BatchJobStore&) = delete;
  BatchJobStore& operator=(const BatchJobStore&) = delete;

  Status Put(const BatchJobRecord& record);  // inserts or replaces by token
  Result<std::optional<BatchJobRecord>> Get(const std::string& token);
  // Every job, newest first.
  Result<std::vector<BatchJobRecord>> List();
  // Jobs not yet finished whose selection is `selection`, oldest first.
  Result<std::vector<BatchJobRecord>> Unfinished(const std::string& selection);

 private:
  explicit BatchJobStore(sqlite3* db) : db_(db) {}
  Result<std::vector<BatchJobRecord>> Select(const std::string& where, const std::string& arg);

  std::mutex mu_;  // guards db_
  sqlite3* db_;
};

}  // namespace thaw::restore
