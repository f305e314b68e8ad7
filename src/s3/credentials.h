// AWS credentials and the chain that finds them, in the AWS CLI's order:
//   1. explicit options (--access-key/--secret-key given to the program)
//   2. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   3. profile (--profile, AWS_PROFILE, else "default") from the shared files
//      (~/.aws/credentials then ~/.aws/config; AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), in
//      botocore's order: role_arn with source_profile / credential_source (STS AssumeRole),
//      web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the profile's
//      web_identity_token_file + role_arn: STS AssumeRoleWithWebIdentity), IAM Identity Center
//      (the token `aws sso login` cached, then the SSO portal's GetRoleCredentials), static keys
//      of the credentials file, credential_process, static keys of the config file
//      (credentials_profile.cc)
//   4. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2, or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN or
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as the Authorization header)
//   5. EC2 instance metadata (IMDSv2: PUT a session token, then GET the role's credentials;
//      AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address, AWS_EC2_METADATA_DISABLED=true
//      turns it off)
// Temporary credentials are cached and refreshed before they expire (RefreshingProvider).
//
// As in botocore, a source is consulted only when its trigger is there (AWS_ACCESS_KEY_ID, a
// profile's aws_access_key_id, a container variable, an answering IMDS); a triggered source that
// is incomplete or broken is an error, never a reason to fall through to another identity. So is
// a profile that asks for a way of getting credentials thaw does not implement (aws login):
// kUnimplemented, naming the key.
//
// Secrets never leave this module except into the signer: Credentials has no operator<< and
// error messages name the source, never the values.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "s3/http.h"

namespace thaw::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                   // empty for long-term keys
  std::optional<Clock::TimePoint> expiration;  // set for temporary credentials
  std::string source;  // "environment", "profile default", "container", "instance metadata", ...

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // kNotFound: this source has no credentials (the chain moves on). Other errors are real
  // failures of a source that is configured (e.g. a profile file naming no secret).
  virtual Result<Credentials> Get() = 0;
  virtual std::string name() const = 0;
};

// Environment access is injectable so tests never touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// A parsed AWS shared config/credentials file: section -> key -> value. Profiles in the config
// file are named "profile NAME" except "default"; callers use ProfileSection() to look them up.
struct IniFile {
  std::map<std::string, std::map<std::string, std::string>> sections;
};
// Parses the AWS ini dialect (comments with # or ;, `key = value`, nested sub-sections indented
// under a key are kept as "key.sub"). A missing file is kNotFound; a malformed line is
// kInvalidArgument with file:line.
Result<IniFile> ParseIniFile(const std::string& path);
Result<IniFile> ParseIniText(std::string_view text, const std::string& origin);
// The section of profile `name` in a parsed config file: [profile NAME], or for "default" also
// [default]. nullptr when there is none.
const std::map<std::string, std::string>* ProfileSection(const IniFile& config,
                                                         const std::string& name);

// Settings of one profile merged from both shared files (credentials file wins for keys).
struct ProfileSettings {
  std::map<std::string, std::string> values;
  std::string Get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? "" : it->second;
  }
};
// Loads profile `name` (empty: AWS_PROFILE or "default"). A profile that exists in neither
// file is kNotFound unless it is "default".
Result<ProfileSettings> LoadProfile(const std::string& name, const EnvLookup& env);

struct CredentialsOptions {
  std::string access_key_id;  // explicit (highest priority) when both are set
  std::string secret_access_key;
  std::string session_token;
  std::string profile;           // --profile; empty: AWS_PROFILE or "default"
  bool no_sign_request = false;  // anonymous requests (public buckets): no chain at all
  // Refresh temporary credentials this long before they expire.
  std::chrono::seconds refresh_margin{300};
  std::string region;  // --region: where STS is asked (else AWS_REGION, ..., profile region)
  // A credential_process still running after this long is killed (botocore has no limit; a
  // hung helper must not hang a mount).
  std::chrono::milliseconds process_timeout{60000};
};

// What the profile source needs beyond the shared files: role_arn and web identity profiles
// call STS; credential_source Ec2InstanceMetadata / EcsContainer call the metadata endpoints;
// credential_process runs a program. Pointers are borrowed and must outlive the provider.
struct ProfileProviderOptions {
  HttpTransport* sts_http = nullptr;       // STS and SSO portal; nullptr: those are kUnimplemented
  HttpTransport* metadata_http = nullptr;  // nullptr: sts_http
  Clock* clock = nullptr;                  // nullptr: Clock::Real()
  std::string region;                      // as CredentialsOptions::region
  std::chrono::milliseconds process_timeout{60000};
};

std::unique_ptr<CredentialsProvider> MakeStaticProvider(Credentials creds);
std::unique_ptr<CredentialsProvider> MakeEnvironmentProvider(EnvLookup env);
std::unique_ptr<CredentialsProvider> MakeProfileProvider(std::string profile, EnvLookup env,
                                                         ProfileProviderOptions options = {});
std::unique_ptr<CredentialsProvider> MakeContainerProvider(EnvLookup env, HttpTransport& http);
std::unique_ptr<CredentialsProvider> MakeImdsProvider(EnvLookup env, HttpTransport& http);

// Tries providers in order; the first that has credentials wins. The error when none has any
// lists what was tried.
std::unique_ptr<CredentialsProvider> MakeChainProvider(
    std::vector<std::unique_ptr<CredentialsProvider>> providers);

// Caches what `inner` returns; fetches again when the cached credentials expire within
// `margin` of clock.Now(). Thread-safe.
std::unique_ptr<CredentialsProvider> MakeRefreshingProvider(
    std::unique_ptr<CredentialsProvider> inner, Clock& clock, std::chrono::seconds margin);

// The full default chain above, wrapped in a RefreshingProvider. Returns nullptr when
// options.no_sign_request is set (requests go unsigned).
//
// As in the AWS CLI, an explicit options.profile (--profile) takes the environment's keys out of
// the chain; AWS_PROFILE does not.
//
// `http` carries the STS calls (AssumeRole, AssumeRoleWithWebIdentity) of role and web identity
// profiles. `metadata_http`, when given, carries the container and instance metadata calls. It
// should be a transport with short timeouts (connect ~1 s, stall ~2 s, as botocore's 1 s metadata
// timeout): off EC2 the IMDS address usually does not answer at all, and a 5 s connect timeout
// would delay every run that has no credentials. nullptr: use `http` for those too.
std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(
    const CredentialsOptions& options, const EnvLookup& env, HttpTransport& http, Clock& clock,
    HttpTransport* metadata_http = nullptr);

}  // namespace thaw::s3
