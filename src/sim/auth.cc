// SigV4 verification: rebuild the canonical request from what arrived, sign it with the
// configured secret and compare.
#include "sim/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/sigv4.h"
#include "sim/checksums.h"
#include "sim/s3_error.h"
#include "sim/sts_sessions.h"

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

// Sub-resources that SigV2 signs as part of the resource (AWS's list), in sorted order.
constexpr const char* kSigV2SubResources[] = {"acl",
                                              "delete",
                                              "lifecycle",
                                              "location",
                                              "logging",
                                              "notification",
                                              "partNumber",
                                              "policy",
                                              "requestPayment",
                                              "response-cache-control",
                                              "response-content-disposition",
                                              "response-content-encoding",
                                              "response-content-language",
                                              "response-content-type",
                                              "response-expires",
                                              "restore",
                                              "tagging",
                                              "torrent",
                                              "uploadId",
                                              "uploads",
                                              "versionId",
                                              "versioning",
                                              "versions",
                                              "website"};

// SigV2 (HMAC-SHA1) string to sign: verb, Content-MD5, Content-Type, Date or Expires, the x-amz-*
// headers, then the resource (bucket + encoded path + signed sub-resources).
std::string SigV2StringToSign(const Request& req, const std::string& date_or_expires) {
  std::map<std::string, std::string> amz;
  for (const auto& [name, value] : req.headers.entries()) {
    std::string lower = ToLower(name);
    if (!StartsWith(lower, "x-amz-")) continue;
    std::string v(Trim(value));
    auto [it, inserted] = amz.emplace(lower, v);
    if (!inserted) it->second += "," + v;
  }
  std::string sts = req.method + "\n" + req.headers.Get("Content-MD5") + "\n" +
                    req.headers.Get("Content-Type") + "\n" + date_or_expires + "\n";
  for (const auto& [name, value] : amz) {
    if (name == "x-amz-date" && date_or_expires.empty()) continue;
    sts += name + ":" + value + "\n";
  }
  std::string resource = req.path;
  std::string host = req.headers.Get("Host");
  host = host.substr(0, host.find(':'));
  if (EndsWith(host, ".localhost")) {
    resource = "/" + host.substr(0, host.size() - 10) + req.path;
  }
  std::vector<std::string> subs;
  for (const std::string& piece : Split(req.raw_query, '&')) {
    std::string name = piece.substr(0, piece.find('='));
    for (const char* sub : kSigV2SubResources) {
      if (name == sub) {
        auto decoded = UriDecode(piece, true);
        subs.push_back(decoded ? *decoded : piece);
      }
    }
  }
  std::sort(subs.begin(), subs.end());
  for (size_t i = 0; i < subs.size(); ++i) resource += (i ? "&" : "?") + subs[i];
  return sts + resource;
}

std::string HmacSha1Base64(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace

Authenticator::Authenticator(AuthOptions options, Clock& clock, const StsSessions* sessions)
    : options_(std::move(options)), clock_(clock), sessions_(sessions) {}

Result<std::string> Authenticator::SecretFor(const std::string& access_key,
                                             const std::string& token) const {
  if (sessions_ != nullptr) {
    if (std::optional<StsSession> s = sessions_->Find(access_key)) {
      // Without its token a temporary key is unknown to S3; with another one, invalid.
      if (token.empty()) return S3Err("InvalidAccessKeyId");
      if (!ConstantTimeEquals(token, s->session_token)) return S3Err("InvalidToken");
      if (sessions_->Expired(*s)) return S3Err("ExpiredToken");
      return s->secret_key;
    }
  }
  if (!token.empty()) return S3Err("InvalidToken");
  if (access_key != options_.access_key) return S3Err("InvalidAccessKeyId");
  return options_.secret_key;
}

Result<AuthResult> Authenticator::Verify(const Request& req, const std::string* signed_body) const {
  if (options_.anonymous) return AuthResult{};
  if (const std::string* authz = req.headers.Find("Authorization")) {
    if (StartsWith(Trim(*authz), "AWS ")) return VerifySigV2Header(req, *authz);
    return VerifyHeader(req, *authz, signed_body);
  }
  if (req.HasQuery("AWSAccessKeyId") && req.HasQuery("Signature")) return VerifySigV2Query(req);
  if (req.HasQuery("X-Amz-Signature") || req.HasQuery("X-Amz-Credential")) {
    return VerifyPresigned(req);
  }
  return S3Err("AccessDenied", "Anonymous access is not allowed (start thaw sim with --anonymous)");
}

Result<AuthResult> Authenticator::VerifyHeader(const Request& req, const std::string& authz,
                                               const std::string* signed_body) const {
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
  THAW_ASSIGN_OR_RETURN(std::string secret,
                        SecretFor(cred->access_key, req.headers.Get("x-amz-security-token")));
  std::string amz_date = req.headers.Get("x-amz-date");
  std::optional<Clock::TimePoint> t =
      amz_date.empty() ? ParseHttpDate(req.headers.Get("Date")) : ParseIso8601(amz_date);
  if (!t)
    return S3Err("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  auto now = clock_.Now();
  if (*t > now + kMaxSkew || *t < now - kMaxSkew) return S3Err("RequestTimeTooSkewed");
  if (amz_date.empty()) amz_date = FormatAmzDate(*t);
  std::string payload = req.headers.Get("x-amz-content-sha256");
  if (payload.empty()) {
    payload = signed_body ? s3::Sha256Hex(*signed_body) : std::string(s3::kUnsignedPayload);
  }
  std::vector<std::string> names = Split(signed_headers, ';');
  std::string canonical =
      s3::CanonicalRequest(req.method, req.target, req.headers, names, payload, true);
  std::string key;
  std::string expected = Signature(secret, *cred, amz_date, canonical, &key);
  if (!ConstantTimeEquals(expected, signature) && !req.headers.Has("x-amz-content-sha256") &&
      req.headers.Get("Content-Length").empty() && !req.headers.Has("Transfer-Encoding")) {
    // Generic SigV4 signers (curl --aws-sigv4 before 8.x) send no x-amz-content-sha256 and sign
    // the hash of the (empty) body: accept that for requests without a body.
    canonical =
        s3::CanonicalRequest(req.method, req.target, req.headers, names, s3::Sha256Hex(""), true);
    expected = Signature(secret, *cred, amz_date, canonical, &key);
  }
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
  THAW_ASSIGN_OR_RETURN(std::string secret,
                        SecretFor(cred->access_key, req.Query("X-Amz-Security-Token")));
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
  std::string expected = Signature(secret, *cred, amz_date, canonical, nullptr);
  if (!ConstantTimeEquals(expected, signature)) return S3Err("SignatureDoesNotMatch");
  return AuthResult{cred->access_key, std::nullopt};
}

}  // namespace thaw::sim

namespace thaw::sim {

Result<AuthResult> Authenticator::VerifySigV2Header(const Request& req,
                                                    const std::string& authz) const {
  std::string_view a = Trim(authz);
  a.remove_prefix(4);  // "AWS "
  size_t colon = a.rfind(':');
  if (colon == std::string_view::npos) return S3Err("AuthorizationHeaderMalformed");
  std::string key(a.substr(0, colon)), signature(a.substr(colon + 1));
  THAW_ASSIGN_OR_RETURN(std::string secret,
                        SecretFor(key, req.headers.Get("x-amz-security-token")));
  std::string amz_date = req.headers.Get("x-amz-date");
  std::string date = req.headers.Get("Date");
  auto t = ParseHttpDate(amz_date.empty() ? date : amz_date);
  if (!t) return S3Err("AccessDenied", "AWS authentication requires a valid Date or x-amz-date");
  auto now = clock_.Now();
  if (*t > now + kMaxSkew || *t < now - kMaxSkew) return S3Err("RequestTimeTooSkewed");
  // With x-amz-date the Date line is empty and x-amz-date is signed among the x-amz headers.
  std::string sts = SigV2StringToSign(req, amz_date.empty() ? date : "");
  if (!ConstantTimeEquals(HmacSha1Base64(secret, sts), signature)) {
    return S3Err("SignatureDoesNotMatch");
  }
  return AuthResult{key, std::nullopt};
}

Result<AuthResult> Authenticator::VerifySigV2Query(const Request& req) const {
  std::string key = req.Query("AWSAccessKeyId");
  auto expires = ParseInt64(req.Query("Expires"));
  if (!expires) return S3Err("AuthorizationQueryParametersError", "Expires must be a number");
  THAW_ASSIGN_OR_RETURN(std::string secret, SecretFor(key, req.Query("x-amz-security-token")));
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch());
  if (now.count() > *expires) return S3Err("AccessDenied", "Request has expired");
  std::string sts = SigV2StringToSign(req, std::to_string(*expires));
  if (!ConstantTimeEquals(HmacSha1Base64(secret, sts), req.Query("Signature"))) {
    return S3Err("SignatureDoesNotMatch");
  }
  return AuthResult{key, std::nullopt};
}

}  // namespace thaw::sim
