// Batch Operations jobs: validation, the runner thread's state machine, manifest reading and
// the completion report (see s3control_jobs.h).
#include "sim/s3control_jobs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/csv.h"
#include "common/random_id.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "sim/checksums.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

bool IsTerminalStatus(const std::string& s) {
  return s == "Complete" || s == "Cancelled" || s == "Failed";
}

// "arn:aws:iam::123456789012:role/name" -> account; nullopt when not a role ARN.
std::optional<std::string> RoleAccount(const std::string& arn) {
  std::vector<std::string> parts = Split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || !StartsWith(parts[1], "aws") || parts[2] != "iam" ||
      !parts[3].empty() || parts[4].size() != 12 || !StartsWith(parts[5], "role/") ||
      parts[5].size() <= 5) {
    return std::nullopt;
  }
  for (char c : parts[4]) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return parts[4];
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

Status BadRequest(const std::string& message) {
  return S3Err("InvalidRequest", message);
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseS3Arn(const std::string& arn) {
  // arn:PARTITION:s3:::bucket[/key]
  std::vector<std::string> parts = Split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[2] != "s3" || !parts[3].empty() ||
      !parts[4].empty()) {
    return std::nullopt;
  }
  std::string rest = arn.substr(arn.find(":::") + 3);
  size_t slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  if (bucket.empty()) return std::nullopt;
  return std::make_pair(bucket, slash == std::string::npos ? "" : rest.substr(slash + 1));
}

BatchJobs::BatchJobs(JobHost& host, ScaledClock& clock, std::string account_id, std::string region)
    : host_(host), clock_(clock), account_id_(std::move(account_id)), region_(std::move(region)) {}

BatchJobs::~BatchJobs() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (runner_.joinable()) runner_.join();
}

Result<std::string> BatchJobs::Create(const JobSpec& spec) {
  if (spec.client_request_token.empty()) return BadRequest("ClientRequestToken is required");
  if (spec.manifest_format != "S3BatchOperations_CSV_20180820") {
    if (spec.manifest_format == "S3InventoryReport_CSV_20161130") {
      return S3Err("NotImplemented", "thaw sim reads S3BatchOperations_CSV_20180820 manifests");
    }
    return BadRequest("Manifest format must be S3BatchOperations_CSV_20180820");
  }
  std::vector<std::string> fields = spec.manifest_fields;
  if (fields.empty()) fields = {"Bucket", "Key"};
  if (std::count(fields.begin(), fields.end(), "Bucket") != 1 ||
      std::count(fields.begin(), fields.end(), "Key") != 1) {
    return BadRequest("Manifest fields must name Bucket and Key once each");
  }
  for (const std::string& f : fields) {
    if (f != "Bucket" && f != "Key" && f != "VersionId" && f != "Ignore") {
      return BadRequest("Unknown manifest field " + f);
    }
  }
  auto manifest = ParseS3Arn(spec.manifest_arn);
  if (!manifest || manifest->second.empty()) {
    return BadRequest("Manifest ObjectArn must be an S3 object ARN (arn:aws:s3:::bucket/key)");
  }
  if (spec.manifest_etag.empty()) return BadRequest("Manifest ETag is required");
  if (spec.glacier_job_tier != "BULK" && spec.glacier_job_tier != "STANDARD") {
    return BadRequest("GlacierJobTier must be BULK or STANDARD");
  }
  if (spec.expiration_days && *spec.expiration_days < 1) {
    return BadRequest("ExpirationInDays must be at least 1");
  }
  if (spec.priority < 0) return BadRequest("Priority must not be negative");
  auto role_account = RoleAccount(spec.role_arn);
  if (!role_account) return BadRequest("RoleArn is not a valid IAM role ARN");
  if (*role_account != account_id_) {
    // CreateJob needs iam:PassRole on the role; a role of another account cannot be passed.
    return S3Err("AccessDenied",
                 "User is not authorized to perform: iam:PassRole on resource: " + spec.role_arn);
  }
  if (spec.report_enabled) {
    auto report = ParseS3Arn(spec.report_bucket_arn);
    if (!report || !report->second.empty()) {
      return BadRequest("Report Bucket must be an S3 bucket ARN (arn:aws:s3:::bucket)");
    }
    if (spec.report_format != "Report_CSV_20180820") {
      return BadRequest("Report Format must be Report_CSV_20180820");
    }
    if (spec.report_scope != "AllTasks" && spec.report_scope != "FailedTasksOnly") {
      return BadRequest("Report ReportScope must be AllTasks or FailedTasksOnly");
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = tokens_.find(spec.client_request_token); it != tokens_.end()) return it->second;
  auto job = std::make_unique<Job>();
  job->view.id = RandomUuid();  // AWS job ids are UUIDs
  job->view.arn = "arn:aws:s3:" + region_ + ":" + account_id_ + ":job/" + job->view.id;
  job->view.spec = spec;
  job->view.spec.manifest_fields = fields;
  job->view.status = "New";
  job->view.created = clock_.Now();
  std::string id = job->view.id;
  tokens_[spec.client_request_token] = id;
  jobs_[id] = std::move(job);
  order_.push_back(id);
  if (!runner_.joinable()) runner_ = std::thread([this] { Run(); });
  cv_.notify_all();
  spdlog::info("batch job {} created ({})", id, spec.manifest_arn);
  return id;
}

JobView BatchJobs::ViewLocked(const Job& job) const {
  JobView v = job.view;
  if (v.status == "Active" || v.status == "Cancelling" || v.status == "Completing") {
    v.active_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now() - job.active_since).count();
  }
  return v;
}

Result<JobView> BatchJobs::Describe(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return S3ErrWithStatus(404, "NotFoundException", "The specified job does not exist");
  }
  return ViewLocked(*it->second);
}

std::vector<JobView> BatchJobs::List(const std::vector<std::string>& statuses) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<JobView> out;
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    const Job& job = *jobs_.at(*it);
    if (statuses.empty() ||
        std::find(statuses.begin(), statuses.end(), job.view.status) != statuses.end()) {
      out.push_back(ViewLocked(job));
    }
  }
  return out;
}

Result<JobView> BatchJobs::UpdateStatus(const std::string& id, const std::string& requested,
                                        const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return S3ErrWithStatus(404, "NotFoundException", "The specified job does not exist");
  }
  Job& job = *it->second;
  const std::string& status = job.view.status;
  if (requested == "Cancelled") {
    if (IsTerminalStatus(status) || status == "Cancelling" || status == "Completing" ||
        status == "Failing") {
      return S3ErrWithStatus(400, "JobStatusException",
                             "Job " + id + " cannot be cancelled in status " + status);
    }
    job.cancel = true;
    job.view.status = "Cancelling";
  } else if (requested == "Ready") {
    if (status != "Suspended") {
      return S3ErrWithStatus(400, "JobStatusException",
                             "Only a Suspended job can be confirmed, job " + id + " is " + status);
    }
    job.view.status = "Ready";
  } else {
    return BadRequest("RequestedJobStatus must be Cancelled or Ready");
  }
  job.view.status_update_reason = reason;
  cv_.notify_all();
  return ViewLocked(job);
}

void BatchJobs::Run() {
  for (;;) {
    std::vector<Job*> live;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
      for (auto& [id, job] : jobs_) {
        if (!IsTerminalStatus(job->view.status)) live.push_back(job.get());
      }
    }
    for (Job* job : live) Step(*job);
    std::unique_lock<std::mutex> lock(mu_);
    // A tenth of a real second between steps; tasks due meanwhile run in the next step.
    auto tick = std::chrono::duration_cast<Clock::Duration>(std::chrono::milliseconds(100) *
                                                            clock_.scale());
    clock_.WaitUntil(lock, cv_, clock_.Now() + tick, [&] { return stop_; });
    if (stop_) return;
  }
}

void BatchJobs::SetStatus(Job& job, const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  job.view.status = status;
}

void BatchJobs::Step(Job& job) {
  std::string status;
  bool cancel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status = job.view.status;
    cancel = job.cancel;
  }
  Clock::TimePoint now = clock_.Now();
  if (cancel) {
    Finish(job, "Cancelled");
  } else if (status == "New") {
    std::lock_guard<std::mutex> lock(mu_);
    job.prepare_until = now + kPrepareTime;
    job.view.status = "Preparing";
  } else if (status == "Preparing" && now >= job.prepare_until) {
    Prepare(job);
  } else if (status == "Ready") {
    std::lock_guard<std::mutex> lock(mu_);
    job.active_since = now;
    job.view.status = "Active";
  } else if (status == "Active") {
    RunTasks(job);
  }
}

void BatchJobs::Prepare(Job& job) {
  const JobSpec& spec = job.view.spec;  // never changes after Create
  auto where = ParseS3Arn(spec.manifest_arn);
  auto fail = [&](const std::string& code, const std::string& reason) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      job.view.failures.push_back({code, reason});
    }
    Finish(job, "Failed");
  };
  auto manifest = host_.ReadObjectForJob(where->first, where->second);
  if (!manifest.ok()) {
    S3Error e = ToS3Error(manifest.status());
    return fail(std::to_string(e.http_status), "Reading the manifest failed: " + e.code);
  }
  if (Unquote(manifest->first) != Unquote(spec.manifest_etag)) {
    return fail("400", "Reading the manifest failed: the manifest's ETag " + manifest->first +
                           " does not match the ETag given, " + spec.manifest_etag);
  }
  std::vector<Task> tasks;
  std::istringstream manifest_body(manifest->second);
  CsvReader csv(manifest_body, "Manifest");
  std::vector<std::string> cols;
  while (true) {
    Result<bool> more = csv.Next(&cols);
    if (!more.ok()) return fail("400", more.status().message());
    if (!*more) break;
    if (cols.size() == 1 && cols[0].empty()) continue;  // blank line
    if (cols.size() < spec.manifest_fields.size()) {
      return fail("400", "Manifest line " + std::to_string(csv.line()) + " has " +
                             std::to_string(cols.size()) + " fields, the manifest spec names " +
                             std::to_string(spec.manifest_fields.size()));
    }
    Task t;
    for (size_t i = 0; i < spec.manifest_fields.size(); ++i) {
      const std::string& f = spec.manifest_fields[i];
      if (f == "Bucket") t.bucket = cols[i];
      if (f == "VersionId") t.version_id = cols[i];
      if (f == "Key") {
        // Keys in a manifest are URL-encoded.
        auto key = UriDecode(cols[i]);
        if (!key) {
          return fail("400", "Manifest line " + std::to_string(csv.line()) +
                                 " has a key that is not URL-encoded");
        }
        t.key = *key;
      }
    }
    tasks.push_back(std::move(t));
  }
  std::lock_guard<std::mutex> lock(mu_);
  job.tasks = std::move(tasks);
  job.results.assign(job.tasks.size(), {});
  job.view.total_tasks = job.tasks.size();
  if (job.cancel) return;  // the next step finishes it
  job.view.status = spec.confirmation_required ? "Suspended" : "Ready";
}

void BatchJobs::RunTasks(Job& job) {
  size_t from, to, total = job.tasks.size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    double seconds = std::chrono::duration<double>(clock_.Now() - job.active_since).count();
    size_t due = std::min<size_t>(total, static_cast<size_t>(seconds * kTasksPerSecond) + 1);
    from = job.next;
    to = std::min(due, from + 5000);  // keep a step short so a cancel is seen soon
  }
  uint64_t ok = 0, failed = 0;
  for (size_t i = from; i < to; ++i) {
    const Task& t = job.tasks[i];
    RestoreParams params;
    params.days = job.view.spec.expiration_days;
    params.tier = job.view.spec.glacier_job_tier == "BULK" ? s3::RestoreTier::kBulk
                                                           : s3::RestoreTier::kStandard;
    Status s = host_.RestoreForJob(t.bucket, t.key, params);
    Job::TaskResult& r = job.results[i];
    r.done = true;
    r.ok = s.ok();
    if (s.ok()) {
      r.http = 200;
      r.message = "Successful";
      ++ok;
    } else {
      S3Error e = ToS3Error(s);
      r.http = e.http_status;
      r.code = e.code;
      r.message = e.message;
      ++failed;
    }
  }
  bool done, over_threshold;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job.next = to;
    job.view.succeeded += ok;
    job.view.failed += failed;
    uint64_t attempted = job.view.succeeded + job.view.failed;
    over_threshold = attempted >= 1000 && job.view.failed * 2 > attempted;
    done = job.next == total;
    if (over_threshold) {
      job.view.failures.push_back(
          {"TaskFailureThresholdExceeded", "More than half of the tasks attempted failed (" +
                                               std::to_string(job.view.failed) + " of " +
                                               std::to_string(attempted) + ")"});
      job.view.status = "Failing";
    } else if (done) {
      job.view.status = "Completing";
    }
  }
  if (over_threshold) {
    Finish(job, "Failed");
  } else if (done) {
    Finish(job, "Complete");
  }
}

void BatchJobs::Finish(Job& job, const std::string& final_status) {
  bool any_run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    any_run = job.next > 0;
  }
  // AWS writes a report for completed, failed and cancelled jobs once a task has run.
  if (job.view.spec.report_enabled && any_run) WriteReport(job);
  std::lock_guard<std::mutex> lock(mu_);
  job.view.status = final_status;
  job.view.terminated = clock_.Now();
  spdlog::info("batch job {} {}: {} succeeded, {} failed", job.view.id, final_status,
               job.view.succeeded, job.view.failed);
}

void BatchJobs::WriteReport(Job& job) {
  const JobSpec& spec = job.view.spec;
  std::string bucket = ParseS3Arn(spec.report_bucket_arn)->first;
  std::string base = spec.report_prefix;
  if (!base.empty() && base.back() != '/') base += '/';
  base += "job-" + job.view.id + "/";
  std::string succeeded_csv, failed_csv;
  for (size_t i = 0; i < job.next; ++i) {
    const Job::TaskResult& r = job.results[i];
    const Task& t = job.tasks[i];
    // As in AWS's reports: the HTTP status comes before the error code.
    std::string row = CsvField(t.bucket) + "," + UriEncode(t.key, true) + "," +
                      CsvField(t.version_id) + "," + (r.ok ? "succeeded" : "failed") + "," +
                      std::to_string(r.http) + "," + CsvField(r.code) + "," + CsvField(r.message) +
                      "\n";
    (r.ok ? succeeded_csv : failed_csv) += row;
  }
  if (spec.report_scope == "FailedTasksOnly") succeeded_csv.clear();
  nlohmann::json results = nlohmann::json::array();
  for (auto [status, csv] : {std::pair<const char*, std::string*>{"succeeded", &succeeded_csv},
                             {"failed", &failed_csv}}) {
    if (csv->empty()) continue;
    std::string key = base + "results/" + RandomHex(40) + ".csv";
    if (Status s = host_.WriteObjectForJob(bucket, key, *csv, "text/csv"); !s.ok()) {
      spdlog::warn("batch job {}: report {} not written: {}", job.view.id, key, s.ToString());
      return;
    }
    results.push_back({{"TaskExecutionStatus", status},
                       {"Bucket", bucket},
                       {"MD5Checksum", HexEncode(DigestOf(DigestKind::kMd5, *csv))},
                       {"Key", key}});
  }
  nlohmann::json manifest = {{"Format", "Report_CSV_20180820"},
                             {"ReportCreationDate", FormatIso8601(clock_.Now())},
                             {"Results", std::move(results)},
                             {"ReportSchema",
                              "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, "
                              "ResultMessage"}};
  std::string body = manifest.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (Status s = host_.WriteObjectForJob(bucket, base + "manifest.json", body, "application/json");
      !s.ok()) {
    spdlog::warn("batch job {}: report manifest not written: {}", job.view.id, s.ToString());
  }
}

}  // namespace thaw::sim
