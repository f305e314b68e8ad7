// Internal to the s3 module: the credential sources a profile can name besides static keys.
// credential_process (credentials_process.cc) and the two STS calls, AssumeRole and
// AssumeRoleWithWebIdentity (credentials_sts.cc), which the profile provider
// (credentials_profile.cc) combines as botocore does.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "s3/credentials.h"
#include "s3/http.h"

namespace thaw::s3::internal {

// --- credential_process ------------------------------------------------------------------------

// Splits a command line as Python's shlex.split (POSIX mode) does, which is what botocore runs:
// whitespace separates words; '...' keeps everything literally; "..." keeps everything but
// lets \ escape ", \, $, ` and newline; outside quotes \ escapes any character. No shell
// expansion of any kind. An unterminated quote or a trailing \ is kInvalidArgument.
Result<std::vector<std::string>> SplitCommandLine(const std::string& command);

// Runs `command` (split as above, no shell; the program is looked up in PATH), reads its stdout
// as the credential_process JSON document (Version 1, AccessKeyId, SecretAccessKey, optional
// SessionToken and ISO 8601 Expiration) and logs each line of its stderr as a warning. A
// process still running after `timeout` is killed with its process group. Every failure names
// `profile` and the key credential_process and never quotes the output.
Result<Credentials> RunCredentialProcess(const std::string& profile, const std::string& command,
                                         Clock& clock, std::chrono::milliseconds timeout);

// --- STS ---------------------------------------------------------------------------------------

struct StsEndpoint {
  std::string url;             // scheme://host[:port], no trailing slash
  std::string signing_region;  // the region AssumeRole is signed for
};

// Where STS is for `profile_values` (the top-level profile's merged settings) and `region`
// (--region, else AWS_REGION, AWS_DEFAULT_REGION, the profile's region): AWS_ENDPOINT_URL_STS,
// AWS_ENDPOINT_URL, profile `sts.endpoint_url` (services sub-section), profile `endpoint_url`;
// else the regional endpoint https://sts.REGION.amazonaws.com (botocore v2 and CLI v2 default),
// or the global https://sts.amazonaws.com when sts_regional_endpoints /
// AWS_STS_REGIONAL_ENDPOINTS is `legacy` and the region is one of the legacy global ones, or
// when no region is configured at all.
Result<StsEndpoint> ResolveStsEndpoint(const std::string& region,
                                       const std::map<std::string, std::string>& profile_values,
                                       const EnvLookup& env);

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name;
  std::string external_id;              // AssumeRole only; empty: not sent
  std::optional<int> duration_seconds;  // empty: STS's default (1 hour)
  std::string source;                   // Credentials::source of the result
};

// AssumeRole, signed with SigV4 (service sts) by `source_credentials`.
Result<Credentials> StsAssumeRole(HttpTransport& http, const StsEndpoint& endpoint, Clock& clock,
                                  const Credentials& source_credentials,
                                  const AssumeRoleParams& params);

// AssumeRoleWithWebIdentity: unsigned, the token in the form body.
Result<Credentials> StsAssumeRoleWithWebIdentity(HttpTransport& http, const StsEndpoint& endpoint,
                                                 Clock& clock, const AssumeRoleParams& params,
                                                 const std::string& web_identity_token);

// Sends the request `make` builds (called again for every attempt, so a signature is made at
// the time of its attempt) and retries what the S3 client retries, with its backoff
// (RetryPolicy's defaults, full jitter, sleeping on `clock`): network errors, HTTP 5xx and 429,
// and throttling codes in the body (Throttling, ThrottlingException, RequestLimitExceeded,
// TooManyRequestsException, IDPCommunicationError). The credential calls this serves
// (AssumeRole, AssumeRoleWithWebIdentity, GetRoleCredentials) only hand out credentials, so a
// repeat is harmless even when the first attempt reached the server. Returns the last answer.
Result<HttpResponse> SendWithRetries(HttpTransport& http, Clock& clock,
                                     const std::function<Result<HttpRequest>()>& make);

// The default RoleSessionName: "thaw-session-<unix seconds>" (botocore: botocore-session-<ts>).
std::string DefaultSessionName(Clock& clock);

// --- IAM Identity Center (SSO) -----------------------------------------------------------------

struct SsoProfile {
  std::string profile;       // the profile holding the settings (named in error messages)
  std::string session_name;  // its sso_session; empty for a legacy profile
  std::string start_url;     // sso_start_url
  std::string region;        // sso_region: where the portal and the OIDC service are
  std::string account_id;    // sso_account_id
  std::string role_name;     // sso_role_name
  // The settings of the profile that was asked for: its services section and endpoint_url say
  // where the portal (sso) and the OIDC service (sso_oidc) are, as for any other client.
  std::map<std::string, std::string> endpoint_settings;
};

// The SSO settings of `profile` (its merged keys `values`), as botocore's SSOProvider reads them:
// the profile uses SSO when it has sso_account_id or sso_role_name (nullopt otherwise); with
// sso_session the start URL and region come from the config file's [sso-session NAME] section
// (`config_path`), and a profile value that contradicts the session's is an error; a legacy
// profile has all four sso_* keys itself. Anything missing is kInvalidArgument naming the keys.
Result<std::optional<SsoProfile>> LoadSsoProfile(const std::string& profile,
                                                 const std::map<std::string, std::string>& values,
                                                 const std::string& config_path);

// The file `aws sso login` caches the access token in: ~/.aws/sso/cache/<sha1 hex>.json, the
// SHA-1 of the session name (sso_session profiles) or of the start URL (legacy profiles).
std::string SsoTokenCachePath(const SsoProfile& sso, const EnvLookup& env);

// Reads the cached token (refreshing it through SSO OIDC CreateToken when it expires within 15
// minutes and the cache holds a refresh token and a live client registration, as botocore does
// for sso_session profiles; the refreshed token is written back) and calls the portal's
// GetRoleCredentials. The portal is https://portal.sso.REGION.amazonaws.com unless
// AWS_ENDPOINT_URL_SSO (or AWS_ENDPOINT_URL) says otherwise; OIDC likewise with
// AWS_ENDPOINT_URL_SSO_OIDC. A missing, unreadable or expired token, or one the portal refuses,
// is kUnauthenticated saying "run aws sso login --profile PROFILE".
Result<Credentials> SsoGetRoleCredentials(HttpTransport& http, Clock& clock, const SsoProfile& sso,
                                          const EnvLookup& env);

}  // namespace thaw::s3::internal
