// The S3 Control job API on the sim's port (CreateJob, DescribeJob, ListJobs, UpdateJobStatus:
// REST-XML under /v20180820/jobs with the x-amz-account-id header, as boto3's `s3control`
// client sends them), STS GetCallerIdentity (POST / with a form body, as AWS SDKs send it to an
// endpoint override), and the Service's side of the jobs (JobHost: reading manifests, writing
// reports, restoring objects). The jobs themselves live in s3control_jobs.cc.
//
// boto3 prefixes the account id to the endpoint's host ("123456789012.localhost:9000"): the
// route is chosen by path and header before virtual-host addressing is looked at, so any host
// works.
#include <cstdio>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "common/strings.h"
#include "common/time_format.h"
#include "sim/checksums.h"
#include "sim/s3_error.h"
#include "sim/s3control.h"
#include "sim/service.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

constexpr std::string_view kJobsPath = "v20180820/jobs";

std::string Text(pugi::xml_node n, const char* name) {
  return std::string(Trim(n.child(name).child_value()));
}

Result<JobSpec> ParseCreateJob(const std::string& body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return S3Err("MalformedXML");
  pugi::xml_node root = doc.child("CreateJobRequest");
  if (!root) return S3Err("MalformedXML");
  JobSpec s;
  s.client_request_token = Text(root, "ClientRequestToken");
  s.confirmation_required = Text(root, "ConfirmationRequired") == "true";
  s.description = Text(root, "Description");
  if (auto p = ParseInt64(Text(root, "Priority"))) s.priority = static_cast<int>(*p);
  s.role_arn = Text(root, "RoleArn");
  pugi::xml_node manifest = root.child("Manifest");
  pugi::xml_node spec = manifest.child("Spec");
  s.manifest_format = Text(spec, "Format");
  for (pugi::xml_node f : spec.child("Fields").children("member")) {
    s.manifest_fields.emplace_back(Trim(f.child_value()));
  }
  pugi::xml_node location = manifest.child("Location");
  s.manifest_arn = Text(location, "ObjectArn");
  s.manifest_etag = Text(location, "ETag");
  s.manifest_version_id = Text(location, "ObjectVersionId");
  pugi::xml_node op = root.child("Operation");
  pugi::xml_node restore = op.child("S3InitiateRestoreObject");
  if (!restore) {
    if (op.first_child()) {
      return S3Err("NotImplemented",
                   std::string("thaw sim runs S3InitiateRestoreObject jobs, not ") +
                       op.first_child().name());
    }
    return S3Err("InvalidRequest", "Operation is required");
  }
  if (auto days = ParseInt64(Text(restore, "ExpirationInDays"))) {
    s.expiration_days = static_cast<int>(*days);
  }
  s.glacier_job_tier = Text(restore, "GlacierJobTier");
  if (s.glacier_job_tier.empty()) s.glacier_job_tier = "BULK";  // AWS's default
  pugi::xml_node report = root.child("Report");
  s.report_enabled = Text(report, "Enabled") == "true";
  s.report_bucket_arn = Text(report, "Bucket");
  s.report_format = Text(report, "Format");
  s.report_prefix = Text(report, "Prefix");
  s.report_scope = Text(report, "ReportScope");
  return s;
}

void WriteProgress(XmlWriter& w, const JobView& j) {
  w.Open("ProgressSummary");
  w.Element("TotalNumberOfTasks", j.total_tasks);
  w.Element("NumberOfTasksSucceeded", j.succeeded);
  w.Element("NumberOfTasksFailed", j.failed);
  w.Open("Timers");
  w.Element("ElapsedTimeInActiveSeconds", static_cast<uint64_t>(j.active_seconds));
  w.Close("Timers");
  w.Close("ProgressSummary");
}

std::string DescribeXml(const JobView& j) {
  const JobSpec& s = j.spec;
  XmlWriter w;
  w.Open("DescribeJobResult");
  w.Open("Job");
  w.Element("JobId", j.id);
  w.Bool("ConfirmationRequired", s.confirmation_required);
  if (!s.description.empty()) w.Element("Description", s.description);
  w.Element("JobArn", j.arn);
  w.Element("Status", j.status);
  w.Open("Manifest");
  w.Open("Spec");
  w.Element("Format", s.manifest_format);
  w.Open("Fields");
  for (const std::string& f : s.manifest_fields) w.Element("member", f);
  w.Close("Fields");
  w.Close("Spec");
  w.Open("Location");
  w.Element("ObjectArn", s.manifest_arn);
  if (!s.manifest_version_id.empty()) w.Element("ObjectVersionId", s.manifest_version_id);
  w.Element("ETag", s.manifest_etag);
  w.Close("Location");
  w.Close("Manifest");
  w.Open("Operation");
  w.Open("S3InitiateRestoreObject");
  if (s.expiration_days) w.Element("ExpirationInDays", static_cast<uint64_t>(*s.expiration_days));
  w.Element("GlacierJobTier", s.glacier_job_tier);
  w.Close("S3InitiateRestoreObject");
  w.Close("Operation");
  w.Element("Priority", static_cast<uint64_t>(s.priority));
  WriteProgress(w, j);
  if (!j.status_update_reason.empty()) w.Element("StatusUpdateReason", j.status_update_reason);
  if (!j.failures.empty()) {
    w.Open("FailureReasons");
    for (const JobFailure& f : j.failures) {
      w.Open("member");
      w.Element("FailureCode", f.code);
      w.Element("FailureReason", f.reason);
      w.Close("member");
    }
    w.Close("FailureReasons");
  }
  w.Open("Report");
  if (s.report_enabled) {
    w.Element("Bucket", s.report_bucket_arn);
    w.Element("Format", s.report_format);
  }
  w.Bool("Enabled", s.report_enabled);
  if (s.report_enabled) {
    if (!s.report_prefix.empty()) w.Element("Prefix", s.report_prefix);
    w.Element("ReportScope", s.report_scope);
  }
  w.Close("Report");
  w.Element("CreationTime", FormatIso8601(j.created));
  if (j.terminated) w.Element("TerminationDate", FormatIso8601(*j.terminated));
  w.Element("RoleArn", s.role_arn);
  w.Close("Job");
  w.Close("DescribeJobResult");
  return w.Finish();
}

// Every value of a repeated query parameter (jobStatuses=A&jobStatuses=B).
std::vector<std::string> QueryValues(const std::string& raw_query, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& piece : Split(raw_query, '&')) {
    size_t eq = piece.find('=');
    if (piece.substr(0, eq) != name || eq == std::string::npos) continue;
    if (auto v = UriDecode(piece.substr(eq + 1), true)) out.push_back(*v);
  }
  return out;
}

Response XmlResponse(std::string body) {
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  r.body = std::move(body);
  return r;
}

}  // namespace

std::optional<Result<Route>> RouteControlPlane(const Request& req, std::string_view path) {
  Route r;
  if (req.headers.Has("x-amz-account-id") && StartsWith(path, kJobsPath)) {
    std::string_view rest = path.substr(kJobsPath.size());
    const std::string& m = req.method;
    if (rest.empty() || rest == "/") {
      if (m == "POST") r.op = "CreateJob";
      if (m == "GET") r.op = "ListJobs";
    } else if (rest[0] == '/') {
      rest.remove_prefix(1);
      size_t slash = rest.find('/');
      r.key = std::string(rest.substr(0, slash));
      std::string_view sub = slash == std::string_view::npos ? "" : rest.substr(slash);
      if (sub.empty() && m == "GET") r.op = "DescribeJob";
      if (sub == "/status" && m == "POST") r.op = "UpdateJobStatus";
      if (sub == "/priority" || sub == "/tagging") {
        return Result<Route>(S3Err("NotImplemented",
                                   std::string(sub.substr(1)) + " is not implemented by thaw sim"));
      }
    }
    if (r.op.empty()) return Result<Route>(S3Err("MethodNotAllowed"));
    return Result<Route>(r);
  }
  // STS's query API: AWS SDKs pointed at one endpoint for every service send it here.
  if (path.empty() && req.method == "POST" &&
      StartsWith(ToLower(req.headers.Get("Content-Type")), "application/x-www-form-urlencoded")) {
    r.op = "STS";
    return Result<Route>(r);
  }
  return std::nullopt;
}

bool IsControlPlaneOp(const std::string& op) {
  return op == "CreateJob" || op == "ListJobs" || op == "DescribeJob" || op == "UpdateJobStatus";
}

Result<Response> Service::ControlPlane(Call& call) {
  const std::string& op = call.route.op;
  if (call.req.headers.Get("x-amz-account-id") != jobs_->account_id()) {
    return S3Err("AccessDenied", "Access Denied: the account id does not match the caller's");
  }
  if (op == "CreateJob") {
    THAW_ASSIGN_OR_RETURN(JobSpec spec, ParseCreateJob(call.req.body));
    THAW_ASSIGN_OR_RETURN(std::string id, jobs_->Create(spec));
    XmlWriter w;
    w.Open("CreateJobResult");
    w.Element("JobId", id);
    w.Close("CreateJobResult");
    return XmlResponse(w.Finish());
  }
  if (op == "DescribeJob") {
    THAW_ASSIGN_OR_RETURN(JobView job, jobs_->Describe(call.route.key));
    return XmlResponse(DescribeXml(job));
  }
  if (op == "UpdateJobStatus") {
    THAW_ASSIGN_OR_RETURN(JobView job,
                          jobs_->UpdateStatus(call.route.key, call.req.Query("requestedJobStatus"),
                                              call.req.Query("statusUpdateReason")));
    XmlWriter w;
    w.Open("UpdateJobStatusResult");
    w.Element("JobId", job.id);
    w.Element("Status", job.status);
    if (!job.status_update_reason.empty()) {
      w.Element("StatusUpdateReason", job.status_update_reason);
    }
    w.Close("UpdateJobStatusResult");
    return XmlResponse(w.Finish());
  }
  // ListJobs: newest first, MaxResults (default and cap 1,000) per page, NextToken an offset.
  std::vector<JobView> jobs = jobs_->List(QueryValues(call.req.raw_query, "jobStatuses"));
  size_t max = 1000;
  if (auto n = ParseInt64(call.req.Query("maxResults")); n && *n >= 1 && *n < 1000) max = *n;
  size_t start = 0;
  if (call.req.HasQuery("nextToken")) {
    auto n = ParseInt64(call.req.Query("nextToken"));
    if (!n || *n < 0) return S3ErrWithStatus(400, "InvalidNextTokenException", "Bad NextToken");
    start = static_cast<size_t>(*n);
  }
  XmlWriter w;
  w.Open("ListJobsResult");
  if (start + max < jobs.size()) w.Element("NextToken", std::to_string(start + max));
  w.Open("Jobs");
  for (size_t i = start; i < jobs.size() && i < start + max; ++i) {
    const JobView& j = jobs[i];
    w.Open("member");
    w.Element("JobId", j.id);
    if (!j.spec.description.empty()) w.Element("Description", j.spec.description);
    w.Element("Operation", "S3InitiateRestoreObject");
    w.Element("Priority", static_cast<uint64_t>(j.spec.priority));
    w.Element("Status", j.status);
    w.Element("CreationTime", FormatIso8601(j.created));
    if (j.terminated) w.Element("TerminationDate", FormatIso8601(*j.terminated));
    WriteProgress(w, j);
    w.Close("member");
  }
  w.Close("Jobs");
  w.Close("ListJobsResult");
  return XmlResponse(w.Finish());
}

void Service::SetAccountId(const std::string& account_id) {
  account_id_ = account_id;
  jobs_ = std::make_unique<BatchJobs>(*this, clock_, account_id, region_);
}

Result<std::pair<std::string, std::string>> Service::ReadObjectForJob(const std::string& bucket,
                                                                      const std::string& key) {
  THAW_ASSIGN_OR_RETURN(ObjectRecord rec, LoadObject(bucket, key));
  if (!rec.archive.readable()) return S3Err("InvalidObjectState");
  // Manifests of a few million rows fit; a bigger file is refused rather than read into memory.
  constexpr uint64_t kMaxManifestBytes = 1ull << 30;
  if (rec.size > kMaxManifestBytes) {
    return S3Err("InvalidRequest", "thaw sim reads manifests of up to 1 GiB");
  }
  std::ifstream in(store_.ObjectPath(rec.file), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return Status::Internal("cannot read the data of " + bucket + "/" + key);
  return std::make_pair(rec.etag, ss.str());
}

Status Service::WriteObjectForJob(const std::string& bucket, const std::string& key,
                                  const std::string& data, const std::string& content_type) {
  THAW_RETURN_IF_ERROR(CheckBucket(bucket));
  std::string temp = store_.NewTempPath();
  {
    std::ofstream out(temp, std::ios::binary);
    out << data;
    if (!out.flush()) return Status::Internal("cannot write " + temp);
  }
  ObjectRecord rec;
  rec.bucket = bucket;
  rec.key = key;
  rec.last_modified = clock_.Now();
  rec.content_type = content_type;
  rec.size = data.size();
  rec.etag = QuotedEtag(DigestOf(DigestKind::kMd5, data));
  Status s = store_.PutObject(rec, temp);
  if (!s.ok()) std::remove(temp.c_str());
  return s;
}

Status Service::RestoreForJob(const std::string& bucket, const std::string& key,
                              const RestoreParams& params) {
  return ApplyRestore(bucket, key, params, "").status();
}

}  // namespace thaw::sim
