// Credentials fetched over HTTP: the container endpoint (ECS task roles, EKS Pod Identity) and
// the EC2 instance metadata service (IMDSv2 with botocore's fallback to IMDSv1).
//
// The container source is configured explicitly (its environment variables), so every failure
// of it is an error. IMDS is probed: an address that does not answer, or answers like something
// other than EC2's metadata service (Azure and GCP use the same address), means "no credentials
// here", as in botocore. Once IMDS has named the instance's role, though, a failure to fetch
// that role's credentials is reported as an error, where botocore would only log it: the user
// learns why the instance role did not work instead of reading "no credentials found".
//
// Response bodies never go into messages: they are, or may contain, credentials.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/credentials.h"
#include "s3/internal/shared_config.h"

namespace thaw::s3 {
namespace {

using internal::EnvValue;

Status HttpStatusError(const std::string& what, int status) {
  std::string msg = what + " answered HTTP " + std::to_string(status);
  if (status >= 500 || status == 429 || status == 408) return Status::Unavailable(msg);
  if (status == 401 || status == 403) return Status::PermissionDenied(msg);
  return Status::FailedPrecondition(msg);
}

// A short identifier from a response (an error Code) may be quoted; anything else is not.
bool IsPlainWord(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// IAM role names: 1-64 of [A-Za-z0-9+=,.@_-].
bool IsRoleName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (c == '\0' ||
        (!std::isalnum(static_cast<unsigned char>(c)) && std::strchr("+=,.@_-", c) == nullptr)) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> StringField(const nlohmann::json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The JSON document both endpoints answer with: AccessKeyId, SecretAccessKey, Token,
// Expiration, and from IMDS also Code ("Success" or an error such as
// "AssumeRoleUnauthorizedAccess").
Result<Credentials> ParseCredentialsJson(const std::string& body, const std::string& source) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Internal("the credentials response is not a JSON object");
  }
  std::optional<std::string> code = StringField(doc, "Code");
  if (code && *code != "Success") {
    return Status::PermissionDenied("the credentials response has Code " +
                                    (IsPlainWord(*code) ? *code : "other than Success"));
  }
  Credentials c;
  c.source = source;
  c.access_key_id = StringField(doc, "AccessKeyId").value_or("");
  c.secret_access_key = StringField(doc, "SecretAccessKey").value_or("");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Status::Internal("the credentials response lacks AccessKeyId or SecretAccessKey");
  }
  c.session_token = StringField(doc, "Token").value_or("");
  if (doc.contains("Expiration")) {
    std::optional<std::string> text = StringField(doc, "Expiration");
    if (text) c.expiration = ParseIso8601(*text);
    if (!c.expiration) {
      return Status::Internal("the credentials response's Expiration is not a time");
    }
  }
  return c;
}

// --- Container ---------------------------------------------------------------------------------

constexpr char kContainerHost[] = "http://169.254.170.2";

// The host part of an http(s) URL: no user info, no port, no IPv6 brackets.
std::string UrlHost(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::string_view authority = url.substr(start, url.find_first_of("/?#", start) - start);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (StartsWith(authority, "[")) return std::string(authority.substr(1, authority.find(']') - 1));
  return std::string(authority.substr(0, authority.find(':')));
}

bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  }
  return false;
}

// botocore's rule: the authorization token may travel in clear only to the local machine or to
// the link-local ECS / EKS Pod Identity agents.
Status CheckFullUri(const std::string& url) {
  if (StartsWith(ToLower(url), "https://")) return Status::Ok();
  if (!StartsWith(ToLower(url), "http://")) {
    return Status::InvalidArgument("AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http(s) URL");
  }
  std::string host = ToLower(UrlHost(url));
  if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23" || IsLoopback(host)) {
    return Status::Ok();
  }
  return Status::InvalidArgument("AWS_CONTAINER_CREDENTIALS_FULL_URI uses plain http to host '" +
                                 host +
                                 "'; only https, loopback addresses and the ECS/EKS agents "
                                 "(169.254.170.2, 169.254.170.23, fd00:ec2::23) are allowed");
}

class ContainerProvider : public CredentialsProvider {
 public:
  ContainerProvider(EnvLookup env, HttpTransport& http) : env_(std::move(env)), http_(http) {}

  Result<Credentials> Get() override {
    std::string relative = EnvValue(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    std::string full = EnvValue(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (relative.empty() && full.empty()) {
      return Status::NotFound(
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not "
          "set");
    }
    HttpRequest req;
    req.method = "GET";
    if (!relative.empty()) {
      req.url = kContainerHost + relative;  // wins over the full URI, as in botocore
    } else {
      THAW_RETURN_IF_ERROR(CheckFullUri(full));
      req.url = full;
    }
    req.headers.Set("Accept", "application/json");
    THAW_ASSIGN_OR_RETURN(std::optional<std::string> token, AuthorizationToken());
    if (token) req.headers.Set("Authorization", *token);
    Result<HttpResponse> resp = http_.Send(req);
    if (!resp.ok()) return resp.status().WithContext("container credentials endpoint");
    if (resp->status != 200) {
      return HttpStatusError("the container credentials endpoint", resp->status);
    }
    return ParseCredentialsJson(resp->body, name());
  }
  std::string name() const override { return "container"; }

 private:
  // The token file is read on every fetch: EKS Pod Identity rotates it.
  Result<std::optional<std::string>> AuthorizationToken() const {
    std::string token;
    std::string path = EnvValue(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (!path.empty()) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream content;
      if (in) content << in.rdbuf();
      if (!in || in.bad()) {
        return Status::FailedPrecondition("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " +
                                          path);
      }
      // Editors end files with a newline; a header value cannot carry one anyway.
      token = std::string(Trim(content.str()));
    } else {
      token = EnvValue(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token.empty()) return std::optional<std::string>();
    if (token.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("the container authorization token contains a line break");
    }
    return std::optional<std::string>(std::move(token));
  }

  EnvLookup env_;
  HttpTransport& http_;
};

// --- Instance metadata -------------------------------------------------------------------------

constexpr char kImdsHost[] = "http://169.254.169.254";
constexpr char kImdsHostIpv6[] = "http://[fd00:ec2::254]";
constexpr char kTokenPath[] = "/latest/api/token";
constexpr char kRolesPath[] = "/latest/meta-data/iam/security-credentials/";
constexpr char kTokenTtlHeader[] = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr char kTokenHeader[] = "X-aws-ec2-metadata-token";
constexpr char kTokenTtlSeconds[] = "21600";  // 6 hours, the maximum (as botocore)

class ImdsProvider : public CredentialsProvider {
 public:
  ImdsProvider(EnvLookup env, HttpTransport& http) : env_(std::move(env)), http_(http) {}

  Result<Credentials> Get() override {
    if (ToLower(EnvValue(env_, "AWS_EC2_METADATA_DISABLED")) == "true") {
      return Status::NotFound("disabled by AWS_EC2_METADATA_DISABLED");
    }
    std::string base = BaseUrl();
    THAW_ASSIGN_OR_RETURN(std::optional<std::string> token, FetchToken(base));
    if (!token && ToLower(EnvValue(env_, "AWS_EC2_METADATA_V1_DISABLED")) == "true") {
      return Status::FailedPrecondition(
          "no IMDSv2 session token, and IMDSv1 is disabled by AWS_EC2_METADATA_V1_DISABLED");
    }
    THAW_ASSIGN_OR_RETURN(std::string role, FetchRoleName(base, token));
    return FetchCredentials(base, role, token);
  }
  std::string name() const override { return "instance metadata"; }

 private:
  std::string BaseUrl() const {
    std::string url = EnvValue(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (url.empty()) {
      bool ipv6 = ToLower(EnvValue(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) == "ipv6";
      return ipv6 ? kImdsHostIpv6 : kImdsHost;
    }
    while (EndsWith(url, "/")) url.pop_back();
    return url;
  }

  Result<HttpResponse> Send(std::string method, std::string url,
                            const std::optional<std::string>& token) {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    if (token) req.headers.Set(kTokenHeader, *token);
    return http_.Send(req);
  }

  // nullopt: no token but IMDSv1 may still answer. botocore falls back to v1 after 403, 404 and
  // 405 (IMDS proxies and old endpoints without v2), after 5xx and after a timeout, and gives up
  // on 400.
  Result<std::optional<std::string>> FetchToken(const std::string& base) {
    HttpRequest req;
    req.method = "PUT";
    req.url = base + kTokenPath;
    req.headers.Set(kTokenTtlHeader, kTokenTtlSeconds);
    Result<HttpResponse> resp = http_.Send(req);
    if (!resp.ok()) {
      // A request that never left (connection refused, no route) would fail again over v1.
      const auto* net = resp.status().detail_as<HttpErrorDetail>();
      if (net != nullptr && !net->request_sent) {
        return Status::NotFound("not reachable at " + base + ": " + resp.status().message());
      }
      return std::optional<std::string>();
    }
    if (resp->status == 400) return Status::NotFound(base + " answered the token request with 400");
    std::string token(Trim(resp->body));
    if (resp->status != 200 || token.empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(token));
  }

  Result<std::string> FetchRoleName(const std::string& base,
                                    const std::optional<std::string>& token) {
    Result<HttpResponse> resp = Send("GET", base + kRolesPath, token);
    if (!resp.ok()) {
      return Status::NotFound("not reachable at " + base + ": " + resp.status().message());
    }
    // 404 is an instance without an instance profile.
    if (resp->status != 200) {
      return Status::NotFound("no IAM role (" + base + " answered HTTP " +
                              std::to_string(resp->status) + ")");
    }
    std::string_view body = resp->body;
    std::string role(Trim(body.substr(0, body.find('\n'))));
    if (role.empty()) return Status::NotFound("no IAM role attached to the instance");
    // Whatever else answers at this address (a captive portal, another cloud's metadata
    // service) is not EC2; a real role name also needs no escaping in the URL.
    if (!IsRoleName(role)) return Status::NotFound(base + " did not answer with an IAM role name");
    return role;
  }

  Result<Credentials> FetchCredentials(const std::string& base, const std::string& role,
                                       const std::optional<std::string>& token) {
    std::string what = "credentials of role " + role;
    Result<HttpResponse> resp = Send("GET", base + kRolesPath + role, token);
    if (!resp.ok()) return resp.status().WithContext(what);
    if (resp->status != 200) {
      return HttpStatusError("the metadata service", resp->status).WithContext(what);
    }
    Result<Credentials> creds = ParseCredentialsJson(resp->body, name());
    if (!creds.ok()) return creds.status().WithContext(what);
    return creds;
  }

  EnvLookup env_;
  HttpTransport& http_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> MakeContainerProvider(EnvLookup env, HttpTransport& http) {
  return std::make_unique<ContainerProvider>(std::move(env), http);
}

std::unique_ptr<CredentialsProvider> MakeImdsProvider(EnvLookup env, HttpTransport& http) {
  return std::make_unique<ImdsProvider>(std::move(env), http);
}

}  // namespace thaw::s3
