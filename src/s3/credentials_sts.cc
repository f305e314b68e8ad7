// The two STS calls temporary credentials come from: AssumeRole (signed by the source
// credentials) and AssumeRoleWithWebIdentity (unsigned; the OIDC token is the proof), both in
// STS's Query API (form-encoded POST, XML answer), and where STS is.
//
// Error messages name the role and STS's error code and message; never a credential or token.
#include <spdlog/spdlog.h>

#include <pugixml.hpp>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/endpoints.h"
#include "s3/internal/credential_sources.h"
#include "s3/internal/shared_config.h"
#include "s3/retry.h"
#include "s3/sigv4.h"

namespace thaw::s3::internal {
namespace {

// Regions whose STS was reached through sts.amazonaws.com under the legacy setting (botocore's
// _LEGACY_GLOBAL_ENDPOINT_REGIONS).
constexpr const char* kLegacyGlobalRegions[] = {
    "ap-northeast-1", "ap-south-1",   "ap-southeast-1", "ap-southeast-2",
    "aws-global",     "ca-central-1", "eu-central-1",   "eu-north-1",
    "eu-west-1",      "eu-west-2",    "eu-west-3",      "sa-east-1",
    "us-east-1",      "us-east-2",    "us-west-1",      "us-west-2"};

std::string Value(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body;
  for (const auto& [k, v] : params) {
    if (!body.empty()) body += '&';
    body += UriEncode(k) + "=" + UriEncode(v);
  }
  return body;
}

// STS answers with its error document; only Code and Message are quoted (they never hold the
// caller's secrets) and the message is cut short.
Status StsError(const HttpResponse& resp, const std::string& what) {
  pugi::xml_document doc;
  std::string code, message;
  if (doc.load_buffer(resp.body.data(), resp.body.size())) {
    pugi::xml_node err = doc.child("ErrorResponse").child("Error");
    code = err.child_value("Code");
    message = err.child_value("Message");
  }
  if (message.size() > 300) message = message.substr(0, 300) + "...";
  std::string msg = what + " failed: HTTP " + std::to_string(resp.status);
  if (!code.empty()) msg += " " + code;
  if (!message.empty()) msg += ": " + message;
  if (resp.status >= 500 || resp.status == 429 || code == "Throttling" ||
      code == "IDPCommunicationError") {
    return Status::Unavailable(msg);
  }
  if (code == "ExpiredToken" || code == "ExpiredTokenException" || code == "InvalidIdentityToken" ||
      code == "InvalidClientTokenId") {
    return Status::Unauthenticated(msg);
  }
  return Status::PermissionDenied(msg);
}

Result<Credentials> ParseStsCredentials(const HttpResponse& resp, const char* result,
                                        const std::string& what, const std::string& source) {
  pugi::xml_document doc;
  if (!doc.load_buffer(resp.body.data(), resp.body.size())) {
    return Status::Internal(what + ": STS answered with something that is not XML");
  }
  std::string response = std::string(result) + "Response";
  pugi::xml_node creds = doc.child(response.c_str())
                             .child((std::string(result) + "Result").c_str())
                             .child("Credentials");
  Credentials c;
  c.source = source;
  c.access_key_id = creds.child_value("AccessKeyId");
  c.secret_access_key = creds.child_value("SecretAccessKey");
  c.session_token = creds.child_value("SessionToken");
  c.expiration = ParseIso8601(creds.child_value("Expiration"));
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() ||
      !c.expiration) {
    return Status::Internal(what +
                            ": STS's answer lacks some of AccessKeyId, SecretAccessKey, "
                            "SessionToken, Expiration");
  }
  return c;
}

HttpRequest FormPost(const StsEndpoint& endpoint,
                     const std::vector<std::pair<std::string, std::string>>& params) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint.url + "/";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  req.headers.Set("Accept", "text/xml");
  req.body = HttpBody::FromString(FormEncode(params));
  return req;
}

// Worth another attempt: the call never got an answer, or the answer says "later".
bool Retryable(const Result<HttpResponse>& resp) {
  if (!resp.ok()) return resp.status().detail_as<HttpErrorDetail>() != nullptr;
  if (resp->status >= 500 || resp->status == 429) return true;
  if (resp->status != 400) return false;
  for (const char* code : {"<Code>Throttling</Code>", "<Code>ThrottlingException</Code>",
                           "<Code>RequestLimitExceeded</Code>",
                           "<Code>IDPCommunicationError</Code>", "TooManyRequestsException"}) {
    if (resp->body.find(code) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> CommonParams(const char* action,
                                                              const AssumeRoleParams& p) {
  std::vector<std::pair<std::string, std::string>> params = {{"Action", action},
                                                             {"Version", "2011-06-15"},
                                                             {"RoleArn", p.role_arn},
                                                             {"RoleSessionName", p.session_name}};
  if (p.duration_seconds)
    params.emplace_back("DurationSeconds", std::to_string(*p.duration_seconds));
  return params;
}

}  // namespace

Result<StsEndpoint> ResolveStsEndpoint(const std::string& region,
                                       const std::map<std::string, std::string>& profile_values,
                                       const EnvLookup& env) {
  StsEndpoint ep;
  ep.signing_region = region.empty() ? "us-east-1" : region;
  THAW_ASSIGN_OR_RETURN(ep.url, ConfiguredEndpointUrl("sts", "", profile_values, env));
  if (!ep.url.empty()) return ep;
  std::string mode = EnvValue(env, "AWS_STS_REGIONAL_ENDPOINTS");
  if (mode.empty()) mode = Value(profile_values, "sts_regional_endpoints");
  bool legacy_global = false;
  if (ToLower(mode) == "legacy") {
    for (const char* r : kLegacyGlobalRegions) legacy_global |= region == r;
  }
  EndpointVariant variant = ResolveEndpointVariant("sts", profile_values, env);
  bool plain = !variant.fips && !variant.dualstack;  // FIPS and dual-stack are regional only
  if (region.empty() || region == "aws-global" || (legacy_global && plain)) {
    ep.url = "https://sts.amazonaws.com";
    ep.signing_region = "us-east-1";
  } else {
    ep.url = AwsEndpointUrl("sts", region, variant);
  }
  return ep;
}

std::string DefaultSessionName(Clock& clock) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch());
  return "thaw-session-" + std::to_string(secs.count());
}

Result<HttpResponse> SendWithRetries(HttpTransport& http, Clock& clock,
                                     const std::function<Result<HttpRequest>()>& make) {
  RetryPolicy policy;
  for (int attempt = 1;; ++attempt) {
    Result<HttpRequest> req = make();
    if (!req.ok()) return req.status();
    Result<HttpResponse> resp = http.Send(*req);
    if (attempt >= policy.max_attempts || !Retryable(resp)) return resp;
    spdlog::debug("credentials: {} answered {}; retrying", req->url.substr(0, req->url.find('?')),
                  resp.ok() ? "HTTP " + std::to_string(resp->status) : resp.status().message());
    clock.SleepFor(BackoffDelay(policy, attempt, RetryJitter01));
  }
}

Result<Credentials> StsAssumeRole(HttpTransport& http, const StsEndpoint& endpoint, Clock& clock,
                                  const Credentials& source_credentials,
                                  const AssumeRoleParams& params) {
  std::string what = "AssumeRole of " + params.role_arn;
  auto form = CommonParams("AssumeRole", params);
  if (!params.external_id.empty()) form.emplace_back("ExternalId", params.external_id);
  Result<HttpResponse> resp = SendWithRetries(http, clock, [&]() -> Result<HttpRequest> {
    HttpRequest req = FormPost(endpoint, form);
    SigningParams sp;
    sp.region = endpoint.signing_region;
    sp.service = "sts";
    sp.time = clock.Now();
    sp.s3_dialect = false;
    sp.add_content_sha256_header = false;
    THAW_RETURN_IF_ERROR(SignRequest(req, source_credentials, sp));
    return req;
  });
  if (!resp.ok()) return resp.status().WithContext(what + " at " + endpoint.url);
  if (resp->status != 200) return StsError(*resp, what);
  return ParseStsCredentials(*resp, "AssumeRole", what, params.source);
}

Result<Credentials> StsAssumeRoleWithWebIdentity(HttpTransport& http, const StsEndpoint& endpoint,
                                                 Clock& clock, const AssumeRoleParams& params,
                                                 const std::string& web_identity_token) {
  std::string what = "AssumeRoleWithWebIdentity of " + params.role_arn;
  auto form = CommonParams("AssumeRoleWithWebIdentity", params);
  form.emplace_back("WebIdentityToken", web_identity_token);
  Result<HttpResponse> resp = SendWithRetries(
      http, clock, [&]() -> Result<HttpRequest> { return FormPost(endpoint, form); });
  if (!resp.ok()) return resp.status().WithContext(what + " at " + endpoint.url);
  if (resp->status != 200) return StsError(*resp, what);
  return ParseStsCredentials(*resp, "AssumeRoleWithWebIdentity", what, params.source);
}

}  // namespace thaw::s3::internal
