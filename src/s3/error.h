// How S3 failures are reported. Every failed S3 call returns a Status whose detail is an
// S3ErrorDetail: S3's error code, HTTP status, message and request id for service errors, or
// the network failure for transport errors, so callers can tell the two apart.
//
// Status codes follow what the caller should do: 5xx/SlowDown/network are kUnavailable
// (retry), InvalidObjectState is kFailedPrecondition (archived), NoSuchKey/NoSuchBucket/404 are
// kNotFound, AccessDenied/SignatureDoesNotMatch/InvalidAccessKeyId are kPermissionDenied, other
// 4xx are kInvalidArgument or kFailedPrecondition.
#pragma once

#include <string>

#include "common/status.h"
#include "s3/http.h"

namespace thaw::s3 {

class S3ErrorDetail : public StatusDetail {
 public:
  enum class Kind { kService, kNetwork, kClient };
  Kind kind = Kind::kService;
  int http_status = 0;        // 0 for network errors
  std::string code;           // S3's code, e.g. "InvalidObjectState"; "" when the body had none
  std::string message;        // S3's message
  std::string request_id;     // x-amz-request-id or <RequestId>
  std::string storage_class;  // <StorageClass> of InvalidObjectState errors
  std::string access_tier;    // <AccessTier> (Intelligent-Tiering), unconfirmed in practice
  // Service errors: 5xx and throttling codes. Network errors: always (subject to request_sent).
  bool retryable = false;
  // Network errors only: false when the request certainly never reached the server.
  bool request_sent = true;
};

// The detail of `s`, or nullptr when `s` did not come from the S3 client.
const S3ErrorDetail* GetS3Error(const Status& s);
// S3's error code of `s` ("" when none).
std::string S3ErrorCode(const Status& s);

// Builds the Status for an error response (status >= 300) from its headers and body.
// `operation` and `resource` go into the message, e.g. "HeadObject s3://b/k".
Status ErrorFromResponse(const HttpResponse& response, std::string_view operation,
                         std::string_view resource);

// Wraps a transport failure with operation context, keeping it distinct from service errors.
Status NetworkError(const Status& transport_status, std::string_view operation,
                    std::string_view resource);

}  // namespace thaw::s3
