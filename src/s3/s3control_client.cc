// The S3 Control job client (see s3control_client.h): builds CreateJob's XML body and the
// job paths, signs with SigV4 for `s3`, sends with retries and reads the XML answers.
#include "s3/s3control_client.h"

#include <pugixml.hpp>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/error.h"
#include "s3/retry.h"
#include "s3/sigv4.h"

namespace thaw::s3 {
namespace {

constexpr std::string_view kNamespace = "http://awss3control.amazonaws.com/doc/2018-08-20/";

std::string Esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string El(std::string_view name, std::string_view value) {
  return "<" + std::string(name) + ">" + Esc(value) + "</" + std::string(name) + ">";
}

std::string CreateJobXml(const CreateRestoreJobRequest& r) {
  std::string x = "<CreateJobRequest xmlns=\"" + std::string(kNamespace) + "\">";
  x += El("ConfirmationRequired", r.confirmation_required ? "true" : "false");
  x += "<Operation><S3InitiateRestoreObject>";
  if (r.expiration_days) x += El("ExpirationInDays", std::to_string(*r.expiration_days));
  x += El("GlacierJobTier", r.glacier_job_tier);
  x += "</S3InitiateRestoreObject></Operation><Report>";
  if (r.report_enabled) {
    x += El("Bucket", r.report_bucket_arn) + El("Format", "Report_CSV_20180820");
  }
  x += El("Enabled", r.report_enabled ? "true" : "false");
  if (r.report_enabled) {
    if (!r.report_prefix.empty()) x += El("Prefix", r.report_prefix);
    x += El("ReportScope", r.report_scope);
  }
  x += "</Report>" + El("ClientRequestToken", r.client_request_token);
  x += "<Manifest><Spec>" + El("Format", "S3BatchOperations_CSV_20180820") + "<Fields>";
  for (const std::string& f : r.manifest_fields) x += El("member", f);
  x += "</Fields></Spec><Location>" + El("ObjectArn", r.manifest_arn) +
       El("ETag", r.manifest_etag) + "</Location></Manifest>";
  if (!r.description.empty()) x += El("Description", r.description);
  x += El("Priority", std::to_string(r.priority)) + El("RoleArn", r.role_arn);
  return x + "</CreateJobRequest>";
}

uint64_t U64(pugi::xml_node n, const char* name) {
  auto v = ParseUint64(Trim(n.child_value(name)));
  return v ? *v : 0;
}

std::optional<Clock::TimePoint> Time(pugi::xml_node n, const char* name) {
  std::string_view v = Trim(n.child_value(name));
  if (v.empty()) return std::nullopt;
  return ParseIso8601(v);
}

JobDescription ReadJob(pugi::xml_node job) {
  JobDescription d;
  d.job_id = std::string(Trim(job.child_value("JobId")));
  d.status = std::string(Trim(job.child_value("Status")));
  d.status_update_reason = job.child_value("StatusUpdateReason");
  pugi::xml_node p = job.child("ProgressSummary");
  d.total_tasks = U64(p, "TotalNumberOfTasks");
  d.succeeded_tasks = U64(p, "NumberOfTasksSucceeded");
  d.failed_tasks = U64(p, "NumberOfTasksFailed");
  d.elapsed_active_seconds = U64(p.child("Timers"), "ElapsedTimeInActiveSeconds");
  for (pugi::xml_node f : job.child("FailureReasons").children("member")) {
    d.failure_reasons.push_back({f.child_value("FailureCode"), f.child_value("FailureReason")});
  }
  pugi::xml_node report = job.child("Report");
  d.report_enabled = Trim(report.child_value("Enabled")) == "true";
  d.report_bucket_arn = std::string(Trim(report.child_value("Bucket")));
  d.report_prefix = report.child_value("Prefix");
  d.creation_time = Time(job, "CreationTime");
  d.termination_date = Time(job, "TerminationDate");
  return d;
}

Status BadAnswer(std::string_view op, std::string_view why) {
  return Status::Internal("S3 Control " + std::string(op) +
                          ": unexpected answer: " + std::string(why));
}

Result<pugi::xml_node> Root(const std::string& body, std::string_view op, const char* name,
                            pugi::xml_document& doc) {
  if (!doc.load_buffer(body.data(), body.size())) return BadAnswer(op, "not XML");
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != name) return BadAnswer(op, std::string("no ") + name);
  return root;
}

class HttpS3ControlClient : public S3ControlClient {
 public:
  HttpS3ControlClient(S3ControlConfig config, std::shared_ptr<CredentialsProvider> credentials,
                      Clock& clock, std::shared_ptr<HttpTransport> transport)
      : config_(std::move(config)),
        credentials_(std::move(credentials)),
        clock_(clock),
        transport_(transport ? std::move(transport) : MakeCurlTransport(config_.transport)) {
    while (!config_.endpoint_url.empty() && config_.endpoint_url.back() == '/') {
      config_.endpoint_url.pop_back();
    }
  }

  Result<std::string> CreateRestoreJob(const CreateRestoreJobRequest& r) override {
    if (r.client_request_token.empty() || r.client_request_token.size() > 64) {
      return Status::InvalidArgument("CreateJob: ClientRequestToken must have 1-64 characters");
    }
    THAW_ASSIGN_OR_RETURN(std::string body,
                          Call("CreateJob", "POST", r.account_id, "", CreateJobXml(r)));
    pugi::xml_document doc;
    THAW_ASSIGN_OR_RETURN(pugi::xml_node root, Root(body, "CreateJob", "CreateJobResult", doc));
    std::string id(Trim(root.child_value("JobId")));
    if (id.empty()) return BadAnswer("CreateJob", "no JobId");
    return id;
  }

  Result<JobDescription> DescribeJob(const std::string& account_id,
                                     const std::string& job_id) override {
    THAW_ASSIGN_OR_RETURN(std::string body,
                          Call("DescribeJob", "GET", account_id, "/" + UriEncode(job_id), ""));
    pugi::xml_document doc;
    THAW_ASSIGN_OR_RETURN(pugi::xml_node root, Root(body, "DescribeJob", "DescribeJobResult", doc));
    if (!root.child("Job")) return BadAnswer("DescribeJob", "no Job");
    return ReadJob(root.child("Job"));
  }

  Result<std::vector<JobDescription>> ListJobs(const std::string& account_id,
                                               const std::vector<std::string>& statuses) override {
    std::vector<JobDescription> out;
    std::string token;
    for (int page = 0; page < 10000; ++page) {
      std::string query;
      for (const std::string& s : statuses) {
        query += (query.empty() ? "?" : "&") + std::string("jobStatuses=") + UriEncode(s);
      }
      if (!token.empty()) query += (query.empty() ? "?" : "&") + ("nextToken=" + UriEncode(token));
      THAW_ASSIGN_OR_RETURN(std::string body, Call("ListJobs", "GET", account_id, query, ""));
      pugi::xml_document doc;
      THAW_ASSIGN_OR_RETURN(pugi::xml_node root, Root(body, "ListJobs", "ListJobsResult", doc));
      for (pugi::xml_node m : root.child("Jobs").children("member")) out.push_back(ReadJob(m));
      token = std::string(Trim(root.child_value("NextToken")));
      if (token.empty()) return out;
    }
    return BadAnswer("ListJobs", "more than 10,000 pages");
  }

  Result<std::string> UpdateJobStatus(const std::string& account_id, const std::string& job_id,
                                      const std::string& requested,
                                      const std::string& reason) override {
    std::string query =
        "/" + UriEncode(job_id) + "/status?requestedJobStatus=" + UriEncode(requested);
    if (!reason.empty()) query += "&statusUpdateReason=" + UriEncode(reason);
    THAW_ASSIGN_OR_RETURN(std::string body, Call("UpdateJobStatus", "POST", account_id, query, ""));
    pugi::xml_document doc;
    THAW_ASSIGN_OR_RETURN(pugi::xml_node root,
                          Root(body, "UpdateJobStatus", "UpdateJobStatusResult", doc));
    return std::string(Trim(root.child_value("Status")));
  }

 private:
  std::string Base(const std::string& account_id) const {
    if (!config_.endpoint_url.empty()) return config_.endpoint_url;
    std::string host = account_id + ".s3-control." + config_.region + ".amazonaws.com";
    if (StartsWith(config_.region, "cn-")) host += ".cn";
    return "https://" + host;
  }

  // `tail`: the path after /v20180820/jobs, with its query.
  Result<std::string> Call(std::string_view op, const std::string& method,
                           const std::string& account_id, const std::string& tail,
                           const std::string& body) {
    if (account_id.size() != 12 ||
        account_id.find_first_not_of("0123456789") != std::string::npos) {
      return Status::InvalidArgument("S3 Control " + std::string(op) + ": account id '" +
                                     account_id + "' is not 12 digits");
    }
    std::string url = Base(account_id) + "/v20180820/jobs" + tail;
    std::string payload_hash = Sha256Hex(body);
    std::function<Result<std::string>()> attempt = [&]() -> Result<std::string> {
      HttpRequest req;
      req.method = method;
      req.url = url;
      req.headers.Set("x-amz-account-id", account_id);
      if (!body.empty()) req.headers.Set("Content-Type", "application/xml");
      req.body = HttpBody::FromString(body);
      if (credentials_) {
        THAW_ASSIGN_OR_RETURN(Credentials creds, credentials_->Get());
        SigningParams params;
        params.region = config_.region;
        params.service = "s3";
        params.time = clock_.Now();
        params.payload_hash = payload_hash;
        THAW_RETURN_IF_ERROR(SignRequest(req, creds, params));
      }
      Result<HttpResponse> resp = transport_->Send(req);
      std::string what = "S3 Control " + std::string(op);
      if (!resp.ok()) return NetworkError(resp.status(), what, "");
      if (resp->status >= 300) return ErrorFromResponse(*resp, what, "");
      return std::move(resp->body);
    };
    // Every call is safe to repeat: reads, a status change to the same status, and CreateJob
    // with its ClientRequestToken.
    return WithRetries<std::string>(config_.retry, /*idempotent=*/true, clock_, &RetryJitter01,
                                    attempt);
  }

  S3ControlConfig config_;
  std::shared_ptr<CredentialsProvider> credentials_;
  Clock& clock_;
  std::shared_ptr<HttpTransport> transport_;
};

}  // namespace

bool JobDescription::terminal() const {
  return status == "Complete" || status == "Failed" || status == "Cancelled";
}

std::unique_ptr<S3ControlClient> MakeS3ControlClient(
    const S3ControlConfig& config, std::shared_ptr<CredentialsProvider> credentials, Clock& clock,
    std::shared_ptr<HttpTransport> transport) {
  return std::make_unique<HttpS3ControlClient>(config, std::move(credentials), clock,
                                               std::move(transport));
}

std::string ResolveS3ControlEndpoint(const std::string& s3_endpoint_url, const EnvLookup& env) {
  if (auto v = env("AWS_ENDPOINT_URL_S3_CONTROL"); v && !v->empty()) return *v;
  return s3_endpoint_url;
}

Result<CallerIdentity> GetCallerIdentity(HttpTransport& http, CredentialsProvider& credentials,
                                         const std::string& region, const std::string& endpoint_url,
                                         Clock& clock) {
  std::string signing_region = region.empty() ? "us-east-1" : region;
  std::string url = endpoint_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.empty()) {
    url = "https://sts." + signing_region + ".amazonaws.com" +
          (StartsWith(signing_region, "cn-") ? ".cn" : "");
  }
  HttpRequest req;
  req.method = "POST";
  req.url = url + "/";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  req.body = HttpBody::FromString("Action=GetCallerIdentity&Version=2011-06-15");
  THAW_ASSIGN_OR_RETURN(Credentials creds, credentials.Get());
  SigningParams params;
  params.region = signing_region;
  params.service = "sts";
  params.time = clock.Now();
  params.s3_dialect = false;
  params.add_content_sha256_header = false;
  THAW_RETURN_IF_ERROR(SignRequest(req, creds, params));
  Result<HttpResponse> resp = http.Send(req);
  if (!resp.ok()) return NetworkError(resp.status(), "STS GetCallerIdentity", "");
  if (resp->status >= 300) return ErrorFromResponse(*resp, "STS GetCallerIdentity", "");
  pugi::xml_document doc;
  if (!doc.load_buffer(resp->body.data(), resp->body.size())) {
    return Status::Internal("STS GetCallerIdentity: the answer is not XML");
  }
  pugi::xml_node result = doc.child("GetCallerIdentityResponse").child("GetCallerIdentityResult");
  CallerIdentity id;
  id.account = std::string(Trim(result.child_value("Account")));
  id.arn = std::string(Trim(result.child_value("Arn")));
  id.user_id = std::string(Trim(result.child_value("UserId")));
  if (id.account.empty()) return Status::Internal("STS GetCallerIdentity: no Account in answer");
  return id;
}

}  // namespace thaw::s3
