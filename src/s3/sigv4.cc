// AWS Signature Version 4 (see sigv4.h): canonical request, string to sign, signing key,
// Authorization header and presigned URLs, in the generic dialect of AWS's test suite and in S3's.
//
// The rules follow botocore (auth.py), which AWS maintains alongside the service: the same
// headers are left unsigned, the generic dialect normalizes paths as botocore's
// remove_dot_segments does, and presigned URLs put the X-Amz-* parameters in botocore's order.
#include "s3/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "common/strings.h"
#include "common/time_format.h"

namespace thaw::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
// S3 rejects presigned URLs valid for longer than seven days.
constexpr std::chrono::seconds kMaxPresignExpiry{7 * 24 * 3600};

// Hop-by-hop and proxy-added headers may change between signer and server, which would break
// the signature: botocore's SIGNED_HEADERS_BLACKLIST. Authorization is the signature itself
// (still present when a request is signed again for a retry).
constexpr std::array<std::string_view, 12> kUnsignedHeaders = {
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

// Query parameters a presigned URL adds; a URL that already has them would be signed twice.
constexpr std::array<std::string_view, 7> kPresignParams = {
    "x-amz-algorithm",     "x-amz-credential",     "x-amz-date",     "x-amz-expires",
    "x-amz-signedheaders", "x-amz-security-token", "x-amz-signature"};

// Views into "scheme://authority/path?query" (the fragment is never sent, so it is dropped).
// A bare request target "/path?query" has no scheme or authority.
struct UrlParts {
  std::string_view scheme;
  std::string_view authority;
  std::string_view path;
  std::string_view query;
};

std::optional<UrlParts> SplitUrl(std::string_view url) {
  url = url.substr(0, url.find('#'));
  UrlParts parts;
  std::string_view rest = url;
  if (!StartsWith(url, "/")) {
    size_t sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) return std::nullopt;
    parts.scheme = url.substr(0, sep);
    rest = url.substr(sep + 3);
    size_t end = rest.find_first_of("/?");
    parts.authority = rest.substr(0, end);
    if (parts.authority.empty()) return std::nullopt;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  size_t q = rest.find('?');
  parts.path = rest.substr(0, q);
  if (q != std::string_view::npos) parts.query = rest.substr(q + 1);
  return parts;
}

// What an HTTP client sends as Host for this URL: no userinfo, lower case, no default port.
std::string HostHeaderValue(const UrlParts& url) {
  std::string_view authority = url.authority;
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  std::string_view port;
  size_t colon = authority.rfind(':');
  // A colon inside an IPv6 literal ("[::1]") separates no port.
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  std::string scheme = ToLower(url.scheme);
  bool default_port =
      port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  std::string out = ToLower(host);
  if (!default_port) out.append(":").append(port);
  return out;
}

// botocore's remove_dot_segments: RFC 3986 dot removal plus dropping empty segments, keeping a
// trailing slash only when something is left before it.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string> kept;
  for (std::string& segment : Split(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(std::move(segment));
  }
  std::string out = StartsWith(path, "/") ? "/" : "";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (EndsWith(path, "/") && !kept.empty()) out += '/';
  return out;
}

std::string CanonicalUri(std::string_view path, bool s3_dialect, bool normalize) {
  if (path.empty()) return "/";
  // S3 signs the path exactly as sent: keys are encoded once by the client and "a/../b" or "a//b"
  // are distinct keys.
  if (s3_dialect) return std::string(path);
  // The generic dialect encodes the path as sent once more, so "%20" is signed as "%2520".
  return UriEncode(normalize ? RemoveDotSegments(path) : std::string(path), /*keep_slash=*/true);
}

// Servers decode query components and encode them again before signing, so a component sent raw
// ("ሴ") and one sent encoded ("%E1%88%B4") sign alike. A malformed escape is taken literally;
// SignRequest and PresignUrl reject such URLs before getting here.
std::string CanonicalQueryComponent(std::string_view s) {
  std::optional<std::string> decoded = UriDecode(s);
  return UriEncode(decoded ? std::string_view(*decoded) : s);
}

// Splits "a=1&b&c=" into (name, value) views; "b" has an empty value, empty pieces are skipped.
std::vector<std::pair<std::string_view, std::string_view>> SplitQuery(std::string_view query) {
  std::vector<std::pair<std::string_view, std::string_view>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    params.emplace_back(piece.substr(0, eq),
                        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1));
  }
  return params;
}

std::string CanonicalQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [name, value] : SplitQuery(query)) {
    params.emplace_back(CanonicalQueryComponent(name), CanonicalQueryComponent(value));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out.append(name).append("=").append(value);
  }
  return out;
}

// Trims the value and collapses inner runs of whitespace (including the line breaks of a folded
// multi-line header) to one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : Trim(value)) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      pending_space = true;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string CanonicalHeaders(const HttpHeaders& headers, const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out.append(name).append(":");
    bool first = true;
    for (const auto& [header_name, value] : headers.entries()) {
      if (!EqualsIgnoreCase(header_name, name)) continue;
      if (!first) out += ',';
      out += CanonicalHeaderValue(value);
      first = false;
    }
    out += '\n';
  }
  return out;
}

std::vector<std::string> SortedLowerUnique(std::vector<std::string> names) {
  for (std::string& name : names) name = ToLower(Trim(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

// Every header on the request except those in kUnsignedHeaders, sorted, lower case.
std::vector<std::string> SignableHeaderNames(const HttpHeaders& headers) {
  std::vector<std::string> names;
  for (const auto& entry : headers.entries()) {
    std::string name = ToLower(Trim(entry.first));
    if (std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), name) ==
        kUnsignedHeaders.end()) {
      names.push_back(std::move(name));
    }
  }
  return SortedLowerUnique(std::move(names));
}

// What the canonical request is built from; `signed_names` is sorted, lower case, unique.
struct CanonicalInput {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  const HttpHeaders* headers;
  const std::vector<std::string>* signed_names;
  std::string_view payload_hash;
  bool s3_dialect;
  bool normalize_path;
};

std::string BuildCanonicalRequest(const CanonicalInput& in) {
  std::string out;
  out.append(in.method).append("\n");
  out.append(CanonicalUri(in.path, in.s3_dialect, in.normalize_path)).append("\n");
  out.append(CanonicalQueryString(in.query)).append("\n");
  out.append(CanonicalHeaders(*in.headers, *in.signed_names)).append("\n");
  out.append(JoinNames(*in.signed_names)).append("\n");
  out.append(in.payload_hash);
  return out;
}

std::string CredentialScope(const SigningParams& params) {
  return FormatAmzDateStamp(params.time) + "/" + params.region + "/" + params.service +
         "/aws4_request";
}

// The canonical request, string to sign and signature for `in`. Fails only if OpenSSL does.
Result<SignatureParts> Sign(const CanonicalInput& in, const Credentials& creds,
                            const SigningParams& params) {
  SignatureParts parts;
  parts.canonical_request = BuildCanonicalRequest(in);
  parts.signed_headers = JoinNames(*in.signed_names);
  parts.credential_scope = CredentialScope(params);
  std::string request_hash = Sha256Hex(parts.canonical_request);
  parts.string_to_sign = std::string(kAlgorithm) + "\n" + FormatAmzDate(params.time) + "\n" +
                         parts.credential_scope + "\n" + request_hash;
  std::string key = DeriveSigningKey(creds.secret_access_key, FormatAmzDateStamp(params.time),
                                     params.region, params.service);
  std::string signature = key.empty() ? "" : HmacSha256(key, parts.string_to_sign);
  OPENSSL_cleanse(key.data(), key.size());
  if (request_hash.empty() || signature.empty()) {
    return Status::Internal("SigV4: OpenSSL SHA-256/HMAC failed");
  }
  parts.signature = HexEncode(signature);
  return parts;
}

Status CheckSigningInputs(const Credentials& creds, const SigningParams& params) {
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return Status::InvalidArgument("SigV4: credentials lack an access key id or secret key");
  }
  if (params.region.empty() || params.service.empty()) {
    return Status::InvalidArgument("SigV4: signing needs a region and a service");
  }
  return Status::Ok();
}

// The URL must be absolute (the Host header may come from it) and its query (and, for S3, its
// path, which is signed as sent) must be validly percent-encoded. Messages leave the URL out:
// it may carry a security token.
Result<UrlParts> ParseRequestUrl(std::string_view url, bool s3_dialect) {
  std::optional<UrlParts> parts = SplitUrl(url);
  if (!parts || parts->authority.empty()) {
    return Status::InvalidArgument("SigV4: request URL is not absolute (scheme://host/path)");
  }
  for (const auto& [name, value] : SplitQuery(parts->query)) {
    if (!UriDecode(name) || !UriDecode(value)) {
      return Status::InvalidArgument("SigV4: request URL query has a malformed %-escape");
    }
  }
  if (s3_dialect && !UriDecode(parts->path)) {
    return Status::InvalidArgument(
        "SigV4: request URL path has a malformed %-escape (S3 paths must be URI-encoded)");
  }
  return *parts;
}

Result<std::string> PayloadHashToSign(const HttpRequest& request, const SigningParams& params) {
  if (!params.payload_hash.empty()) return params.payload_hash;
  if (request.body.has_reader()) {
    return Status::InvalidArgument(
        "SigV4: a streamed body needs SigningParams::payload_hash (its hash or UNSIGNED-PAYLOAD)");
  }
  return Sha256Hex(request.body.data);
}

Status CheckNoPresignParams(std::string_view query) {
  for (const auto& [name, value] : SplitQuery(query)) {
    std::string lower = ToLower(UriDecode(name).value_or(std::string(name)));
    if (std::find(kPresignParams.begin(), kPresignParams.end(), lower) != kPresignParams.end()) {
      return Status::InvalidArgument("SigV4: URL to presign already has X-Amz-* auth parameters");
    }
  }
  return Status::Ok();
}

// The X-Amz-* parameters of a presigned URL except the signature, in botocore's order.
std::string PresignQuery(const Credentials& creds, const SigningParams& params,
                         std::chrono::seconds expires, const std::vector<std::string>& names) {
  std::string query = "X-Amz-Algorithm=" + std::string(kAlgorithm);
  query += "&X-Amz-Credential=" + UriEncode(creds.access_key_id + "/" + CredentialScope(params));
  query += "&X-Amz-Date=" + FormatAmzDate(params.time);
  query += "&X-Amz-Expires=" + std::to_string(expires.count());
  query += "&X-Amz-SignedHeaders=" + UriEncode(JoinNames(names));
  if (!creds.session_token.empty()) {
    query += "&X-Amz-Security-Token=" + UriEncode(creds.session_token);
  }
  return query;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  // OpenSSL 3 may refuse a null key or data pointer even with length 0.
  static const unsigned char kNothing = 0;
  const void* key_ptr = key.empty() ? &kNothing : static_cast<const void*>(key.data());
  const unsigned char* data_ptr =
      data.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(data.data());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data_ptr, data.size(), mac,
           &length) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date_stamp,
                             std::string_view region, std::string_view service) {
  std::string secret_key = "AWS4" + std::string(secret);
  std::string key = HmacSha256(secret_key, date_stamp);
  OPENSSL_cleanse(secret_key.data(), secret_key.size());
  for (std::string_view part : {region, service, std::string_view("aws4_request")}) {
    if (key.empty()) return "";
    key = HmacSha256(key, part);
  }
  return key;
}

std::string CanonicalRequest(std::string_view method, std::string_view url,
                             const HttpHeaders& headers,
                             const std::vector<std::string>& signed_header_names,
                             std::string_view payload_hash, bool s3_dialect) {
  // An unparsable URL is taken as a bare path so the caller still gets a request to compare.
  UrlParts parts = SplitUrl(url).value_or(UrlParts{{}, {}, url, {}});
  std::vector<std::string> names = SortedLowerUnique(signed_header_names);
  return BuildCanonicalRequest({method, parts.path, parts.query, &headers, &names, payload_hash,
                                s3_dialect, /*normalize_path=*/true});
}

Status SignRequest(HttpRequest& request, const Credentials& creds, const SigningParams& params,
                   SignatureParts* parts) {
  THAW_RETURN_IF_ERROR(CheckSigningInputs(creds, params));
  THAW_ASSIGN_OR_RETURN(UrlParts url, ParseRequestUrl(request.url, params.s3_dialect));
  THAW_ASSIGN_OR_RETURN(std::string payload_hash, PayloadHashToSign(request, params));

  // Set in the order AWS's suite shows them; a re-signed request replaces its old values.
  HttpHeaders& headers = request.headers;
  headers.Remove("Authorization");
  if (!headers.Has("Host")) headers.Set("Host", HostHeaderValue(url));
  if (creds.session_token.empty()) {
    headers.Remove("X-Amz-Security-Token");
  } else {
    headers.Set("X-Amz-Security-Token", creds.session_token);
  }
  headers.Set("X-Amz-Date", FormatAmzDate(params.time));
  if (params.add_content_sha256_header) headers.Set("x-amz-content-sha256", payload_hash);

  std::vector<std::string> names = SignableHeaderNames(headers);
  THAW_ASSIGN_OR_RETURN(SignatureParts signed_parts,
                        Sign({request.method, url.path, url.query, &headers, &names, payload_hash,
                              params.s3_dialect, params.normalize_path},
                             creds, params));
  headers.Set("Authorization", std::string(kAlgorithm) + " Credential=" + creds.access_key_id +
                                   "/" + signed_parts.credential_scope +
                                   ", SignedHeaders=" + signed_parts.signed_headers +
                                   ", Signature=" + signed_parts.signature);
  if (parts) *parts = std::move(signed_parts);
  return Status::Ok();
}

Result<std::string> PresignUrl(const HttpRequest& request, const Credentials& creds,
                               const SigningParams& params, std::chrono::seconds expires,
                               SignatureParts* parts) {
  THAW_RETURN_IF_ERROR(CheckSigningInputs(creds, params));
  if (expires <= std::chrono::seconds(0) || expires > kMaxPresignExpiry) {
    return Status::InvalidArgument("SigV4: presigned URL expiry must be 1 s to 7 days");
  }
  THAW_ASSIGN_OR_RETURN(UrlParts url, ParseRequestUrl(request.url, params.s3_dialect));
  THAW_RETURN_IF_ERROR(CheckNoPresignParams(url.query));
  // Whoever uses an S3 URL sends a body the signer never sees.
  std::string payload_hash(kUnsignedPayload);
  if (!params.s3_dialect) {
    THAW_ASSIGN_OR_RETURN(payload_hash, PayloadHashToSign(request, params));
  }

  HttpHeaders headers = request.headers;
  headers.Remove("Authorization");
  if (!headers.Has("Host")) headers.Set("Host", HostHeaderValue(url));
  std::vector<std::string> names = SignableHeaderNames(headers);
  std::string query = std::string(url.query);
  if (!query.empty()) query += '&';
  query += PresignQuery(creds, params, expires, names);

  THAW_ASSIGN_OR_RETURN(SignatureParts signed_parts,
                        Sign({request.method, url.path, query, &headers, &names, payload_hash,
                              params.s3_dialect, params.normalize_path},
                             creds, params));
  std::string_view path = url.path.empty() ? std::string_view("/") : url.path;
  std::string out = std::string(url.scheme) + "://" + std::string(url.authority) +
                    std::string(path) + "?" + query + "&X-Amz-Signature=" + signed_parts.signature;
  if (parts) *parts = std::move(signed_parts);
  return out;
}

}  // namespace thaw::s3
