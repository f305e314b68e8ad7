// AWS Signature Version 4: canonical request, string to sign, signing key, Authorization header
// and presigned URLs. Used by the S3 client to sign and by `thaw sim` to verify.
//
// Two dialects exist and both are supported:
//  - the generic one of AWS's SigV4 test suite: the canonical URI is normalized (`.`/`..`/`//`
//    removed) and each path segment encoded again (so `%20` becomes `%2520`);
//  - S3's: the path is used exactly as sent (already URI-encoded once), never normalized.
// Query parameters are sorted by encoded name then value; header names are lower-cased, values
// trimmed with inner runs of spaces collapsed; duplicate headers are joined with ','.
//
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "s3/credentials.h"
#include "s3/http.h"

namespace thaw::s3 {

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SigningParams {
  std::string region;
  std::string service = "s3";
  Clock::TimePoint time;
  bool s3_dialect = true;  // see the header comment
  // Generic dialect only: remove `.`/`..` segments and duplicate slashes before encoding the
  // path. AWS's suite turns it off in its *-unnormalized cases; S3 never normalizes.
  bool normalize_path = true;
  // The payload hash to sign: hex SHA-256 of the body, kUnsignedPayload, or empty to have
  // SignRequest compute it from request.body.data. For S3 the same value goes into
  // x-amz-content-sha256.
  std::string payload_hash;
  // Include the x-amz-content-sha256 header (S3 requires it; the generic suite has none).
  bool add_content_sha256_header = true;
};

// The pieces of a signature, exposed for tests and for the sim's verifier.
struct SignatureParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // hex
  std::string signed_headers;  // "host;x-amz-date"
  std::string credential_scope;  // "20150830/us-east-1/service/aws4_request"
};

// Adds X-Amz-Date, X-Amz-Security-Token (when credentials have a session token; a stale one is
// removed when they have none),
// x-amz-content-sha256 (S3) and Authorization to `request`. The Host header is derived from
// the URL when absent. Headers already on the request are signed too.
Status SignRequest(HttpRequest& request, const Credentials& creds, const SigningParams& params,
                   SignatureParts* parts = nullptr);

// Returns `request.url` with the X-Amz-* query parameters of a presigned URL (signing the host
// header and any other header set on the request, payload UNSIGNED-PAYLOAD for S3; the generic
// dialect signs params.payload_hash or the body's hash). The URL's own query is kept as written.
Result<std::string> PresignUrl(const HttpRequest& request, const Credentials& creds,
                               const SigningParams& params, std::chrono::seconds expires,
                               SignatureParts* parts = nullptr);

// Lower-level building blocks (also used by the verifier in the sim).
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw bytes
std::string DeriveSigningKey(std::string_view secret, std::string_view date_stamp,
                             std::string_view region, std::string_view service);

// Canonical request for `method`, `url` (encoded path and query as sent), headers to sign.
// `url` may also be a bare request target ("/path?query"), as a server sees it.
// `signed_header_names` lists lower-case names; their values come from `headers`.
std::string CanonicalRequest(std::string_view method, std::string_view url,
                             const HttpHeaders& headers,
                             const std::vector<std::string>& signed_header_names,
                             std::string_view payload_hash, bool s3_dialect);

}  // namespace thaw::s3
