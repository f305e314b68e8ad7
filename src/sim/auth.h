// SigV4 verification of incoming requests, header-signed (Authorization: AWS4-HMAC-SHA256 ...)
// and presigned (X-Amz-* query parameters), plus SigV2 headers and presigned URLs, reusing the
// client's signer building blocks (s3/sigv4.h) so that both sides share one canonicalization.
//
// Answers as S3 does: unknown key 403 InvalidAccessKeyId, wrong signature 403
// SignatureDoesNotMatch, request time more than 15 minutes off 403 RequestTimeTooSkewed, expired
// presigned URL 403 AccessDenied, no credentials at all 403 AccessDenied. With `anonymous`
// everything is accepted (signatures are not checked).
//
// Thread safety: immutable after construction; Verify may run on any thread.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "sim/aws_chunked.h"
#include "sim/request.h"

namespace thaw::sim {

struct AuthOptions {
  std::string access_key;
  std::string secret_key;
  bool anonymous = false;
};

struct AuthResult {
  std::string access_key;  // "" for anonymous requests
  // For STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies: what the chunk signatures chain from.
  std::optional<ChunkSigningContext> chunk_signing;
};

class Authenticator {
 public:
  // `clock` is real time: clients sign with their wall clock, not the sim's scaled one.
  Authenticator(AuthOptions options, Clock& clock);
  Result<AuthResult> Verify(const Request& req) const;

 private:
  Result<AuthResult> VerifyHeader(const Request& req, const std::string& authorization) const;
  Result<AuthResult> VerifyPresigned(const Request& req) const;
  // SigV2 (HMAC-SHA1): `Authorization: AWS key:signature` and query-string auth
  // (AWSAccessKeyId, Signature, Expires), which botocore still uses by default for presigned
  // S3 URLs and older clients (s3fs -o sigv2) for requests.
  Result<AuthResult> VerifySigV2Header(const Request& req, const std::string& authorization) const;
  Result<AuthResult> VerifySigV2Query(const Request& req) const;

  AuthOptions options_;
  Clock& clock_;
};

}  // namespace thaw::sim
