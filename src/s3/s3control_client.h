// S3ControlClient: the S3 Batch Operations job calls of the S3 Control API (CreateJob with
// S3InitiateRestoreObject, DescribeJob, ListJobs, UpdateJobStatus) in its REST-XML protocol:
// paths under /v20180820/jobs, the account in the x-amz-account-id header, SigV4 for service
// `s3`. On AWS the host is {account}.s3-control.{region}.amazonaws.com; an endpoint override
// (thaw sim, a test server) is used as given, without the account prefix boto3 adds, so that
// http://127.0.0.1:PORT works without DNS tricks.
// Also STS GetCallerIdentity (the account id when --account-id is not given).
//
// Errors: Status with an S3ErrorDetail (code as S3 Control sends it: InvalidRequest,
// AccessDenied, NotFoundException, JobStatusException, ...), mapped as error.h maps S3's.
// CreateJob is retried like an idempotent call: its ClientRequestToken makes a repeat return
// the job the first attempt created.
//
// Thread safety: every call may be made from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "s3/credentials.h"
#include "s3/http.h"
#include "s3/retry.h"

namespace thaw::s3 {

struct S3ControlConfig {
  std::string region = "us-east-1";
  // Empty: AWS (https://{account}.s3-control.{region}.amazonaws.com). Else used as given.
  std::string endpoint_url;
  TransportOptions transport;
  RetryPolicy retry;
};

// CreateJob for S3InitiateRestoreObject with a CSV manifest (bucket,key per line, keys
// URL-encoded) and a completion report.
struct CreateRestoreJobRequest {
  std::string account_id;
  std::string client_request_token;  // 1-64 characters; the same token returns the same job
  std::string role_arn;
  std::string manifest_arn;   // arn:aws:s3:::bucket/key
  std::string manifest_etag;  // the manifest object's ETag
  std::vector<std::string> manifest_fields = {"Bucket", "Key"};
  std::optional<int> expiration_days;     // absent for Intelligent-Tiering archive tiers
  std::string glacier_job_tier = "BULK";  // BULK | STANDARD (Batch Operations has no Expedited)
  int priority = 10;
  std::string description;
  bool report_enabled = true;
  std::string report_bucket_arn;  // arn:aws:s3:::bucket
  std::string report_prefix;
  std::string report_scope = "FailedTasksOnly";  // or AllTasks
  bool confirmation_required = false;
};

struct JobFailureReason {
  std::string code;
  std::string reason;
};

struct JobDescription {
  std::string job_id;
  std::string status;  // New, Preparing, Suspended, Ready, Active, Complete, Failed, Cancelled...
  std::string status_update_reason;
  uint64_t total_tasks = 0;
  uint64_t succeeded_tasks = 0;
  uint64_t failed_tasks = 0;
  uint64_t elapsed_active_seconds = 0;
  std::vector<JobFailureReason> failure_reasons;
  std::string report_bucket_arn;
  std::string report_prefix;
  bool report_enabled = false;
  std::optional<Clock::TimePoint> creation_time;
  std::optional<Clock::TimePoint> termination_date;

  // Complete, Failed or Cancelled: nothing will change any more.
  bool terminal() const;
};

class S3ControlClient {
 public:
  virtual ~S3ControlClient() = default;
  // The new (or, for a token already used, the existing) job's id.
  virtual Result<std::string> CreateRestoreJob(const CreateRestoreJobRequest& request) = 0;
  virtual Result<JobDescription> DescribeJob(const std::string& account_id,
                                             const std::string& job_id) = 0;
  // Every job (all pages), newest first; `statuses` empty: any status. DescribeJob-only fields
  // (failure reasons, report) are empty here.
  virtual Result<std::vector<JobDescription>> ListJobs(
      const std::string& account_id, const std::vector<std::string>& statuses = {}) = 0;
  // requested: Cancelled, or Ready (confirm a Suspended job). Returns the job's new status.
  virtual Result<std::string> UpdateJobStatus(const std::string& account_id,
                                              const std::string& job_id,
                                              const std::string& requested,
                                              const std::string& reason = "") = 0;
};

std::unique_ptr<S3ControlClient> MakeS3ControlClient(
    const S3ControlConfig& config, std::shared_ptr<CredentialsProvider> credentials,
    Clock& clock = Clock::Real(), std::shared_ptr<HttpTransport> transport = nullptr);

// The S3 Control endpoint: AWS_ENDPOINT_URL_S3_CONTROL, else `s3_endpoint_url` (the S3
// endpoint override: thaw sim and look-alikes serve both on one port), else "" (AWS).
std::string ResolveS3ControlEndpoint(const std::string& s3_endpoint_url, const EnvLookup& env);

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

// STS GetCallerIdentity (query API, POST /, SigV4 for `sts`) at `endpoint_url`
// (scheme://host[:port]; empty: https://sts.{region}.amazonaws.com).
Result<CallerIdentity> GetCallerIdentity(HttpTransport& http, CredentialsProvider& credentials,
                                         const std::string& region, const std::string& endpoint_url,
                                         Clock& clock);

}  // namespace thaw::s3
