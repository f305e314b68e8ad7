// IAM Identity Center (SSO) credentials, as the AWS CLI v2 gets them after `aws sso login`:
// the login caches an access token in ~/.aws/sso/cache/<sha1>.json; with it, the SSO portal's
// GetRoleCredentials (unsigned, the token in the x-amz-sso_bearer_token header) hands out
// temporary credentials of one role in one account. thaw never logs in itself (that needs a
// browser); it only reads the token, refreshes it through SSO OIDC when the login left a refresh
// token (sso_session profiles), and says "run aws sso login" when the token is gone or expired.
//
// Tokens and credentials never go into messages or logs: only the profile, session, account,
// role, file path and the service's error code.
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/endpoints.h"
#include "s3/internal/credential_sources.h"
#include "s3/internal/shared_config.h"

namespace thaw::s3::internal {
namespace {

using Json = nlohmann::json;

// botocore's SSOTokenProvider refreshes a token that expires within this window.
constexpr std::chrono::minutes kTokenRefreshWindow{15};

std::string Value(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

std::string Sha1Hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha1(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string LoginHint(const SsoProfile& sso) {
  return "run aws sso login --profile " + sso.profile;
}

std::string Where(const SsoProfile& sso) {
  std::string s = "profile '" + sso.profile + "' (IAM Identity Center";
  if (!sso.session_name.empty()) s += ", sso_session " + sso.session_name;
  return s + ", account " + sso.account_id + ", role " + sso.role_name + ")";
}

std::string Domain(const std::string& region) {
  return StartsWith(region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

// botocore's config-based endpoints (AWS_ENDPOINT_URL_SSO / _SSO_OIDC, AWS_ENDPOINT_URL, the
// profile's services section, its endpoint_url), else AWS's host for sso_region.
Result<std::string> ServiceEndpoint(const EnvLookup& env, const SsoProfile& sso,
                                    const std::string& service, const std::string& default_url) {
  THAW_ASSIGN_OR_RETURN(std::string url,
                        ConfiguredEndpointUrl(service, "", sso.endpoint_settings, env));
  return url.empty() ? default_url : url;
}

std::optional<std::string> StringField(const Json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The AWS CLI v1 wrote "2019-11-14T04:05:45UTC"; v2 writes "...Z".
std::optional<Clock::TimePoint> ParseExpiresAt(std::string s) {
  if (EndsWith(s, "UTC")) s = s.substr(0, s.size() - 3) + "Z";
  return ParseIso8601(s);
}

struct CachedToken {
  Json doc;  // the whole cache file, kept to write a refreshed token back
  std::string access_token;
  Clock::TimePoint expires_at;
};

Result<CachedToken> ReadToken(const SsoProfile& sso, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Unauthenticated(Where(sso) + ": no SSO token cached in " + path +
                                   " (not logged in); " + LoginHint(sso));
  }
  std::ostringstream content;
  content << in.rdbuf();
  CachedToken t;
  t.doc = Json::parse(content.str(), nullptr, /*allow_exceptions=*/false);
  std::optional<std::string> token, expires;
  if (!t.doc.is_discarded() && t.doc.is_object()) {
    token = StringField(t.doc, "accessToken");
    expires = StringField(t.doc, "expiresAt");
  }
  std::optional<Clock::TimePoint> at = expires ? ParseExpiresAt(*expires) : std::nullopt;
  if (!token || token->empty() || !at) {
    return Status::Unauthenticated(Where(sso) + ": the SSO token cache " + path +
                                   " is not valid (it needs accessToken and expiresAt); " +
                                   LoginHint(sso));
  }
  t.access_token = *token;
  t.expires_at = *at;
  return t;
}

// Writes the refreshed token where `aws sso login` keeps it: a temporary file renamed over the
// old one (readers never see half a file), mode 0600 as the CLI's.
Status WriteToken(const std::string& path, const Json& doc) {
  std::string tmp = path + ".thaw-" + std::to_string(::getpid());
  {
    mode_t old = ::umask(077);
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    ::umask(old);
    out << doc.dump();
    if (!out.flush()) {
      std::remove(tmp.c_str());
      return Status::Internal("cannot write " + tmp);
    }
  }
  ::chmod(tmp.c_str(), 0600);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::Internal("cannot replace " + path);
  }
  return Status::Ok();
}

// SSO OIDC CreateToken with the refresh token (botocore's SSOTokenProvider._refresh_access_token).
// Returns nullopt when the cache has nothing to refresh with or the refresh fails: the caller
// goes on with the token it has, if it is still good.
std::optional<CachedToken> RefreshToken(HttpTransport& http, Clock& clock, const SsoProfile& sso,
                                        const EnvLookup& env, const CachedToken& old,
                                        const std::string& path) {
  std::optional<std::string> refresh = StringField(old.doc, "refreshToken");
  std::optional<std::string> client_id = StringField(old.doc, "clientId");
  std::optional<std::string> client_secret = StringField(old.doc, "clientSecret");
  std::optional<std::string> registration = StringField(old.doc, "registrationExpiresAt");
  if (!refresh || !client_id || !client_secret || !registration) {
    spdlog::debug("sso: {}: the token cache holds no refresh token", sso.profile);
    return std::nullopt;
  }
  std::optional<Clock::TimePoint> reg_expiry = ParseExpiresAt(*registration);
  if (!reg_expiry || *reg_expiry <= clock.Now()) {
    spdlog::info("sso: {}: the client registration has expired; cannot refresh", sso.profile);
    return std::nullopt;
  }
  Result<std::string> base = ServiceEndpoint(
      env, sso, "sso_oidc", "https://oidc." + sso.region + "." + Domain(sso.region));
  if (!base.ok()) {
    spdlog::warn("sso: {}", base.status().message());
    return std::nullopt;
  }
  HttpRequest req;
  req.method = "POST";
  req.url = *base + "/token";
  req.headers.Set("Content-Type", "application/json");
  Json body = {{"clientId", *client_id},
               {"clientSecret", *client_secret},
               {"grantType", "refresh_token"},
               {"refreshToken", *refresh}};
  req.body = HttpBody::FromString(body.dump());
  Result<HttpResponse> resp = http.Send(req);
  if (!resp.ok() || resp->status != 200) {
    spdlog::warn("sso: {}: refreshing the SSO token failed ({})", sso.profile,
                 resp.ok() ? "HTTP " + std::to_string(resp->status) : resp.status().message());
    return std::nullopt;
  }
  Json answer = Json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  std::optional<std::string> token;
  if (!answer.is_discarded() && answer.is_object()) token = StringField(answer, "accessToken");
  auto expires_in = answer.is_object() ? answer.find("expiresIn") : answer.end();
  if (!token || token->empty() || expires_in == answer.end() || !expires_in->is_number()) {
    spdlog::warn("sso: {}: SSO OIDC answered the refresh without accessToken/expiresIn",
                 sso.profile);
    return std::nullopt;
  }
  CachedToken fresh;
  fresh.doc = old.doc;
  fresh.access_token = *token;
  fresh.expires_at = clock.Now() + std::chrono::seconds(expires_in->get<int64_t>());
  fresh.doc["accessToken"] = *token;
  fresh.doc["expiresAt"] = FormatIso8601(fresh.expires_at, /*with_millis=*/false);
  if (std::optional<std::string> r = StringField(answer, "refreshToken")) {
    fresh.doc["refreshToken"] = *r;
  }
  if (Status s = WriteToken(path, fresh.doc); !s.ok()) {
    spdlog::warn("sso: {}: {}", sso.profile, s.message());  // still usable in this process
  }
  spdlog::info("sso: {}: SSO token refreshed", sso.profile);
  return fresh;
}

// The portal's error body is {"message": "..."}, its type in x-amzn-ErrorType.
std::string PortalErrorType(const HttpResponse& resp) {
  std::string type = resp.headers.Get("x-amzn-ErrorType");
  type = type.substr(0, type.find(':'));
  if (type.empty()) {
    Json doc = Json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded() && doc.is_object()) {
      type = StringField(doc, "__type").value_or("");
      type = type.substr(type.rfind('#') == std::string::npos ? 0 : type.rfind('#') + 1);
    }
  }
  // Only a plain identifier is quoted: the body is the server's to fill.
  for (char c : type) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return "";
  }
  return type.size() <= 64 ? type : "";
}

}  // namespace

Result<std::optional<SsoProfile>> LoadSsoProfile(const std::string& profile,
                                                 const std::map<std::string, std::string>& values,
                                                 const std::string& config_path) {
  if (values.count("sso_account_id") == 0 && values.count("sso_role_name") == 0) {
    return std::optional<SsoProfile>();
  }
  std::map<std::string, std::string> resolved = values;
  std::vector<std::string> required = {"sso_start_url", "sso_region", "sso_account_id",
                                       "sso_role_name"};
  std::string session = Value(values, "sso_session");
  if (!session.empty()) {
    Result<IniFile> config = ParseIniFile(config_path);
    if (!config.ok() && !config.status().IsNotFound()) return config.status();
    const std::map<std::string, std::string>* section = nullptr;
    if (config.ok()) {
      auto it = config->sections.find("sso-session " + session);
      if (it != config->sections.end()) section = &it->second;
    }
    if (section == nullptr) {
      return Status::InvalidArgument("profile '" + profile + "': sso_session '" + session +
                                     "' has no [sso-session " + session + "] section in " +
                                     config_path);
    }
    for (const auto& [key, value] : *section) {
      auto mine = values.find(key);
      if (mine != values.end() && mine->second != value) {
        return Status::InvalidArgument("profile '" + profile + "': " + key + " is '" +
                                       mine->second + "' in the profile but '" + value +
                                       "' in [sso-session " + session + "]");
      }
      resolved[key] = value;
    }
  }
  std::string missing;
  for (const std::string& key : required) {
    if (Value(resolved, key).empty()) missing += (missing.empty() ? "" : ", ") + key;
  }
  if (!missing.empty()) {
    return Status::InvalidArgument(
        "profile '" + profile + "' is configured to use IAM Identity Center (SSO) but lacks " +
        missing + (session.empty() ? "" : " (in the profile or [sso-session " + session + "])"));
  }
  SsoProfile sso;
  sso.profile = profile;
  sso.session_name = session;
  sso.start_url = Value(resolved, "sso_start_url");
  sso.region = Value(resolved, "sso_region");
  sso.account_id = Value(resolved, "sso_account_id");
  sso.role_name = Value(resolved, "sso_role_name");
  return std::optional<SsoProfile>(std::move(sso));
}

std::string SsoTokenCachePath(const SsoProfile& sso, const EnvLookup& env) {
  std::string key = Sha1Hex(sso.session_name.empty() ? sso.start_url : sso.session_name);
  return ExpandHome("~/.aws/sso/cache/" + key + ".json", env);
}

Result<Credentials> SsoGetRoleCredentials(HttpTransport& http, Clock& clock, const SsoProfile& sso,
                                          const EnvLookup& env) {
  std::string path = SsoTokenCachePath(sso, env);
  THAW_ASSIGN_OR_RETURN(CachedToken token, ReadToken(sso, path));
  // Only sso_session logins leave what a refresh needs; legacy profiles use the token as is.
  if (!sso.session_name.empty() && token.expires_at - clock.Now() < kTokenRefreshWindow) {
    if (std::optional<CachedToken> fresh = RefreshToken(http, clock, sso, env, token, path)) {
      token = std::move(*fresh);
    }
  }
  if (token.expires_at <= clock.Now()) {
    return Status::Unauthenticated(Where(sso) + ": the SSO session expired at " +
                                   FormatIso8601(token.expires_at, false) + "; " + LoginHint(sso));
  }
  THAW_ASSIGN_OR_RETURN(std::string base, ServiceEndpoint(env, sso, "sso",
                                                          "https://portal.sso." + sso.region + "." +
                                                              Domain(sso.region)));
  HttpRequest req;
  req.method = "GET";
  req.url = base + "/federation/credentials?account_id=" + UriEncode(sso.account_id) +
            "&role_name=" + UriEncode(sso.role_name);
  req.headers.Set("x-amz-sso_bearer_token", token.access_token);
  req.headers.Set("Accept", "application/json");
  std::string what = Where(sso) + ": GetRoleCredentials at " + base;
  Result<HttpResponse> resp =
      SendWithRetries(http, clock, [&]() -> Result<HttpRequest> { return req; });
  if (!resp.ok()) return resp.status().WithContext(what);
  if (resp->status != 200) {
    std::string type = PortalErrorType(*resp);
    std::string msg =
        what + " answered HTTP " + std::to_string(resp->status) + (type.empty() ? "" : " " + type);
    if (resp->status == 401 || type == "UnauthorizedException") {
      return Status::Unauthenticated(msg + ": the SSO token was refused; " + LoginHint(sso));
    }
    if (resp->status == 429 || resp->status >= 500) return Status::Unavailable(msg);
    if (resp->status == 404 || type == "ResourceNotFoundException") {
      return Status::PermissionDenied(msg + ": no such role assigned to you in this account");
    }
    return Status::PermissionDenied(msg);
  }
  Json doc = Json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  const Json* rc = nullptr;
  if (!doc.is_discarded() && doc.is_object() && doc.contains("roleCredentials") &&
      doc["roleCredentials"].is_object()) {
    rc = &doc["roleCredentials"];
  }
  Credentials c;
  c.source = "profile " + sso.profile + " (sso)";
  if (rc != nullptr) {
    c.access_key_id = StringField(*rc, "accessKeyId").value_or("");
    c.secret_access_key = StringField(*rc, "secretAccessKey").value_or("");
    c.session_token = StringField(*rc, "sessionToken").value_or("");
    auto exp = rc->find("expiration");
    if (exp != rc->end() && exp->is_number()) {
      c.expiration = Clock::TimePoint(std::chrono::milliseconds(exp->get<int64_t>()));
    }
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() ||
      !c.expiration) {
    return Status::Internal(what +
                            ": the answer lacks roleCredentials accessKeyId, secretAccessKey, "
                            "sessionToken or expiration");
  }
  return c;
}

}  // namespace thaw::s3::internal
