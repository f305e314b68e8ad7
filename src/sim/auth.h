// SigV4 verification of incoming requests, header-signed (Authorization: AWS4-HMAC-SHA256 ...)
// and presigned (X-Amz-* query parameters), plus SigV2 headers and presigned URLs, reusing the
// client's signer building blocks (s3/sigv4.h) so that both sides share one canonicalization.
//
// Answers as S3 does: unknown key 403 InvalidAccessKeyId, wrong signature 403
// SignatureDoesNotMatch, request time more than 15 minutes off 403 RequestTimeTooSkewed, expired
// presigned URL 403 AccessDenied, no credentials at all 403 AccessDenied. With `anonymous`
// everything is accepted (signatures are not checked).
//
// Besides the one long-term key, the temporary credentials the sim's STS issued (StsSessions)
// are accepted with their session token (x-amz-security-token) until they expire on the sim
// clock: then 400 ExpiredToken. A session token the sim did not issue, or the wrong one for the
// key, is 400 InvalidToken (S3's codes).
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

class StsSessions;

class Authenticator {
 public:
  // `clock` is real time: clients sign with their wall clock, not the sim's scaled one.
  // `sessions` (may be null: long-term key only) must outlive the authenticator.
  Authenticator(AuthOptions options, Clock& clock, const StsSessions* sessions = nullptr);
  // `signed_body`: the request's body when the signer hashed it without saying so in
  // x-amz-content-sha256 (every service but S3: the STS Query API).
  Result<AuthResult> Verify(const Request& req, const std::string* signed_body = nullptr) const;

 private:
  // The secret of `access_key`, or the error AWS answers for it (unknown key, token missing,
  // foreign or expired). `token` is the request's session token ("" when none).
  Result<std::string> SecretFor(const std::string& access_key, const std::string& token) const;
  Result<AuthResult> VerifyHeader(const Request& req, const std::string& authorization,
                                  const std::string* signed_body) const;
  Result<AuthResult> VerifyPresigned(const Request& req) const;
  // SigV2 (HMAC-SHA1): `Authorization: AWS key:signature` and query-string auth
  // (AWSAccessKeyId, Signature, Expires), which botocore still uses by default for presigned
  // S3 URLs and older clients (s3fs -o sigv2) for requests.
  Result<AuthResult> VerifySigV2Header(const Request& req, const std::string& authorization) const;
  Result<AuthResult> VerifySigV2Query(const Request& req) const;

  AuthOptions options_;
  Clock& clock_;
  const StsSessions* sessions_;
};

}  // namespace thaw::sim
