// S3 Batch Operations jobs as thaw sim runs them (the S3 Control job API's state behind
// s3control_ops.cc). A job reads its CSV manifest (S3BatchOperations_CSV_20180820: bucket, key
// [,version id], keys URL-encoded) after checking the manifest object's ETag, runs one
// S3InitiateRestoreObject task per row through the sim's own restore machinery, and writes the
// completion report as AWS writes it: PREFIX/job-ID/manifest.json (Report_CSV_20180820, one
// entry per results file with its MD5) and PREFIX/job-ID/results/HEX.csv with the columns
// Bucket, Key, VersionId, TaskStatus, HTTP status, error code, ResultMessage.
//
// Pace, on the sim clock (so --time-scale speeds it up): a job is New, then Preparing for
// kPrepareTime (AWS reads the manifest), then Active, running kTasksPerSecond tasks per second
// (S3's documented rate of restore initiations per account), then Completing and Complete.
// A job whose failed tasks exceed half of those attempted, once 1,000 were attempted, fails
// (AWS's task failure threshold). Jobs live in memory: a restarted sim has none.
//
// Thread safety: every method may be called from any thread; one runner thread (started by
// the first job) advances the jobs. Tasks run outside mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "sim/archive.h"
#include "sim/scaled_clock.h"

namespace thaw::sim {

inline constexpr std::chrono::seconds kPrepareTime{10};
inline constexpr int kTasksPerSecond = 1000;

// What a job needs from the S3 side of the sim.
class JobHost {
 public:
  virtual ~JobHost() = default;
  // The object's ETag (quoted) and bytes; S3 errors (NoSuchKey, InvalidObjectState, ...).
  virtual Result<std::pair<std::string, std::string>> ReadObjectForJob(const std::string& bucket,
                                                                       const std::string& key) = 0;
  virtual Status WriteObjectForJob(const std::string& bucket, const std::string& key,
                                   const std::string& data, const std::string& content_type) = 0;
  // RestoreObject as a client's call would run it; S3 errors as a client would get them.
  virtual Status RestoreForJob(const std::string& bucket, const std::string& key,
                               const RestoreParams& params) = 0;
};

// The parts of a CreateJob request the sim keeps (and DescribeJob echoes).
struct JobSpec {
  std::string client_request_token;
  bool confirmation_required = false;
  std::string description;
  int priority = 0;
  std::string role_arn;
  // Manifest
  std::string manifest_format;  // S3BatchOperations_CSV_20180820
  std::vector<std::string> manifest_fields;
  std::string manifest_arn;  // arn:aws:s3:::bucket/key
  std::string manifest_etag;
  std::string manifest_version_id;
  // Operation: S3InitiateRestoreObject
  std::optional<int> expiration_days;
  std::string glacier_job_tier;  // BULK | STANDARD
  // Report
  bool report_enabled = false;
  std::string report_bucket_arn;  // arn:aws:s3:::bucket
  std::string report_format;      // Report_CSV_20180820
  std::string report_prefix;
  std::string report_scope;  // AllTasks | FailedTasksOnly
};

struct JobFailure {
  std::string code;
  std::string reason;
};

// A job as DescribeJob / ListJobs show it.
struct JobView {
  std::string id;
  std::string arn;
  JobSpec spec;
  std::string status;  // New, Preparing, Suspended, Ready, Active, Completing, Complete, ...
  std::string status_update_reason;
  std::vector<JobFailure> failures;
  uint64_t total_tasks = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  int64_t active_seconds = 0;
  Clock::TimePoint created{};
  std::optional<Clock::TimePoint> terminated;
};

class BatchJobs {
 public:
  BatchJobs(JobHost& host, ScaledClock& clock, std::string account_id, std::string region);
  ~BatchJobs();
  BatchJobs(const BatchJobs&) = delete;
  BatchJobs& operator=(const BatchJobs&) = delete;

  const std::string& account_id() const { return account_id_; }

  // Validates and creates a job; a ClientRequestToken already used returns that job's id.
  Result<std::string> Create(const JobSpec& spec);
  Result<JobView> Describe(const std::string& id);  // NotFoundException
  // Newest first; `statuses` empty: all.
  std::vector<JobView> List(const std::vector<std::string>& statuses);
  // Cancelled (any non-terminal job) or Ready (a Suspended job: confirmation).
  Result<JobView> UpdateStatus(const std::string& id, const std::string& requested,
                               const std::string& reason);

 private:
  struct Task {
    std::string bucket, key, version_id;
  };
  struct Job {
    JobView view;
    std::vector<Task> tasks;
    // Per task, once run: the report row's status, HTTP status, code and message.
    struct TaskResult {
      bool done = false;
      bool ok = false;
      int http = 0;
      std::string code, message;
    };
    std::vector<TaskResult> results;
    size_t next = 0;  // first task not yet run
    Clock::TimePoint prepare_until{};
    Clock::TimePoint active_since{};
    bool cancel = false;
  };
  void Run();
  // Advances one job; called by the runner with mu_ released (jobs are never erased).
  void Step(Job& job);
  void Prepare(Job& job);
  void RunTasks(Job& job);
  void Finish(Job& job, const std::string& final_status);
  void WriteReport(Job& job);
  void SetStatus(Job& job, const std::string& status);
  JobView ViewLocked(const Job& job) const;

  JobHost& host_;
  ScaledClock& clock_;
  const std::string account_id_;
  const std::string region_;
  std::mutex mu_;  // guards jobs_, order_, tokens_ and every Job's fields
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::vector<std::string> order_;             // ids in creation order
  std::map<std::string, std::string> tokens_;  // ClientRequestToken -> id
  bool stop_ = false;
  std::thread runner_;
};

// "arn:aws:s3:::bucket/key" -> (bucket, key); "arn:aws:s3:::bucket" -> (bucket, "").
std::optional<std::pair<std::string, std::string>> ParseS3Arn(const std::string& arn);

}  // namespace thaw::sim
