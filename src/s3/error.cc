// Turning S3 error responses and transport failures into Status (see error.h). The code is
// chosen from S3's error code when there is one (it is more precise than the HTTP status: a 403
// may be AccessDenied or InvalidObjectState), else from the HTTP status alone.
#include "s3/error.h"

#include <memory>
#include <optional>

#include "common/strings.h"
#include "s3/xml.h"

namespace thaw::s3 {
namespace {

struct CodeRule {
  std::string_view code;
  StatusCode status;
  bool retryable;
};

// Error codes whose meaning does not follow from their HTTP status. RequestTimeout is a 400
// yet retryable; throttling may come as 503 or as 400/429 depending on the service.
constexpr CodeRule kCodeRules[] = {
    {"NoSuchKey", StatusCode::kNotFound, false},
    {"NoSuchBucket", StatusCode::kNotFound, false},
    {"NoSuchVersion", StatusCode::kNotFound, false},
    {"NoSuchUpload", StatusCode::kNotFound, false},
    {"InvalidObjectState", StatusCode::kFailedPrecondition, false},
    {"ObjectAlreadyInActiveTierError", StatusCode::kFailedPrecondition, false},
    {"AccessDenied", StatusCode::kPermissionDenied, false},
    {"SignatureDoesNotMatch", StatusCode::kPermissionDenied, false},
    {"InvalidAccessKeyId", StatusCode::kPermissionDenied, false},
    {"ExpiredToken", StatusCode::kPermissionDenied, false},
    {"InvalidToken", StatusCode::kPermissionDenied, false},
    {"RequestTimeTooSkewed", StatusCode::kPermissionDenied, false},
    {"PreconditionFailed", StatusCode::kFailedPrecondition, false},
    {"InvalidRange", StatusCode::kOutOfRange, false},
    // 409s: "someone else got there first" is kAlreadyExists (RestoreAlreadyInProgress,
    // BucketAlreadyExists); a conflicting operation that may succeed later is kAborted.
    {"OperationAborted", StatusCode::kAborted, false},
    {"ConditionalRequestConflict", StatusCode::kAborted, false},
    {"BucketNotEmpty", StatusCode::kFailedPrecondition, false},
    // Expedited capacity is gone for minutes, not milliseconds: the restore policy falls back
    // to another tier instead of the retry loop hammering the same one.
    {"GlacierExpeditedRetrievalNotAvailable", StatusCode::kUnavailable, false},
    {"NotImplemented", StatusCode::kUnimplemented, false},
    {"SlowDown", StatusCode::kUnavailable, true},
    {"Throttling", StatusCode::kUnavailable, true},
    {"ThrottlingException", StatusCode::kUnavailable, true},
    {"ThrottledException", StatusCode::kUnavailable, true},
    {"RequestThrottled", StatusCode::kUnavailable, true},
    {"RequestThrottledException", StatusCode::kUnavailable, true},
    {"RequestLimitExceeded", StatusCode::kUnavailable, true},
    {"TooManyRequestsException", StatusCode::kUnavailable, true},
    {"BandwidthLimitExceeded", StatusCode::kUnavailable, true},
    {"RequestTimeout", StatusCode::kUnavailable, true},
    {"RequestTimeoutException", StatusCode::kUnavailable, true},
    {"PriorRequestNotComplete", StatusCode::kUnavailable, true},
    {"InternalError", StatusCode::kUnavailable, true},
    {"ServiceUnavailable", StatusCode::kUnavailable, true},
};

struct Mapping {
  StatusCode status;
  bool retryable;
};

Mapping MapHttpStatus(int http_status) {
  if (http_status == 501) return {StatusCode::kUnimplemented, false};
  if (http_status >= 500 || http_status == 429) return {StatusCode::kUnavailable, true};
  switch (http_status) {
    case 304:  // If-None-Match / If-Modified-Since held: the condition, not the call, failed.
    case 412:
      return {StatusCode::kFailedPrecondition, false};
    case 401:
    case 403:
      return {StatusCode::kPermissionDenied, false};
    case 404:
      return {StatusCode::kNotFound, false};
    case 409:
      return {StatusCode::kAlreadyExists, false};
    case 416:
      return {StatusCode::kOutOfRange, false};
  }
  // Other 4xx, and 3xx redirects (a bucket in another region): the request must change.
  return {StatusCode::kInvalidArgument, false};
}

Mapping MapError(int http_status, std::string_view code) {
  for (const CodeRule& rule : kCodeRules) {
    if (rule.code == code) return {rule.status, rule.retryable};
  }
  // Any other NoSuch* (NoSuchLifecycleConfiguration, ...) names a missing resource.
  if (StartsWith(code, "NoSuch")) return {StatusCode::kNotFound, false};
  return MapHttpStatus(http_status);
}

// The reason phrase for bodiless answers (HEAD has no body, so a 404 there carries no code).
std::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
  }
  return "Error";
}

// "HeadObject s3://b/k: " (or "HeadObject: " without a resource).
std::string Prefix(std::string_view operation, std::string_view resource) {
  std::string p(operation);
  if (!resource.empty()) {
    p += ' ';
    p += resource;
  }
  p += ": ";
  return p;
}

std::string ServiceMessage(const S3ErrorDetail& d, bool had_body, std::string_view operation,
                           std::string_view resource) {
  std::string m = Prefix(operation, resource);
  std::string http = "HTTP " + std::to_string(d.http_status);
  if (!d.code.empty()) {
    m += d.code + " (" + http + ")";
    if (!d.message.empty()) m += ": " + d.message;
  } else {
    m += std::string(ReasonPhrase(d.http_status)) + " (" + http;
    m += had_body ? ", body is not an S3 error document)" : ", no error body)";
    if (!d.message.empty()) m += ": " + d.message;
  }
  if (!d.request_id.empty()) m += " [request id " + d.request_id + "]";
  return m;
}

}  // namespace

const S3ErrorDetail* GetS3Error(const Status& s) {
  return s.detail_as<S3ErrorDetail>();
}

std::string S3ErrorCode(const Status& s) {
  const S3ErrorDetail* d = GetS3Error(s);
  return d ? d->code : std::string();
}

Status ErrorFromResponse(const HttpResponse& response, std::string_view operation,
                         std::string_view resource) {
  auto d = std::make_shared<S3ErrorDetail>();
  d->kind = S3ErrorDetail::Kind::kService;
  d->http_status = response.status;
  std::optional<ErrorBody> body = ParseErrorBody(response.body);
  if (body) {
    d->code = body->code;
    d->message = body->message;
    d->storage_class = body->storage_class;
    d->access_tier = body->access_tier;
  }
  // S3 sends x-amz-request-id; moto sends x-amzn-RequestId. The header wins over the body.
  d->request_id = response.headers.Get("x-amz-request-id");
  if (d->request_id.empty()) d->request_id = response.headers.Get("x-amzn-requestid");
  if (d->request_id.empty() && body) d->request_id = body->request_id;
  Mapping m = MapError(response.status, d->code);
  d->retryable = m.retryable;
  std::string message = ServiceMessage(*d, !Trim(response.body).empty(), operation, resource);
  return Status(m.status, std::move(message), std::move(d));
}

Status NetworkError(const Status& transport_status, std::string_view operation,
                    std::string_view resource) {
  auto d = std::make_shared<S3ErrorDetail>();
  d->kind = S3ErrorDetail::Kind::kNetwork;
  d->retryable = true;
  // Without the transport's word, assume the request may have arrived: retrying a
  // non-idempotent call is then refused, which is the safe side.
  if (const auto* http = transport_status.detail_as<HttpErrorDetail>()) {
    d->request_sent = http->request_sent;
  }
  d->message = transport_status.message();
  StatusCode code = transport_status.ok() ? StatusCode::kInternal : transport_status.code();
  std::string message = Prefix(operation, resource) + "network error: " +
                        (transport_status.ok() ? "transport reported success" : d->message);
  return Status(code, std::move(message), std::move(d));
}

}  // namespace thaw::s3
