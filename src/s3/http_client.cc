// The real S3Client: builds each operation's HTTP request, signs it with SigV4, sends it over
// the pooled transport with retries, and turns the answer into typed results or S3 errors.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/client.h"
#include "s3/config.h"
#include "s3/error.h"
#include "s3/internal/region_redirect.h"
#include "s3/retry.h"
#include "s3/sigv4.h"
#include "s3/xml.h"

namespace thaw::s3 {
namespace {

// One S3 call: what to send and how to treat failures.
struct Call {
  std::string operation;  // "HeadObject", for messages
  std::string method = "GET";
  std::string bucket;
  std::string key;
  std::string query;  // already encoded
  HttpHeaders headers;
  HttpBody body;
  bool idempotent = true;
  // S3 error codes that are answers, not failures: never retried (e.g. 503
  // GlacierExpeditedRetrievalNotAvailable, which a retry cannot fix).
  std::set<std::string> final_codes;
  // A 2xx answer whose body is an S3 <Error> document is that error (CompleteMultipartUpload).
  bool error_in_ok_body = false;
  BodySink sink;
  // Called before every attempt (e.g. to move a ranged GET's start past bytes already received).
  std::function<void(HttpRequest&)> before_attempt;
  std::string payload_hash;  // computed once, reused by every attempt

  std::string resource() const { return "s3://" + bucket + (key.empty() ? "" : "/" + key); }
};

std::string QueryParam(std::string_view name, std::string_view value) {
  return UriEncode(name) + "=" + UriEncode(value);
}

void AppendQuery(std::string& query, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  if (!query.empty()) query += "&";
  query += QueryParam(name, value);
}

ObjectInfo ObjectInfoFromHeaders(const HttpHeaders& h, const std::string& bucket,
                                 const std::string& key) {
  ObjectInfo info;
  info.bucket = bucket;
  info.key = key;
  info.size = ParseUint64(h.Get("Content-Length")).value_or(0);
  info.etag = h.Get("ETag");
  if (auto t = ParseHttpDate(h.Get("Last-Modified"))) info.last_modified = *t;
  if (const auto* sc = h.Find("x-amz-storage-class"); sc && !sc->empty()) info.storage_class = *sc;
  info.archive_status = h.Get("x-amz-archive-status");
  info.restore_header = h.Get("x-amz-restore");
  if (auto r = ParseRestoreHeader(info.restore_header)) info.restore = *r;
  info.version_id = h.Get("x-amz-version-id");
  if (info.version_id == "null") info.version_id.clear();
  info.content_type = h.Get("Content-Type");
  constexpr std::string_view kMeta = "x-amz-meta-";
  for (const auto& [name, value] : h.entries()) {
    std::string lower = ToLower(name);
    if (StartsWith(lower, kMeta)) info.metadata[lower.substr(kMeta.size())] = value;
  }
  return info;
}

// "bytes 0-99/1000" -> 1000
std::optional<uint64_t> TotalFromContentRange(const std::string& v) {
  size_t slash = v.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  return ParseUint64(std::string_view(v).substr(slash + 1));
}

class HttpS3Client : public S3Client {
 public:
  HttpS3Client(ClientConfig config, std::shared_ptr<CredentialsProvider> credentials, Clock& clock,
               std::shared_ptr<HttpTransport> transport)
      : config_(std::move(config)),
        credentials_(std::move(credentials)),
        clock_(clock),
        transport_(transport ? std::move(transport) : MakeCurlTransport(config_.transport)) {}

  // Asynchronous restores must have finished (their callbacks run) before the client goes.
  ~HttpS3Client() override {
    std::lock_guard<std::mutex> g(slow_mu_);
    for (std::thread& t : slow_) t.join();
  }

  double EndpointTimeScale() const override { return time_scale_; }

  Result<ListObjectsPage> ListObjectsV2(const ListObjectsRequest& r) override {
    Call call;
    call.operation = "ListObjectsV2";
    call.bucket = r.bucket;
    call.query = "list-type=2";
    AppendQuery(call.query, "prefix", r.prefix);
    AppendQuery(call.query, "delimiter", r.delimiter);
    AppendQuery(call.query, "continuation-token", r.continuation_token);
    AppendQuery(call.query, "start-after", r.start_after);
    if (r.max_keys > 0) AppendQuery(call.query, "max-keys", std::to_string(r.max_keys));
    // Keys with control characters are not valid XML 1.0; url encoding keeps every key intact.
    AppendQuery(call.query, "encoding-type", "url");
    if (!r.optional_attributes.empty()) {
      call.headers.Set("x-amz-optional-object-attributes", r.optional_attributes);
    }
    THAW_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    auto page = ParseListObjectsV2(resp.body);
    if (!page.ok()) return page.status().WithContext("ListObjectsV2 " + call.resource());
    return page;
  }

  Result<ObjectInfo> HeadObject(const HeadObjectRequest& r) override {
    Call call;
    call.operation = "HeadObject";
    call.method = "HEAD";
    call.bucket = r.bucket;
    call.key = r.key;
    AppendQuery(call.query, "versionId", r.version_id);
    THAW_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    return ObjectInfoFromHeaders(resp.headers, r.bucket, r.key);
  }

  Result<GetObjectResult> GetObject(const GetObjectRequest& r) override {
    Call call;
    call.operation = "GetObject";
    call.bucket = r.bucket;
    call.key = r.key;
    AppendQuery(call.query, "versionId", r.version_id);
    if (!r.if_match.empty()) call.headers.Set("If-Match", r.if_match);

    // Bytes already handed to the caller's sink survive a retry: the next attempt asks only
    // for the rest, pinned to the same ETag so the two parts come from one object version.
    uint64_t delivered = 0;
    std::string pinned_etag = r.if_match;
    GetObjectResult result;
    if (r.sink) {
      call.sink = [&](std::string_view chunk) {
        delivered += chunk.size();
        return r.sink(chunk);
      };
    }
    call.before_attempt = [&](HttpRequest& req) {
      uint64_t first = (r.range ? r.range->first : 0) + delivered;
      if (r.range || delivered > 0) {
        std::string range = "bytes=" + std::to_string(first) + "-";
        if (r.range && r.range->last) range += std::to_string(*r.range->last);
        req.headers.Set("Range", range);
      }
      if (delivered > 0 && !pinned_etag.empty()) req.headers.Set("If-Match", pinned_etag);
      req.on_headers = [&](const HttpHeaders& h) {
        if (pinned_etag.empty()) pinned_etag = h.Get("ETag");
      };
    };
    call.final_codes = {"InvalidObjectState"};
    THAW_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    result.info = ObjectInfoFromHeaders(resp.headers, r.bucket, r.key);
    if (r.sink) result.info.size = delivered;
    if (const auto* cr = resp.headers.Find("Content-Range")) {
      result.total_size = TotalFromContentRange(*cr);
    }
    result.body = std::move(resp.body);
    return result;
  }

  Result<PutObjectResult> PutObject(const PutObjectRequest& r) override {
    Call call;
    call.operation = "PutObject";
    call.method = "PUT";
    call.bucket = r.bucket;
    call.key = r.key;
    call.body = r.body;
    if (!r.storage_class.empty()) call.headers.Set("x-amz-storage-class", r.storage_class);
    if (!r.content_type.empty()) call.headers.Set("Content-Type", r.content_type);
    for (const auto& [k, v] : r.metadata) call.headers.Set("x-amz-meta-" + k, v);
    // A PUT of the same bytes is idempotent; a body that cannot be rewound cannot be re-sent.
    call.idempotent = !r.body.has_reader() || static_cast<bool>(r.body.rewind);
    THAW_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    PutObjectResult out;
    out.etag = resp.headers.Get("ETag");
    out.version_id = resp.headers.Get("x-amz-version-id");
    return out;
  }

  Status DeleteObject(const std::string& bucket, const std::string& key,
                      const std::string& version_id) override {
    Call call;
    call.operation = "DeleteObject";
    call.method = "DELETE";
    call.bucket = bucket;
    call.key = key;
    AppendQuery(call.query, "versionId", version_id);
    return Execute(call).status();
  }

  Status CreateBucket(const std::string& bucket) override {
    Call call;
    call.operation = "CreateBucket";
    call.method = "PUT";
    call.bucket = bucket;
    if (config_.region != "us-east-1") {
      call.body = HttpBody::FromString(
          "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<LocationConstraint>" +
          config_.region + "</LocationConstraint></CreateBucketConfiguration>");
    }
    return Execute(call).status();
  }

  Status HeadBucket(const std::string& bucket) override {
    Call call;
    call.operation = "HeadBucket";
    call.method = "HEAD";
    call.bucket = bucket;
    return Execute(call).status();
  }

  Result<std::string> CreateMultipartUpload(const CreateMultipartUploadRequest& r) override {
    Call call;
    call.operation = "CreateMultipartUpload";
    call.method = "POST";
    call.bucket = r.bucket;
    call.key = r.key;
    call.query = "uploads";
    if (!r.storage_class.empty()) call.headers.Set("x-amz-storage-class", r.storage_class);
    if (!r.content_type.empty()) call.headers.Set("Content-Type", r.content_type);
    for (const auto& [k, v] : r.metadata) call.headers.Set("x-amz-meta-" + k, v);
    // A repeat after a lost answer would leave the first upload behind, unseen and billed:
    // retried only when S3 said it did nothing (5xx, throttling) or the request never left.
    call.idempotent = false;
    THAW_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    auto id = ParseInitiateMultipartUpload(resp.body);
    if (!id.ok()) return id.status().WithContext("CreateMultipartUpload " + call.resource());
    return id;
  }

  Result<std::string> UploadPart(const UploadPartRequest& r) override {
    Call call;
    call.operation = "UploadPart";
    call.method = "PUT";
    call.bucket = r.bucket;
    call.key = r.key;
    call.query = QueryParam("partNumber", std::to_string(r.part_number)) + "&" +
                 QueryParam("uploadId", r.upload_id);
    call.body = r.body;
    if (!r.content_md5.empty()) call.headers.Set("Content-MD5", r.content_md5);
    // Sending a part again replaces it with the same bytes.
    call.idempotent = !r.body.has_reader() || static_cast<bool>(r.body.rewind);
    THAW_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    std::string etag = resp.headers.Get("ETag");
    if (etag.empty()) {
      return Status::DataLoss("UploadPart " + call.resource() + " part " +
                              std::to_string(r.part_number) + ": no ETag in the answer");
    }
    return etag;
  }

  Result<PutObjectResult> CompleteMultipartUpload(
      const CompleteMultipartUploadRequest& r) override {
    Call call;
    call.operation = "CompleteMultipartUpload";
    call.method = "POST";
    call.bucket = r.bucket;
    call.key = r.key;
    call.query = QueryParam("uploadId", r.upload_id);
    call.body = HttpBody::FromString(BuildCompleteMultipartUploadXml(r.parts));
    call.headers.Set("Content-Type", "application/xml");
    // S3 may answer 200 and then report a failure in the body; that is an error like any
    // other (retried when its code says so, e.g. InternalError).
    call.error_in_ok_body = true;
    THAW_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    auto etag = ParseCompleteMultipartUpload(resp.body);
    if (!etag.ok()) return etag.status().WithContext("CompleteMultipartUpload " + call.resource());
    PutObjectResult out;
    out.etag = *std::move(etag);
    out.version_id = resp.headers.Get("x-amz-version-id");
    return out;
  }

  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id) override {
    Call call;
    call.operation = "AbortMultipartUpload";
    call.method = "DELETE";
    call.bucket = bucket;
    call.key = key;
    call.query = QueryParam("uploadId", upload_id);
    return Execute(call).status();
  }

  Result<RestoreOutcome> RestoreObject(const RestoreObjectRequest& r) override {
    Call call = RestoreCall(r);
    return RestoreOutcomeOf(Execute(call));
  }

  void RestoreObjectAsync(const RestoreObjectRequest& r, RestoreObjectCallback done) override {
    auto a = std::make_shared<AsyncRestore>();
    a->request = r;
    a->call = RestoreCall(r);
    a->done = std::move(done);
    if (Status s = CheckCall(a->call); !s.ok()) {
      a->done(s);
      return;
    }
    if (!config_.request_payer.empty()) {
      a->call.headers.Set("x-amz-request-payer", config_.request_payer);
    }
    a->region = regions_.Get(r.bucket).value_or(config_.region);
    SendRestoreAttempt(std::move(a), Clock::Duration::zero());
  }

 private:
  static Call RestoreCall(const RestoreObjectRequest& r) {
    Call call;
    call.operation = "RestoreObject";
    call.method = "POST";
    call.bucket = r.bucket;
    call.key = r.key;
    call.query = "restore";
    AppendQuery(call.query, "versionId", r.version_id);
    call.body = HttpBody::FromString(BuildRestoreRequestXml(r.tier, r.days));
    call.headers.Set("Content-Type", "application/xml");
    // Repeating a restore is harmless: S3 answers 409 (running) or 200 (done), both success.
    call.idempotent = true;
    call.final_codes = {"GlacierExpeditedRetrievalNotAvailable", "RestoreAlreadyInProgress",
                        "InvalidObjectState", "ObjectAlreadyInActiveTierError"};
    return call;
  }

  // RestoreObject's answers that are outcomes, not failures (facts doc's table).
  static Result<RestoreOutcome> RestoreOutcomeOf(const Result<HttpResponse>& resp) {
    if (resp.ok()) {
      return resp->status == 202 ? RestoreOutcome::kAccepted : RestoreOutcome::kAlreadyRestored;
    }
    std::string code = S3ErrorCode(resp.status());
    if (code == "RestoreAlreadyInProgress") return RestoreOutcome::kAlreadyInProgress;
    if (code == "GlacierExpeditedRetrievalNotAvailable") {
      return RestoreOutcome::kExpeditedUnavailable;
    }
    if (code == "InvalidObjectState" || code == "ObjectAlreadyInActiveTierError") {
      return RestoreOutcome::kNotArchived;
    }
    return resp.status();
  }

  // Refuses what S3 would refuse anyway, before anything is signed or sent.
  static Status CheckCall(const Call& call) {
    if (call.key.size() > kMaxKeyBytes) {
      // The key itself may be megabytes: the message shows its start only.
      return Status::InvalidArgument(call.operation + " s3://" + call.bucket + "/" +
                                     call.key.substr(0, 64) + "...: key is " +
                                     std::to_string(call.key.size()) +
                                     " bytes; S3 allows at most " + std::to_string(kMaxKeyBytes));
    }
    return Status::Ok();
  }

  // Sends `call` with retries. Returns a 2xx response, or the error. A bucket in another region
  // than the configured one is found as botocore finds it: the wrong-region answer names the
  // region (or a HeadBucket does), the call is re-signed for it and sent once more, and the
  // region is remembered for the bucket.
  Result<HttpResponse> Execute(Call& call) {
    THAW_RETURN_IF_ERROR(CheckCall(call));
    if (!config_.request_payer.empty()) {
      call.headers.Set("x-amz-request-payer", config_.request_payer);
    }
    // CreateBucket creates in the configured region: nothing to discover (botocore neither).
    bool discover = !call.bucket.empty() && call.operation != "CreateBucket";
    std::string region = config_.region;
    if (discover) {
      if (std::optional<std::string> known = regions_.Get(call.bucket)) region = *known;
    }
    internal::RegionAnswer answer;
    Result<HttpResponse> result = ExecuteIn(call, region, discover ? &answer : nullptr, nullptr);
    if (result.ok() || !answer.wrong_region) return result;
    std::string learnt = answer.region;
    if (learnt.empty()) learnt = ProbeBucketRegion(call.bucket, region);
    // The same region again (a 400 that was not about regions) would fail the same way; a 307
    // in the same region is DNS still settling and worth its one retry.
    if (learnt.empty() || (learnt == region && !answer.temporary)) return result;
    regions_.Put(call.bucket, learnt);
    return ExecuteIn(call, learnt, nullptr, nullptr);
  }

  // HeadBucket answers carry x-amz-bucket-region whatever their status (200, 301, 400, 403).
  std::string ProbeBucketRegion(const std::string& bucket, const std::string& region) {
    Call probe;
    probe.operation = "HeadBucket";
    probe.method = "HEAD";
    probe.bucket = bucket;
    if (!config_.request_payer.empty()) {
      probe.headers.Set("x-amz-request-payer", config_.request_payer);
    }
    std::string seen;
    (void)ExecuteIn(probe, region, nullptr, &seen);
    return seen;
  }

  // One call (with retries) signed for and addressed to `region`. Classifies a failure's answer
  // into *answer and copies the last answer's x-amz-bucket-region into *bucket_region.
  Result<HttpResponse> ExecuteIn(Call& call, const std::string& region,
                                 internal::RegionAnswer* answer, std::string* bucket_region) {
    std::function<Result<HttpResponse>()> attempt = [&]() -> Result<HttpResponse> {
      if (call.body.has_reader() && call.body.rewind && !call.body.rewind()) {
        return Status::Internal("cannot rewind the request body for a retry");
      }
      HttpRequest req;
      req.method = call.method;
      req.url = BuildObjectUrl(config_, region, call.bucket, call.key, call.query);
      req.headers = call.headers;
      // The body moves into the request for this attempt and back afterwards (no copies of
      // large uploads).
      req.body = std::move(call.body);
      if (call.before_attempt) call.before_attempt(req);
      // Metadata, If-Match ETags and the like come from callers and servers: checked here, on
      // any transport, before they are signed.
      Status signed_ok = CheckRequestSendable(req);
      if (signed_ok.ok()) {
        signed_ok = Sign(req, region, call.payload_hash);
      } else {
        signed_ok = signed_ok.WithContext(call.operation + " " + call.resource());
      }
      Result<HttpResponse> resp =
          signed_ok.ok() ? transport_->Send(req, call.sink) : Result<HttpResponse>(signed_ok);
      call.body = std::move(req.body);
      if (!signed_ok.ok()) return signed_ok;
      return Interpret(call, std::move(resp), answer, bucket_region);
    };
    return WithRetries<HttpResponse>(config_.retry, call.idempotent, clock_, &RetryJitter01,
                                     attempt);
  }

  // One attempt's request for `call`, addressed to and signed for `region` (the body copied:
  // asynchronous calls are small). Fails when the request may not be sent or signed.
  Result<HttpRequest> SignedRequest(const Call& call, const std::string& region,
                                    std::string& payload_hash) {
    HttpRequest req;
    req.method = call.method;
    req.url = BuildObjectUrl(config_, region, call.bucket, call.key, call.query);
    req.headers = call.headers;
    req.body = call.body;
    Status ok = CheckRequestSendable(req);
    if (!ok.ok()) return ok.WithContext(call.operation + " " + call.resource());
    THAW_RETURN_IF_ERROR(Sign(req, region, payload_hash));
    return req;
  }

  // What one attempt's transport result means: the 2xx response, or the error (S3's, or the
  // network's), with the answer's region hints in *answer and *bucket_region when asked.
  Result<HttpResponse> Interpret(const Call& call, Result<HttpResponse> resp,
                                 internal::RegionAnswer* answer, std::string* bucket_region) {
    if (!resp.ok()) return NetworkError(resp.status(), call.operation, call.resource());
    if (bucket_region) *bucket_region = resp->headers.Get("x-amz-bucket-region");
    if (const std::string* scale = resp->headers.Find(kTimeScaleHeader)) {
      time_scale_ = ParseTimeScale(*scale).value_or(1.0);
    }
    if (resp->status >= 300 || (call.error_in_ok_body && ParseErrorBody(resp->body))) {
      if (answer && resp->status >= 300) {
        *answer = internal::ClassifyRegionAnswer(*resp, call.operation);
      }
      Status err = ErrorFromResponse(*resp, call.operation, call.resource());
      if (call.final_codes.count(S3ErrorCode(err))) return MakeFinal(err);
      return err;
    }
    if (answer) *answer = {};
    return resp;
  }

  // An asynchronous RestoreObject under way (see RestoreObjectAsync).
  struct AsyncRestore {
    RestoreObjectRequest request;
    Call call;
    std::string region;
    int attempt = 1;
    RestoreObjectCallback done;
  };

  // Sends one attempt of `a` after `delay`; its answer comes back in OnRestoreAnswer on the
  // transport's loop thread.
  void SendRestoreAttempt(std::shared_ptr<AsyncRestore> a, Clock::Duration delay) {
    Result<HttpRequest> req = SignedRequest(a->call, a->region, a->call.payload_hash);
    if (!req.ok()) {
      a->done(req.status());
      return;
    }
    transport_->SendAsync(std::move(*req), delay, [this, a](Result<HttpResponse> resp) {
      OnRestoreAnswer(a, std::move(resp));
    });
  }

  void OnRestoreAnswer(const std::shared_ptr<AsyncRestore>& a, Result<HttpResponse> resp) {
    internal::RegionAnswer answer;
    Result<HttpResponse> r = Interpret(a->call, std::move(resp), &answer, nullptr);
    if (!r.ok() && answer.wrong_region) {
      // The bucket lives elsewhere: the blocking path finds its region (perhaps with a
      // HeadBucket) and remembers it. Rare, so a thread of its own, off the event loop.
      std::lock_guard<std::mutex> g(slow_mu_);
      slow_.emplace_back([this, a] { a->done(RestoreObject(a->request)); });
      return;
    }
    if (!r.ok() && a->attempt < config_.retry.max_attempts &&
        IsRetryable(r.status(), a->call.idempotent)) {
      Clock::Duration delay = BackoffDelay(config_.retry, a->attempt, &RetryJitter01);
      ++a->attempt;
      SendRestoreAttempt(a, delay);
      return;
    }
    a->done(RestoreOutcomeOf(r));
  }

  // A copy of `err` that the retry policy will not retry.
  static Status MakeFinal(const Status& err) {
    const S3ErrorDetail* d = GetS3Error(err);
    if (d == nullptr || !d->retryable) return err;
    auto copy = std::make_shared<S3ErrorDetail>(*d);
    copy->retryable = false;
    return Status(err.code(), err.message(), copy);
  }

  Status Sign(HttpRequest& req, const std::string& region, std::string& payload_hash) {
    if (!credentials_) return Status::Ok();  // --no-sign-request
    THAW_ASSIGN_OR_RETURN(Credentials creds, credentials_->Get());
    if (payload_hash.empty()) {
      if (req.body.has_reader()) {
        payload_hash = std::string(kUnsignedPayload);
      } else {
        payload_hash =
            req.body.data.empty() ? std::string(kEmptyPayloadSha256) : Sha256Hex(req.body.data);
      }
    }
    SigningParams params;
    params.region = region;
    params.service = "s3";
    params.time = clock_.Now();
    params.s3_dialect = true;
    params.payload_hash = payload_hash;
    return SignRequest(req, creds, params);
  }

  ClientConfig config_;
  std::shared_ptr<CredentialsProvider> credentials_;
  Clock& clock_;
  std::shared_ptr<HttpTransport> transport_;
  internal::BucketRegionCache regions_;  // regions learnt from wrong-region answers
  std::atomic<double> time_scale_{1.0};
  std::mutex slow_mu_;             // guards slow_
  std::vector<std::thread> slow_;  // asynchronous restores finished on the blocking path
};

}  // namespace

std::unique_ptr<S3Client> MakeHttpClient(const ClientConfig& config,
                                         std::shared_ptr<CredentialsProvider> credentials,
                                         Clock& clock, std::shared_ptr<HttpTransport> transport) {
  return std::make_unique<HttpS3Client>(config, std::move(credentials), clock,
                                        std::move(transport));
}

}  // namespace thaw::s3
