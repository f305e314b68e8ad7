// SigV4 verification: rebuild the canonical request from what arrived, sign it with the
// configured secret and compare.
#include "sim/auth.h"

#include <openssl/crypto.h>

#include <chrono>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/sigv4.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr auto kMaxSkew = std::chrono::minutes(15);

struct Credential {
  std::string access_key;
  std::string date;  // 20150830
  std::string region;
  std::string service;
  std::string scope() const { return date + "/" + region + "/" + service + "/aws4_request"; }
};

std::optional<Credential> ParseCredential(std::string_view s) {
  std::vector<std::string> parts = Split(s, '/');
  if (parts.size() != 5 || parts[4] != "aws4_request") return std::nullopt;
  return Credential{parts[0], parts[1], parts[2], parts[3]};
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Signature(const std::string& secret, const Credential& cred,
                      const std::string& amz_date, const std::string& canonical_request,
                      std::string* signing_key) {
  std::string sts = std::string(kAlgorithm) + "\n" + amz_date + "\n" + cred.scope() + "\n" +
                    s3::Sha256Hex(canonical_request);
  std::string key = s3::DeriveSigningKey(secret, cred.date, cred.region, cred.service);
  std::string sig = HexEncode(s3::HmacSha256(key, sts));
  if (signing_key) *signing_key = key;
  return sig;
}

}  // namespace

Authenticator::Authenticator(AuthOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Result<AuthResult> Authenticator::Verify(const Request& req) const {
  if (options_.anonymous) return AuthResult{};
  if (const std::string* authz = req.headers.Find("Authorization")) {
    return VerifyHeader(req, *authz);
  }
  if (req.HasQuery("X-Amz-Signature") || req.HasQuery("X-Amz-Credential")) {
    return VerifyPresigned(req);
  }
  return S3Err("AccessDenied", "Anonymous access is not allowed (start thaw sim with --anonymous)");
}

Result<AuthResult> Authenticator::VerifyHeader(const Request& req, const std::string& authz) const {
  std::string_view a = Trim(authz);
  if (!StartsWith(a, kAlgorithm)) {
    return S3Err("AuthorizationHeaderMalformed", "only AWS4-HMAC-SHA256 is supported");
  }
  a.remove_prefix(kAlgorithm.size());
  std::string credential, signed_headers, signature;
  for (const std::string& item : Split(a, ',')) {
    std::string_view kv = Trim(item);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "Credential")
      credential = v;
    else if (k == "SignedHeaders")
      signed_headers = v;
    else if (k == "Signature")
      signature = v;
  }
  auto cred = ParseCredential(credential);
  if (!cred || signed_headers.empty() || signature.empty()) {
    return S3Err("AuthorizationHeaderMalformed");
  }
  if (cred->access_key != options_.access_key) return S3Err("InvalidAccessKeyId");
  std::string amz_date = req.headers.Get("x-amz-date");
  std::optional<Clock::TimePoint> t =
      amz_date.empty() ? ParseHttpDate(req.headers.Get("Date")) : ParseIso8601(amz_date);
  if (!t)
    return S3Err("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  auto now = clock_.Now();
  if (*t > now + kMaxSkew || *t < now - kMaxSkew) return S3Err("RequestTimeTooSkewed");
  if (amz_date.empty()) amz_date = FormatAmzDate(*t);
  std::string payload = req.headers.Get("x-amz-content-sha256");
  if (payload.empty()) payload = std::string(s3::kUnsignedPayload);
  std::vector<std::string> names = Split(signed_headers, ';');
  std::string canonical =
      s3::CanonicalRequest(req.method, req.target, req.headers, names, payload, true);
  std::string key;
  std::string expected = Signature(options_.secret_key, *cred, amz_date, canonical, &key);
  if (!ConstantTimeEquals(expected, signature)) return S3Err("SignatureDoesNotMatch");
  AuthResult r;
  r.access_key = cred->access_key;
  if (StartsWith(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")) {
    r.chunk_signing = ChunkSigningContext{key, amz_date, cred->scope(), signature};
  }
  return r;
}

Result<AuthResult> Authenticator::VerifyPresigned(const Request& req) const {
  if (req.Query("X-Amz-Algorithm") != kAlgorithm) {
    return S3Err("AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256");
  }
  auto cred = ParseCredential(req.Query("X-Amz-Credential"));
  std::string amz_date = req.Query("X-Amz-Date");
  auto t = ParseIso8601(amz_date);
  auto expires = ParseInt64(req.Query("X-Amz-Expires"));
  std::string signature = req.Query("X-Amz-Signature");
  std::string signed_headers = req.Query("X-Amz-SignedHeaders");
  if (!cred || !t || !expires || signature.empty() || signed_headers.empty()) {
    return S3Err("AuthorizationQueryParametersError");
  }
  if (cred->access_key != options_.access_key) return S3Err("InvalidAccessKeyId");
  auto now = clock_.Now();
  if (now > *t + std::chrono::seconds(*expires))
    return S3Err("AccessDenied", "Request has expired");
  if (*t > now + kMaxSkew) return S3Err("AccessDenied", "Request is not valid yet");
  // The canonical query is every parameter except the signature itself.
  std::string query;
  for (const std::string& piece : Split(req.raw_query, '&')) {
    if (piece.empty() || StartsWith(piece, "X-Amz-Signature=")) continue;
    if (!query.empty()) query += '&';
    query += piece;
  }
  std::string target = req.path + (query.empty() ? "" : "?" + query);
  std::string payload = req.Query("X-Amz-Content-Sha256");
  if (payload.empty()) payload = std::string(s3::kUnsignedPayload);
  std::string canonical = s3::CanonicalRequest(req.method, target, req.headers,
                                               Split(signed_headers, ';'), payload, true);
  std::string expected = Signature(options_.secret_key, *cred, amz_date, canonical, nullptr);
  if (!ConstantTimeEquals(expected, signature)) return S3Err("SignatureDoesNotMatch");
  return AuthResult{cred->access_key, std::nullopt};
}

}  // namespace thaw::sim
